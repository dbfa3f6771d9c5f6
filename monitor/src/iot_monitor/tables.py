"""SQL for the Kafka job's tables other than the events topic (`kafka_source`): the
wall clock and the Kafka sinks, built from the settings."""

from __future__ import annotations

from iot_monitor.settings import MonitorSettings


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _with(options: dict[str, str]) -> str:
    return ",\n  ".join(f"{_quote(key)} = {_quote(value)}" for key, value in options.items())


def interval_sql(ms: int) -> str:
    """A day-time interval literal; plain SECOND intervals overflow at 100 s."""
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"INTERVAL '{days} {hours:02}:{minutes:02}:{seconds:02}.{millis:03}' DAY TO SECOND(3)"


def _watermark(settings: MonitorSettings) -> str:
    return f"WATERMARK FOR rowtime AS rowtime - {interval_sql(settings.max_out_of_orderness_ms)}"


def kafka_client_options(settings: MonitorSettings) -> dict[str, str]:
    options = {"properties.bootstrap.servers": settings.kafka_bootstrap_servers}
    options.update({f"properties.{k}": v for k, v in settings.kafka_properties.items()})
    return options


def alerts_sink_table(name: str, settings: MonitorSettings) -> str:
    options = {
        "connector": "kafka",
        "topic": settings.alerts_topic,
        "key.format": "raw",
        "key.fields": "device_id",
        "value.format": "raw",
        "value.fields-include": "EXCEPT_KEY",
        "sink.delivery-guarantee": settings.delivery_guarantee.value,
        "sink.transactional-id-prefix": settings.transactional_id_prefix,
        "properties.transaction.timeout.ms": str(settings.transaction_timeout_ms),
        **kafka_client_options(settings),
    }
    return f"""CREATE TEMPORARY TABLE {name} (
  device_id STRING,
  body STRING,
  check_time TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'
) WITH (
  {_with(options)}
)"""


def dead_letter_sink_table(name: str, settings: MonitorSettings) -> str:
    # Dead letters are diagnostics: at-least-once, so they are visible at once.
    options = {
        "connector": "kafka",
        "topic": settings.dlq_topic,
        "value.format": "raw",
        "sink.delivery-guarantee": "at-least-once",
        **kafka_client_options(settings),
    }
    return f"""CREATE TEMPORARY TABLE {name} (
  payload BYTES,
  headers MAP<STRING, BYTES> METADATA
) WITH (
  {_with(options)}
)"""


def wall_clock_ticks_table(name: str, settings: MonitorSettings) -> str:
    """One row a second whose watermark follows the wall clock. Its watermark only
    counts while every event partition is idle (Flink ignores idle inputs), so when
    the whole fleet goes silent the checks keep running on the wall clock."""
    # device_id is always NULL: the rows are dropped, the watermark stays. The planner
    # cannot know that, so it keeps the source (a NULL literal would be pruned away).
    return f"""CREATE TEMPORARY TABLE {name} (
  device_id STRING,
  rowtime AS CAST(CURRENT_TIMESTAMP AS TIMESTAMP_LTZ(3)),
  {_watermark(settings)}
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '1',
  'fields.device_id.null-rate' = '1.0'
)"""

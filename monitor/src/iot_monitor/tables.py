"""SQL for the job's Kafka and file tables, built from the settings.

Timestamps and watermarks are assigned here, on the Java side: the Kafka source then
keeps one watermark per partition (so a partition read ahead of the others, or an
idle one, never holds time back or runs it ahead), and a bounded file gets
watermarks as it is read rather than one final watermark at its end.
"""

from __future__ import annotations

from iot_monitor.settings import MonitorSettings, starting_timestamp_ms
from iot_monitor.timeunit import TimeUnit
from iot_monitor.validation import SECONDS_THAT_LOOK_LIKE_MS


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _with(options: dict[str, str]) -> str:
    return ",\n  ".join(f"{_quote(key)} = {_quote(value)}" for key, value in options.items())


def event_time_ms_sql(payload: str, unit: TimeUnit) -> str:
    """The `time` field in ms, NULL when it is not a positive number of the unit (or,
    in seconds, one the validation takes for milliseconds: it must not reach the
    watermark)."""
    number = f"TRY_CAST(JSON_VALUE(CAST({payload} AS STRING), '$[''time'']') AS DOUBLE)"
    scaled = f"CAST({number} * {unit.ms_per_unit} AS BIGINT)"
    upper = f" AND {number} < {SECONDS_THAT_LOOK_LIKE_MS}" if unit is TimeUnit.SECONDS else ""
    return f"CASE WHEN {number} > 0{upper} THEN {scaled} END"


def rowtime_sql(payload: str, unit: TimeUnit, not_after: str | None) -> str:
    """Event time for the watermark; an unusable or implausibly late `time` counts as
    the epoch, which can never move the watermark forward. The dead-letter decision
    itself is made later, in Python, with the full set of checks."""
    time_ms = event_time_ms_sql(payload, unit)
    plausible = f"{time_ms} IS NOT NULL"
    if not_after:
        plausible += f" AND TO_TIMESTAMP_LTZ({time_ms}, 3) <= {not_after}"
    return (
        f"CASE WHEN {plausible} THEN TO_TIMESTAMP_LTZ({time_ms}, 3) ELSE TO_TIMESTAMP_LTZ(0, 3) END"
    )


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


def _startup_options(settings: MonitorSettings) -> dict[str, str]:
    mode = settings.starting_offsets
    if mode == "group-offsets":
        return {"scan.startup.mode": "group-offsets", "properties.auto.offset.reset": "earliest"}
    if mode in ("earliest", "latest"):
        return {"scan.startup.mode": f"{mode}-offset"}
    return {
        "scan.startup.mode": "timestamp",
        "scan.startup.timestamp-millis": str(starting_timestamp_ms(mode)),
    }


def kafka_events_table(name: str, settings: MonitorSettings) -> str:
    # The record's own Kafka timestamp, set when it was produced, bounds how far ahead
    # an event may claim to be: one event from the far future cannot drag time along.
    not_after = f"kafka_timestamp + {interval_sql(settings.max_future_skew_ms)}"
    options = {
        "connector": "kafka",
        "topic": settings.events_topic,
        "properties.group.id": settings.group_id,
        # Offsets are committed with each checkpoint; monitoring tools see the lag.
        "properties.commit.offsets.on.checkpoint": "true",
        "properties.isolation.level": "read_committed",
        "value.format": "raw",
        **_startup_options(settings),
        **kafka_client_options(settings),
    }
    return f"""CREATE TEMPORARY TABLE {name} (
  payload BYTES,
  source_topic STRING METADATA FROM 'topic' VIRTUAL,
  source_partition INT METADATA FROM 'partition' VIRTUAL,
  source_offset BIGINT METADATA FROM 'offset' VIRTUAL,
  kafka_timestamp TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
  rowtime AS {rowtime_sql("payload", settings.time_unit, not_after)},
  {_watermark(settings)}
) WITH (
  {_with(options)}
)"""


def file_events_table(name: str, path: str, settings: MonitorSettings) -> str:
    options = {"connector": "filesystem", "path": path, "format": "raw"}
    return f"""CREATE TEMPORARY TABLE {name} (
  payload BYTES,
  rowtime AS {rowtime_sql("payload", settings.time_unit, None)},
  {_watermark(settings)}
) WITH (
  {_with(options)}
)"""


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
    return f"""CREATE TEMPORARY TABLE {name} (
  tick INT,
  rowtime AS CAST(CURRENT_TIMESTAMP AS TIMESTAMP_LTZ(3)),
  {_watermark(settings)}
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '1'
)"""

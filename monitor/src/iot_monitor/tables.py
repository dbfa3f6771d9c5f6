"""SQL for the job's Kafka and file tables, built from the settings.

Timestamps and watermarks are assigned here, on the Java side: the Kafka source then
keeps one watermark per partition (so a partition read ahead of the others, or an
idle one, never holds time back or runs it ahead), and a bounded file gets
watermarks as it is read rather than one final watermark at its end.
"""

from __future__ import annotations

from iot_monitor.settings import MonitorSettings, starting_timestamp_ms
from iot_monitor.timeunit import TimeUnit
from iot_monitor.validation import MAX_DEVICE_ID_CHARS, SECONDS_THAT_LOOK_LIKE_MS


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _with(options: dict[str, str]) -> str:
    return ",\n  ".join(f"{_quote(key)} = {_quote(value)}" for key, value in options.items())


# The layout every known producer writes, the event generator among them. A line that
# matches can be taken apart with plain string functions, about four times cheaper in
# Flink SQL than JSON_VALUE; a line that does not is checked by `validation` in Python.
# Every character class leaves out quotes, backslashes and control characters, so the
# fields need no unescaping and hold nothing that validation would refuse.
# Group 1 is the device id, group 2 the time.
_CANONICAL = (
    r'^\{{"event-id": ?"[ !#-\[\]-~]{{0,256}}", ?"device-id": ?"([!#-\[\]-~]{{1,{device}}})", '
    r'?"time": ?([1-9][0-9]{{0,{digits}}})\}}$'
)


def canonical_line_regex(unit: TimeUnit) -> str:
    """Java regex for an event in the canonical layout with a plausible `time` (below
    the milliseconds-in-seconds limit when the unit is seconds)."""
    digits = len(str(SECONDS_THAT_LOOK_LIKE_MS - 1)) - 1 if unit is TimeUnit.SECONDS else 14
    return _CANONICAL.format(device=MAX_DEVICE_ID_CHARS, digits=digits)


def device_id_sql(line: str) -> str:
    """`device-id` of a canonical line."""
    return (
        f"""SPLIT_INDEX(SUBSTRING({line} FROM POSITION('"device-id":' IN {line}) + 12), '"', 1)"""
    )


def event_time_ms_sql(payload: str, unit: TimeUnit) -> str:
    """The `time` field in ms as the watermark sees it, with string functions only:
    the number after the first `"time"` key, up to the next comma or closing brace.
    Exact for canonical lines, right for the usual other layouts (spaces, key order,
    a float), and NULL or harmless for anything else, which validation rejects. Flink
    evaluates every branch of a CASE or COALESCE, so one cheap expression it is."""
    line = f"CAST({payload} AS STRING)"
    after_key = f"""SUBSTRING({line} FROM POSITION('"time"' IN {line}) + 6)"""
    value = f"REPLACE(SPLIT_INDEX(SPLIT_INDEX({after_key}, '}}', 0), ',', 0), ':', '')"
    number = f"TRY_CAST(TRIM({value}) AS DOUBLE)"
    return f"CAST({number} * {unit.ms_per_unit} AS BIGINT)"


def watermark_guard_sql(settings: MonitorSettings, not_after: str) -> str:
    """The events the watermark follows: a time no later than `not_after` (one event
    from the far future cannot drag the whole fleet's time along) and, in seconds,
    not one that validation takes for milliseconds."""
    guard = f"rowtime <= {not_after}"
    if settings.time_unit is TimeUnit.SECONDS:
        guard += f" AND rowtime < TO_TIMESTAMP_LTZ({SECONDS_THAT_LOOK_LIKE_MS * 1000}, 3)"
    return guard


def fast_path_sql(payload: str, settings: MonitorSettings) -> str:
    """True for a record that is certainly a good event whose time is `rowtime`: the
    canonical layout, and a time the watermark follows that is not too far ahead of
    the wall clock either. NULL or false sends the record to the full validation."""
    line = f"CAST({payload} AS STRING)"
    regex = canonical_line_regex(settings.time_unit)
    skew = interval_sql(settings.max_future_skew_ms)
    now = "CAST(CURRENT_TIMESTAMP AS TIMESTAMP_LTZ(3))"
    return (
        f"REGEXP({line}, '{regex}') AND rowtime <= kafka_timestamp + {skew} "
        f"AND rowtime <= {now} + {skew}"
    )


def interval_sql(ms: int) -> str:
    """A day-time interval literal; plain SECOND intervals overflow at 100 s."""
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"INTERVAL '{days} {hours:02}:{minutes:02}:{seconds:02}.{millis:03}' DAY TO SECOND(3)"


def _watermark(settings: MonitorSettings, guard: str | None = None) -> str:
    lagging = f"rowtime - {interval_sql(settings.max_out_of_orderness_ms)}"
    if guard is None:
        return f"WATERMARK FOR rowtime AS {lagging}"
    return f"WATERMARK FOR rowtime AS CASE WHEN {guard} THEN {lagging} END"


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
    # A record without a readable time gets the epoch as its `rowtime`, never NULL: its
    # timestamp then passes to Python validation (which rejects or reads it), and the
    # epoch is far behind any watermark, which never moves back.
    # The record's own Kafka timestamp, set when it was produced, bounds how far ahead
    # an event may claim to be.
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
  rowtime AS COALESCE(TO_TIMESTAMP_LTZ({event_time_ms_sql("payload", settings.time_unit)}, 3),
    TO_TIMESTAMP_LTZ(0, 3)),
  {_watermark(settings, watermark_guard_sql(settings, not_after))}
) WITH (
  {_with(options)}
)"""


def screened_file_table(name: str, path: str, settings: MonitorSettings) -> str:
    """A replay's events as its screening writes them: `time-ms TAB device-id` per line
    (a device id holds no control character, so no tab)."""
    options = {"connector": "filesystem", "path": path, "format": "raw"}
    return f"""CREATE TEMPORARY TABLE {name} (
  line STRING,
  rowtime AS TO_TIMESTAMP_LTZ(CAST(SPLIT_INDEX(line, CHR(9), 0) AS BIGINT), 3),
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

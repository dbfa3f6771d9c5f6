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
_CANONICAL = (
    r'^\{{"event-id": ?"[ !#-\[\]-~]{{0,256}}", ?"device-id": ?"[!#-\[\]-~]{{1,{device}}}", '
    r'?"time": ?[1-9][0-9]{{0,{digits}}}\}}$'
)


def canonical_line_regex(unit: TimeUnit) -> str:
    """Java regex for an event in the canonical layout with a plausible `time` (below
    the milliseconds-in-seconds limit when the unit is seconds)."""
    digits = len(str(SECONDS_THAT_LOOK_LIKE_MS - 1)) - 1 if unit is TimeUnit.SECONDS else 14
    return _CANONICAL.format(device=MAX_DEVICE_ID_CHARS, digits=digits)


def _string_time_ms_sql(line: str, unit: TimeUnit) -> str:
    """`time` of a canonical line: the digits between `"time":` and the closing brace."""
    key = f"""POSITION('"time":' IN {line})"""
    digits = f"TRIM(SUBSTRING({line} FROM {key} + 7 FOR CHAR_LENGTH({line}) - {key} - 7))"
    return f"TRY_CAST({digits} AS BIGINT) * {unit.ms_per_unit}"


def device_id_sql(line: str) -> str:
    """`device-id` of a canonical line."""
    return (
        f"""SPLIT_INDEX(SUBSTRING({line} FROM POSITION('"device-id":' IN {line}) + 12), '"', 1)"""
    )


def event_time_ms_sql(payload: str, unit: TimeUnit) -> str:
    """The `time` field in ms, NULL when it is not a positive number of the unit (or,
    in seconds, one the validation takes for milliseconds: it must not reach the
    watermark). Canonical lines take the cheap way; any other layout is read with
    JSON_VALUE, so that producers with their own layout still move time forward."""
    line = f"CAST({payload} AS STRING)"
    number = f"TRY_CAST(JSON_VALUE({line}, '$[''time'']') AS DOUBLE)"
    scaled = f"CAST({number} * {unit.ms_per_unit} AS BIGINT)"
    upper = f" AND {number} < {SECONDS_THAT_LOOK_LIKE_MS}" if unit is TimeUnit.SECONDS else ""
    fast = _string_time_ms_sql(line, unit)
    upper_fast = (
        f" AND {fast} < {SECONDS_THAT_LOOK_LIKE_MS * 1000}" if unit is TimeUnit.SECONDS else ""
    )
    return (
        f"CASE WHEN {fast} > 0{upper_fast} THEN {fast} WHEN {number} > 0{upper} THEN {scaled} END"
    )


def rowtime_sql(payload: str, unit: TimeUnit, not_after: str | None) -> str:
    """Event time for the watermark; an unusable or implausibly late `time` counts as
    the epoch, which can never move the watermark forward. The dead-letter decision
    itself is made by `fast_path_sql` or, for any other line, in Python."""
    time_ms = event_time_ms_sql(payload, unit)
    plausible = f"{time_ms} IS NOT NULL"
    if not_after:
        plausible += f" AND TO_TIMESTAMP_LTZ({time_ms}, 3) <= {not_after}"
    return (
        f"CASE WHEN {plausible} THEN TO_TIMESTAMP_LTZ({time_ms}, 3) ELSE TO_TIMESTAMP_LTZ(0, 3) END"
    )


def fast_path_sql(payload: str, settings: MonitorSettings) -> str:
    """True for a record that is certainly a good event whose time is `rowtime`: the
    canonical layout, and a time the watermark accepted that is not too far ahead of
    the wall clock. NULL or false sends the record to the full validation."""
    line = f"CAST({payload} AS STRING)"
    regex = canonical_line_regex(settings.time_unit)
    not_after = (
        f"CAST(CURRENT_TIMESTAMP AS TIMESTAMP_LTZ(3)) + {interval_sql(settings.max_future_skew_ms)}"
    )
    return (
        f"REGEXP({line}, '{regex}') AND rowtime > TO_TIMESTAMP_LTZ(0, 3) AND rowtime <= {not_after}"
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

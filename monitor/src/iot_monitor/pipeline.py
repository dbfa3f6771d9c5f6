"""The topology, apart from where events come from and where alerts go.

Per event, only Flink's own (Java) operators run: the events are keyed by device; a
processing-time OVER aggregation gives each event its device's previous event and
newest time so far; session windows whose gap is the inactivity timeout close when
a device falls silent. Python's silence check sees only what changes the alert
schedule (`sessions.py` says what that is and why it is enough): at a realistic
rate, one row per device per silence instead of one per event.
"""

from __future__ import annotations

from typing import Any

from pyflink.common import Row, Types
from pyflink.datastream import DataStream
from pyflink.table import StreamTableEnvironment, Table

from iot_monitor.functions import ALERT_TYPE, DeviceSilenceCheck
from iot_monitor.rules import AlertRules
from iot_monitor.sessions import ChangeKind
from iot_monitor.settings import MonitorSettings
from iot_monitor.tables import interval_sql


def _epoch_ms(column: str) -> str:
    return f"EXTRACT(EPOCH FROM {column}) * 1000 + MOD(EXTRACT(MILLISECOND FROM {column}), 1000)"


def arrivals_sql(events: str) -> str:
    """Each event with its device's previous event and newest time so far, in the
    order the events arrive, and the watermark as it stood when it arrived."""
    device_order = "OVER (PARTITION BY device_id ORDER BY arrival)"
    return f"""SELECT device_id, rowtime,
  LAG(rowtime) {device_order} AS previous,
  MAX(rowtime) {device_order} AS newest_so_far,
  CURRENT_WATERMARK(rowtime) AS watermark_then
FROM (SELECT device_id, rowtime, PROCTIME() AS arrival FROM {events})"""


def changes_sql(arrivals: str, rules: AlertRules) -> str:
    """The rows `sessions.classify_event` and the session windows pass on to Python:
    (device_id, time_ms, kind, stage_ms), as `sessions.Change`."""
    gap = interval_sql(rules.inactivity_timeout_ms)
    gap_but_1ms = interval_sql(rules.inactivity_timeout_ms - 1)
    late = f"watermark_then >= rowtime + {gap_but_1ms}"
    kind = (
        f"CAST(CASE WHEN {late} THEN '{ChangeKind.LATE}' ELSE '{ChangeKind.HEARD}' END AS STRING)"
    )
    needed = (
        f"rowtime >= newest_so_far AND ((previous IS NULL AND {late}) "
        f"OR rowtime > previous + {gap} OR watermark_then >= previous + {gap_but_1ms})"
    )
    sessions = (
        f"TABLE(SESSION(TABLE {arrivals} PARTITION BY device_id, DESCRIPTOR(rowtime), {gap}))"
    )
    # A session that ends while a newer event of the device was already read says
    # nothing: that event's own session is still open.
    quiet = ["MAX(newest_so_far) <= MAX(rowtime)"]
    if rules.last_check_ms is not None:
        # After a bounded input, a session cannot lead to an alert unless its first
        # check comes by the last one.
        end = rules.last_check_ms - rules.inactivity_timeout_ms
        quiet.append(f"MAX(rowtime) < TO_TIMESTAMP_LTZ({end}, 3)")
    read_stage = f"COALESCE({_epoch_ms('watermark_then')} + 1, 0)"
    quiet_stage = f"{_epoch_ms('MAX(rowtime)')} + {rules.inactivity_timeout_ms - 1}"
    return f"""SELECT device_id, {_epoch_ms("rowtime")} AS time_ms, {kind} AS kind,
  {read_stage} AS stage_ms
FROM {arrivals} WHERE {needed}
UNION ALL
SELECT device_id, {_epoch_ms("MAX(rowtime)")} AS time_ms,
  CAST('{ChangeKind.WENT_QUIET}' AS STRING) AS kind, {quiet_stage} AS stage_ms
FROM {sessions}
GROUP BY device_id, window_start, window_end
HAVING {" AND ".join(quiet)}"""


def _device_id(change: Row) -> Any:
    return change[0]


def alert_stream(
    t_env: StreamTableEnvironment, events: Table, settings: MonitorSettings, rules: AlertRules
) -> DataStream:
    """`events` has columns (device_id STRING, rowtime: the event-time attribute, with
    the watermarks). Returns the alerts as rows of `ALERT_TYPE`."""
    t_env.create_temporary_view("monitored_events", events)
    t_env.create_temporary_view("arrivals", t_env.sql_query(arrivals_sql("monitored_events")))
    changes = t_env.to_data_stream(t_env.sql_query(changes_sql("arrivals", rules)))
    return (
        changes.key_by(_device_id, key_type=Types.STRING())
        .process(DeviceSilenceCheck(rules, settings.time_unit), output_type=ALERT_TYPE)
        .name("device silence checks")
        .uid("device-silence-checks")
    )

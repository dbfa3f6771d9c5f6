"""The topology, apart from where events come from and where alerts go.

Per event, only Java runs: Flink's SQL operators read and decode the events, and the
monitor's one Java function, `DeviceActivity` (`jvm/monitor-functions`), keeps each
device's newest event time. Python's silence check sees only what changes the alert
schedule (`activity.py` says what that is and why it is enough): at a realistic
rate, a few rows per device per silence instead of one per event.
"""

from __future__ import annotations

from typing import Any

from pyflink.common import Row, Types
from pyflink.datastream import DataStream
from pyflink.java_gateway import get_gateway
from pyflink.table import StreamTableEnvironment, Table

from iot_monitor.activity import forget_after_ms, last_quiet_ms
from iot_monitor.functions import ALERT_TYPE, DeviceSilenceCheck
from iot_monitor.rules import AlertRules
from iot_monitor.settings import MonitorSettings


def device_changes(events: DataStream, rules: AlertRules) -> DataStream:
    """The `activity.Change` rows of `events` (device id first, event time as the
    record timestamp), keyed and computed by the Java function."""
    function = get_gateway().jvm.io.iotmonitor.flink.DeviceActivity
    j_changes = function.changes(
        events._j_data_stream,
        rules.inactivity_timeout_ms,
        forget_after_ms(rules),
        last_quiet_ms(rules),
    )
    return DataStream(j_changes)


def _device_id(change: Row) -> Any:
    return change[0]


def alert_stream(
    t_env: StreamTableEnvironment, events: Table, settings: MonitorSettings, rules: AlertRules
) -> DataStream:
    """`events` has columns (device_id STRING, rowtime: the event-time attribute, with
    the watermarks). Returns the alerts as rows of `ALERT_TYPE`."""
    changes = device_changes(t_env.to_data_stream(events), rules)
    return (
        changes.key_by(_device_id, key_type=Types.STRING())
        .process(DeviceSilenceCheck(rules, settings.time_unit), output_type=ALERT_TYPE)
        .name("device silence checks")
        .uid("device-silence-checks")
    )

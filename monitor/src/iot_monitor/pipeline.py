"""The topology, apart from where events come from and where alerts go:
raw records -> validation (dead letters aside) -> per-device silence checks -> alerts."""

from __future__ import annotations

from typing import Any, NamedTuple

from pyflink.common import Row, Types
from pyflink.datastream import DataStream

from iot_monitor.functions import (
    ALERT_TYPE,
    DEAD_LETTERS,
    EVENT_TYPE,
    DeviceSilenceCheck,
    ValidateEvents,
)
from iot_monitor.rules import AlertRules
from iot_monitor.settings import MonitorSettings


class AlertStreams(NamedTuple):
    alerts: DataStream
    dead_letters: DataStream


def _device_id(event: Row) -> Any:
    return event[0]


def _no_rows(_: Row) -> list[Row]:
    return []


def build_alert_streams(
    raw: DataStream,
    settings: MonitorSettings,
    rules: AlertRules,
    clock: DataStream | None = None,
) -> AlertStreams:
    """`raw` rows are (payload bytes[, topic, partition, offset]) with event-time
    timestamps and watermarks already assigned. `clock`, when given, contributes only
    its watermarks (its rows are dropped), which keep checks running while all of
    `raw` is idle."""
    validated = (
        raw.process(
            ValidateEvents(settings.time_unit, settings.max_future_skew_ms),
            output_type=EVENT_TYPE,
        )
        .name("validate events")
        .uid("validate-events")
    )
    events = validated
    if clock is not None:
        watermarks_only = clock.flat_map(_no_rows, output_type=EVENT_TYPE).name("wall clock")
        events = validated.union(watermarks_only.uid("wall-clock-watermarks"))
    alerts = (
        events.key_by(_device_id, key_type=Types.STRING())
        .process(DeviceSilenceCheck(rules, settings.time_unit), output_type=ALERT_TYPE)
        .name("device silence checks")
        .uid("device-silence-checks")
    )
    return AlertStreams(alerts, validated.get_side_output(DEAD_LETTERS))

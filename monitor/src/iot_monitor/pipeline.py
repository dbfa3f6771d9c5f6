"""The topology, apart from where events come from and where alerts go.

Every operator on the path of an event is Java (`jvm/monitor-functions`): the input
is decoded where it is read (`kafka_source`, `replay`), and one keyed operator per
device, `DeviceMonitor`, keeps the device's state and raises its alerts and status
changes. Python only assembles the graph, one straight line per input:

    decoded records -> good events as device ids -> keyed by device -> DeviceMonitor
                    \\-> the rest (bad records)                     /    \\-> status changes
    settings records -> good settings -> to every subtask ----------'
                     \\-> the rest (bad settings, to the dead letters)
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pyflink.java_gateway import get_gateway

from iot_monitor.settings import MonitorSettings


def java_class(name: str) -> Any:
    """A class of the monitor's Java operators (`jvm/monitor-functions`)."""
    return getattr(get_gateway().jvm.io.iotmonitor.flink, name)


def event_validation(settings: MonitorSettings) -> Any:
    """The Java `EventValidation` for these settings: the only place events are checked."""
    return java_class("EventValidation")(
        settings.time_unit.ms_per_unit, settings.max_future_skew_ms
    )


class Split(NamedTuple):
    device_ids: Any  # Java DataStream<String>: the good events, timestamped
    rejected: Any  # Java DataStream<DecodedEvent>: bad records (and a replay's end)


def split_events(decoded: Any) -> Split:
    """The Java stream of `DecodedEvent`s `decoded`, split into good and the rest."""
    inputs = java_class("Inputs")
    ids = inputs.deviceIds(decoded)
    return Split(ids, inputs.rejected(ids))


class Monitored(NamedTuple):
    alerts: Any  # Java DataStream<Alert>
    status_changes: Any  # Java DataStream<StatusChange>


def monitor(
    device_ids: Any, device_settings: Any, initial_settings: Any, settings: MonitorSettings
) -> Monitored:
    """The alerts and status changes of the Java stream of device ids `device_ids`,
    under the Java stream of `SettingRecord`s `device_settings` (None: no settings
    topic) and, before it, the Java list `initial_settings` (a replay's)."""
    monitor_class = java_class("DeviceMonitor")
    alerts = monitor_class.monitor(
        device_ids,
        device_settings,
        initial_settings,
        settings.check_interval_ms,
        settings.inactivity_timeout_ms,
        settings.device_expiry_ms,
    )
    return Monitored(alerts, alerts.getSideOutput(monitor_class.STATUS))

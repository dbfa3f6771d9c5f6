"""The topology, apart from where events come from and where alerts go.

Per event, only Java runs: the Kafka source decodes the events (`kafka_source`), and
the monitor's Java function `DeviceActivity` (`jvm/monitor-functions`) keeps each
device's newest event time. Python's silence check sees only what changes the alert
schedule (`activity.py` says what that is and why it is enough): at a realistic
rate, a few rows per device per silence instead of one per event.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyflink.common import Row, Types
from pyflink.datastream import DataStream, StreamExecutionEnvironment
from pyflink.java_gateway import get_gateway

from iot_monitor.activity import forget_after_ms, last_quiet_ms
from iot_monitor.functions import ALERT_TYPE, DeviceSilenceCheck
from iot_monitor.rules import AlertRules
from iot_monitor.settings import MonitorSettings


def java_class(name: str) -> Any:
    """A class of the monitor's Java functions (`jvm/monitor-functions`)."""
    return getattr(get_gateway().jvm.io.iotmonitor.flink, name)


def device_ids(events: DataStream) -> DataStream:
    """The device ids of `events` (rows with the device id first and the event time as
    the record timestamp), as Java strings that keep the timestamps."""
    return DataStream(java_class("DeviceActivity").deviceIds(events._j_data_stream))


def screened_device_ids(
    env: StreamExecutionEnvironment, screened: Path, settings: MonitorSettings
) -> DataStream:
    """The events of a file written by `replay.screen_file`, as `device_ids` gives them,
    with a watermark after every event that moves it (the Java `ScreenedEvents`)."""
    j_ids = java_class("ScreenedEvents").read(
        env._j_stream_execution_environment, str(screened), settings.max_out_of_orderness_ms
    )
    return DataStream(j_ids)


def split_by_layout(records: DataStream) -> tuple[DataStream, DataStream]:
    """The Java function `CanonicalEvents` over the records of `kafka_source`: the
    device ids of the canonical events, as `device_ids` gives them, and the other
    records as (payload, source_topic, source_partition, source_offset), for
    validation."""
    split = java_class("CanonicalEvents")
    j_canonical = split.split(records._j_data_stream)
    return DataStream(j_canonical), DataStream(split.others(j_canonical))


def device_changes(ids: DataStream, rules: AlertRules) -> DataStream:
    """The `activity.Change` rows of the device ids `ids`, keyed and computed by the
    Java function."""
    j_changes = java_class("DeviceActivity").changes(
        ids._j_data_stream,
        rules.inactivity_timeout_ms,
        forget_after_ms(rules),
        last_quiet_ms(rules),
    )
    return DataStream(j_changes)


def _device_id(change: Row) -> Any:
    return change[0]


def alert_stream(ids: DataStream, settings: MonitorSettings, rules: AlertRules) -> DataStream:
    """`ids`: the events as device ids (from `device_ids`), with their event times as
    timestamps and the watermarks. Returns the alerts as rows of `ALERT_TYPE`."""
    return (
        device_changes(ids, rules)
        .key_by(_device_id, key_type=Types.STRING())
        .process(DeviceSilenceCheck(rules, settings.time_unit), output_type=ALERT_TYPE)
        .name("device silence checks")
        .uid("device-silence-checks")
    )

"""The real Java operator `DeviceMonitor`, driven record by record through Flink's
own operator test harness (`KeyedTwoInputStreamOperatorTestHarness`: the operator
with its real keyed state backend and timer service; events on its first input,
settings on its second), from Python."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import Any

from iot_monitor.flink_env import JAR_CACHE, bounded_environment
from iot_monitor.pipeline import java_class
from iot_monitor.settings import MonitorSettings
from py4j.java_gateway import get_field
from pyflink.java_gateway import get_gateway

from monitor.tests.reference_model import Alert, Item, Rules, Status


@cache
def _jvm() -> Any:
    # The harness jars are on the JVM's class path (testsupport/flink.py).
    assert list((JAR_CACHE / "harness").glob("*.jar")), "no test harness jars: run make setup"
    bounded_environment(MonitorSettings())  # the JVM, with the monitor's operators
    return get_gateway().jvm


class OperatorRun:
    """One `DeviceMonitor` (one subtask), fed items as `reference_model` describes them."""

    def __init__(self, rules: Rules, settings_may_change: bool = False) -> None:
        jvm = _jvm()
        flink = jvm.org.apache.flink
        schedule = java_class("SilenceSchedule")(rules.interval, rules.timeout, rules.expiry)
        if settings_may_change:  # as in a job with a settings topic
            schedule = schedule.whereSettingsMayChange()
        operator = java_class("DeviceMonitor")(schedule)
        self._record = flink.streaming.runtime.streamrecord.StreamRecord
        self._watermark = flink.streaming.api.watermark.Watermark
        self._settings = java_class("DeviceSettings")
        self.harness = flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness(
            operator,
            java_class("DeviceMonitor$ByDevice")(),
            None,
            flink.api.common.typeinfo.Types.STRING,
        )
        self.harness.open()
        # As in the job: the settings hold no watermark back.
        idle = flink.streaming.runtime.watermarkstatus.WatermarkStatus.IDLE
        self.harness.processWatermarkStatus2(idle)

    def feed(self, items: Iterable[Item]) -> OperatorRun:
        for item in items:
            if item[0] == "event":
                self.harness.processElement1(self._record(item[1], item[2]))
            elif item[0] == "setting":
                _, key, time_ms, value = item  # type: ignore[misc]
                text = None if value is None else json.dumps(value)
                record = self._settings.parseText(key, text, time_ms, 1)
                assert record.isGood(), get_field(record, "reason")
                self.harness.processElement2(self._record(record, time_ms))
            else:
                self.harness.processWatermark1(self._watermark(item[1]))
        return self

    def alerts(self) -> list[Alert]:
        found = []
        for alert in self.harness.extractOutputValues():
            found.append(
                (
                    get_field(alert, "checkMs"),
                    get_field(alert, "deviceId"),
                    get_field(alert, "latestEventMs"),
                )
            )
        return sorted(found)

    def status_changes(self) -> list[Status]:
        found = []
        records = self.harness.getSideOutput(java_class("DeviceMonitor").STATUS)
        for record in records.toArray() if records is not None else []:
            change = record.getValue()
            found.append(
                (
                    get_field(change, "deviceId"),
                    get_field(change, "status"),
                    get_field(change, "sinceMs"),
                    get_field(change, "atMs"),
                )
            )
        return sorted(found)

    def close(self) -> None:
        self.harness.close()

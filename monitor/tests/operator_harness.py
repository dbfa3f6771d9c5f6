"""The real Java operator `DeviceMonitor`, driven record by record through Flink's
own operator test harness (`KeyedOneInputStreamOperatorTestHarness`: the operator
with its real keyed state backend and timer service), from Python."""

from __future__ import annotations

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

    def __init__(self, rules: Rules) -> None:
        jvm = _jvm()
        flink = jvm.org.apache.flink
        schedule = java_class("SilenceSchedule")(rules.interval, rules.timeout, rules.expiry)
        operator = flink.streaming.api.operators.KeyedProcessOperator(
            java_class("DeviceMonitor")(schedule)
        )
        self._record = flink.streaming.runtime.streamrecord.StreamRecord
        self.harness = flink.streaming.util.KeyedOneInputStreamOperatorTestHarness(
            operator,
            java_class("DeviceMonitor$ByDevice")(),
            flink.api.common.typeinfo.Types.STRING,
        )
        self.harness.open()

    def feed(self, items: Iterable[Item]) -> OperatorRun:
        for item in items:
            if item[0] == "event":
                self.harness.processElement(self._record(item[1], item[2]))
            else:
                self.harness.processWatermark(item[1])
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

from __future__ import annotations

import pytest
from iot_monitor.metrics import FACTORY_CLASS, prometheus_name, reporter_options
from iot_monitor.settings import MonitorSettings


def test_the_reporter_serves_on_the_settings_port_range() -> None:
    assert reporter_options(MonitorSettings().metrics_port) == {
        "metrics.reporter.prom.factory.class": FACTORY_CLASS,
        "metrics.reporter.prom.port": "9249-9259",
    }


def test_an_empty_port_turns_the_reporter_off() -> None:
    assert reporter_options(MonitorSettings(metrics_port="").metrics_port) == {}


@pytest.mark.parametrize("port", ["9249", "1-65535", "9300-9300"])
def test_a_port_or_a_range_is_taken(port: str) -> None:
    assert MonitorSettings(metrics_port=port).metrics_port == port


def test_operator_metrics_are_named_in_the_taskmanager_scope() -> None:
    assert prometheus_name("devicesTracked") == "flink_taskmanager_job_task_operator_devicesTracked"

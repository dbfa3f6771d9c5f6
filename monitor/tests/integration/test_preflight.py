"""The job refuses to start, with one clear line, when Kafka or a topic is missing."""

from __future__ import annotations

import subprocess
import sys

import pytest
from iot_monitor.preflight import PreflightError, check_kafka
from iot_monitor.settings import MonitorSettings


def test_an_unreachable_broker_is_named() -> None:
    settings = MonitorSettings(kafka_bootstrap_servers="127.0.0.1:1")
    with pytest.raises(PreflightError, match=r"cannot reach Kafka at 127\.0\.0\.1:1"):
        check_kafka(settings, timeout_s=2)


@pytest.mark.kafka
def test_a_missing_topic_is_named_with_its_flag(kafka_bootstrap: str, fresh_topic: str) -> None:
    settings = MonitorSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        events_topic=fresh_topic,
        alerts_topic=fresh_topic,
        dlq_topic="no-such-topic-here",
    )
    with pytest.raises(PreflightError, match=r"no-such-topic-here \(--dlq\.topic\)"):
        check_kafka(settings)


def test_the_command_exits_with_one_line_not_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "iot_monitor", "run", "--kafka.bootstrap.servers", "127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "error: cannot reach Kafka at 127.0.0.1:1" in done.stderr
    assert "Traceback" not in done.stderr

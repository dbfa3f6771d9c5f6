"""Live: the event generator feeds the monitor through Kafka, and the monitor alerts
for exactly the devices the generator says failed, at the checks their silence implies."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor.tests.integration.harness import (
    alerts_of,
    monitor_args,
    newest_checkpoint,
    read_until,
    running_monitor,
)
from monitor.tests.reference_model import Rules

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
RULES = Rules(interval=5_000, timeout=10_000)


def implied_alerts(truth: dict, until_s: int) -> set[tuple[int, str, int]]:
    alerts = set()
    for failure in truth["failures"]:
        latest_ms = failure["last-event-time"] * 1000
        check = RULES.first_alerting_check(latest_ms)
        while check <= until_s * 1000:
            alerts.add((check, failure["device-id"], failure["last-event-time"]))
            check += RULES.interval
    return alerts


def test_the_monitor_alerts_for_exactly_the_devices_the_generator_failed(
    kafka_bootstrap: str, kafka_test_topics: dict[str, str], tmp_path: Path
) -> None:
    checkpoints = tmp_path / "chk"
    args = monitor_args(
        kafka_test_topics,
        kafka_bootstrap,
        checkpoints,
        check_interval="5s",
        inactivity_timeout="10s",
        idle_timeout="5s",
    )
    truth_path = tmp_path / "truth.json"
    generator = [
        sys.executable, "-m", "iot_event_generator", "--kafka.bootstrap.servers", kafka_bootstrap,
        "--topic", kafka_test_topics["events"], "--num.devices", "12",
        "--event.interval.ms", "1000", "--duration.seconds", "45",
        "--failure.probability", "0.5", "--seed", "5", "--truth-file", str(truth_path), "--quiet",
    ]  # fmt: skip
    with running_monitor(args, tmp_path / "monitor.log"):
        deadline = time.monotonic() + 120
        while newest_checkpoint(checkpoints) is None and time.monotonic() < deadline:
            time.sleep(1)
        subprocess.run(generator, check=True, timeout=120, capture_output=True)
        truth = json.loads(truth_path.read_text())
        # Up to ten seconds after the fleet's last event no working device is silent
        # for more than ten seconds, so every alert up to then is a failed device's.
        until_s = truth["last-event-time"] + 10
        expected = implied_alerts(truth, until_s)
        messages = read_until(
            kafka_bootstrap,
            kafka_test_topics["alerts"],
            lambda got: expected <= set(alerts_of(got)),
            timeout_s=90,
        )
    assert truth["devices"]["failed"] >= 3, "seed 5 makes several devices fail"
    got = {alert for alert in alerts_of(messages) if alert[0] <= until_s * 1000}
    assert got == expected

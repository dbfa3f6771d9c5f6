"""End to end on a replay file: the monitor alerts for exactly the devices the
generator reports as failed, at the check instants their silence implies (default
rules: checks every 30 s, alert after more than 60 s of silence)."""

import json
import subprocess
import sys

import pytest
from iot_event_generator.cli import main

pytestmark = [pytest.mark.flink, pytest.mark.slow]

CHECK_SECONDS, TIMEOUT_SECONDS = 30, 60


def expected_alerts(truth: dict) -> list[tuple[int, str, int]]:
    """(check time, device, latest event time) for every alert the truth implies."""
    last_check = truth["last-event-time"] // CHECK_SECONDS * CHECK_SECONDS
    alerts = []
    for failure in truth["failures"]:
        silent_since = failure["last-event-time"]
        resumed = failure["first-event-after-recovery"]
        first_check = (silent_since + TIMEOUT_SECONDS) // CHECK_SECONDS * CHECK_SECONDS
        first_check += CHECK_SECONDS
        for check in range(first_check, last_check + 1, CHECK_SECONDS):
            if resumed is None or check < resumed:
                alerts.append((check, failure["device-id"], silent_since))
    return sorted(alerts)


def replay_alerts(events_file) -> list[tuple[int, str, int]]:
    done = subprocess.run(
        [sys.executable, "-m", "iot_monitor", "replay", str(events_file)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    alerts = [json.loads(line) for line in done.stdout.splitlines()]
    return sorted((a["check-time"], a["device-id"], a["latest-event-time"]) for a in alerts)


@pytest.mark.parametrize("bad_fraction", ["0", "0.05"], ids=["clean", "with-malformed-records"])
def test_the_monitor_alerts_for_exactly_the_failed_devices(tmp_path, bad_fraction):
    events, truth_path = tmp_path / "events.jsonl", tmp_path / "truth.json"
    code = main(
        ["--no-sleep", "--quiet", "--start-time", "2026-01-01T00:00:00Z", "--seed", "21",
         "--num.devices", "30", "--event.interval.ms", "5000", "--duration.seconds", "900",
         "--failure.probability", "0.4", "--recovery.probability", "0.5",
         "--bad-fraction", bad_fraction, "--output", str(events), "--truth-file", str(truth_path)]
    )  # fmt: skip
    truth = json.loads(truth_path.read_text())
    expected = expected_alerts(truth)
    assert code == 0
    assert {device for _, device, _ in expected}, "seed 21 should make devices fail"
    assert any(f["recovered-at"] for f in truth["failures"]), "and some come back"
    assert replay_alerts(events) == expected

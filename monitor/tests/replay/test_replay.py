"""The real job on files (`iot-monitor replay`): hand-written scenarios and random
fleets checked against the reference model."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from iot_monitor.replay import run_replay
from iot_monitor.settings import MonitorSettings
from iot_monitor.timeunit import TimeUnit

from monitor.tests.reference_model import (
    Rules,
    expected_alerts,
    last_check_of,
    replay_items,
    run,
)

pytestmark = [pytest.mark.flink, pytest.mark.slow]
S = 1000


def write_events(path: Path, events: list[tuple[str, int]], unit: TimeUnit) -> Path:
    with path.open("w") as out:
        for n, (device, time_ms) in enumerate(events):
            time_value = time_ms // unit.ms_per_unit
            out.write(json.dumps({"event-id": f"e{n}", "device-id": device, "time": time_value}))
            out.write("\n")
    return path


def replay(path: Path, settings: MonitorSettings) -> list[tuple[int, str, int]]:
    """(check ms, device id, latest event ms) of each alert, in output order."""
    unit = settings.time_unit
    alerts = []
    for check_ms, device, body in run_replay(path, settings).alerts:
        alerts.append((check_ms, device, unit.to_ms(json.loads(body)["latest-event-time"])))
    return alerts


def scenario() -> list[tuple[str, int]]:
    events = [("quiet", 1000 * S), ("quiet", 1010 * S), ("edge", 1020 * S), ("returns", 1000 * S)]
    events += [("busy", t * S) for t in range(1000, 1301, 10)]
    events.append(("returns", 1200 * S))
    return sorted(events, key=lambda event: event[1])


def test_silent_devices_alert_every_check_and_busy_ones_never(tmp_path: Path) -> None:
    path = write_events(tmp_path / "events.jsonl", scenario(), TimeUnit.SECONDS)
    alerts = replay(path, MonitorSettings(parallelism=1))
    by_device: dict[str, list[tuple[int, int]]] = {}
    for check_ms, device, latest_ms in alerts:
        by_device.setdefault(device, []).append((check_ms // S, latest_ms // S))
    assert by_device == {
        "quiet": [(check, 1010) for check in range(1080, 1291, 30)],
        # exactly 60 s silent at 1080 is not inactive
        "edge": [(check, 1020) for check in range(1110, 1291, 30)],
        # back at 1200, an event that counts for the check at 1200; silent again by 1290
        "returns": [(1080, 1000), (1110, 1000), (1140, 1000), (1170, 1000), (1290, 1200)],
    }


def test_a_return_read_before_the_check_it_follows_does_not_suppress_that_check(
    tmp_path: Path,
) -> None:
    """The revised rule (docs/design.md). Earlier versions let an event stamped after T
    that was read before the watermark passed T suppress the alert at T; then what was
    reported depended on read timing, and a restart's catch-up burst lost alerts."""
    events = [("busy", t * S) for t in range(1000, 1201, 2)]
    events += [("gone", 1000 * S), ("gone", 1112 * S)]  # back 2 s after the 1110 check
    events.sort(key=lambda event: event[1])
    path = write_events(tmp_path / "events.jsonl", events, TimeUnit.SECONDS)
    # The return is read while the watermark (newest - 5 s) is still at 1107.
    alerts = replay(path, MonitorSettings(parallelism=1))
    assert alerts == [
        (1080 * S, "gone", 1000 * S),
        (1110 * S, "gone", 1000 * S),  # earlier versions raised no alert here
        (1200 * S, "gone", 1112 * S),  # silent again by the last check
    ]


def random_fleet(seed: int, count: int) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    devices = [f"device-{n:03}" for n in range(40)]
    # A third of the fleet goes quiet for a while at some point.
    quiet = {device: rng.randrange(count) for device in devices[::3]}
    now = newest = 1_700_000_000 * S
    events = []
    for n in range(count):
        device = rng.choice(devices)
        if device in quiet and quiet[device] <= n < quiet[device] + count // 4:
            continue
        now = max(now + rng.choice([0, 0, 1, 1, 2, -3]) * S, newest - 5 * S)
        newest = max(newest, now)
        events.append((device, now))
    return events


@pytest.mark.parametrize("parallelism", [1, 2])
def test_a_random_fleet_gives_exactly_the_reference_models_alerts_and_changes(
    tmp_path: Path, parallelism: int
) -> None:
    events = random_fleet(seed=7, count=3000)
    path = write_events(tmp_path / "fleet.jsonl", events, TimeUnit.MILLISECONDS)
    settings = MonitorSettings(
        parallelism=parallelism, time_unit=TimeUnit.MILLISECONDS, device_expiry_ms=600 * S
    )
    replayed = run_replay(path, settings)
    alerts = replay(path, settings)
    assert alerts == expected_alerts(events, expiry=600 * S)
    assert len(alerts) > 50  # the scenario really exercises silence
    last = last_check_of(events, 30 * S)
    model = run(replay_items(events, 5 * S, last), Rules(expiry=600 * S))
    changes = [(d, status, since, at) for d, status, since, at in model.changes if at <= last]
    got = [json.loads(body) for _, _, _, body in replayed.status_changes]
    assert sorted((c["device-id"], c["status"], c["since"], c["at"]) for c in got) == sorted(
        changes
    )
    assert {status for _, status, _, _ in changes} == {"silent", "back"}


def test_the_command_reports_bad_lines_and_gives_the_same_output_every_time(tmp_path: Path) -> None:
    path = write_events(tmp_path / "events.jsonl", scenario(), TimeUnit.SECONDS)
    lines = path.read_text().splitlines()
    lines.insert(2, "not json")
    lines.insert(5, '{"device-id": "", "time": 1001}')
    path.write_text("\n".join(lines) + "\n")
    status = tmp_path / "status.jsonl"
    command = [sys.executable, "-m", "iot_monitor", "replay", str(path), "--parallelism", "1"]
    command += ["--status", str(status)]
    first = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    assert f"{path}:3: not JSON" in first.stderr
    assert f"{path}:6: device-id is empty" in first.stderr
    alerts = [json.loads(line) for line in first.stdout.splitlines()]
    assert alerts[0] == {"check-time": 1080, "device-id": "quiet", "latest-event-time": 1010}
    assert len(alerts) == 8 + 7 + 5
    keys = [(alert["check-time"], alert["device-id"]) for alert in alerts]
    assert keys == sorted(keys)
    changes = [json.loads(line) for line in status.read_text().splitlines()]
    assert changes == [
        {"device-id": "quiet", "status": "silent", "since": 1010, "at": 1080},
        {"device-id": "returns", "status": "silent", "since": 1000, "at": 1080},
        {"device-id": "edge", "status": "silent", "since": 1020, "at": 1110},
        {"device-id": "returns", "status": "back", "since": 1000, "at": 1200},
        {"device-id": "returns", "status": "silent", "since": 1200, "at": 1290},
    ]
    first_status = status.read_text()
    second = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    assert second.stdout == first.stdout
    assert status.read_text() == first_status


def test_bad_lines_are_numbered_and_the_newest_good_time_fixes_the_last_check(
    tmp_path: Path,
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"device-id": "a", "time": 5}\n[]\r\n{"device-id": "b", "time": 3}\r\n'
        '{"device-id": "c", "time": 99999999999999}\n'
        '{"device-id": "d", "time": 64}'  # a last line without a line break
    )
    replayed = run_replay(source, MonitorSettings())
    assert replayed.bad_lines == [
        (2, "not a JSON object, got an array"),
        (4, "time 99999999999999 looks like milliseconds but the unit is seconds "
         "(see --time-unit ms)"),
    ]  # fmt: skip
    assert (replayed.lines, replayed.last_check_ms) == (5, 60_000)

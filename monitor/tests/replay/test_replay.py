"""The real PyFlink pipeline on files: hand-written scenarios and a random fleet
checked against the reference model."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from iot_monitor.replay import last_check, run_replay, screen_file
from iot_monitor.settings import MonitorSettings
from iot_monitor.timeunit import TimeUnit

from monitor.tests.reference_model import expected_alerts

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
    newest = max(json.loads(line)["time"] for line in path.read_text().splitlines())
    last = last_check(settings.time_unit.to_ms(newest), settings.check_interval_ms)
    return run_replay(path, settings, replace(settings.rules, last_check_ms=last))


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
        # back at 1200, before the watermark passed that check; silent again by 1290
        "returns": [(1080, 1000), (1110, 1000), (1140, 1000), (1170, 1000), (1290, 1200)],
    }


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


def test_a_random_fleet_gives_exactly_the_reference_models_alerts(tmp_path: Path) -> None:
    events = random_fleet(seed=7, count=3000)
    path = write_events(tmp_path / "fleet.jsonl", events, TimeUnit.MILLISECONDS)
    settings = MonitorSettings(
        parallelism=1, time_unit=TimeUnit.MILLISECONDS, device_expiry_ms=600 * S
    )
    alerts = replay(path, settings)
    assert alerts == expected_alerts(events, expiry=600 * S)
    assert len(alerts) > 50  # the scenario really exercises silence


def test_the_command_reports_bad_lines_and_gives_the_same_output_every_time(tmp_path: Path) -> None:
    path = write_events(tmp_path / "events.jsonl", scenario(), TimeUnit.SECONDS)
    lines = path.read_text().splitlines()
    lines.insert(2, "not json")
    lines.insert(5, '{"device-id": "", "time": 1001}')
    path.write_text("\n".join(lines) + "\n")
    command = [sys.executable, "-m", "iot_monitor", "replay", str(path), "--parallelism", "1"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    assert f"{path}:3: not JSON" in first.stderr
    assert f"{path}:6: device-id is empty" in first.stderr
    alerts = [json.loads(line) for line in first.stdout.splitlines()]
    assert alerts[0] == {"check-time": 1080, "device-id": "quiet", "latest-event-time": 1010}
    assert len(alerts) == 8 + 7 + 5
    keys = [(alert["check-time"], alert["device-id"]) for alert in alerts]
    assert keys == sorted(keys)
    second = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    assert second.stdout == first.stdout


def test_screening_keeps_good_lines_and_finds_the_newest_time(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"device-id": "a", "time": 5}\n[]\n{"device-id": "b", "time": 3}\n')
    good = tmp_path / "good.jsonl"
    errors = tmp_path / "errors.txt"
    with good.open("w") as good_out, errors.open("w") as errors_out:
        screened = screen_file(source, good_out, errors_out, MonitorSettings())
    assert screened == (2, 1, 5000)
    assert good.read_text().count("\n") == 2
    assert errors.read_text() == f"{source}:2: not a JSON object, got an array\n"

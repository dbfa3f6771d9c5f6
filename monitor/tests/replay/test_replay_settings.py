"""`iot-monitor replay EVENTS --settings FILE` (SPEC s10): the real job with per-device
settings, against the reference model; hand-written cases for each field, bad lines."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from iot_monitor.replay import run_replay
from iot_monitor.settings import MonitorSettings
from iot_monitor.timeunit import TimeUnit

from monitor.tests.reference_model import Item, Rules, last_check_of, replay_items, run
from monitor.tests.replay.test_replay import random_fleet, write_events

pytestmark = [pytest.mark.flink, pytest.mark.slow]
S = 1000
Setting = tuple[str, int, dict[str, Any] | None]  # key, time (ms), value


def write_settings(path: Path, settings: list[Setting], unit: TimeUnit) -> Path:
    with path.open("w") as out:
        for key, time_ms, value in settings:
            if value is not None and isinstance(value.get("paused-until"), int):
                # times in the input's unit, as the events' (here: ms everywhere)
                value = {**value, "paused-until": value["paused-until"] / unit.ms_per_unit}
            line = {"key": key, "time": time_ms / unit.ms_per_unit, "value": value}
            out.write(json.dumps(line) + "\n")
    return path


def model_of(
    events: list[tuple[str, int]], settings: list[Setting], rules: Rules
) -> tuple[list[tuple[int, str, int]], list[tuple[str, str, int, int]]]:
    """The model's alerts and changes (up to the last check) of a replay: its settings
    are all read before the first event."""
    last = last_check_of(events, rules.interval)
    items: list[Item] = [("setting", key, t, value) for key, t, value in settings]
    model = run(items + replay_items(events, 5 * S, last), rules)
    return sorted(model.alerts), sorted(c for c in model.changes if c[3] <= last)


def replayed(
    events_path: Path, settings_path: Path, settings: MonitorSettings
) -> tuple[list[tuple[int, str, int]], list[tuple[str, str, int, int]]]:
    unit = settings.time_unit
    result = run_replay(events_path, settings, settings_path)
    alerts = sorted(
        (check, device, unit.to_ms(json.loads(body)["latest-event-time"]))
        for check, device, body in result.alerts
    )
    changes = []
    for _, _, _, body in result.status_changes:
        change = json.loads(body)
        changes.append(
            (
                change["device-id"],
                change["status"],
                unit.to_ms(change["since"]),
                unit.to_ms(change["at"]),
            )
        )
    return alerts, sorted(changes)


def test_each_field_of_a_setting_changes_the_alerts_as_the_spec_says(tmp_path: Path) -> None:
    events = [(device, 1000 * S) for device in ("meter-1", "meter-22", "plain", "paused")]
    events += [("busy", t * S) for t in range(1000, 1601, 10)]
    events += [("late-sender", 1500 * S)]
    events.sort(key=lambda event: event[1])
    settings: list[Setting] = [
        ("pattern:meter-*", 900 * S, {"inactivity-timeout": "10m"}),
        ("pattern:meter-2*", 900 * S, {"inactivity-timeout": "200s"}),  # longer: it wins
        ("paused", 900 * S, {"paused-until": 1200 * S}),
        ("ghost", 1000 * S, {"expected": True}),
        ("late-sender", 1000 * S, {"expected": True}),
        ("plain", 1300 * S, {"inactivity-timeout": "6m"}),  # from 1300 on
        ("withdrawn", 1000 * S, {"expected": True}),
        ("withdrawn", 1100 * S, None),  # unset: from 1100 on, nothing to watch
    ]
    events_path = write_events(tmp_path / "events.jsonl", events, TimeUnit.SECONDS)
    settings_path = write_settings(tmp_path / "settings.jsonl", settings, TimeUnit.SECONDS)
    alerts, changes = replayed(events_path, settings_path, MonitorSettings(parallelism=1))
    first = {}
    for check, device, latest in alerts:
        first.setdefault(device, (check // S, latest // S))
    assert first == {
        "meter-22": (1230, 1000),  # 200 s, from the longest pattern
        "plain": (1080, 1000),  # the flags' 60 s, until its own 6 m from 1300 on
        "paused": (1200, 1000),  # reported at the check its pause ends on
        "ghost": (1080, 1000),  # never sent: from its registration
        "late-sender": (1080, 1000),
        "withdrawn": (1080, 1000),
    }  # meter-1: 10 m, never past it by the last check (1600)
    plain = [check // S for check, device, _ in alerts if device == "plain"]
    assert plain == [*range(1080, 1291, 30), *range(1380, 1591, 30)]
    assert ("ghost", "never-seen", 1000 * S, 1080 * S) in changes
    assert ("late-sender", "never-seen", 1000 * S, 1080 * S) in changes
    assert ("late-sender", "back", 1000 * S, 1500 * S) in changes
    assert [check // S for check, device, _ in alerts if device == "withdrawn"] == [1080]
    assert ("withdrawn", "forgotten", 1000 * S, 1100 * S) in changes
    rules = Rules()
    assert (alerts, changes) == model_of(events, settings, rules)


@pytest.mark.parametrize("parallelism", [1, 2])
def test_a_random_fleet_with_random_settings_gives_the_reference_models_output(
    tmp_path: Path, parallelism: int
) -> None:
    events = random_fleet(seed=11, count=3000)
    start = events[0][1]
    rng = random.Random(3)
    keys = [f"device-{n:03}" for n in range(0, 40, 3)] + ["ghost-1", "ghost-2"]
    keys += ["pattern:device-0*", "pattern:device-01?", "pattern:*7"]
    settings: list[Setting] = [("ghost-0", start, {"expected": True})]  # never sends
    for _ in range(40):
        key = rng.choice(keys)
        at = start + rng.randrange(0, 600) * S
        value: dict[str, Any] | None = rng.choice(
            [
                {"inactivity-timeout": rng.choice(["20s", "90s", "300s"])},
                {"paused-until": at + rng.randrange(1, 10) * 30 * S},
                {"inactivity-timeout": "45s", "paused-until": at + 60 * S},
                None,
            ]
        )
        if not key.startswith("pattern:") and rng.random() < 0.3:
            value = {**(value or {}), "expected": True}
        settings.append((key, at, value))
    events_path = write_events(tmp_path / "fleet.jsonl", events, TimeUnit.MILLISECONDS)
    settings_path = write_settings(tmp_path / "settings.jsonl", settings, TimeUnit.MILLISECONDS)
    monitor = MonitorSettings(
        parallelism=parallelism, time_unit=TimeUnit.MILLISECONDS, device_expiry_ms=600 * S
    )
    alerts, changes = replayed(events_path, settings_path, monitor)
    assert (alerts, changes) == model_of(events, settings, Rules(expiry=600 * S))
    assert {status for _, status, _, _ in changes} >= {"silent", "back", "never-seen"}


def test_bad_settings_lines_are_reported_and_change_nothing(tmp_path: Path) -> None:
    events = [("d", 1000), *(("busy", t) for t in range(1000, 1201, 10))]
    events_path = tmp_path / "events.jsonl"
    events_path.write_text(
        "".join(json.dumps({"device-id": d, "time": t}) + "\n" for d, t in events)
    )
    lines = [
        json.dumps({"key": "d", "time": 900, "value": {"inactivity-timeout": "10m"}}),
        "not json",
        json.dumps({"key": "d", "time": 950, "value": {"inactivity-timeout": "-5m"}}),
        json.dumps({"key": "d", "time": 950, "value": {"timeout": "5m"}}),
        json.dumps({"key": "d", "time": 950, "value": {"paused-until": 940}}),
        json.dumps({"key": "pattern:d[", "time": 950, "value": {"inactivity-timeout": "1s"}}),
        json.dumps({"key": "pattern:d*", "time": 950, "value": {"expected": True}}),
        json.dumps({"key": "d", "time": 950, "value": {"inactivity-timeout": "9999d"}}),
        json.dumps({"key": "d", "time": 950}),
    ]
    settings_path = tmp_path / "settings.jsonl"
    settings_path.write_text("\n".join(lines) + "\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "iot_monitor",
            "replay",
            str(events_path),
            "--settings",
            str(settings_path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    problems = [line for line in done.stderr.splitlines() if line.startswith(str(settings_path))]
    assert [line.split(":")[1] for line in problems] == ["2", "3", "4", "5", "6", "7", "8", "9"]
    reasons = "\n".join(problems)
    for words in (
        "not JSON",
        "not a duration",
        'unknown field "timeout"',
        "a pause in the past",
        "never closed",
        "give its id, not a pattern",
        "more than 366 days",
        '"value"',
    ):
        assert words in reasons
    # The good first line stays in force: 10 minutes, so d is never silent by 1200.
    assert '"d"' not in done.stdout
    assert '"busy"' not in done.stdout

"""The Java function `DeviceActivity`, run by Flink, sends exactly the changes of its
Python twin (`activity.DeviceActivity`), which the model tests hold to the rules."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from iot_monitor.activity import Change, ChangeKind
from iot_monitor.flink_env import bounded_environment
from iot_monitor.pipeline import device_changes, screened_device_ids
from iot_monitor.rules import AlertRules
from iot_monitor.settings import MonitorSettings

from monitor.tests.pipeline_model import channels

pytestmark = [pytest.mark.flink, pytest.mark.slow]
S = 1000


def random_fleet(seed: int) -> list[tuple[str, int]]:
    """Devices that report, fall silent, come back, and send late or out of order."""
    rng = random.Random(seed)
    now = 1_000_000 * S
    events = []
    for _ in range(4000):
        now += rng.choice([0, 0, 1, 7, 100, 999, 1000, 1001])
        device = f"d{rng.randrange(60)}"
        if rng.random() < 0.05:
            # far behind: late by the timeout or not, by a millisecond either side
            time_ms = now - rng.choice([3 * S, 64 * S, 65 * S - 1, 65 * S, 200 * S])
        else:
            time_ms = now + rng.choice([0, -1000, -4999])
        if rng.random() < 0.002:
            # the whole fleet goes quiet for a while
            now += rng.choice([61, 300, 4000]) * S
        events.append((device, time_ms))
    return events


def java_changes(events: list[tuple[str, int]], rules: AlertRules, tmp_path: Path) -> list[Change]:
    settings = MonitorSettings(parallelism=1, max_out_of_orderness_ms=5 * S)
    screened = tmp_path / "events.tsv"
    screened.write_text("".join(f"{t}\t{device}\n" for device, t in events))
    env = bounded_environment(settings)
    rows = device_changes(screened_device_ids(env, screened, settings), rules).execute_and_collect()
    return [Change(row[0], row[1], ChangeKind(row[2]), row[3]) for row in rows]


@pytest.mark.parametrize(
    ("seed", "rules"),
    [
        (1, AlertRules(device_expiry_ms=150 * S)),
        (2, AlertRules(check_interval_ms=45 * S, inactivity_timeout_ms=20 * S)),
        (3, AlertRules(device_expiry_ms=0, last_check_ms=1_003_000 * S)),
    ],
)
def test_the_java_function_sends_the_changes_of_its_python_twin(
    seed: int, rules: AlertRules, tmp_path: Path
) -> None:
    events = random_fleet(seed)
    (sent,) = channels(events, rules, 5 * S, subtasks=1)
    twin = [value for kind, value in sent if kind == "row"]
    kinds = {change.kind for change in twin if isinstance(change, Change)}
    assert kinds == set(ChangeKind), "the fleet should exercise every kind of change"
    # Flink fires timers of the same time in no set order across keys: compare each
    # device's changes in order.
    assert by_device(java_changes(events, rules, tmp_path)) == by_device(twin)


def by_device(changes: list[Any]) -> dict[str, list[Change]]:
    out: dict[str, list[Change]] = {}
    for change in changes:
        out.setdefault(change.device_id, []).append(change)
    return out

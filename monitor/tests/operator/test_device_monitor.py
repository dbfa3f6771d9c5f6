"""The real Java operator `DeviceMonitor`, through Flink's operator test harness,
raises exactly the alerts and status changes of the reference model, on random
fleets read by one source subtask or two (whose records interleave at random and
whose watermark is the smaller of theirs), late events, expiry and a bounded end
included."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.tests.operator_harness import OperatorRun
from monitor.tests.reference_model import END, Item, Rules, last_check_of, replay_items, run

pytestmark = [pytest.mark.flink]
S = 1000


def fleet(rng: random.Random, count: int, devices: int) -> list[tuple[str, int]]:
    """Devices that report, fall silent, come back, and send late or out of order."""
    now = 1_000_000 * S
    events = []
    for _ in range(count):
        now += rng.choice([0, 1, 999, 1000, 3000, 10_000])
        device = f"d{rng.randrange(devices)}"
        roll = rng.random()
        if roll < 0.08:
            # behind: by the out-of-orderness or not, by a millisecond either side
            time_ms = now - rng.choice([1, 4999, 5000, 5001, 30 * S, 64 * S, 65 * S, 200 * S])
        elif roll < 0.1:
            time_ms = now + rng.choice([1, 29 * S, 30 * S, 31 * S])  # ahead of the others
        else:
            time_ms = now
        if rng.random() < 0.03:
            now += rng.choice([61, 95, 150, 301, 900]) * S  # the fleet goes quiet
        events.append((device, max(time_ms, 1)))
    return events


def interleaved(
    events: list[tuple[str, int]], out_of_orderness: int, rng: random.Random, channels: int
) -> list[Item]:
    """What the operator receives from `channels` source subtasks, each reading the
    events of its devices in order and sending its own watermark after each event that
    moves it; the operator's watermark is the smallest of theirs."""
    sent: list[list[Item]] = [[] for _ in range(channels)]
    newest: list[int | None] = [None] * channels
    for device, time_ms in events:
        channel = int(device[1:]) % channels
        sent[channel].append(("event", device, time_ms))
        if newest[channel] is None or time_ms > newest[channel]:  # type: ignore[operator]
            newest[channel] = time_ms
            sent[channel].append(("watermark", time_ms - out_of_orderness))
    queues = [list(reversed(items)) for items in sent if items]
    marks = [None] * len(queues)
    items: list[Item] = []
    combined = None
    while any(queues):
        index = rng.choice([n for n, queue in enumerate(queues) if queue])
        item = queues[index].pop()
        if item[0] == "event":
            items.append(item)
            continue
        marks[index] = item[1]  # type: ignore[call-overload]
        if all(mark is not None for mark in marks):
            smallest = min(marks)  # type: ignore[type-var]
            if combined is None or smallest > combined:
                combined = smallest
                items.append(("watermark", combined))
    last = last_check_of(events, 1)  # the newest time
    return [*items, ("watermark", last), ("watermark", END)]


rules = st.builds(
    Rules,
    interval=st.sampled_from([10 * S, 30 * S, 45 * S]),
    timeout=st.sampled_from([20 * S, 60 * S, 90 * S]),
    expiry=st.sampled_from([0, 150 * S, 400 * S]),
)


def assert_same(items: list[Item], rules: Rules) -> None:
    model = run(items, rules)
    # Settings read among the events: as in a job with a settings topic.
    operator = OperatorRun(rules, any(item[0] == "setting" for item in items)).feed(items)
    try:
        assert operator.alerts() == sorted(model.alerts)
        assert operator.status_changes() == sorted(model.changes)
    finally:
        operator.close()


@given(
    rules=rules,
    seed=st.integers(0, 2**32),
    count=st.integers(1, 300),
    devices=st.integers(1, 8),
    out_of_orderness=st.sampled_from([0, 5 * S]),
)
@settings(max_examples=150, deadline=None)
def test_one_subtask_reading_a_replay_raises_what_the_model_raises(
    rules: Rules, seed: int, count: int, devices: int, out_of_orderness: int
) -> None:
    events = fleet(random.Random(seed), count, devices)
    if rules.expiry and rules.expiry <= rules.timeout:
        return
    items = replay_items(events, out_of_orderness, last_check_of(events, rules.interval))
    assert_same(items, rules)


@given(
    rules=rules,
    seed=st.integers(0, 2**32),
    count=st.integers(1, 300),
    devices=st.integers(2, 8),
)
@settings(max_examples=150, deadline=None)
def test_two_subtasks_interleaved_at_random_raise_what_the_model_raises(
    rules: Rules, seed: int, count: int, devices: int
) -> None:
    rng = random.Random(seed)
    events = fleet(rng, count, devices)
    assert_same(interleaved(events, 5 * S, rng, channels=2), rules)


PATTERNS = ["pattern:d*", "pattern:d1*", "pattern:d?", "pattern:d[02]", "pattern:*3"]


def setting_value(rng: random.Random, key: str, time_ms: int, interval: int) -> dict | None:  # type: ignore[type-arg]
    """A good value for `key` at `time_ms`: timeouts either side of the flags', pauses
    that end on a check or a millisecond off it, registrations, deletions."""
    roll = rng.random()
    if roll < 0.15:
        return None
    value: dict = {}  # type: ignore[type-arg]
    if roll < 0.6 or rng.random() < 0.3:
        value["inactivity-timeout"] = rng.choice(
            ["5s", "20s", "45s", "60s", "90s", "200s", "500ms", 30, 0.5]
        )
    if 0.45 < roll < 0.8 or rng.random() < 0.2:
        end = (time_ms // interval + rng.randrange(1, 6)) * interval + rng.choice([0, 0, 1, -1])
        value["paused-until"] = None if rng.random() < 0.15 else max(end, time_ms + 1)
    if not key.startswith("pattern:") and (roll > 0.8 or rng.random() < 0.15):
        value["expected"] = rng.random() < 0.85
    return value


def with_settings(
    items: list[Item], rng: random.Random, devices: int, interval: int, count: int
) -> list[Item]:
    """`items` with `count` settings read among them, stamped about when they are read:
    a little behind (late) or ahead of the newest event time, on devices of the fleet,
    devices that never send, and patterns."""
    keys = [f"d{n}" for n in range(devices)] + ["g0", "g1"] + PATTERNS
    newest = min((item[2] for item in items if item[0] == "event"), default=1_000_000 * S)
    # Nothing is read after the end of the input (its last item).
    spots = sorted(rng.randrange(len(items)) for _ in range(count))
    mixed: list[Item] = []
    for index, item in enumerate([*items, None]):
        while spots and spots[0] == index:
            spots.pop(0)
            key = rng.choice(keys)
            time_ms = max(
                1, newest + rng.choice([-90 * S, -1, 0, 1, 29 * S, 30 * S, 31 * S, 120 * S])
            )
            mixed.append(("setting", key, time_ms, setting_value(rng, key, time_ms, interval)))
        if item is not None:
            mixed.append(item)
            if item[0] == "event":
                newest = max(newest, item[2])  # type: ignore[misc]
    return mixed


@given(
    rules=rules,
    seed=st.integers(0, 2**32),
    count=st.integers(1, 300),
    devices=st.integers(1, 6),
    settings_count=st.integers(1, 25),
)
@settings(max_examples=150, deadline=None)
def test_settings_change_what_the_operator_raises_as_they_change_the_model(
    rules: Rules, seed: int, count: int, devices: int, settings_count: int
) -> None:
    """Precedence, timeouts changed mid-silence, pauses starting and ending on a check,
    deletions, expected devices that never send or send later, late settings."""
    rng = random.Random(seed)
    events = fleet(rng, count, devices)
    if rules.expiry and rules.expiry <= rules.timeout:
        return
    items = replay_items(events, 5 * S, last_check_of(events, rules.interval))
    # Settings read before the first event, as a replay's are, and among the events.
    first = [
        ("setting", key, 1_000_000 * S, setting_value(rng, key, 1_000_000 * S, rules.interval))
        for key in rng.sample([f"d{n}" for n in range(devices)] + PATTERNS, 2)
    ]
    assert_same(first + with_settings(items, rng, devices, rules.interval, settings_count), rules)


@given(rules=rules, seed=st.integers(0, 2**32), count=st.integers(1, 300))
@settings(max_examples=100, deadline=None)
def test_settings_with_two_source_subtasks_raise_what_the_model_raises(
    rules: Rules, seed: int, count: int
) -> None:
    rng = random.Random(seed)
    events = fleet(rng, count, 5)
    items = interleaved(events, 5 * S, rng, channels=2)
    assert_same(with_settings(items, rng, 5, rules.interval, 15), rules)

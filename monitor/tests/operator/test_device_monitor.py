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
    operator = OperatorRun(rules).feed(items)
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

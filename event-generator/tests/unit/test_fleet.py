import random
from collections import Counter
from statistics import mean

import pytest
from hypothesis import given
from hypothesis import strategies as st
from iot_event_generator.fleet import LiveDevices, device_id, plan_fleet


def test_device_ids_are_stable_and_padded_to_the_fleet_size():
    assert device_id(1, 10) == "device-0001"
    assert device_id(42, 9999) == "device-0042"
    assert device_id(7, 1_000_000) == "device-0000007"


@pytest.mark.parametrize("probability", [0.05, 0.1, 0.5])
def test_failure_count_follows_the_probability_over_many_seeds(probability):
    devices = 200
    counts = [
        len(plan_fleet(devices, 60, probability, 0.0, random.Random(seed)).outages)
        for seed in range(300)
    ]
    # The mean of 300 binomial(200, p) counts has a standard deviation below 0.5.
    assert mean(counts) == pytest.approx(devices * probability, abs=2.0)
    assert len(set(counts)) > 1, "failure counts should vary from seed to seed"


def test_no_device_fails_at_probability_zero_and_all_fail_at_one():
    assert plan_fleet(50, 60, 0.0, 0.0, random.Random(1)).outages == ()
    assert len(plan_fleet(50, 60, 1.0, 0.0, random.Random(1)).outages) == 50


def test_failures_and_recoveries_happen_within_the_run():
    plan = plan_fleet(2000, 30, 1.0, 0.5, random.Random(7))
    recovered = [o for o in plan.outages if o.recovers_at is not None]
    assert all(0 < o.fails_at <= 30 for o in plan.outages)
    assert all(o.fails_at <= o.recovers_at <= 30 for o in recovered)  # type: ignore[operator]
    assert len(recovered) / len(plan.outages) == pytest.approx(0.5, abs=0.05)
    # Failure moments spread over the whole run, not bunched at one end.
    assert mean(o.fails_at for o in plan.outages) == pytest.approx(15, abs=1.5)


def test_the_same_seed_gives_the_same_fleet_and_another_seed_a_different_one():
    first = plan_fleet(500, 60, 0.3, 0.3, random.Random(11))
    assert plan_fleet(500, 60, 0.3, 0.3, random.Random(11)) == first
    assert plan_fleet(500, 60, 0.3, 0.3, random.Random(12)) != first


def test_changes_come_in_time_order_with_each_recovery_after_its_failure():
    plan = plan_fleet(300, 60, 0.5, 0.5, random.Random(3))
    changes = plan.changes()
    assert [at for at, _, _ in changes] == sorted(at for at, _, _ in changes)
    seen_down = set()
    for _, device, comes_up in changes:
        if comes_up:
            assert device in seen_down
        else:
            seen_down.add(device)


@given(st.data())
def test_live_devices_match_a_plain_set(data):
    size = data.draw(st.integers(1, 60))
    live = LiveDevices(size)
    down: set[int] = set()
    for _ in range(data.draw(st.integers(0, 40))):
        device = data.draw(st.integers(1, size))
        if device in down:
            live.bring_up(device)
            down.discard(device)
        else:
            live.take_down(device)
            down.add(device)
    expected = [d for d in range(1, size + 1) if d not in down]
    assert list(live) == expected
    assert len(live) == len(expected)
    assert live.down_count == len(down)
    assert [live.position(d) for d in expected] == list(range(len(expected)))


def test_every_device_is_equally_likely_to_fail():
    failures_of = Counter[int]()
    for seed in range(4000):
        outages = plan_fleet(5, 60, 0.3, 0.0, random.Random(seed)).outages
        failures_of.update(outage.device for outage in outages)
    # 4000 draws of probability 0.3 per device: standard deviation about 0.007.
    assert sorted(failures_of) == [1, 2, 3, 4, 5]
    assert all(count / 4000 == pytest.approx(0.3, abs=0.03) for count in failures_of.values())

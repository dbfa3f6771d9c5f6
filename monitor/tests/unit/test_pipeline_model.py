"""The topology (the Java function and the silence check) gives exactly the alerts of
the per-event rules."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from iot_monitor.rules import AlertRules

from monitor.tests.pipeline_model import run_pipeline
from monitor.tests.reference_model import expected_alerts
from monitor.tests.timer_driver import run_rules

S = 1000


@st.composite
def arrivals(draw: st.DrawFn, late_steps: bool) -> list[tuple[str, int]]:
    """Like the rules' own test sequences, plus (when asked) events far behind the
    watermark, and millisecond times that land next to the boundaries."""
    devices = draw(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=80))
    now = draw(st.integers(1_000, 1_200)) * S
    newest = now
    events = []
    for device in devices:
        step = draw(st.integers(-5, 40)) * S + draw(st.sampled_from([0, 0, 0, -1, 1]))
        now = max(now + step, newest - 5 * S)
        newest = max(newest, now)
        time_ms = now
        if late_steps and draw(st.integers(0, 9)) == 0:
            time_ms = max(1, now - draw(st.integers(1, 200)) * S)
        events.append((device, time_ms))
    return events


@settings(max_examples=600, deadline=None)
@given(
    events=arrivals(late_steps=False),
    expiry=st.sampled_from([0, 90 * S, 150 * S, 86_400 * S]),
    seed=st.none() | st.integers(0, 2**32),
)
def test_the_topology_agrees_with_the_reference_model(
    events: list[tuple[str, int]], expiry: int, seed: int | None
) -> None:
    last_check = max(t for _, t in events) // (30 * S) * 30 * S
    rules = AlertRules(device_expiry_ms=expiry, last_check_ms=last_check)
    shuffle = None if seed is None else random.Random(seed)
    assert run_pipeline(events, rules, 5 * S, shuffle) == expected_alerts(events, expiry=expiry)


@settings(max_examples=600, deadline=None)
@given(
    events=arrivals(late_steps=True),
    expiry=st.sampled_from([0, 150 * S, 86_400 * S]),
    seed=st.none() | st.integers(0, 2**32),
)
def test_the_topology_agrees_with_the_per_event_rules_on_late_events(
    events: list[tuple[str, int]], expiry: int, seed: int | None
) -> None:
    """`seed` runs two subtasks and interleaves their channels at random; None runs one."""
    last_check = max(t for _, t in events) // (30 * S) * 30 * S
    rules = AlertRules(device_expiry_ms=expiry, last_check_ms=last_check)
    shuffle = None if seed is None else random.Random(seed)
    assert run_pipeline(events, rules, 5 * S, shuffle) == run_rules(
        events, rules, 5 * S, timers_wait_for_the_watermark=True
    )


@settings(max_examples=200, deadline=None)
@given(
    events=arrivals(late_steps=True),
    interval=st.sampled_from([10, 30, 45]),
    timeout=st.sampled_from([20, 60, 100]),
)
def test_other_intervals_and_timeouts(
    events: list[tuple[str, int]], interval: int, timeout: int
) -> None:
    shuffle = random.Random(interval * timeout)
    last_check = max(t for _, t in events) // (interval * S) * interval * S
    rules = AlertRules(
        check_interval_ms=interval * S, inactivity_timeout_ms=timeout * S, last_check_ms=last_check
    )
    assert run_pipeline(events, rules, 5 * S, shuffle) == run_rules(
        events, rules, 5 * S, timers_wait_for_the_watermark=True
    )

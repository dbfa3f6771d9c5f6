from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from iot_monitor.rules import (
    AlertRules,
    DeviceState,
    first_alerting_check,
    is_current_check,
    on_check,
    on_event,
)

from monitor.tests.reference_model import expected_alerts
from monitor.tests.timer_driver import run_rules

RULES = AlertRules()
S = 1000


def test_first_alerting_check_is_the_next_multiple_strictly_after_the_timeout() -> None:
    assert first_alerting_check(0, RULES) == 90 * S  # 60 s exactly is not inactive
    assert first_alerting_check(1 * S, RULES) == 90 * S
    assert first_alerting_check(29 * S, RULES) == 90 * S
    assert first_alerting_check(30 * S, RULES) == 120 * S
    assert first_alerting_check(30 * S - 1, RULES) == 90 * S


def test_a_late_event_never_moves_the_latest_time_back() -> None:
    state = on_event(None, 100 * S, RULES)
    assert on_event(state, 90 * S, RULES) is state
    assert on_event(state, 110 * S, RULES).latest_event_ms == 110 * S
    assert on_event(state, 110 * S, RULES).next_check_ms == state.next_check_ms


def test_a_silent_device_alerts_at_every_check_until_it_expires() -> None:
    rules = AlertRules(device_expiry_ms=150 * S)
    state = DeviceState(0, 90 * S)
    seen = []
    while state is not None:
        outcome = on_check(state, state.next_check_ms, rules)
        seen.append((state.next_check_ms // S, outcome.alert))
        state = outcome.state
    assert seen == [(90, True), (120, True), (150, True), (180, False)]


def test_a_check_made_premature_by_new_events_moves_forward_without_alerting() -> None:
    outcome = on_check(DeviceState(80 * S, 90 * S), 90 * S, RULES)
    assert outcome == (False, DeviceState(80 * S, 150 * S))


def test_exactly_sixty_seconds_of_silence_is_not_inactive() -> None:
    assert on_check(DeviceState(30 * S, 90 * S), 90 * S, RULES).alert is False
    assert on_check(DeviceState(30 * S - 1, 90 * S), 90 * S, RULES).alert is True


def test_stale_timers_are_recognised() -> None:
    state = DeviceState(0, 90 * S)
    assert is_current_check(state, 90 * S)
    assert not is_current_check(state, 60 * S)
    assert not is_current_check(None, 90 * S)


def test_no_check_after_the_end_of_a_bounded_input() -> None:
    rules = AlertRules(last_check_ms=90 * S)
    assert on_check(DeviceState(0, 120 * S), 120 * S, rules) == (False, None)


def test_expiry_zero_keeps_a_device_for_ever() -> None:
    rules = AlertRules(device_expiry_ms=0)
    outcome = on_check(DeviceState(0, 10**9), 10**9, rules)
    assert outcome.alert is True
    assert outcome.state is not None


# Whole seconds over a short span hit the boundaries (exactly 60 s, exact multiples
# of 30 s) often; each step moves time forward 0-40 s or back within the bound.
@st.composite
def event_sequences(draw: st.DrawFn) -> list[tuple[str, int]]:
    devices = draw(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=60))
    now = draw(st.integers(1_000, 1_200)) * S
    newest = now
    events = []
    for device in devices:
        step = draw(st.integers(-5, 40)) * S
        now = max(now + step, newest - 5 * S)
        newest = max(newest, now)
        events.append((device, now))
    return events


@settings(max_examples=400, deadline=None)
@given(
    events=event_sequences(),
    expiry=st.sampled_from([0, 90 * S, 150 * S, 86_400 * S]),
)
def test_rules_agree_with_the_reference_model(events: list[tuple[str, int]], expiry: int) -> None:
    rules = AlertRules(
        device_expiry_ms=expiry, last_check_ms=max(t for _, t in events) // (30 * S) * 30 * S
    )
    assert run_rules(events, rules, out_of_orderness=5 * S) == expected_alerts(
        events, expiry=expiry
    )


@settings(max_examples=100, deadline=None)
@given(events=event_sequences(), interval=st.sampled_from([10, 30, 45]))
def test_rules_agree_with_the_reference_model_for_other_intervals(
    events: list[tuple[str, int]], interval: int
) -> None:
    last_check = max(t for _, t in events) // (interval * S) * interval * S
    rules = AlertRules(check_interval_ms=interval * S, last_check_ms=last_check)
    assert run_rules(events, rules, out_of_orderness=5 * S) == expected_alerts(
        events, interval=interval * S
    )

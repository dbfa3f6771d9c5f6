"""Which events the silence check is told about, and in what order it applies them."""

from __future__ import annotations

from iot_monitor.activity import (
    Change,
    ChangeKind,
    DeviceActivity,
    apply_change,
    check_to_schedule,
    due_changes,
    forget_after_ms,
    quiet_stage,
)
from iot_monitor.rules import NO_CHECK, AlertRules, DeviceState

S = 1000
GAP = 60 * S
RULES = AlertRules()


def _activity(expiry_ms: int = 0) -> DeviceActivity:
    return DeviceActivity(AlertRules(device_expiry_ms=expiry_ms))


def test_routine_events_are_not_passed_on_and_one_timer_serves_the_device() -> None:
    activity = _activity()
    # every 10 s, in order, the watermark 5 s behind
    for t in range(100, 200, 10):
        assert activity.on_event("d", t * S) == []
        assert activity.advance((t - 5) * S) == []
    assert len(activity.timers) == 1


def test_a_device_falls_quiet_when_the_watermark_passes_its_newest_by_the_gap() -> None:
    activity = _activity()
    activity.on_event("d", 100 * S)
    activity.on_event("d", 130 * S)
    # the first timer finds a newer event and moves on
    assert activity.advance(160 * S) == []
    assert activity.advance(190 * S - 2) == []
    quiet = Change("d", 130 * S, ChangeKind.WENT_QUIET, quiet_stage(130 * S, GAP))
    assert activity.advance(190 * S - 1) == [quiet]


def test_a_quiet_device_is_heard_when_it_sends_again() -> None:
    activity = _activity()
    activity.on_event("d", 100 * S)
    activity.advance(195 * S)
    assert activity.on_event("d", 200 * S) == [Change("d", 200 * S, ChangeKind.HEARD, 195 * S + 1)]
    # and an event older than its newest is never passed on
    assert activity.on_event("d", 150 * S) == []


def test_an_event_behind_the_watermark_by_the_gap_is_late() -> None:
    activity = _activity()
    activity.advance(160 * S - 1)
    assert activity.on_event("d", 100 * S) == [Change("d", 100 * S, ChangeKind.LATE, 160 * S)]
    activity = _activity()
    activity.advance(160 * S - 2)
    assert activity.on_event("d", 100 * S) == []


def test_a_quiet_device_is_forgotten_after_the_checks_have_forgotten_it() -> None:
    expiry = 3600 * S
    activity = _activity(expiry_ms=expiry)
    activity.on_event("d", 100 * S)
    activity.advance(1000 * S)
    activity.advance(100 * S + forget_after_ms(AlertRules(device_expiry_ms=expiry)) - 1)
    assert "d" in activity.devices
    activity.advance(100 * S + expiry + 30 * S)
    assert "d" not in activity.devices


def test_an_event_read_at_the_watermark_that_closes_a_session_comes_first() -> None:
    heard = Change("d", 200 * S, ChangeKind.HEARD, quiet_stage(100 * S, GAP))
    quiet = Change("d", 100 * S, ChangeKind.WENT_QUIET, quiet_stage(100 * S, GAP))
    later = Change("d", 300 * S, ChangeKind.HEARD, 300 * S)
    due, rest = due_changes([quiet, later, heard], quiet_stage(100 * S, GAP))
    assert due == [heard, quiet]
    assert rest == [later]


def test_a_quiet_session_schedules_its_first_check_and_an_older_one_is_ignored() -> None:
    quiet = apply_change(None, Change("d", 100 * S, ChangeKind.WENT_QUIET, 0), RULES)
    assert quiet == DeviceState(100 * S, 180 * S)
    assert check_to_schedule(None, quiet) == 180 * S
    newer = DeviceState(150 * S, NO_CHECK)
    assert apply_change(newer, Change("d", 100 * S, ChangeKind.WENT_QUIET, 0), RULES) is None


def test_hearing_a_quiet_device_cancels_its_checks() -> None:
    heard = apply_change(
        DeviceState(100 * S, 180 * S), Change("d", 200 * S, ChangeKind.HEARD, 0), RULES
    )
    assert heard == DeviceState(200 * S, NO_CHECK)
    assert check_to_schedule(DeviceState(100 * S, 180 * S), heard) is None

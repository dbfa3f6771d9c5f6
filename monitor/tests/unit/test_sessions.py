"""Which events the silence check is told about, and in what order it applies them."""

from __future__ import annotations

from iot_monitor.rules import NO_CHECK, AlertRules, DeviceState
from iot_monitor.sessions import (
    Change,
    ChangeKind,
    apply_change,
    check_to_schedule,
    classify_event,
    due_changes,
    quiet_stage,
)

S = 1000
GAP = 60 * S
RULES = AlertRules()


def test_routine_events_are_not_passed_on() -> None:
    # every 10 s, in order, the watermark 5 s behind
    assert classify_event("d", 110 * S, 100 * S, 110 * S, 105 * S, GAP) is None


def test_a_device_back_after_its_session_closed_is_heard() -> None:
    change = classify_event("d", 200 * S, 100 * S, 200 * S, 195 * S, GAP)
    assert change == Change("d", 200 * S, ChangeKind.HEARD, 195 * S + 1)


def test_an_event_beyond_the_gap_is_heard_even_before_the_watermark_closes_the_session() -> None:
    change = classify_event("d", 161 * S, 100 * S, 161 * S, 150 * S, GAP)
    assert change is not None
    assert change.kind is ChangeKind.HEARD


def test_an_event_behind_the_watermark_by_the_gap_is_late() -> None:
    change = classify_event("d", 100 * S, None, 100 * S, 160 * S - 1, GAP)
    assert change == Change("d", 100 * S, ChangeKind.LATE, 160 * S)
    assert classify_event("d", 100 * S, None, 100 * S, 160 * S - 2, GAP) is None


def test_an_event_older_than_the_devices_newest_is_never_passed_on() -> None:
    assert classify_event("d", 100 * S, 300 * S, 300 * S, 400 * S, GAP) is None


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

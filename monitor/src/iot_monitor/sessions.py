"""Which events the silence check has to see, and how each one is read.

The job keeps, per device, sessions of events in Flink SQL: a session closes when
the watermark passes its newest event plus the inactivity timeout, which is the
moment the device may start to count as silent. A device in an open session cannot
be silent, so the silence check needs only the changes:

- WENT_QUIET: a session closed, and no event of the device newer than the
  session's newest had been read by then (otherwise that event's own session,
  still open, speaks for the device); the session's newest time is the device's
  latest, unless something newer is known already.
- HEARD: an event that may have (re)opened a session while the device was quiet as
  far as the check knows (its previous event is a whole timeout behind the
  watermark or behind this event).
- LATE: an event the watermark passed by the timeout or more before it arrived;
  it may join no session, so it is passed on for its time alone.

`classify_event` is the rule the SQL in `tables.py` implements, in plain Python for
the tests and the docs: it is given the device's previous event time in arrival
order and the watermark before the event arrived. It may pass on more events than
strictly needed, never fewer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from iot_monitor.rules import (
    NO_CHECK,
    AlertRules,
    DeviceState,
    on_heard,
    on_late_event,
    on_went_quiet,
)


class ChangeKind(StrEnum):
    HEARD = "heard"
    LATE = "late"
    WENT_QUIET = "quiet"


class Change(NamedTuple):
    device_id: str
    time_ms: int
    kind: ChangeKind
    # When the change happened, on the watermark's clock: a check at T must see the
    # changes with stage_ms <= T and no other. The rows come from two operators over
    # two network channels, so they may reach the check out of this order; only the
    # watermark orders them, and the check applies each at its stage.
    stage_ms: int


def read_stage(watermark_ms: int | None) -> int:
    """An event read while the watermark stood at `watermark_ms` counts for every
    check after that watermark."""
    return 0 if watermark_ms is None else watermark_ms + 1


def quiet_stage(session_latest_ms: int, gap_ms: int) -> int:
    """A session closes at the first watermark at or past its end minus 1 ms; events
    read at earlier watermarks were read before it closed."""
    return session_latest_ms + gap_ms - 1


def classify_event(
    device_id: str,
    time_ms: int,
    previous_ms: int | None,
    newest_ms: int,
    watermark_ms: int | None,
    gap_ms: int,
) -> Change | None:
    """`previous_ms` is the device's event read just before this one, `newest_ms` the
    newest time of the device read so far, this event included."""
    late = watermark_ms is not None and watermark_ms >= time_ms + gap_ms - 1
    if time_ms < newest_ms:
        # Not the device's newest: either late, and then behind what the check knows
        # or will learn, or joining a session that is still open.
        return None
    if previous_ms is None:
        # A device's first event opens its first session, whose close will tell.
        needed = late
    else:
        needed = time_ms > previous_ms + gap_ms or (
            watermark_ms is not None and watermark_ms >= previous_ms + gap_ms - 1
        )
    if not needed:
        return None
    kind = ChangeKind.LATE if late else ChangeKind.HEARD
    return Change(device_id, time_ms, kind, read_stage(watermark_ms))


def apply_change(
    state: DeviceState | None, change: Change, rules: AlertRules
) -> DeviceState | None:
    """The device's state after `change`; None when the change tells nothing new."""
    after: DeviceState | None
    if change.kind is ChangeKind.HEARD:
        after = on_heard(state, change.time_ms)
    elif change.kind is ChangeKind.LATE:
        after = on_late_event(state, change.time_ms, rules)
    else:
        after = on_went_quiet(state, change.time_ms, rules)
    return None if after is None or after == state else after


def check_to_schedule(before: DeviceState | None, after: DeviceState) -> int | None:
    """The check instant to set a timer for, when `after` has a new one pending."""
    if after.next_check_ms == NO_CHECK:
        return None
    if before is not None and before.next_check_ms == after.next_check_ms:
        return None
    return after.next_check_ms


def due_changes(pending: list[Change], at_ms: int) -> tuple[list[Change], list[Change]]:
    """The pending changes to apply at watermark `at_ms`, in the order they happened
    (an event read at the watermark that closes a session was read before it), and
    the ones still to come."""
    due = sorted(
        (change for change in pending if change.stage_ms <= at_ms),
        key=lambda change: (change.stage_ms, change.kind is ChangeKind.WENT_QUIET),
    )
    return due, [change for change in pending if change.stage_ms > at_ms]


class Applied(NamedTuple):
    state: DeviceState | None
    changed: bool
    # pending changes whose stage is still to come
    later: list[Change]
    # check instants that now need a timer
    checks: list[int]


def apply_due_changes(
    state: DeviceState | None, pending: list[Change], at_ms: int, rules: AlertRules
) -> Applied:
    """Apply, in order, the pending changes due at watermark `at_ms`."""
    due, later = due_changes(pending, at_ms)
    checks: list[int] = []
    changed = False
    for change in due:
        after = apply_change(state, change, rules)
        if after is None:
            continue
        check = check_to_schedule(state, after)
        if check is not None:
            checks.append(check)
        state, changed = after, True
    return Applied(state, changed, later, checks)

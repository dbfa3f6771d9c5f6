"""Which events the silence check has to see, and how each one is read.

Per event, only a Java function runs (`jvm/monitor-functions`, `DeviceActivity`). It
keeps each device's newest event time and calls the device quiet when the watermark
reaches that time plus the inactivity timeout minus 1 ms: before then no check can
find it silent. It passes on only the changes:

- WENT_QUIET: the device fell quiet; its newest time is its latest.
- HEARD: an event that ends a quiet spell: the device is sending again.
- LATE: an event of a quiet device (or a new one) that the watermark had already
  passed by the timeout: it moves the latest time without ending the spell.

`DeviceActivity` below is the Java function in Python, for the tests and the docs;
the two change together.
"""

from __future__ import annotations

import heapq
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
    # changes with stage_ms <= T and no other. A change may reach the check before the
    # watermark it happened at (a watermark comes after the rows it released, and with
    # several subtasks the check's watermark is the smallest of theirs), so the check
    # applies each at its stage.
    stage_ms: int


def read_stage(watermark_ms: int | None) -> int:
    """An event read while the watermark stood at `watermark_ms` counts for every
    check after that watermark."""
    return 0 if watermark_ms is None else watermark_ms + 1


def quiet_stage(newest_ms: int, gap_ms: int) -> int:
    """A device falls quiet at the first watermark at or past its newest time plus the
    timeout minus 1 ms; events read at earlier watermarks were read before."""
    return newest_ms + gap_ms - 1


# The Java function's bounds, from the rules.
NO_LAST_QUIET = 2**63 - 1


def forget_after_ms(rules: AlertRules) -> int:
    """When the Java function may forget a quiet device: once the check has surely
    forgotten it (at the first check past the expiry). 0 keeps it for ever."""
    if not rules.device_expiry_ms:
        return 0
    return rules.device_expiry_ms + rules.check_interval_ms


def last_quiet_ms(rules: AlertRules) -> int:
    """A quiet spell from this time on cannot reach a check of a bounded input."""
    if rules.last_check_ms is None:
        return NO_LAST_QUIET
    return rules.last_check_ms - rules.inactivity_timeout_ms


class DeviceActivity:
    """The Java function `DeviceActivity`, for all devices of one subtask: events and
    watermarks in, changes out. A timer fires when the watermark reaches it, in time
    order, including timers set while firing."""

    def __init__(self, rules: AlertRules) -> None:
        self.gap_ms = rules.inactivity_timeout_ms
        self.forget_after_ms = forget_after_ms(rules)
        self.last_quiet_ms = last_quiet_ms(rules)
        # device: (newest event time, quiet)
        self.devices: dict[str, tuple[int, bool]] = {}
        self.timers: list[tuple[int, str]] = []
        self.watermark: int | None = None

    def on_event(self, device_id: str, time_ms: int) -> list[Change]:
        stored = self.devices.get(device_id)
        if stored is not None and time_ms <= stored[0]:
            return []
        if stored is not None and not stored[1]:
            self.devices[device_id] = (time_ms, False)
            return []
        late = self.watermark is not None and self.watermark >= time_ms + self.gap_ms - 1
        changes = []
        if stored is not None or late:
            kind = ChangeKind.LATE if late else ChangeKind.HEARD
            changes.append(Change(device_id, time_ms, kind, read_stage(self.watermark)))
        self.devices[device_id] = (time_ms, late)
        if late:
            self._forget_later(device_id, time_ms)
        else:
            self._register(time_ms + self.gap_ms - 1, device_id)
        return changes

    def advance(self, watermark: int) -> list[Change]:
        if self.watermark is not None and watermark <= self.watermark:
            return []
        self.watermark = watermark
        changes: list[Change] = []
        while self.timers and self.timers[0][0] <= watermark:
            at, device_id = heapq.heappop(self.timers)
            changes.extend(self._on_timer(at, device_id))
        return changes

    def _on_timer(self, at: int, device_id: str) -> list[Change]:
        stored = self.devices.get(device_id)
        if stored is None:
            return []
        newest, quiet = stored
        if quiet:
            if self.forget_after_ms and at == newest + self.forget_after_ms:
                del self.devices[device_id]
            return []
        closes = quiet_stage(newest, self.gap_ms)
        if closes > at:
            self._register(closes, device_id)
            return []
        self.devices[device_id] = (newest, True)
        self._forget_later(device_id, newest)
        if newest < self.last_quiet_ms:
            return [Change(device_id, newest, ChangeKind.WENT_QUIET, closes)]
        return []

    def _forget_later(self, device_id: str, newest: int) -> None:
        if self.forget_after_ms:
            self._register(newest + self.forget_after_ms, device_id)

    def _register(self, at: int, device_id: str) -> None:
        # Flink keeps one timer per key and time.
        if (at, device_id) not in self.timers:
            heapq.heappush(self.timers, (at, device_id))


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
    (an event read at the watermark at which its device falls quiet was read before), and
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

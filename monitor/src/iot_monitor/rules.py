"""When a device is due for a check and whether a check raises an alert.

Plain functions over plain values (milliseconds since the epoch), so the rules of
the product are tested without a JVM; the Flink functions only store what these
return and register the timers they ask for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from iot_monitor.settings import MonitorSettings

# The monitor builds its rules from its settings (MonitorSettings.rules); rules built
# by hand, as in tests, default to the same values.
_DEFAULT = MonitorSettings()


@dataclass(frozen=True)
class AlertRules:
    check_interval_ms: int = _DEFAULT.check_interval_ms
    inactivity_timeout_ms: int = _DEFAULT.inactivity_timeout_ms
    # 0 keeps a silent device for ever
    device_expiry_ms: int = _DEFAULT.device_expiry_ms
    # Bounded input (a replay) has no check after this instant; None when unbounded.
    last_check_ms: int | None = None


class DeviceState(NamedTuple):
    latest_event_ms: int
    # NO_CHECK while the device is known to be sending (see `on_heard`).
    next_check_ms: int


# Not a check instant (checks are positive multiples of the interval).
NO_CHECK = -1


class CheckOutcome(NamedTuple):
    alert: bool
    # None means the device is forgotten and its state freed.
    state: DeviceState | None


def first_alerting_check(latest_event_ms: int, rules: AlertRules) -> int:
    """The first check instant at which a device last heard of at `latest_event_ms`
    has been silent for strictly longer than the inactivity timeout."""
    silent_after = latest_event_ms + rules.inactivity_timeout_ms
    interval = rules.check_interval_ms
    return (silent_after // interval + 1) * interval


def on_event(state: DeviceState | None, event_ms: int, rules: AlertRules) -> DeviceState:
    """The device's state after an event; a late event never moves it back.

    A device that already has a check pending keeps it even when the event makes
    that check premature: the check then finds the device active and moves itself
    forward, which costs one timer per check interval instead of one per event.
    """
    if state is None:
        return DeviceState(event_ms, first_alerting_check(event_ms, rules))
    if event_ms <= state.latest_event_ms:
        return state
    return DeviceState(event_ms, state.next_check_ms)


def is_current_check(state: DeviceState | None, check_ms: int) -> bool:
    """A timer that no longer matches the pending check was made stale by a restore
    or a changed schedule; ignoring it is cheaper than deleting it."""
    return state is not None and state.next_check_ms == check_ms


def on_check(state: DeviceState, check_ms: int, rules: AlertRules) -> CheckOutcome:
    """The check at `check_ms` of a device whose pending check it is."""
    if rules.last_check_ms is not None and check_ms > rules.last_check_ms:
        return CheckOutcome(alert=False, state=None)
    silent_ms = check_ms - state.latest_event_ms
    if silent_ms <= rules.inactivity_timeout_ms:
        nxt = first_alerting_check(state.latest_event_ms, rules)
        return CheckOutcome(alert=False, state=DeviceState(state.latest_event_ms, nxt))
    if rules.device_expiry_ms and silent_ms > rules.device_expiry_ms:
        return CheckOutcome(alert=False, state=None)
    nxt = check_ms + rules.check_interval_ms
    return CheckOutcome(alert=True, state=DeviceState(state.latest_event_ms, nxt))


# The job does not see every event. A Java function keeps each device's newest event
# time and passes on only what changes the schedule (see `activity.py`): an event that
# ends a quiet spell, an event of a quiet device too late to end it, and the device
# falling quiet. Between those the device is sending and no check is pending.


def on_heard(state: DeviceState | None, event_ms: int) -> DeviceState:
    """An event that ended a quiet spell: the device is sending again."""
    latest = event_ms if state is None else max(state.latest_event_ms, event_ms)
    return DeviceState(latest, NO_CHECK)


def on_late_event(state: DeviceState | None, event_ms: int, rules: AlertRules) -> DeviceState:
    """An event the watermark had already passed by the timeout: it cannot end a
    quiet spell, so it only moves the latest time forward, exactly as any event does."""
    if state is not None and state.next_check_ms == NO_CHECK:
        return DeviceState(max(state.latest_event_ms, event_ms), NO_CHECK)
    return on_event(state, event_ms, rules)


def on_went_quiet(
    state: DeviceState | None, newest_ms: int, rules: AlertRules
) -> DeviceState | None:
    """The device fell quiet with `newest_ms` its newest event: unless a newer event is
    already known, it is quiet from then on and its first check is due. None when
    that event is older than what the device has sent since."""
    if state is not None and newest_ms < state.latest_event_ms:
        return None
    return DeviceState(newest_ms, first_alerting_check(newest_ms, rules))

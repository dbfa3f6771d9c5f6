"""Drives the rules the way the Flink function does (one pending timer per device,
stale timers ignored, a watermark after every event), without a JVM."""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from iot_monitor.rules import AlertRules, DeviceState, is_current_check, on_check, on_event


def run_rules(
    events: Sequence[tuple[str, int]],
    rules: AlertRules,
    out_of_orderness: int,
    *,
    timers_wait_for_the_watermark: bool = False,
) -> list[tuple[int, str, int]]:
    """With `timers_wait_for_the_watermark`, a timer set at or before the current
    watermark (a late event's) fires when the watermark next moves, as in Flink;
    without, at once."""
    states: dict[str, DeviceState] = {}
    timers: list[tuple[int, str]] = []
    alerts: list[tuple[int, str, int]] = []

    def fire_until(watermark: float) -> None:
        while timers and timers[0][0] <= watermark:
            at, device = heapq.heappop(timers)
            state = states.get(device)
            if state is None or not is_current_check(state, at):
                continue
            outcome = on_check(state, at, rules)
            if outcome.alert:
                alerts.append((at, device, state.latest_event_ms))
            if outcome.state is None:
                del states[device]
            else:
                states[device] = outcome.state
                heapq.heappush(timers, (outcome.state.next_check_ms, device))

    newest = None
    watermark = None
    for device, time_ms in events:
        before = states.get(device)
        after = on_event(before, time_ms, rules)
        states[device] = after
        if before is None:
            heapq.heappush(timers, (after.next_check_ms, device))
        newest = time_ms if newest is None else max(newest, time_ms)
        moved = watermark is None or newest - out_of_orderness > watermark
        watermark = newest - out_of_orderness
        if moved or not timers_wait_for_the_watermark:
            fire_until(watermark)
    fire_until(float("inf"))
    return sorted(alerts)

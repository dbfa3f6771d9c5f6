"""The job's topology simulated record by record, without a JVM: what Flink's SQL
operators pass on (the `LAG` over each device's events, the session windows with
Flink's merge-then-drop rule) and what the silence check does with it.

Events arrive in the given order with a watermark after each one (the newest time
so far minus the out-of-orderness bound), as in a replay; every watermark reaches
the session windows before the silence check, as it does in the job.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field

from iot_monitor.rules import (
    NO_CHECK,
    AlertRules,
    DeviceState,
    is_current_check,
    on_check,
    on_heard,
    on_late_event,
    on_went_quiet,
)
from iot_monitor.sessions import Change, ChangeKind, classify_event


@dataclass
class Session:
    start: int
    end: int
    latest: int


@dataclass
class Model:
    rules: AlertRules
    states: dict[str, DeviceState] = field(default_factory=dict)
    timers: list[tuple[int, str]] = field(default_factory=list)
    alerts: list[tuple[int, str, int]] = field(default_factory=list)

    def receive(self, change: Change) -> None:
        before = self.states.get(change.device_id)
        after: DeviceState | None
        if change.kind is ChangeKind.HEARD:
            after = on_heard(before, change.time_ms)
        elif change.kind is ChangeKind.LATE:
            after = on_late_event(before, change.time_ms, self.rules)
        else:
            after = on_went_quiet(before, change.time_ms, self.rules)
        if after is None:
            return
        self.states[change.device_id] = after
        if after.next_check_ms != NO_CHECK and (
            before is None or before.next_check_ms != after.next_check_ms
        ):
            heapq.heappush(self.timers, (after.next_check_ms, change.device_id))

    def fire_until(self, watermark: float) -> None:
        while self.timers and self.timers[0][0] <= watermark:
            at, device = heapq.heappop(self.timers)
            state = self.states.get(device)
            if state is None or not is_current_check(state, at):
                continue
            outcome = on_check(state, at, self.rules)
            if outcome.alert:
                self.alerts.append((at, device, state.latest_event_ms))
            if outcome.state is None:
                del self.states[device]
            else:
                self.states[device] = outcome.state
                heapq.heappush(self.timers, (outcome.state.next_check_ms, device))


def run_pipeline(
    events: Sequence[tuple[str, int]], rules: AlertRules, out_of_orderness: int
) -> list[tuple[int, str, int]]:
    gap = rules.inactivity_timeout_ms
    model = Model(rules)
    previous: dict[str, int] = {}
    sessions: dict[str, list[Session]] = {}
    watermark: int | None = None

    def close_sessions(until: float) -> None:
        for device, open_sessions in sessions.items():
            for session in [s for s in open_sessions if s.end - 1 <= until]:
                open_sessions.remove(session)
                model.receive(Change(device, session.latest, ChangeKind.WENT_QUIET))

    newest: int | None = None
    for device, time_ms in events:
        change = classify_event(device, time_ms, previous.get(device), watermark, gap)
        previous[device] = time_ms
        if change is not None:
            model.receive(change)
        # Flink's merging windows: merge with every open session the new window
        # touches, and drop the event only when it touches none and is late.
        open_sessions = sessions.setdefault(device, [])
        merged = Session(time_ms, time_ms + gap, time_ms)
        for session in [
            s for s in open_sessions if s.start <= merged.end and s.end >= merged.start
        ]:
            open_sessions.remove(session)
            merged = Session(
                min(merged.start, session.start),
                max(merged.end, session.end),
                max(merged.latest, session.latest),
            )
        if watermark is None or merged.end - 1 > watermark:
            open_sessions.append(merged)
        newest = time_ms if newest is None else max(newest, time_ms)
        if watermark is None or newest - out_of_orderness > watermark:
            watermark = newest - out_of_orderness
            close_sessions(watermark)
            model.fire_until(watermark)
    close_sessions(float("inf"))
    model.fire_until(float("inf"))
    return sorted(model.alerts)

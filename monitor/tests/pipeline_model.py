"""The job's topology simulated record by record, without a JVM: what Flink's SQL
operators pass on (the `LAG`/`MAX` over each device's arrivals, the session windows
with Flink's merge-then-drop rule) and what the silence check does with it.

Events arrive in the given order with a watermark after each one (the newest time
so far minus the out-of-orderness bound), as in a replay. The per-event rows and the
session rows travel on two channels; the silence check receives them interleaved in
any order that keeps each channel's own order (`shuffle` picks one), its watermark
is the smaller of the two, and its timers fire when that watermark moves.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from iot_monitor.rules import AlertRules, DeviceState, is_current_check, on_check
from iot_monitor.sessions import (
    Change,
    ChangeKind,
    apply_due_changes,
    classify_event,
    quiet_stage,
)

Item = tuple[str, object]  # ("row", Change) or ("watermark", float)


@dataclass
class Session:
    start: int
    end: int
    latest: int
    # The newest time of the device among the events read up to each of this
    # session's events (a running MAX over arrivals, aggregated with MAX).
    newest_seen: int


@dataclass
class SilenceCheck:
    """What `functions.DeviceSilenceCheck` does, over plain dicts."""

    rules: AlertRules
    states: dict[str, DeviceState] = field(default_factory=dict)
    pending: dict[str, list[Change]] = field(default_factory=dict)
    timers: list[tuple[int, str]] = field(default_factory=list)
    alerts: list[tuple[int, str, int]] = field(default_factory=list)
    watermark: float = float("-inf")

    def receive(self, change: Change) -> None:
        self.pending.setdefault(change.device_id, []).append(change)
        heapq.heappush(self.timers, (change.stage_ms, change.device_id))

    def advance(self, watermark: float) -> None:
        if watermark <= self.watermark:
            return
        self.watermark = watermark
        while self.timers and self.timers[0][0] <= watermark:
            at, device = heapq.heappop(self.timers)
            self.on_timer(at, device)

    def on_timer(self, at: int, device: str) -> None:
        before = self.states.get(device)
        applied = apply_due_changes(before, self.pending.get(device, []), at, self.rules)
        self.pending[device] = applied.later
        if applied.state is not None:
            self.states[device] = applied.state
        for check in applied.checks:
            heapq.heappush(self.timers, (check, device))
        state = self.states.get(device)
        if state is None or not is_current_check(state, at):
            return
        outcome = on_check(state, at, self.rules)
        if outcome.alert:
            self.alerts.append((at, device, state.latest_event_ms))
        if outcome.state is None:
            del self.states[device]
        else:
            self.states[device] = outcome.state
            heapq.heappush(self.timers, (outcome.state.next_check_ms, device))


def channels(
    events: Sequence[tuple[str, int]], gap: int, out_of_orderness: int
) -> tuple[list[Item], list[Item]]:
    """What the per-event branch and the session windows send, in their own orders."""
    per_event: list[Item] = []
    closed: list[Item] = []
    previous: dict[str, int] = {}
    newest_of: dict[str, int] = {}
    sessions: dict[str, list[Session]] = {}
    watermark: int | None = None

    def emit_watermark(at: float) -> None:
        for device, open_sessions in sessions.items():
            for session in [s for s in open_sessions if s.end - 1 <= at]:
                open_sessions.remove(session)
                # A session that ends while a newer event of the device was already
                # read says nothing: that event's own session closes later.
                if session.newest_seen <= session.latest:
                    stage = quiet_stage(session.latest, gap)
                    change = Change(device, session.latest, ChangeKind.WENT_QUIET, stage)
                    closed.append(("row", change))
        closed.append(("watermark", at))
        per_event.append(("watermark", at))

    newest: int | None = None
    for device, time_ms in events:
        newest_of[device] = max(newest_of.get(device, time_ms), time_ms)
        change = classify_event(
            device, time_ms, previous.get(device), newest_of[device], watermark, gap
        )
        previous[device] = time_ms
        if change is not None:
            per_event.append(("row", change))
        # Flink's merging windows: merge with every open session the new window
        # touches, and drop the event only when it touches none and is late.
        open_sessions = sessions.setdefault(device, [])
        merged = Session(time_ms, time_ms + gap, time_ms, newest_of[device])
        for session in [
            s for s in open_sessions if s.start <= merged.end and s.end >= merged.start
        ]:
            open_sessions.remove(session)
            merged = Session(
                min(merged.start, session.start),
                max(merged.end, session.end),
                max(merged.latest, session.latest),
                max(merged.newest_seen, session.newest_seen),
            )
        if watermark is None or merged.end - 1 > watermark:
            open_sessions.append(merged)
        newest = time_ms if newest is None else max(newest, time_ms)
        if watermark is None or newest - out_of_orderness > watermark:
            watermark = newest - out_of_orderness
            emit_watermark(watermark)
    emit_watermark(float("inf"))
    return per_event, closed


def run_pipeline(
    events: Sequence[tuple[str, int]],
    rules: AlertRules,
    out_of_orderness: int,
    shuffle: random.Random | None = None,
) -> list[tuple[int, str, int]]:
    """Without `shuffle`, each watermark step's per-event rows come first, then the
    sessions it closed, then the watermark."""
    per_event, closed = channels(events, rules.inactivity_timeout_ms, out_of_orderness)
    check = SilenceCheck(rules)
    last_watermark = {0: float("-inf"), 1: float("-inf")}
    queues = [list(reversed(per_event)), list(reversed(closed))]
    while queues[0] or queues[1]:
        if shuffle is not None:
            source = shuffle.choice([n for n in (0, 1) if queues[n]])
        else:
            rows_first = [n for n in (0, 1) if queues[n] and queues[n][-1][0] == "row"]
            source = rows_first[0] if rows_first else (0 if queues[0] else 1)
        kind, value = queues[source].pop()
        if kind == "row":
            assert isinstance(value, Change)
            check.receive(value)
        else:
            assert isinstance(value, float | int)
            last_watermark[source] = float(value)
            check.advance(min(last_watermark.values()))
    return sorted(check.alerts)

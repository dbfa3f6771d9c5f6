"""The job's topology simulated record by record, without a JVM: the Java function
`DeviceActivity` (as `activity.DeviceActivity`) on one or more subtasks, and the
silence check that receives their changes.

Events arrive in the given order with a watermark after each one (the newest time
so far minus the out-of-orderness bound), as in a replay. Each subtask sends its
changes and the watermarks on a channel of its own; the silence check receives them
interleaved in any order that keeps each channel's own order (`shuffle` picks one),
its watermark is the smallest of the channels', and its timers fire when that
watermark moves.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from iot_monitor.activity import Change, DeviceActivity, apply_due_changes
from iot_monitor.rules import AlertRules, DeviceState, is_current_check, on_check

Item = tuple[str, object]  # ("row", Change) or ("watermark", float)


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
    events: Sequence[tuple[str, int]], rules: AlertRules, out_of_orderness: int, subtasks: int
) -> list[list[Item]]:
    """What each subtask of `DeviceActivity` sends, in its own order; a device's
    events all go to one subtask."""
    activity = [DeviceActivity(rules) for _ in range(subtasks)]
    sent: list[list[Item]] = [[] for _ in range(subtasks)]

    def emit_watermark(at: int) -> None:
        for subtask, function in enumerate(activity):
            sent[subtask].extend(("row", change) for change in function.advance(at))
            sent[subtask].append(("watermark", at))

    newest: int | None = None
    watermark: int | None = None
    for device, time_ms in events:
        subtask = sum(map(ord, device)) % subtasks
        sent[subtask].extend(
            ("row", change) for change in activity[subtask].on_event(device, time_ms)
        )
        newest = time_ms if newest is None else max(newest, time_ms)
        if watermark is None or newest - out_of_orderness > watermark:
            watermark = newest - out_of_orderness
            emit_watermark(watermark)
    emit_watermark(2**63 - 1)
    return sent


def run_pipeline(
    events: Sequence[tuple[str, int]],
    rules: AlertRules,
    out_of_orderness: int,
    shuffle: random.Random | None = None,
) -> list[tuple[int, str, int]]:
    """Without `shuffle`, one subtask, as in a replay at parallelism 1; with it, two
    subtasks whose channels interleave at random."""
    subtasks = 1 if shuffle is None else 2
    check = SilenceCheck(rules)
    queues = [list(reversed(sent)) for sent in channels(events, rules, out_of_orderness, subtasks)]
    last_watermark = dict.fromkeys(range(subtasks), float("-inf"))
    while any(queues):
        ready = [n for n, queue in enumerate(queues) if queue]
        source = ready[0] if shuffle is None else shuffle.choice(ready)
        kind, value = queues[source].pop()
        if kind == "row":
            assert isinstance(value, Change)
            check.receive(value)
        else:
            assert isinstance(value, int)
            last_watermark[source] = float(value)
            check.advance(min(last_watermark.values()))
    return sorted(check.alerts)

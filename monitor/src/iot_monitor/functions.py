"""The Flink functions: thin adapters that keep state and timers and ask
`validation` and `rules` what to do."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from pyflink.common import Row, Types
from pyflink.datastream import OutputTag
from pyflink.datastream.functions import KeyedProcessFunction, ProcessFunction, RuntimeContext
from pyflink.datastream.state import ListStateDescriptor, ValueStateDescriptor

from iot_monitor.activity import Change, ChangeKind, apply_due_changes
from iot_monitor.alerts import alert_body
from iot_monitor.rules import AlertRules, DeviceState, is_current_check, on_check
from iot_monitor.timeunit import TimeUnit
from iot_monitor.validation import Rejection, parse_event

log = logging.getLogger(__name__)

EVENT_TYPE = Types.ROW_NAMED(["device_id", "time_ms"], [Types.STRING(), Types.LONG()])
ALERT_TYPE = Types.ROW_NAMED(
    ["device_id", "latest_event_ms", "check_ms", "body"],
    [Types.STRING(), Types.LONG(), Types.LONG(), Types.STRING()],
)
DEAD_LETTER_TYPE = Types.ROW_NAMED(
    ["payload", "reason", "source_topic", "source_partition", "source_offset"],
    [
        Types.PRIMITIVE_ARRAY(Types.BYTE()),
        Types.STRING(),
        Types.STRING(),
        Types.INT(),
        Types.LONG(),
    ],
)
DEAD_LETTERS = OutputTag("dead-letters", DEAD_LETTER_TYPE)
# Explicit field types, not pickled bytes, so a savepoint outlives a refactor.
DEVICE_STATE_TYPE = Types.ROW_NAMED(
    ["latest_event_ms", "next_check_ms"], [Types.LONG(), Types.LONG()]
)
PENDING_CHANGE_TYPE = Types.ROW_NAMED(
    ["time_ms", "kind", "stage_ms"], [Types.LONG(), Types.STRING(), Types.LONG()]
)


class ValidateEvents(ProcessFunction):  # type: ignore[misc]
    """Raw records in, events out; everything unusable to the dead-letter output."""

    def __init__(self, unit: TimeUnit, max_future_skew_ms: int) -> None:
        self.unit = unit
        self.max_future_skew_ms = max_future_skew_ms
        self.rejected = 0

    def open(self, runtime_context: RuntimeContext) -> None:
        self.dead_letter_counter = runtime_context.get_metrics_group().counter("deadLetters")

    def process_element(self, value: Row, ctx: Any) -> Iterator[Any]:
        payload = value[0]
        payload = bytes(payload) if payload is not None else None
        result = parse_event(payload, self.unit, int(time.time() * 1000), self.max_future_skew_ms)
        if isinstance(result, Rejection):
            self._count(result.reason, value)
            coordinates = (value[1], value[2], value[3]) if len(value) > 3 else (None, None, None)
            yield DEAD_LETTERS, Row(payload, result.reason, *coordinates)
        else:
            yield Row(result.device_id, result.time_ms)

    def _count(self, reason: str, value: Row) -> None:
        self.rejected += 1
        self.dead_letter_counter.inc()
        # Every bad record reaches the dead-letter topic; the log samples them.
        if self.rejected <= 20 or self.rejected % 1000 == 0:
            where = f" at {value[1]}/{value[2]}@{value[3]}" if len(value) > 3 else ""
            log.warning(
                "bad event #%d%s sent to the dead-letter topic: %s", self.rejected, where, reason
            )


class DeviceSilenceCheck(KeyedProcessFunction):  # type: ignore[misc]
    """Per device: its latest event time, at most one pending check (an event-time
    timer), and the changes of `activity.py` that arrived before their stage."""

    def __init__(self, rules: AlertRules, unit: TimeUnit) -> None:
        self.rules = rules
        self.unit = unit

    def open(self, runtime_context: RuntimeContext) -> None:
        self.device = runtime_context.get_state(ValueStateDescriptor("device", DEVICE_STATE_TYPE))
        self.pending = runtime_context.get_list_state(
            ListStateDescriptor("pending-changes", PENDING_CHANGE_TYPE)
        )

    def _load(self) -> DeviceState | None:
        stored = self.device.value()
        return None if stored is None else DeviceState(stored[0], stored[1])

    def process_element(self, change: Row, ctx: Any) -> Iterator[Row]:
        # (device_id, time_ms, kind, stage_ms): applied when the watermark reaches
        # its stage, so that it is seen by exactly the checks after it happened.
        self.pending.add(Row(change[1], change[2], change[3]))
        ctx.timer_service().register_event_time_timer(change[3])
        yield from ()

    def _apply_due_changes(self, at_ms: int, device_id: str, ctx: Any) -> DeviceState | None:
        state = self._load()
        stored = self.pending.get()
        pending = [Change(device_id, row[0], ChangeKind(row[1]), row[2]) for row in stored or ()]
        if not pending:
            return state
        applied = apply_due_changes(state, pending, at_ms, self.rules)
        if len(applied.later) == len(pending):
            return state
        if applied.later:
            self.pending.update([Row(c.time_ms, str(c.kind), c.stage_ms) for c in applied.later])
        else:
            self.pending.clear()
        for check in applied.checks:
            ctx.timer_service().register_event_time_timer(check)
        state = applied.state
        if applied.changed and state is not None:
            self.device.update(Row(*state))
        return state

    def on_timer(self, timestamp: int, ctx: Any) -> Iterator[Row]:
        device_id = ctx.get_current_key()
        state = self._apply_due_changes(timestamp, device_id, ctx)
        if state is None or not is_current_check(state, timestamp):
            return
        outcome = on_check(state, timestamp, self.rules)
        if outcome.state is None:
            self.device.clear()
        else:
            self.device.update(Row(*outcome.state))
            ctx.timer_service().register_event_time_timer(outcome.state.next_check_ms)
        if outcome.alert:
            body = alert_body(device_id, state.latest_event_ms, self.unit)
            yield Row(device_id, state.latest_event_ms, timestamp, body)

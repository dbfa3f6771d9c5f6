"""The run: rounds of events from the live devices, paced, written to a sink, with
the ground truth kept alongside."""

from __future__ import annotations

import heapq
import random
import secrets
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from itertools import islice

from iot_event_generator.fleet import DeviceClass, plan_fleet, rounds_in, split_plan
from iot_event_generator.mixing import HostileMixer
from iot_event_generator.pacing import Pacer
from iot_event_generator.settings import GeneratorSettings
from iot_event_generator.sinks import Sink, SinkError
from iot_event_generator.tracking import FleetTracker
from iot_event_generator.truth import RunReport
from iot_event_generator.wire import KEY_CACHE_LIMIT, DeviceKeys, EventEncoder

CHUNK_SIZE = 1000  # events sent together, sharing one time stamp and one pacing check


@dataclass(slots=True)
class Status:
    """What the progress line shows."""

    events_sent: int = 0
    malformed_sent: int = 0
    live_devices: int = 0
    failed_devices: int = 0
    elapsed_seconds: float = 0.0
    planned_seconds: float = 0.0
    delivery_failures: int = 0


class Stop(Exception):
    """The run ends early; the message says why."""


@dataclass(frozen=True, slots=True)
class ClassFleet:
    """The devices of one class: who is live and what happened to them, and their keys."""

    device_class: DeviceClass
    tracker: FleetTracker
    keys: DeviceKeys


class Run:
    def __init__(
        self,
        settings: GeneratorSettings,
        sink: Sink,
        should_stop: Callable[[], bool],
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        start: float | None = None,
    ) -> None:
        self.settings, self.sink, self.should_stop, self.clock = settings, sink, should_stop, clock
        self.seed = settings.seed if settings.seed is not None else secrets.randbits(32)
        rng = random.Random(self.seed)
        s = settings
        classes = s.fleet_classes
        # One plan for the whole fleet, the classes' devices numbered one after another.
        self.plan = plan_fleet(
            s.fleet_size, s.duration_seconds, s.failure_probability, s.recovery_probability, rng
        )
        self.encoder = EventEncoder(self.plan.run_id)
        self.mixer = None
        if s.bad_fraction > 0:
            hostile_rng = random.Random(f"{self.seed}-hostile")
            self.mixer = HostileMixer(
                s.bad_fraction, s.time_unit, sink.lines_only, classes, hostile_rng
            )
        self.pacer = Pacer(s, clock, sleep, should_stop, start)
        cache_keys = s.fleet_size <= KEY_CACHE_LIMIT
        self.fleets = [
            ClassFleet(
                device_class,
                FleetTracker(plan, self.pacer, CHUNK_SIZE, device_class.id_format),
                DeviceKeys(device_class.id_format, device_class.count, cache_keys),
            )
            for device_class, plan in zip(classes, split_plan(self.plan, classes), strict=True)
        ]
        self.status = Status(planned_seconds=s.duration_seconds)
        self.report = RunReport(
            self.seed, self.plan.run_id, sink.description, s.time_unit.value, s.fleet_size
        )
        self.report.device_classes = s.device_classes

    def rounds(self) -> Iterator[Status]:
        """Send the rounds of every class, in time order, yielding the status after
        every chunk."""
        started = time.monotonic()
        steps = [self._class_rounds(fleet) for fleet in self.fleets]
        # (offset, class, sends a chunk) of each class's next step. At the same offset
        # the classes take turns in the order given.
        due = []
        for k, step in enumerate(steps):
            offset, sends = next(step)
            due.append((offset, k, sends))
        heapq.heapify(due)
        try:
            while due:
                _, k, sends = heapq.heappop(due)
                following = next(steps[k], None)
                if following is not None:
                    heapq.heappush(due, (following[0], k, following[1]))
                if sends:
                    self.status.elapsed_seconds = time.monotonic() - started
                    yield self.status
        except Stop as stop:
            self.report.stopped_early = str(stop)
        finally:
            # Classes amid a round record the chunks they sent of it.
            for step in steps:
                step.close()
        self._finish_report(time.monotonic() - started)

    def _class_rounds(self, fleet: ClassFleet) -> Generator[tuple[float, bool]]:
        """The rounds of one class. Before each step it yields the step's offset and
        whether it sends a chunk (or starts a round); the step runs when resumed."""
        interval, count = fleet.device_class.interval_seconds, fleet.device_class.count
        tracker = fleet.tracker
        for round_number in range(rounds_in(self.settings.duration_seconds, interval)):
            round_start = round_number * interval
            yield round_start, False
            # Also paces rounds in which every device is down.
            self.pacer.wait_until(round_start)
            tracker.start_round(round_start)
            devices = iter(tracker.live)
            chunk_times: list[int] = []
            try:
                for position in range(0, len(tracker.live), CHUNK_SIZE):
                    offset = round_start + interval * position / count
                    yield offset, True
                    chunk_times.append(self._send_chunk(fleet, islice(devices, CHUNK_SIZE), offset))
            finally:
                tracker.end_round(chunk_times)

    def _send_chunk(self, fleet: ClassFleet, devices: Iterator[int], offset: float) -> int:
        """Send one event for each of `devices` of `fleet` at `offset`; return their time."""
        self.pacer.wait_until(offset)
        if self.should_stop():
            raise Stop("stopped by the operator")
        time_value = self.pacer.time_value(offset)
        records = self.encoder.encode(devices, time_value, fleet.keys)
        good = len(records)
        if self.mixer is not None:
            records = self.mixer.mix(records, max(self.pacer.now(offset), self.clock()))
        try:
            self.sink.write(records)
        except SinkError as exc:
            raise Stop(str(exc)) from None
        if self.report.first_event_time is None:
            self.report.first_event_time = time_value
        self.report.last_event_time = time_value
        status = self.status
        status.events_sent += good
        status.malformed_sent += len(records) - good
        status.live_devices = sum(len(f.tracker.live) for f in self.fleets)
        status.failed_devices = sum(f.tracker.live.down_count for f in self.fleets)
        status.delivery_failures = self.sink.failures_so_far()
        return time_value

    def _finish_report(self, elapsed_seconds: float) -> None:
        report = self.report
        report.elapsed_seconds = elapsed_seconds
        report.behind_seconds = self.pacer.behind_seconds
        report.events_sent = self.status.events_sent
        report.malformed_sent = dict(self.mixer.counts) if self.mixer else {}
        failures = [f for fleet in self.fleets for f in fleet.tracker.failures.values()]
        report.failures = sorted(failures, key=lambda failure: failure.device_id)


def run(
    settings: GeneratorSettings,
    sink: Sink,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[Status], None] = lambda status: None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    start: float | None = None,
) -> RunReport:
    """Run the simulation into `sink` and return its ground truth. The caller closes
    the sink and puts the resulting Delivery into the report. `start`: the start of a
    --no-sleep run, if chosen beforehand (pacing.planned_start)."""
    simulation = Run(settings, sink, should_stop, clock, sleep, start)
    for status in simulation.rounds():
        on_progress(status)
    return simulation.report

"""The run: rounds of events from the live devices, paced, written to a sink, with
the ground truth kept alongside."""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

from iot_event_generator.fleet import plan_fleet
from iot_event_generator.mixing import HostileMixer
from iot_event_generator.pacing import Pacer
from iot_event_generator.settings import GeneratorSettings
from iot_event_generator.sinks import Sink, SinkError
from iot_event_generator.tracking import FleetTracker
from iot_event_generator.truth import RunReport
from iot_event_generator.wire import EventEncoder

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


class Run:
    def __init__(
        self,
        settings: GeneratorSettings,
        sink: Sink,
        should_stop: Callable[[], bool],
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self.settings, self.sink, self.should_stop, self.clock = settings, sink, should_stop, clock
        self.seed = settings.seed if settings.seed is not None else secrets.randbits(32)
        rng = random.Random(self.seed)
        s = settings
        self.plan = plan_fleet(
            s.num_devices, s.duration_seconds, s.failure_probability, s.recovery_probability, rng
        )
        self.encoder = EventEncoder(self.plan.run_id, s.num_devices)
        self.mixer = None
        if s.bad_fraction > 0:
            hostile_rng = random.Random(f"{self.seed}-hostile")
            self.mixer = HostileMixer(
                s.bad_fraction, s.time_unit, sink.lines_only, s.num_devices, hostile_rng
            )
        self.pacer = Pacer(s, clock, sleep, should_stop)
        self.tracker = FleetTracker(self.plan, self.pacer, CHUNK_SIZE)
        self.status = Status(planned_seconds=s.duration_seconds)
        self.report = RunReport(
            self.seed, self.plan.run_id, sink.description, s.time_unit.value, s.num_devices
        )

    def rounds(self) -> Iterator[Status]:
        """Send round after round, yielding the status after every chunk."""
        started = time.monotonic()
        interval = self.settings.round_interval_seconds
        try:
            for round_number in range(self.settings.total_rounds):
                round_start = round_number * interval
                # Also paces rounds in which every device is down.
                self.pacer.wait_until(round_start)
                self.tracker.start_round(round_start)
                devices = iter(self.tracker.live)
                chunk_times: list[int] = []
                try:
                    for position in range(0, len(self.tracker.live), CHUNK_SIZE):
                        offset = round_start + interval * position / self.settings.num_devices
                        chunk_times.append(self._send_chunk(islice(devices, CHUNK_SIZE), offset))
                        self.status.elapsed_seconds = time.monotonic() - started
                        yield self.status
                finally:
                    self.tracker.end_round(chunk_times)
        except Stop as stop:
            self.report.stopped_early = str(stop)
        self._finish_report(time.monotonic() - started)

    def _send_chunk(self, devices: Iterator[int], offset: float) -> int:
        """Send one event for each of `devices` at `offset`; return their time."""
        self.pacer.wait_until(offset)
        if self.should_stop():
            raise Stop("stopped by the operator")
        time_value = self.pacer.time_value(offset)
        records = self.encoder.encode(devices, time_value)
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
        status.live_devices = len(self.tracker.live)
        status.failed_devices = self.tracker.live.down_count
        status.delivery_failures = self.sink.failures_so_far()
        return time_value

    def _finish_report(self, elapsed_seconds: float) -> None:
        report, tracker = self.report, self.tracker
        report.elapsed_seconds = elapsed_seconds
        report.behind_seconds = self.pacer.behind_seconds
        report.events_sent = self.status.events_sent
        report.malformed_sent = dict(self.mixer.counts) if self.mixer else {}
        report.failures = [tracker.failures[device] for device in sorted(tracker.failures)]


def run(
    settings: GeneratorSettings,
    sink: Sink,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[Status], None] = lambda status: None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> RunReport:
    """Run the simulation into `sink` and return its ground truth. The caller closes
    the sink and puts the resulting Delivery into the report."""
    simulation = Run(settings, sink, should_stop, clock, sleep)
    for status in simulation.rounds():
        on_progress(status)
    return simulation.report

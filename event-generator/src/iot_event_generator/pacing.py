"""The run's clock: live runs wait for each moment and stamp events with the wall
clock; --no-sleep runs go as fast as they can and stamp events with simulated time."""

from __future__ import annotations

from collections.abc import Callable

from iot_event_generator.settings import GeneratorSettings

MAX_SLEEP_SECONDS = 0.1  # so that a stop request is noticed quickly even at slow rates


class Pacer:
    def __init__(
        self,
        settings: GeneratorSettings,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        should_stop: Callable[[], bool],
        start: float | None = None,
    ) -> None:
        """`start`: of a simulated run, chosen beforehand (default: planned_start)."""
        self._unit = settings.time_unit
        self._clock = clock
        self._sleep = sleep
        self._should_stop = should_stop
        self.live = not settings.no_sleep
        if start is not None and not self.live:
            self.start = start
        else:
            self.start = planned_start(settings, clock())
        self.behind_seconds = 0.0

    def wait_until(self, offset: float) -> None:
        """Return at `offset` seconds into the run (at once when not live), or earlier
        if a stop is requested."""
        if not self.live:
            return
        due = self.start + offset
        while not self._should_stop():
            remaining = due - self._clock()
            if remaining <= 0:
                self.behind_seconds = max(self.behind_seconds, -remaining)
                return
            self._sleep(min(remaining, MAX_SLEEP_SECONDS))

    def now(self, offset: float) -> float:
        """Epoch seconds of an event sent at `offset`."""
        return self._clock() if self.live else self.start + offset

    def time_value(self, offset: float) -> int:
        return self._unit.from_epoch_seconds(self.now(offset))

    def nominal_time_value(self, offset: float) -> int:
        """The planned instant of `offset`, in the unit of the events."""
        return self._unit.from_epoch_seconds(self.start + offset)


def planned_start(settings: GeneratorSettings, now: float) -> float:
    """Epoch seconds of the run's start, hence of its first event, if it starts `now`."""
    if settings.start_time is not None:
        return settings.start_time
    if not settings.no_sleep:
        return now
    # A simulated run without a start time ends now, so that none of its events lies in
    # the future.
    return now - settings.duration_seconds

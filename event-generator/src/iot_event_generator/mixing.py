"""Mixing malformed records from the hostile catalogue into the event stream."""

from __future__ import annotations

import random
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from itertools import accumulate

from iot_event_generator.fleet import DeviceClass
from iot_event_generator.hostile import cases
from iot_event_generator.settings import TimeUnit
from iot_event_generator.wire import Record


class HostileMixer:
    """Adds malformed records so that they make up `fraction` of all records written.
    Each is a case drawn uniformly from the catalogue and keyed by a random device of
    the fleet, so that a monitor which wrongly accepted one would get that device's
    state wrong (and show it)."""

    def __init__(
        self,
        fraction: float,
        time_unit: TimeUnit,
        lines_only: bool,
        classes: Sequence[DeviceClass],
        rng: random.Random,
    ) -> None:
        self._fraction = fraction
        self._time_unit = time_unit
        self._cases = cases(time_unit, for_lines=lines_only)
        self._classes = classes
        self._ends = list(accumulate(c.count for c in classes))
        self._num_devices = self._ends[-1]
        self._rng = rng
        self.counts: Counter[str] = Counter()

    def mix(self, records: list[Record], now: float) -> list[Record]:
        """`records` with malformed ones interleaved; `now` is epoch seconds."""
        rng, fraction = self._rng, self._fraction
        mixed: list[Record] = []
        for record in records:
            mixed.append(record)
            # A geometric number of bad records after each good one: on average
            # fraction / (1 - fraction) of them, so bad ones are `fraction` of all.
            while rng.random() < fraction:
                case = rng.choice(self._cases)
                device = self._device_id(rng.randint(1, self._num_devices))
                mixed.append(case.record(device, now=now, time_unit=self._time_unit))
                self.counts[case.name] += 1
        return mixed

    def _device_id(self, number: int) -> str:
        """The id of device `number` of the fleet, counting the classes in order."""
        k = bisect_left(self._ends, number)
        klass = self._classes[k]
        return klass.device_id(number - self._ends[k] + klass.count)

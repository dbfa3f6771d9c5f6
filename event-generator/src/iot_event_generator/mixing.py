"""Mixing malformed records from the hostile catalogue into the event stream."""

from __future__ import annotations

import random
from collections import Counter

from iot_event_generator.fleet import device_id_format
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
        num_devices: int,
        rng: random.Random,
    ) -> None:
        self._fraction = fraction
        self._time_unit = time_unit
        self._cases = cases(time_unit, for_lines=lines_only)
        self._id_format = device_id_format(num_devices)
        self._num_devices = num_devices
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
                device = self._id_format % rng.randint(1, self._num_devices)
                mixed.append(case.record(device, now=now, time_unit=self._time_unit))
                self.counts[case.name] += 1
        return mixed

"""The fleet model, free of any I/O: device names, which devices fail and when, and
which devices are live at a given moment of the run.

Times here are seconds after the start of the run ("offsets").
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, insort
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, pairwise

DEFAULT_CLASS_NAME = "device"


def device_id_format(num_devices: int, name: str = DEFAULT_CLASS_NAME) -> str:
    """printf-style format of the device ids: `<name>-<n>`, n 1-based and zero-padded
    to at least 4 digits."""
    return name.replace("%", "%%") + f"-%0{max(4, len(str(num_devices)))}d"


def device_id(index: int, num_devices: int) -> str:
    return device_id_format(num_devices) % index


def rounds_in(duration_seconds: float, interval_seconds: float) -> int:
    """Rounds of a run: one starts every interval, the first at the start."""
    # The small tolerance keeps 60 s / 10 ms at 6000 rounds despite float rounding.
    return max(1, math.ceil(duration_seconds / interval_seconds - 1e-9))


@dataclass(frozen=True, slots=True)
class DeviceClass:
    """Devices `<name>-0001` ... `<name>-<count>` that each send one event every
    `interval_seconds`. A fleet without classes is the one class `device`."""

    name: str
    interval_seconds: float
    count: int

    @property
    def id_format(self) -> str:
        return device_id_format(self.count, self.name)

    def device_id(self, index: int) -> str:
        return self.id_format % index


@dataclass(frozen=True, slots=True)
class Outage:
    """Device `device` (1-based) falls silent at `fails_at` and, if `recovers_at` is
    set, sends again from then on."""

    device: int
    fails_at: float
    recovers_at: float | None


@dataclass(frozen=True, slots=True)
class FleetPlan:
    num_devices: int
    run_id: str
    outages: tuple[Outage, ...]

    def changes(self) -> list[tuple[float, int, bool]]:
        """Every (offset, device, comes_up) in the order they happen."""
        moments = [(o.fails_at, o.device, False) for o in self.outages]
        moments += [(o.recovers_at, o.device, True) for o in self.outages if o.recovers_at]
        return sorted(moments)


def plan_fleet(
    num_devices: int,
    duration_seconds: float,
    failure_probability: float,
    recovery_probability: float,
    rng: random.Random,
) -> FleetPlan:
    """Each device independently fails during the run with `failure_probability`, at a
    moment uniform over the run; a failed device comes back with `recovery_probability`,
    at a moment uniform between its failure and the end of the run."""
    run_id = f"{rng.getrandbits(32):08x}"
    outages = []
    for device in failing_devices(num_devices, failure_probability, rng):
        # 1 - random() lies in (0, 1]: a device never fails before its first event.
        fails_at = duration_seconds * (1.0 - rng.random())
        recovers_at = None
        if rng.random() < recovery_probability:
            recovers_at = fails_at + (duration_seconds - fails_at) * (1.0 - rng.random())
        outages.append(Outage(device, fails_at, recovers_at))
    return FleetPlan(num_devices, run_id, tuple(outages))


def split_plan(plan: FleetPlan, classes: Sequence[DeviceClass]) -> list[FleetPlan]:
    """The plan of each class, whose devices are numbered from 1 within it; `plan`
    numbers the devices of all classes one after another, in class order."""
    ends = list(accumulate(c.count for c in classes))
    outages: list[list[Outage]] = [[] for _ in classes]
    for outage in plan.outages:
        k = bisect_left(ends, outage.device)
        first = ends[k] - classes[k].count
        outages[k].append(Outage(outage.device - first, outage.fails_at, outage.recovers_at))
    return [
        FleetPlan(c.count, plan.run_id, tuple(o)) for c, o in zip(classes, outages, strict=True)
    ]


def failing_devices(num_devices: int, probability: float, rng: random.Random) -> Iterator[int]:
    """Each device of 1..num_devices with `probability`, independently, in order.

    Draws the gap to the next failing device (geometrically distributed) instead of
    one number per device, so that planning a fleet of millions takes time in
    proportion to its failures."""
    if probability <= 0:
        return
    if probability >= 1:
        yield from range(1, num_devices + 1)
        return
    log_survival = math.log1p(-probability)
    device = 0
    while True:
        device += 1 + int(math.log(1.0 - rng.random()) / log_survival)
        if device > num_devices:
            return
        yield device


class LiveDevices:
    """The devices currently sending, in id order. Only the down ones are stored, so a
    fleet of millions costs memory in proportion to its failures."""

    def __init__(self, num_devices: int) -> None:
        self.num_devices = num_devices
        self._down: list[int] = []

    def __len__(self) -> int:
        return self.num_devices - len(self._down)

    def __iter__(self) -> Iterator[int]:
        edges = [0, *self._down, self.num_devices + 1]
        return chain.from_iterable(range(a + 1, b) for a, b in pairwise(edges))

    @property
    def down_count(self) -> int:
        return len(self._down)

    def take_down(self, device: int) -> None:
        insort(self._down, device)

    def bring_up(self, device: int) -> None:
        self._down.pop(bisect_left(self._down, device))

    def position(self, device: int) -> int:
        """Where a live device comes in the sending order (0-based)."""
        return device - 1 - bisect_left(self._down, device)

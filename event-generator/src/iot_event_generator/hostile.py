"""A catalogue of malformed events, one case for each kind of bad input the monitor
must send to its dead-letter topic instead of processing or crashing on.

    from iot_event_generator import hostile
    for case in hostile.cases(TimeUnit.SECONDS):
        key, value = case.record("device-0001", now=time.time())

Each case has a stable `name` (also the event id, where the payload has one, as
`hostile-<name>`), a plain-words `problem`, a word its dead-letter reason must contain
(`reason_word`), and builds the record's bytes. The cases are data,
`hostile_records.json` next to this module, which the monitor's tests (in Python and
in Java) read too; its "placeholders" say how a payload is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from iot_event_generator.settings import TimeUnit
from iot_event_generator.wire import Record

CATALOGUE = "hostile_records.json"
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True, slots=True)
class HostileCase:
    name: str
    problem: str
    reason_word: str
    payload: str | None  # the template; None for a tombstone
    fits_in_lines: bool = True  # can be one line of a JSON-lines file
    seconds_only: bool = False  # bad only when times are in seconds

    def record(
        self, device_id: str, *, now: float, time_unit: TimeUnit = TimeUnit.SECONDS
    ) -> Record:
        """(key, value) of this case for `device_id`, with times relative to `now`
        (epoch seconds)."""
        if self.payload is None:
            return device_id.encode(), None
        value = bytearray()
        at = 0
        for placeholder in _PLACEHOLDER.finditer(self.payload):
            value += self.payload[at : placeholder.start()].encode()
            value += self._expand(placeholder.group(1), device_id, now, time_unit)
            at = placeholder.end()
        value += self.payload[at:].encode()
        return device_id.encode(), bytes(value)

    def _expand(self, key: str, device_id: str, now: float, time_unit: TimeUnit) -> bytes:
        kind, _, argument = key.partition(":")
        if key == "event-id":
            text = f"hostile-{self.name}"
        elif key == "device-id":
            text = json.dumps(device_id)
        elif key == "time":
            text = str(time_unit.from_epoch_seconds(now))
        elif key.startswith("time+"):
            text = str(time_unit.from_epoch_seconds(now + int(key.removeprefix("time+"))))
        elif key == "time-in-ms":
            text = str(TimeUnit.MILLISECONDS.from_epoch_seconds(now))
        elif kind == "repeat":
            count, _, repeated = argument.partition(":")
            text = repeated * int(count)
        elif kind == "byte":
            return bytes([int(argument, 16)])
        else:
            raise ValueError(f"hostile case {self.name}: unknown placeholder ${{{key}}}")
        return text.encode()


@cache
def all_cases() -> tuple[HostileCase, ...]:
    """Every case of the catalogue, in its order."""
    text = resources.files("iot_event_generator").joinpath(CATALOGUE).read_text(encoding="utf-8")
    return tuple(HostileCase(**entry) for entry in json.loads(text)["cases"])


def cases(time_unit: TimeUnit = TimeUnit.SECONDS, *, for_lines: bool = False) -> list[HostileCase]:
    """The cases that are bad for `time_unit`; with `for_lines`, only those that a
    JSON-lines file can hold (no tombstone, no empty line)."""
    return [
        case
        for case in all_cases()
        if (time_unit is TimeUnit.SECONDS or not case.seconds_only)
        and (case.fits_in_lines or not for_lines)
    ]


def case(name: str) -> HostileCase:
    for candidate in all_cases():
        if candidate.name == name:
            return candidate
    raise KeyError(f"no hostile case named {name!r}")

"""A catalogue of malformed events, one case for each kind of bad input the monitor
must send to its dead-letter topic instead of processing or crashing on.

    from iot_event_generator import hostile
    for case in hostile.cases(TimeUnit.SECONDS):
        key, value = case.record("device-0001", now=time.time())

Each case has a stable `name` (also the event id, where the payload has one, as
`hostile-<name>`), a plain-words `problem`, and builds the record's bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from iot_event_generator.settings import TimeUnit
from iot_event_generator.wire import Record

OVERSIZE_BYTES = 70 * 1024  # above the monitor's default limit of 64 KiB
LONG_DEVICE_ID_CHARS = 20_000  # far above any sensible id, below the size limit
NESTING_DEPTH = 30_000  # deeper than any recursive parser's stack, below the size limit
YEAR_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Context:
    name: str
    device_id: str
    now: float  # epoch seconds
    time_unit: TimeUnit

    @property
    def time(self) -> int:
        return self.time_unit.from_epoch_seconds(self.now)

    def event(self, device: str | None = "ok", time: str | None = "ok", extra: str = "") -> bytes:
        """An event whose device-id and time are the given raw JSON fragments ("ok" for
        a valid value, None to leave the field out)."""
        fields = [f'"event-id": "hostile-{self.name}"']
        if device is not None:
            fields.append(
                '"device-id": ' + (json.dumps(self.device_id) if device == "ok" else device)
            )
        if time is not None:
            fields.append('"time": ' + (str(self.time) if time == "ok" else time))
        return ("{" + ", ".join(fields) + extra + "}").encode()


@dataclass(frozen=True, slots=True)
class HostileCase:
    name: str
    problem: str
    build: Callable[[Context], bytes | None]
    fits_in_lines: bool = True  # can be one line of a JSON-lines file
    seconds_only: bool = False  # bad only when times are in seconds

    def record(
        self, device_id: str, *, now: float, time_unit: TimeUnit = TimeUnit.SECONDS
    ) -> Record:
        """(key, value) of this case for `device_id`, with times relative to `now`."""
        value = self.build(Context(self.name, device_id, now, time_unit))
        return device_id.encode(), value


def _scaled(ctx: Context, seconds: float) -> str:
    return str(ctx.time_unit.from_epoch_seconds(seconds))


C = HostileCase
CASES: tuple[HostileCase, ...] = (
    C(
        "not-utf8",
        "the payload is not valid UTF-8",
        lambda c: c.event(device='"device-\xff"').replace(b"\xc3\xbf", b"\xff"),
    ),
    C("not-json", "the payload is not JSON", lambda c: b"device-0001 says hello"),
    C("trailing-garbage", "valid JSON followed by garbage", lambda c: c.event() + b" }{"),
    C("bom", "JSON preceded by a UTF-8 byte order mark", lambda c: b"\xef\xbb\xbf" + c.event()),
    C(
        "deep-nesting",
        f"arrays nested {NESTING_DEPTH} deep",
        lambda c: c.event(extra=', "extra": ' + "[" * NESTING_DEPTH + "]" * NESTING_DEPTH),
    ),
    C("array", "an array of events instead of one object", lambda c: b"[" + c.event() + b"]"),
    C(
        "not-object",
        "a JSON string instead of an object",
        lambda c: json.dumps(c.device_id).encode(),
    ),
    C("empty", "an empty value", lambda c: b"", fits_in_lines=False),
    C("tombstone", "no value at all (a tombstone)", lambda c: None, fits_in_lines=False),
    C(
        "oversize",
        f"a payload of more than {OVERSIZE_BYTES} bytes",
        lambda c: c.event(extra=', "padding": "' + "x" * OVERSIZE_BYTES + '"'),
    ),
    C("device-id-missing", "no device-id", lambda c: c.event(device=None)),
    C("device-id-null", "device-id is null", lambda c: c.event(device="null")),
    C("device-id-empty", "device-id is an empty string", lambda c: c.event(device='""')),
    C("device-id-number", "device-id is a number", lambda c: c.event(device="42")),
    C(
        "device-id-too-long",
        f"device-id of {LONG_DEVICE_ID_CHARS} characters",
        lambda c: c.event(device='"' + "d" * LONG_DEVICE_ID_CHARS + '"'),
    ),
    C(
        "device-id-nul",
        "device-id holds a NUL character",
        lambda c: c.event(device='"device-\\u00000001"'),
    ),
    C(
        "device-id-control",
        "device-id holds a terminal escape sequence",
        lambda c: c.event(device='"device-\\u001b[31m0001"'),
    ),
    C(
        "device-id-lone-surrogate",
        "device-id holds a lone UTF-16 surrogate",
        lambda c: c.event(device='"device-\\ud8000001"'),
    ),
    C("time-missing", "no time", lambda c: c.event(time=None)),
    C("time-null", "time is null", lambda c: c.event(time="null")),
    C("time-string", "time is a string of digits", lambda c: c.event(time=f'"{c.time}"')),
    C("time-bool", "time is a boolean", lambda c: c.event(time="true")),
    C("time-nan", "time is NaN", lambda c: c.event(time="NaN")),
    C("time-infinity", "time is Infinity", lambda c: c.event(time="Infinity")),
    C("time-negative-infinity", "time is -Infinity", lambda c: c.event(time="-Infinity")),
    C("time-overflow", "time overflows a double (1e999)", lambda c: c.event(time="1e999")),
    C("time-zero", "time is zero", lambda c: c.event(time="0")),
    C("time-negative", "time is negative", lambda c: c.event(time="-" + str(c.time))),
    C(
        "time-far-future",
        "time is a year ahead of the clock",
        lambda c: c.event(time=_scaled(c, c.now + YEAR_SECONDS)),
    ),
    C(
        "time-in-milliseconds",
        "time looks like milliseconds although the unit is seconds",
        lambda c: c.event(time=str(TimeUnit.MILLISECONDS.from_epoch_seconds(c.now))),
        seconds_only=True,
    ),
)


def cases(time_unit: TimeUnit = TimeUnit.SECONDS, *, for_lines: bool = False) -> list[HostileCase]:
    """The cases that are bad for `time_unit`; with `for_lines`, only those that a
    JSON-lines file can hold (no tombstone, no empty line)."""
    return [
        case
        for case in CASES
        if (time_unit is TimeUnit.SECONDS or not case.seconds_only)
        and (case.fits_in_lines or not for_lines)
    ]


def case(name: str) -> HostileCase:
    for candidate in CASES:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no hostile case named {name!r}")

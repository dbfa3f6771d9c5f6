"""The reference model of the rules for bad input (the README's "Dead letter"
paragraph) that the Java `EventValidation`
(jvm/monitor-functions) is tested against: one record's value becomes an event or a
reason, never an exception.

It reads JSON with orjson, whose rules (what overflows, how deep is too deep, that a
lone surrogate is not JSON) the Java side follows. Its reasons are the Java side's
word for word, except after "not JSON: ", where each side names the parser's problem
in its own words.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import orjson

MAX_PAYLOAD_BYTES = 64 * 1024
MAX_DEVICE_ID_CHARS = 256
# Epoch seconds beyond this are year 5138 and later: such a value is milliseconds.
SECONDS_THAT_LOOK_LIKE_MS = 100_000_000_000
UTF8_BOM = b"\xef\xbb\xbf"


class Event(NamedTuple):
    device_id: str
    time_ms: int


class Rejection(NamedTuple):
    reason: str


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _decode(payload: bytes | None) -> object | Rejection:
    if payload is None:
        return Rejection("tombstone: the record has no value")
    if not payload:
        return Rejection("empty value")
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Rejection(
            f"payload of {len(payload)} bytes is over the {MAX_PAYLOAD_BYTES}-byte limit"
        )
    if payload.startswith(UTF8_BOM):
        return Rejection("not JSON: starts with a UTF-8 byte-order mark")
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejection(f"not UTF-8: invalid byte at offset {exc.start}")
    try:
        document: object = orjson.loads(payload)
    # orjson raises JSONDecodeError for bad syntax, but a decoder must never take the
    # job down, whatever it raises (recursion, memory): one poison record, one reason.
    except Exception as exc:
        return Rejection(f"not JSON: {exc}")
    return document


def _device_id_problem(device_id: object) -> str | None:
    if device_id is None:
        return "device-id is missing or null"
    if not isinstance(device_id, str):
        return f"device-id must be a string, got {_kind(device_id)}"
    if not device_id:
        return "device-id is empty"
    if len(device_id) > MAX_DEVICE_ID_CHARS:
        return f"device-id is longer than {MAX_DEVICE_ID_CHARS} characters"
    for char in device_id:
        code = ord(char)
        if code < 0x20 or 0x7F <= code <= 0x9F:
            return "device-id contains a control character"
        if 0xD800 <= code <= 0xDFFF:
            return "device-id contains a lone surrogate"
    return None


def _time_ms(
    value: object, ms_per_unit: int, now_ms: int, max_future_skew_ms: int
) -> int | Rejection:
    if value is None:
        return Rejection("time is missing or null")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Rejection(f"time must be a number, got {_kind(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        return Rejection("time must be a finite number")
    if value <= 0:
        return Rejection(f"time must be positive, got {value}")
    if ms_per_unit != 1 and value >= SECONDS_THAT_LOOK_LIKE_MS:
        return Rejection(
            f"time {value} looks like milliseconds but the unit is seconds (see --time-unit ms)"
        )
    time_ms = int(value * ms_per_unit) if isinstance(value, float) else value * ms_per_unit
    ahead_ms = time_ms - now_ms
    if ahead_ms > max_future_skew_ms:
        return Rejection(
            f"time is {ahead_ms / 1000:.0f} s ahead of the wall clock "
            f"(more than the {max_future_skew_ms / 1000:.0f} s allowed)"
        )
    return time_ms


def parse_event(
    payload: bytes | None, ms_per_unit: int, now_ms: int, max_future_skew_ms: int
) -> Event | Rejection:
    """The event in `payload`, or why it cannot be used; `ms_per_unit` is 1000 when
    times are epoch seconds, 1 when they are milliseconds."""
    document = _decode(payload)
    if isinstance(document, Rejection):
        return document
    if not isinstance(document, dict):
        return Rejection(f"not a JSON object, got {_kind(document)}")
    problem = _device_id_problem(document.get("device-id"))
    if problem:
        return Rejection(problem)
    time_ms = _time_ms(document.get("time"), ms_per_unit, now_ms, max_future_skew_ms)
    if isinstance(time_ms, Rejection):
        return time_ms
    return Event(document["device-id"], time_ms)

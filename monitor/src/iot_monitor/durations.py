"""Command-line durations: `30`, `30s`, `500ms`, `1m`, `24h`, `7d`; a bare number is seconds."""

from __future__ import annotations

import re

_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")


def parse_duration_ms(text: str) -> int:
    match = _PATTERN.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration (examples: 30s, 500ms, 1m, 24h, 0)")
    number, unit = match.groups()
    return round(float(number) * _UNITS_MS[unit or "s"])


def duration_text(ms: int) -> str:
    """`ms` in the largest unit that divides it: 90000 -> 90s, 900000 -> 15m."""
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"

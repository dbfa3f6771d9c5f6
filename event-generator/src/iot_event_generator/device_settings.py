"""The device settings that go with a mixed fleet: for each class, an inactivity
timeout that fits its interval, as records of the monitor's settings topic
(`pattern:<name>-*` -> `{"inactivity-timeout": "..."}`) or lines of a replay's
settings file (`{"key": ..., "time": ..., "value": {...}}`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iot_event_generator.fleet import DeviceClass

MIN_MARGIN_SECONDS = 30.0
# Units of the monitor's durations, largest first, in milliseconds.
DURATION_UNITS_MS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000))


def inactivity_timeout_ms(interval_seconds: float) -> int:
    """The timeout of a class that reports every `interval_seconds`."""
    # Three intervals: a device is alerted once it has missed two reports in a row,
    # not for a single lost or late one, and one that stopped is still found within a
    # few of its intervals. At least the interval plus 30 s: the monitor looks only at
    # its checks (every 30 s by default) and an event takes a moment to arrive, so a
    # fast class (every 5 s) would otherwise be alerted for a hiccup of seconds.
    seconds = max(3 * interval_seconds, interval_seconds + MIN_MARGIN_SECONDS)
    return round(seconds * 1000)


def format_duration_ms(ms: int) -> str:
    """`ms` in the monitor's duration syntax, in the largest unit that is exact:
    10800000 -> `3h`, 35000 -> `35s`, 30333 -> `30333ms`."""
    for unit, unit_ms in DURATION_UNITS_MS:
        if ms % unit_ms == 0:
            return f"{ms // unit_ms}{unit}"
    return f"{ms}ms"


@dataclass(frozen=True, slots=True)
class DeviceSetting:
    key: str
    value: dict[str, Any]

    def kafka_record(self) -> tuple[bytes, bytes]:
        return self.key.encode(), json.dumps(self.value).encode()

    def file_line(self, time_value: int) -> str:
        return json.dumps({"key": self.key, "time": time_value, "value": self.value})


def class_settings(classes: Sequence[DeviceClass]) -> list[DeviceSetting]:
    """One setting per class, in the order given: its devices' inactivity timeout."""
    return [
        DeviceSetting(
            f"pattern:{c.name}-*",
            {"inactivity-timeout": format_duration_ms(inactivity_timeout_ms(c.interval_seconds))},
        )
        for c in classes
    ]


def write_settings_file(path: str, settings: Sequence[DeviceSetting], time_value: int) -> None:
    """The settings as JSON lines, each applying from `time_value` (in the events' unit)."""
    text = "".join(setting.file_line(time_value) + "\n" for setting in settings)
    Path(path).write_text(text, encoding="utf-8")

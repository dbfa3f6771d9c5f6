"""The generator's settings: one typed object, validated once, from the command line
and the environment."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from iot_event_generator.fleet import DEFAULT_CLASS_NAME, DeviceClass, rounds_in

STDOUT = "-"

# The command-line flag of each field, so that a validation error names what the
# operator typed rather than a Python attribute.
FLAGS = {
    "bootstrap_servers": "--kafka.bootstrap.servers",
    "topic": "--topic",
    "num_devices": "--num.devices",
    "event_interval_ms": "--event.interval.ms",
    "duration_seconds": "--duration.seconds",
    "failure_probability": "--failure.probability",
    "recovery_probability": "--recovery.probability",
    "time_unit": "--time-unit",
    "seed": "--seed",
    "truth_file": "--truth-file",
    "output": "--output",
    "start_time": "--start-time",
    "no_sleep": "--no-sleep",
    "rate": "--rate",
    "quiet": "--quiet",
    "bad_fraction": "--bad-fraction",
    "kafka_properties": "--kafka.property",
    "connect_timeout_seconds": "--connect-timeout",
    "device_classes": "--device-class",
    "settings_topic": "--settings.topic",
    "settings_file": "--settings-file",
}

MAX_DEVICES = 10_000_000
# The duration syntax of the monitor's flags and of its inactivity-timeout setting:
# 30 (seconds), 30s, 500ms, 1m, 24h, 7d.
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
DURATION_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
CLASS_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
# A class's inactivity timeout is three of its intervals (device_settings.py), and
# the monitor takes timeouts of up to 366 days.
MAX_CLASS_INTERVAL_SECONDS = 122 * 86400


class TimeUnit(StrEnum):
    SECONDS = "s"
    MILLISECONDS = "ms"

    def from_epoch_seconds(self, epoch_seconds: float) -> int:
        """An instant as the integer the wire format carries in this unit."""
        scale = 1000 if self is TimeUnit.MILLISECONDS else 1
        return math.floor(epoch_seconds * scale)


class GeneratorSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    bootstrap_servers: str = Field("localhost:9092", min_length=1)
    topic: str = Field("events", min_length=1, max_length=249, pattern=r"^[A-Za-z0-9._-]+$")
    num_devices: int = Field(10, ge=1, le=10_000_000)
    event_interval_ms: float = Field(10, gt=0)
    duration_seconds: float = Field(60, gt=0)
    failure_probability: float = Field(0.1, ge=0, le=1)
    recovery_probability: float = Field(0.0, ge=0, le=1)
    time_unit: TimeUnit = TimeUnit.SECONDS
    seed: int | None = Field(None, ge=0)
    truth_file: str | None = None
    output: str | None = None
    start_time: float | None = Field(None, gt=0)
    no_sleep: bool = False
    rate: float | None = Field(None, gt=0)
    quiet: bool = False
    bad_fraction: float = Field(0.0, ge=0, lt=1)
    kafka_properties: dict[str, str] = Field(default_factory=dict)
    connect_timeout_seconds: float = Field(10, gt=0)
    # A mixed fleet: classes of devices with intervals of their own (none: the
    # --num.devices devices, every --event.interval.ms).
    device_classes: tuple[DeviceClass, ...] = ()
    settings_topic: str | None = Field(
        None, min_length=1, max_length=249, pattern=r"^[A-Za-z0-9._-]+$"
    )
    settings_file: str | None = None

    @field_validator("start_time", mode="before")
    @classmethod
    def _parse_start_time(cls, value: Any) -> Any:
        return parse_instant(value) if isinstance(value, str) else value

    @field_validator("kafka_properties", mode="before")
    @classmethod
    def _parse_properties(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return value
        properties: dict[str, str] = {}
        for item in value:
            name, sep, setting = str(item).partition("=")
            if not sep or not name.strip():
                raise ValueError(f"expected KEY=VALUE, got {item!r}")
            properties[name.strip()] = setting
        return properties

    @field_validator("device_classes", mode="before")
    @classmethod
    def _parse_device_classes(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return value
        classes = tuple(parse_device_class(item) for item in value)
        names = [c.name for c in classes]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"class {repeated[0]!r} is given more than once")
        if sum(c.count for c in classes) > MAX_DEVICES:
            raise ValueError(f"the classes have more than {MAX_DEVICES:,} devices in all")
        return classes

    @model_validator(mode="after")
    def _check_combinations(self) -> GeneratorSettings:
        if self.start_time is not None and not self.no_sleep:
            raise ValueError(
                "--start-time needs --no-sleep (a live run stamps events with the clock)"
            )
        if self.device_classes:
            # model_fields_set: the fields given (the command line passes only the
            # flags given on it or by their variables).
            for field in ("num_devices", "event_interval_ms", "rate"):
                if field in self.model_fields_set:
                    raise ValueError(
                        f"{FLAGS[field]} does not go with --device-class"
                        " (each class gives its own count and interval)"
                    )
        elif self.settings_topic is not None or self.settings_file is not None:
            flag = "--settings.topic" if self.settings_topic is not None else "--settings-file"
            raise ValueError(
                f"{flag} needs --device-class (the settings are the classes' timeouts)"
            )
        return self

    @property
    def fleet_classes(self) -> tuple[DeviceClass, ...]:
        """The classes of the fleet: those given, or the one class of `device`s."""
        if self.device_classes:
            return self.device_classes
        return (DeviceClass(DEFAULT_CLASS_NAME, self.round_interval_seconds, self.num_devices),)

    @property
    def fleet_size(self) -> int:
        return sum(c.count for c in self.fleet_classes)

    @property
    def round_interval_seconds(self) -> float:
        """Time between two rounds, in each of which every live device sends one event
        (of a fleet without classes)."""
        if self.rate is not None:
            return self.num_devices / self.rate
        return self.event_interval_ms / 1000

    @property
    def total_rounds(self) -> int:
        return rounds_in(self.duration_seconds, self.round_interval_seconds)


def parse_duration_seconds(text: str) -> float:
    """Seconds from a duration such as `30` (seconds), `30s`, `500ms`, `1m`, `24h`, `7d`."""
    match = DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration (examples: 30s, 500ms, 1m, 24h)")
    number, unit = match.groups()
    return float(number) * DURATION_UNIT_SECONDS[unit or "s"]


def parse_device_class(item: Any) -> DeviceClass:
    """A class from `NAME:INTERVAL:COUNT` (`meter:1h:200`), checked."""
    if isinstance(item, DeviceClass):
        name, interval, count = item.name, item.interval_seconds, item.count
    else:
        parts = str(item).split(":")
        if len(parts) != 3:
            raise ValueError(f"expected NAME:INTERVAL:COUNT such as meter:1h:200, got {item!r}")
        name, interval_text, count_text = (part.strip() for part in parts)
        interval = parse_duration_seconds(interval_text)
        try:
            count = int(count_text)
        except ValueError:
            raise ValueError(f"the count of {item!r} is not a whole number") from None
    if not CLASS_NAME.match(name):
        raise ValueError(
            f"the class name {name!r} must be 1 to 200 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit"
        )
    if not 0.001 <= interval <= MAX_CLASS_INTERVAL_SECONDS:
        raise ValueError(f"the interval of class {name!r} must be from 1ms to 122d")
    if not 1 <= count <= MAX_DEVICES:
        raise ValueError(f"the count of class {name!r} must be from 1 to {MAX_DEVICES:,}")
    return DeviceClass(name, interval, count)


def parse_instant(text: str) -> float:
    """Epoch seconds from either a number or an ISO 8601 date-time (UTC if no zone)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not epoch seconds or an ISO 8601 date-time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()

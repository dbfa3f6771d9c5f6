"""The generator's settings: one typed object, validated once, from the command line
and the environment."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
}


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

    @model_validator(mode="after")
    def _check_combinations(self) -> GeneratorSettings:
        if self.start_time is not None and not self.no_sleep:
            raise ValueError(
                "--start-time needs --no-sleep (a live run stamps events with the clock)"
            )
        return self

    @property
    def round_interval_seconds(self) -> float:
        """Time between two rounds, in each of which every live device sends one event."""
        if self.rate is not None:
            return self.num_devices / self.rate
        return self.event_interval_ms / 1000

    @property
    def total_rounds(self) -> int:
        # The small tolerance keeps 60 s / 10 ms at 6000 rounds despite float rounding.
        return max(1, math.ceil(self.duration_seconds / self.round_interval_seconds - 1e-9))


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

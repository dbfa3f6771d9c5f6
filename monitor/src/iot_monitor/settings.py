"""The monitor's settings: one typed object, validated once, naming the flag at fault."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from iot_monitor.rules import AlertRules
from iot_monitor.timeunit import TimeUnit

# The broker refuses transactions longer than its transaction.max.timeout.ms (15 min by default).
BROKER_MAX_TRANSACTION_MS = 15 * 60_000


class DeliveryGuarantee(StrEnum):
    EXACTLY_ONCE = "exactly-once"
    AT_LEAST_ONCE = "at-least-once"


Positive = Annotated[int, Field(gt=0)]
NonNegative = Annotated[int, Field(ge=0)]


class MonitorSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kafka_bootstrap_servers: str = "localhost:9092"
    kafka_properties: dict[str, str] = Field(default_factory=dict)
    events_topic: str = Field("events", min_length=1)
    alerts_topic: str = Field("alerts", min_length=1)
    dlq_topic: str = Field("events-dlq", min_length=1)
    group_id: str = Field("iot-monitor", min_length=1)
    starting_offsets: str = "group-offsets"
    checkpoint_dir: str = "file:///tmp/flink-checkpoints"
    checkpoint_interval_ms: Positive = 10_000
    parallelism: Annotated[int, Field(ge=1, le=1024)] = 2
    delivery_guarantee: DeliveryGuarantee = DeliveryGuarantee.EXACTLY_ONCE
    transactional_id_prefix: str = Field("iot-monitor", min_length=1)
    transaction_timeout_ms: Positive = 10 * 60_000
    restore_from: str | None = None
    resume_latest: bool = False
    time_unit: TimeUnit = TimeUnit.SECONDS
    check_interval_ms: Positive = 30_000
    inactivity_timeout_ms: NonNegative = 60_000
    max_out_of_orderness_ms: NonNegative = 5_000
    idle_timeout_ms: Positive = 30_000
    device_expiry_ms: NonNegative = 86_400_000
    max_future_skew_ms: NonNegative = 300_000

    @field_validator("starting_offsets")
    @classmethod
    def _known_starting_offsets(cls, value: str) -> str:
        if value in ("group-offsets", "earliest", "latest"):
            return value
        try:
            starting_timestamp_ms(value)
        except ValueError:
            raise ValueError(
                "must be group-offsets, earliest, latest, epoch milliseconds "
                "or an ISO-8601 time such as 2026-01-31T12:00:00Z"
            ) from None
        return value

    @field_validator("transaction_timeout_ms")
    @classmethod
    def _below_broker_maximum(cls, value: int) -> int:
        if value >= BROKER_MAX_TRANSACTION_MS:
            raise ValueError("must stay below the broker's 15 min transaction.max.timeout.ms")
        return value

    @model_validator(mode="after")
    def _expiry_after_timeout(self) -> MonitorSettings:
        if self.device_expiry_ms and self.device_expiry_ms <= self.inactivity_timeout_ms:
            raise ValueError(
                "device_expiry_ms: must be 0 (never) or longer than --inactivity-timeout"
            )
        return self

    @property
    def rules(self) -> AlertRules:
        return AlertRules(
            check_interval_ms=self.check_interval_ms,
            inactivity_timeout_ms=self.inactivity_timeout_ms,
            device_expiry_ms=self.device_expiry_ms,
        )


def starting_timestamp_ms(value: str) -> int:
    if value.isdigit():
        return int(value)
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def flag_name(field: str) -> str:
    """The command-line flag that sets a settings field."""
    return FLAGS.get(field, "--" + field.replace("_ms", "").replace("_", "-"))


FLAGS = {
    "kafka_bootstrap_servers": "--kafka.bootstrap.servers",
    "kafka_properties": "--kafka.property",
    "events_topic": "--events.topic",
    "alerts_topic": "--alerts.topic",
    "dlq_topic": "--dlq.topic",
    "checkpoint_dir": "--checkpoint.dir",
    "checkpoint_interval_ms": "--checkpoint.interval",
}


def describe_errors(error: ValidationError) -> list[str]:
    """One line per bad flag, in words, e.g. `--parallelism: must be at least 1`."""
    lines = []
    for problem in error.errors():
        message = str(problem["msg"]).removeprefix("Value error, ")
        field = str(problem["loc"][0]) if problem["loc"] else ""
        if not field and ": " in message:
            field, message = message.split(": ", 1)
        lines.append(f"{flag_name(field)}: {message}")
    return lines

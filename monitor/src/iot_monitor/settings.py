"""The monitor's settings: one typed object, validated once, naming the flag at fault.

Each field is written once, here: its default as typed on the command line, its
flag, its help text and whether it is a duration. The commands' options, their
environment variables and the error messages are all made from these fields.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from iot_monitor.durations import parse_duration_ms
from iot_monitor.timeunit import TimeUnit

# The broker refuses transactions longer than its transaction.max.timeout.ms (15 min by default).
BROKER_MAX_TRANSACTION_MS = 15 * 60_000


class DeliveryGuarantee(StrEnum):
    EXACTLY_ONCE = "exactly-once"
    AT_LEAST_ONCE = "at-least-once"


Positive = Annotated[int, Field(gt=0)]
NonNegative = Annotated[int, Field(ge=0)]


def setting(
    default: Any = ...,
    *,
    flag: str,
    help: str,
    duration: bool = False,
    env: tuple[str, ...] = (),
    **field: Any,
) -> Any:
    """A settings field with its flag. A duration's default is text (`30s`), parsed
    like the flag's value; `env` names environment variables beyond MONITOR_<FLAG>."""
    extra: dict[str, Any] = {"flag": flag, "duration": duration, "env": list(env)}
    return Field(default, description=help, json_schema_extra=extra, **field)


class MonitorSettings(BaseModel):
    # validate_default: a duration's default is text, made milliseconds like a flag's value.
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    kafka_bootstrap_servers: str = setting(
        "localhost:9092",
        flag="--kafka.bootstrap.servers",
        help="Kafka brokers, host:port[,...].",
        env=("KAFKA_BOOTSTRAP_SERVERS",),
    )
    kafka_properties: dict[str, str] = setting(
        default_factory=dict,
        flag="--kafka.property",
        help="Extra Kafka client setting KEY=VALUE for the source and the sinks, repeatable "
        "(TLS/SASL: security.protocol=SASL_SSL, sasl.mechanism=..., sasl.jaas.config=...). "
        "From the environment: several separated by ';'.",
    )
    events_topic: str = setting(
        "events", flag="--events.topic", help="Topic the devices' events arrive on.", min_length=1
    )
    alerts_topic: str = setting(
        "alerts", flag="--alerts.topic", help="Topic the alerts are written to.", min_length=1
    )
    dlq_topic: str = setting(
        "events-dlq",
        flag="--dlq.topic",
        help="Dead-letter topic for events that cannot be used.",
        min_length=1,
    )
    status_topic: str = setting(
        "device-status",
        flag="--status.topic",
        help="Topic the devices' status changes (silent, back, forgotten) are written to, "
        "in the alerts' transactions; empty turns them off.",
    )
    settings_topic: str = setting(
        "device-settings",
        flag="--settings.topic",
        help="Compacted topic of per-device settings (timeouts, pauses, expected devices), "
        "keyed by device id or pattern:<glob>; empty turns them off.",
    )
    group_id: str = setting(
        "iot-monitor",
        flag="--group-id",
        help="Kafka consumer group of the events source.",
        min_length=1,
    )
    starting_offsets: str = setting(
        "group-offsets",
        flag="--starting-offsets",
        help="Where a first start (no checkpoint or savepoint) reads from: group-offsets "
        "(the group's committed offsets, else earliest), earliest, latest, or a time "
        "(epoch ms or ISO-8601).",
    )
    checkpoint_dir: str = setting(
        "file:///tmp/flink-checkpoints",
        flag="--checkpoint.dir",
        help="Where checkpoints are kept (URI).",
    )
    checkpoint_interval_ms: Positive = setting(
        "10s",
        flag="--checkpoint.interval",
        help="Time between checkpoints; alerts commit with each.",
        duration=True,
    )
    parallelism: Annotated[int, Field(ge=1, le=1024)] = setting(
        2, flag="--parallelism", help="Parallel instances of each operator."
    )
    delivery_guarantee: DeliveryGuarantee = setting(
        DeliveryGuarantee.EXACTLY_ONCE,
        flag="--delivery-guarantee",
        help="exactly-once writes alerts in transactions committed with each checkpoint; "
        "at-least-once is faster to show them but may repeat one after a crash.",
    )
    transactional_id_prefix: str = setting(
        "iot-monitor",
        flag="--transactional-id-prefix",
        help="Prefix of the alert producer's transactional ids; unique per deployment.",
        min_length=1,
    )
    transaction_timeout_ms: Positive = setting(
        "10m",
        flag="--transaction-timeout",
        help="Producer transaction timeout; below the broker's maximum.",
        duration=True,
    )
    restore_from: str | None = setting(
        None,
        flag="--restore-from",
        help="Resume from this savepoint or checkpoint; a checkpoint folder resumes from its "
        "newest.",
    )
    resume_latest: bool = setting(
        False,
        flag="--resume-latest",
        help="On start, resume from the newest checkpoint in --checkpoint.dir when there is one "
        "(a local folder); start fresh otherwise. For restarts without a cluster's HA.",
    )
    jobmanager: str | None = setting(
        None,
        flag="--jobmanager",
        help="Submit the job to the running Flink cluster whose JobManager's REST API is at "
        "HOST:PORT, detached: print its job id and exit. Without it the job runs in this process.",
    )
    time_unit: TimeUnit = setting(
        TimeUnit.SECONDS, flag="--time-unit", help="Unit of the events' time field."
    )
    check_interval_ms: Positive = setting(
        "30s",
        flag="--check-interval",
        help="Checks run at every multiple of this since the epoch.",
        duration=True,
    )
    inactivity_timeout_ms: NonNegative = setting(
        "60s",
        flag="--inactivity-timeout",
        help="A device silent for longer than this gets an alert.",
        duration=True,
    )
    max_out_of_orderness_ms: NonNegative = setting(
        "5s",
        flag="--max-out-of-orderness",
        help="How late an event may arrive and still count.",
        duration=True,
    )
    idle_timeout_ms: Positive = setting(
        "30s",
        flag="--idle-timeout",
        help="A partition read to its end for this long, the broker answering, stops holding "
        "time back; when all are idle, the wall clock drives the checks.",
        duration=True,
    )
    device_expiry_ms: NonNegative = setting(
        "24h",
        flag="--device-expiry",
        help="Forget a device silent for longer than this (0 = never).",
        duration=True,
    )
    max_future_skew_ms: NonNegative = setting(
        "5m",
        flag="--max-future-skew",
        help="Events further ahead of the wall clock than this are rejected.",
        duration=True,
    )
    # Flink's default port widened to a range: a local run beside a local session
    # cluster, whose every process has a reporter of its own, takes the next free one.
    metrics_port: str = setting(
        "9249-9259",
        flag="--metrics.port",
        help="Port, or range FROM-TO of which the first free one, where a job run in this "
        "process serves its metrics for Prometheus (/metrics); empty turns it off. A "
        "cluster's processes serve theirs as its Flink configuration says.",
    )

    @field_validator("*", mode="before")
    @classmethod
    def _durations_from_text(cls, value: Any, info: ValidationInfo) -> Any:
        # Text is a duration as typed on the command line; a number is milliseconds.
        if isinstance(value, str) and is_duration(cls.model_fields[info.field_name or ""]):
            return parse_duration_ms(value)
        return value

    @field_validator("kafka_properties", mode="before")
    @classmethod
    def _properties_from_text(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return kafka_properties(value)
        return value

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

    @field_validator("jobmanager")
    @classmethod
    def _host_and_port(cls, value: str | None) -> str | None:
        host, _, port = (value or "").rpartition(":")
        if value is not None and not (host and port.isdigit() and 0 < int(port) < 65536):
            raise ValueError("must be HOST:PORT of the JobManager's REST API, e.g. localhost:8081")
        return value

    @field_validator("metrics_port")
    @classmethod
    def _port_or_range(cls, value: str) -> str:
        low, _, high = value.partition("-")
        ports = [low, high or low]
        if value and not (
            all(p.isdigit() and 0 < int(p) < 65536 for p in ports) and int(low) <= int(ports[1])
        ):
            raise ValueError("must be a port or a range FROM-TO, e.g. 9249 or 9249-9259")
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
                "device_expiry_ms: must be 0 (never) or longer than "
                + flag_name("inactivity_timeout_ms")
            )
        return self


def kafka_properties(values: list[str] | tuple[str, ...]) -> dict[str, str]:
    """KEY=VALUE items, each value possibly several separated by ';' (as from the environment)."""
    properties = {}
    for value in values:
        for item in filter(None, value.split(";")):
            key, sep, setting_value = item.partition("=")
            if not sep or not key.strip():
                raise ValueError(f"{item!r} is not KEY=VALUE")
            properties[key.strip()] = setting_value.strip()
    return properties


def starting_timestamp_ms(value: str) -> int:
    if value.isdigit():
        return int(value)
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def _extra(field: FieldInfo) -> dict[str, Any]:
    extra = field.json_schema_extra
    assert isinstance(extra, dict), "every settings field is declared with setting()"
    return extra


def flag_of(field: FieldInfo) -> str:
    return str(_extra(field)["flag"])


def is_duration(field: FieldInfo) -> bool:
    return bool(_extra(field)["duration"])


def extra_env(field: FieldInfo) -> list[str]:
    return [str(name) for name in _extra(field)["env"]]


def flag_name(field: str) -> str:
    """The command-line flag that sets a settings field."""
    known = MonitorSettings.model_fields.get(field)
    return flag_of(known) if known else field


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

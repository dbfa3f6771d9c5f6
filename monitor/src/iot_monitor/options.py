"""The monitor's flags, declared once for every command, and turning their raw
values into one validated settings object."""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from iot_monitor.durations import parse_duration_ms
from iot_monitor.settings import DeliveryGuarantee, MonitorSettings, describe_errors
from iot_monitor.timeunit import TimeUnit


def _env(flag: str) -> str:
    return "MONITOR_" + re.sub(r"[.\-]", "_", flag.lstrip("-")).upper()


def _option(flag: str, help_text: str, *extra_env: str) -> Any:
    return typer.Option(flag, envvar=[_env(flag), *extra_env], help=help_text)


Bootstrap = Annotated[
    str,
    _option(
        "--kafka.bootstrap.servers", "Kafka brokers, host:port[,...].", "KAFKA_BOOTSTRAP_SERVERS"
    ),
]
KafkaProperty = Annotated[
    list[str] | None,
    _option(
        "--kafka.property",
        "Extra Kafka client setting KEY=VALUE for the source and the sinks, repeatable "
        "(TLS/SASL: security.protocol=SASL_SSL, sasl.mechanism=..., sasl.jaas.config=...). "
        "From the environment: several separated by ';'.",
    ),
]
EventsTopic = Annotated[str, _option("--events.topic", "Topic the devices' events arrive on.")]
AlertsTopic = Annotated[str, _option("--alerts.topic", "Topic the alerts are written to.")]
DlqTopic = Annotated[
    str, _option("--dlq.topic", "Dead-letter topic for events that cannot be used.")
]
GroupId = Annotated[str, _option("--group-id", "Kafka consumer group of the events source.")]
StartingOffsets = Annotated[
    str,
    _option(
        "--starting-offsets",
        "Where a first start (no checkpoint or savepoint) reads from: group-offsets "
        "(the group's committed offsets, else earliest), earliest, latest, or a time "
        "(epoch ms or ISO-8601).",
    ),
]
CheckpointDir = Annotated[str, _option("--checkpoint.dir", "Where checkpoints are kept (URI).")]
CheckpointInterval = Annotated[
    str, _option("--checkpoint.interval", "Time between checkpoints; alerts commit with each.")
]
Parallelism = Annotated[int, _option("--parallelism", "Parallel instances of each operator.")]
Delivery = Annotated[
    DeliveryGuarantee,
    _option(
        "--delivery-guarantee",
        "exactly-once writes alerts in transactions committed with each checkpoint; "
        "at-least-once is faster to show them but may repeat one after a crash.",
    ),
]
TransactionalIdPrefix = Annotated[
    str,
    _option(
        "--transactional-id-prefix",
        "Prefix of the alert producer's transactional ids; unique per deployment.",
    ),
]
TransactionTimeout = Annotated[
    str,
    _option("--transaction-timeout", "Producer transaction timeout; below the broker's maximum."),
]
RestoreFrom = Annotated[
    str | None,
    _option(
        "--restore-from",
        "Resume from this savepoint or checkpoint; a checkpoint folder resumes from its newest.",
    ),
]
ResumeLatest = Annotated[
    bool,
    _option(
        "--resume-latest",
        "On start, resume from the newest checkpoint in --checkpoint.dir when there is one "
        "(a local folder); start fresh otherwise. For restarts without a cluster's HA.",
    ),
]
Unit = Annotated[TimeUnit, _option("--time-unit", "Unit of the events' time field.")]
CheckInterval = Annotated[
    str, _option("--check-interval", "Checks run at every multiple of this since the epoch.")
]
InactivityTimeout = Annotated[
    str,
    _option("--inactivity-timeout", "A device silent for longer than this gets an alert."),
]
MaxOutOfOrderness = Annotated[
    str, _option("--max-out-of-orderness", "How late an event may arrive and still count.")
]
IdleTimeout = Annotated[
    str,
    _option(
        "--idle-timeout",
        "A partition with no events for this long stops holding time back; when all are "
        "idle, the wall clock drives the checks.",
    ),
]
DeviceExpiry = Annotated[
    str,
    _option("--device-expiry", "Forget a device silent for longer than this (0 = never)."),
]
MaxFutureSkew = Annotated[
    str,
    _option("--max-future-skew", "Events further ahead of the wall clock than this are rejected."),
]

DURATION_FLAGS = {
    "checkpoint_interval_ms": "--checkpoint.interval",
    "transaction_timeout_ms": "--transaction-timeout",
    "check_interval_ms": "--check-interval",
    "inactivity_timeout_ms": "--inactivity-timeout",
    "max_out_of_orderness_ms": "--max-out-of-orderness",
    "idle_timeout_ms": "--idle-timeout",
    "device_expiry_ms": "--device-expiry",
    "max_future_skew_ms": "--max-future-skew",
}


def _fail(lines: list[str]) -> typer.Exit:
    for line in lines:
        typer.echo(f"error: {line}", err=True)
    return typer.Exit(code=2)


def kafka_properties(values: list[str] | None) -> dict[str, str]:
    properties = {}
    for value in values or []:
        for item in filter(None, value.split(";")):
            key, sep, setting = item.partition("=")
            if not sep or not key.strip():
                raise _fail([f"--kafka.property: {item!r} is not KEY=VALUE"])
            properties[key.strip()] = setting.strip()
    return properties


def build_settings(**values: Any) -> MonitorSettings:
    """Settings from the flags' raw values, or a clean exit naming each bad flag."""
    for field, flag in DURATION_FLAGS.items():
        if field in values:
            try:
                values[field] = parse_duration_ms(values[field])
            except ValueError as exc:
                raise _fail([f"{flag}: {exc}"]) from None
    try:
        return MonitorSettings(**values)
    except ValidationError as exc:
        raise _fail(describe_errors(exc)) from None

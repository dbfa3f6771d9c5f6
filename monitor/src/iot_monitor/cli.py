"""`iot-monitor run` (Kafka to Kafka) and `iot-monitor replay FILE` (a file, bounded).

Every flag can also come from an environment variable named MONITOR_<FLAG>, e.g.
MONITOR_CHECK_INTERVAL for --check-interval.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from iot_monitor.durations import parse_duration_ms
from iot_monitor.settings import DeliveryGuarantee, MonitorSettings, describe_errors
from iot_monitor.timeunit import TimeUnit

app = typer.Typer(
    help="Raise an alert for every IoT device that fell silent.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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


def _kafka_properties(values: list[str] | None) -> dict[str, str]:
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


def _configure_logging() -> None:
    # A handler of our own: creating the Flink environment turns the root logger down
    # to WARNING, which would silence the product's own messages.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    product = logging.getLogger("iot_monitor")
    product.handlers[:] = [handler]
    product.setLevel(logging.INFO)
    product.propagate = False


@app.command()
def run(
    kafka_bootstrap_servers: Bootstrap = "localhost:9092",
    kafka_property: KafkaProperty = None,
    events_topic: EventsTopic = "events",
    alerts_topic: AlertsTopic = "alerts",
    dlq_topic: DlqTopic = "events-dlq",
    group_id: GroupId = "iot-monitor",
    starting_offsets: StartingOffsets = "group-offsets",
    checkpoint_dir: CheckpointDir = "file:///tmp/flink-checkpoints",
    checkpoint_interval: CheckpointInterval = "10s",
    parallelism: Parallelism = 2,
    delivery_guarantee: Delivery = DeliveryGuarantee.EXACTLY_ONCE,
    transactional_id_prefix: TransactionalIdPrefix = "iot-monitor",
    transaction_timeout: TransactionTimeout = "10m",
    restore_from: RestoreFrom = None,
    resume_latest: ResumeLatest = False,
    time_unit: Unit = TimeUnit.SECONDS,
    check_interval: CheckInterval = "30s",
    inactivity_timeout: InactivityTimeout = "60s",
    max_out_of_orderness: MaxOutOfOrderness = "5s",
    idle_timeout: IdleTimeout = "30s",
    device_expiry: DeviceExpiry = "24h",
    max_future_skew: MaxFutureSkew = "5m",
) -> None:
    """Read events from Kafka and write an alert for every silent device, until stopped."""
    settings = build_settings(
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        kafka_properties=_kafka_properties(kafka_property),
        events_topic=events_topic,
        alerts_topic=alerts_topic,
        dlq_topic=dlq_topic,
        group_id=group_id,
        starting_offsets=starting_offsets,
        checkpoint_dir=checkpoint_dir,
        checkpoint_interval_ms=checkpoint_interval,
        parallelism=parallelism,
        delivery_guarantee=delivery_guarantee,
        transactional_id_prefix=transactional_id_prefix,
        transaction_timeout_ms=transaction_timeout,
        restore_from=restore_from,
        resume_latest=resume_latest,
        time_unit=time_unit,
        check_interval_ms=check_interval,
        inactivity_timeout_ms=inactivity_timeout,
        max_out_of_orderness_ms=max_out_of_orderness,
        idle_timeout_ms=idle_timeout,
        device_expiry_ms=device_expiry,
        max_future_skew_ms=max_future_skew,
    )
    _configure_logging()
    from iot_monitor.job import run_job  # starts a JVM: only once the flags are good
    from iot_monitor.preflight import PreflightError

    try:
        run_job(settings)
    except PreflightError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None


@app.command()
def replay(
    events_file: Annotated[
        Path,
        typer.Argument(help="JSON-lines file of events", exists=True, dir_okay=False),
    ],
    time_unit: Unit = TimeUnit.SECONDS,
    check_interval: CheckInterval = "30s",
    inactivity_timeout: InactivityTimeout = "60s",
    max_out_of_orderness: MaxOutOfOrderness = "5s",
    device_expiry: DeviceExpiry = "24h",
    max_future_skew: MaxFutureSkew = "5m",
    parallelism: Parallelism = 1,
) -> None:
    """Run the same pipeline over a file and print its alerts as JSON lines, sorted.

    Bad lines go to stderr with their line number and reason. The same file always
    gives the same alerts; checks run up to the last multiple of the check interval
    that is not after the newest event time in the file.
    """
    settings = build_settings(
        time_unit=time_unit,
        check_interval_ms=check_interval,
        inactivity_timeout_ms=inactivity_timeout,
        max_out_of_orderness_ms=max_out_of_orderness,
        device_expiry_ms=device_expiry,
        max_future_skew_ms=max_future_skew,
        parallelism=parallelism,
    )
    _configure_logging()
    from iot_monitor.replay import replay_file

    replay_file(events_file, settings)


@app.command()
def watch(
    kafka_bootstrap_servers: Bootstrap = "localhost:9092",
    kafka_property: KafkaProperty = None,
    alerts_topic: AlertsTopic = "alerts",
    dlq_topic: DlqTopic = "events-dlq",
    time_unit: Unit = TimeUnit.SECONDS,
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Show alerts already in the topic too.")
    ] = False,
    seconds: Annotated[
        float | None, typer.Option("--seconds", help="Stop after this many seconds.")
    ] = None,
) -> None:
    """Show the alerts live as they are committed (what storage and dashboards see)."""
    settings = build_settings(
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        kafka_properties=_kafka_properties(kafka_property),
        alerts_topic=alerts_topic,
        dlq_topic=dlq_topic,
        time_unit=time_unit,
    )
    from iot_monitor.watch import watch as watch_alerts

    board = watch_alerts(settings, from_beginning, seconds)
    typer.echo(f"{board.alerts} alerts for {len(board.devices)} devices: {sorted(board.devices)}")


def main(argv: list[str] | None = None) -> int:
    try:
        # Outside standalone mode click returns the code of a typer.Exit instead of raising.
        result = app(args=argv, prog_name="iot-monitor", standalone_mode=False)
    except typer.Abort:
        return 130
    except Exception as exc:  # click's usage errors carry their own message
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        return int(getattr(exc, "exit_code", 2))
    return result if isinstance(result, int) else 0

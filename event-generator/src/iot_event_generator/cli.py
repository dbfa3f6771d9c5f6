"""The command line: `iot-event-generator [OPTIONS]`. Every flag can also come from
an environment variable (GENERATOR_<NAME>); see `--help`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from pydantic import ValidationError

from iot_event_generator.settings import FLAGS, GeneratorSettings

EXIT_USAGE = 2


class UsageProblem(Exception):
    """A flag's value is not acceptable; the message names the flag."""


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


def env(name: str) -> str:
    return "GENERATOR_" + name


# One alias per flag keeps the command's signature readable.
BootstrapServersFlag = Annotated[
    str,
    typer.Option(
        "--kafka.bootstrap.servers",
        envvar=[env("KAFKA_BOOTSTRAP_SERVERS"), "KAFKA_BOOTSTRAP_SERVERS"],
        help="Kafka brokers to send to, host:port[,host:port...].",
    ),
]

TopicFlag = Annotated[
    str,
    typer.Option(
        "--topic",
        envvar=env("TOPIC"),
        help="Kafka topic for the events (it must exist).",
    ),
]

NumDevicesFlag = Annotated[
    int,
    typer.Option(
        "--num.devices",
        envvar=env("NUM_DEVICES"),
        help="Devices in the fleet, named device-0001, device-0002, ...",
    ),
]

EventIntervalMsFlag = Annotated[
    int,
    typer.Option(
        "--event.interval.ms",
        envvar=env("EVENT_INTERVAL_MS"),
        help="Every this many milliseconds each live device sends one event.",
    ),
]

DurationSecondsFlag = Annotated[
    float,
    typer.Option(
        "--duration.seconds",
        envvar=env("DURATION_SECONDS"),
        help="Length of the run in seconds (simulated seconds with --no-sleep).",
    ),
]

FailureProbabilityFlag = Annotated[
    float,
    typer.Option(
        "--failure.probability",
        envvar=env("FAILURE_PROBABILITY"),
        help="Chance, 0 to 1, that a device fails at some moment during the run (not per event).",
    ),
]

RecoveryProbabilityFlag = Annotated[
    float,
    typer.Option(
        "--recovery.probability",
        envvar=env("RECOVERY_PROBABILITY"),
        help="Chance, 0 to 1, that a failed device comes back before the end of the run.",
    ),
]

TimeUnitFlag = Annotated[
    str,
    typer.Option(
        "--time-unit",
        envvar=env("TIME_UNIT"),
        help="Unit of the events' time: s (epoch seconds) or ms (epoch milliseconds).",
    ),
]

SeedFlag = Annotated[
    int | None,
    typer.Option(
        "--seed",
        envvar=env("SEED"),
        help="Seed for a reproducible fleet, failures and event sequence (random if not given).",
    ),
]

TruthFileFlag = Annotated[
    str | None,
    typer.Option(
        "--truth-file",
        envvar=env("TRUTH_FILE"),
        help="Write the ground truth (events sent, failed devices and when) to this JSON file.",
    ),
]

OutputFlag = Annotated[
    str | None,
    typer.Option(
        "--output",
        envvar=env("OUTPUT"),
        help="Write JSON lines to this file ('-' for standard output) instead of Kafka.",
    ),
]

StartTimeFlag = Annotated[
    str | None,
    typer.Option(
        "--start-time",
        envvar=env("START_TIME"),
        help="With --no-sleep: the simulated start, epoch seconds or ISO 8601"
        " (default: so that the run ends now).",
    ),
]

NoSleepFlag = Annotated[
    bool,
    typer.Option(
        "--no-sleep",
        envvar=env("NO_SLEEP"),
        help="Do not wait: send the whole run at once, stamped with simulated times.",
    ),
]

RateFlag = Annotated[
    float | None,
    typer.Option(
        "--rate",
        envvar=env("RATE"),
        help="Events per second of the whole fleet; replaces --event.interval.ms.",
    ),
]

QuietFlag = Annotated[
    bool,
    typer.Option(
        "--quiet",
        envvar=env("QUIET"),
        help="No progress line (the summary is still printed).",
    ),
]

BadFractionFlag = Annotated[
    float,
    typer.Option(
        "--bad-fraction",
        envvar=env("BAD_FRACTION"),
        help="Fraction, 0 to below 1, of all records that are malformed on purpose.",
    ),
]

KafkaPropertiesFlag = Annotated[
    list[str] | None,
    typer.Option(
        "--kafka.property",
        envvar=env("KAFKA_PROPERTY"),
        help="Extra Kafka client setting KEY=VALUE (TLS, SASL, tuning); repeatable.",
    ),
]

ConnectTimeoutFlag = Annotated[
    float,
    typer.Option(
        "--connect-timeout",
        envvar=env("CONNECT_TIMEOUT"),
        help="Seconds to wait for Kafka to answer before giving up.",
    ),
]


@app.command(
    help="Simulate a fleet of IoT devices, some of which fail, and send their events to "
    "Kafka (or a file). Ends with a summary of what was sent and which devices failed when."
)
def generate(
    bootstrap_servers: BootstrapServersFlag = "localhost:9092",
    topic: TopicFlag = "events",
    num_devices: NumDevicesFlag = 10,
    event_interval_ms: EventIntervalMsFlag = 10,
    duration_seconds: DurationSecondsFlag = 60,
    failure_probability: FailureProbabilityFlag = 0.1,
    recovery_probability: RecoveryProbabilityFlag = 0.0,
    time_unit: TimeUnitFlag = "s",
    seed: SeedFlag = None,
    truth_file: TruthFileFlag = None,
    output: OutputFlag = None,
    start_time: StartTimeFlag = None,
    no_sleep: NoSleepFlag = False,
    rate: RateFlag = None,
    quiet: QuietFlag = False,
    bad_fraction: BadFractionFlag = 0.0,
    kafka_properties: KafkaPropertiesFlag = None,
    connect_timeout: ConnectTimeoutFlag = 10,
) -> int:
    values = dict(locals())
    values["kafka_properties"] = values["kafka_properties"] or []
    values["connect_timeout_seconds"] = values.pop("connect_timeout")
    try:
        settings = GeneratorSettings.model_validate(values)
    except ValidationError as exc:
        raise UsageProblem(describe_error(exc)) from None
    from iot_event_generator.app import execute

    return execute(settings)


def describe_error(exc: ValidationError) -> str:
    """The first problem, naming the flag: `--num.devices: Input should be ...`."""
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    message = str(error["msg"]).removeprefix("Value error, ")
    if field not in FLAGS:
        return message
    if error["type"] != "value_error":
        message += f" (got {error['input']!r})"
    return f"{FLAGS[field]}: {message}"


def main(argv: list[str] | None = None) -> int:
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=sys.argv[1:] if argv is None else argv,
            prog_name="iot-event-generator",
            standalone_mode=False,
        )
    except typer.TyperException as exc:
        print(f"error: {exc.format_message()}", file=sys.stderr)
        return EXIT_USAGE
    except UsageProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return result if isinstance(result, int) else 0

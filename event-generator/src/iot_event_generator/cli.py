"""The command line: `iot-event-generator [OPTIONS]`. Every flag can also come from
an environment variable (GENERATOR_<NAME>); see `--help`."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from iot_event_generator.options import (
    BadFractionFlag,
    BootstrapServersFlag,
    ConnectTimeoutFlag,
    DeviceClassesFlag,
    DurationSecondsFlag,
    EventIntervalMsFlag,
    FailureProbabilityFlag,
    KafkaPropertiesFlag,
    NoSleepFlag,
    NumDevicesFlag,
    OutputFlag,
    QuietFlag,
    RateFlag,
    RecoveryProbabilityFlag,
    SeedFlag,
    SettingsFileFlag,
    SettingsTopicFlag,
    StartTimeFlag,
    TimeUnitFlag,
    TopicFlag,
    TruthFileFlag,
)
from iot_event_generator.settings import FLAGS, GeneratorSettings

EXIT_USAGE = 2


class UsageProblem(Exception):
    """A flag's value is not acceptable; the message names the flag."""


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command(
    help="Simulate a fleet of IoT devices, some of which fail, and send their events to "
    "Kafka (or a file). Ends with a summary of what was sent and which devices failed when."
)
def generate(
    ctx: typer.Context,
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
    device_classes: DeviceClassesFlag = None,
    settings_topic: SettingsTopicFlag = None,
    settings_file: SettingsFileFlag = None,
) -> int:
    flags = dict(locals())
    del flags["ctx"]
    # Only the flags given (on the command line or by their variables) go to the
    # settings, which have the same defaults: so they know which were given.
    values = {name: value for name, value in flags.items() if given(ctx, name)}
    if "connect_timeout" in values:
        values["connect_timeout_seconds"] = values.pop("connect_timeout")
    try:
        settings = GeneratorSettings.model_validate(values)
    except ValidationError as exc:
        raise UsageProblem(describe_error(exc)) from None
    from iot_event_generator.app import execute

    return execute(settings)


def given(ctx: typer.Context, name: str) -> bool:
    """Whether flag `name` was given on the command line or by its variable."""
    source = ctx.get_parameter_source(name)
    # By name: typer vendors its own click, whose ParameterSource is not click's.
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")


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

"""The command-line flags: one annotated type per flag, with its environment variable
(GENERATOR_<NAME>) and help text. The names and defaults follow the settings."""

from __future__ import annotations

from typing import Annotated

import typer


def env(name: str) -> str:
    return "GENERATOR_" + name


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

DeviceClassesFlag = Annotated[
    list[str] | None,
    typer.Option(
        "--device-class",
        envvar=env("DEVICE_CLASS"),
        metavar="NAME:INTERVAL:COUNT",
        help="A class of COUNT devices named NAME-0001, ... that each send every INTERVAL"
        " (30s, 500ms, 1m, 24h, 7d; a bare number is seconds), e.g. meter:1h:200;"
        " repeatable. The fleet is then these classes, instead of --num.devices devices"
        " every --event.interval.ms.",
    ),
]

SettingsTopicFlag = Annotated[
    str | None,
    typer.Option(
        "--settings.topic",
        envvar=env("SETTINGS_TOPIC"),
        help="With --device-class: write each class's inactivity timeout"
        " (pattern:NAME-* keys) to this Kafka topic, before the first event.",
    ),
]

SettingsFileFlag = Annotated[
    str | None,
    typer.Option(
        "--settings-file",
        envvar=env("SETTINGS_FILE"),
        help="With --device-class: write each class's inactivity timeout to this file,"
        " as `iot-monitor replay --settings` reads it (from the first event's time).",
    ),
]

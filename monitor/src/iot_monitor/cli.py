"""`iot-monitor run` (Kafka to Kafka), `iot-monitor replay FILE` (a file, bounded) and
`iot-monitor watch` (the alerts, live).

Each command names the settings it takes; their flags, defaults and help come from
the settings fields (settings.py). Every flag can also come from an environment
variable named MONITOR_<FLAG>, e.g. MONITOR_CHECK_INTERVAL for --check-interval.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from iot_monitor.options import takes_settings
from iot_monitor.settings import MonitorSettings

if TYPE_CHECKING:
    from iot_monitor.devices import Stored

app = typer.Typer(
    help="Raise an alert for every IoT device that fell silent.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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
@takes_settings(*MonitorSettings.model_fields)
def run(settings: MonitorSettings) -> None:
    """Read events from Kafka and write an alert for every silent device, until stopped.

    With --jobmanager, submit the same job to that Flink cluster, print its job id and exit.
    """
    _configure_logging()
    from iot_monitor.preflight import PreflightError

    try:
        if settings.jobmanager:
            from iot_monitor.submit import submit_job  # starts a JVM: only once the flags are good

            typer.echo(submit_job(settings))
        else:
            from iot_monitor.job import run_job  # starts a JVM: only once the flags are good

            run_job(settings)
    except PreflightError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None


@app.command()
@takes_settings(
    "time_unit",
    "check_interval_ms",
    "inactivity_timeout_ms",
    "max_out_of_orderness_ms",
    "device_expiry_ms",
    "max_future_skew_ms",
    "parallelism",
    parallelism=1,
)
def replay(
    events_file: Annotated[
        Path,
        typer.Argument(help="JSON-lines file of events", exists=True, dir_okay=False),
    ],
    status: Annotated[
        Path | None,
        typer.Option(
            "--status",
            help="Also write the devices' status changes (silent, back, forgotten) to this "
            "file as JSON lines, sorted by time, device and status.",
            dir_okay=False,
        ),
    ] = None,
    settings_file: Annotated[
        Path | None,
        typer.Option(
            "--settings",
            help="Per-device settings for the replay: JSON lines "
            '{"key": DEVICE or "pattern:GLOB", "time": T, "value": {...} or null}, '
            "T in the input's unit.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    *,
    settings: MonitorSettings,
) -> None:
    """Run the same pipeline over a file and print its alerts as JSON lines, sorted.

    Bad lines go to stderr with their line number and reason. The same file always
    gives the same alerts; checks run up to the last multiple of the check interval
    that is not after the newest event time in the file.
    """
    _configure_logging()
    from iot_monitor.preflight import PreflightError
    from iot_monitor.replay import replay_file

    try:
        if status is None:
            replay_file(events_file, settings, settings_file=settings_file)
        else:
            with status.open("w", encoding="utf-8") as status_out:
                replay_file(
                    events_file, settings, status_out=status_out, settings_file=settings_file
                )
    except PreflightError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None


@app.command()
@takes_settings(
    "kafka_bootstrap_servers",
    "kafka_properties",
    "alerts_topic",
    "dlq_topic",
    "status_topic",
    "time_unit",
)
def watch(
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Show alerts already in the topic too.")
    ] = False,
    seconds: Annotated[
        float | None, typer.Option("--seconds", help="Stop after this many seconds.")
    ] = None,
    *,
    settings: MonitorSettings,
) -> None:
    """Show the silent devices live, as their alerts and status changes are committed
    (what storage and dashboards see)."""
    from iot_monitor.watch import watch as watch_alerts

    board = watch_alerts(settings, from_beginning, seconds)
    typer.echo(f"{board.alerts} alerts for {len(board.devices)} devices: {sorted(board.devices)}")


store_app = typer.Typer(help="The alert store (TimescaleDB or PostgreSQL).", no_args_is_help=True)
app.add_typer(store_app, name="store")


@store_app.command("reconcile")
@takes_settings(
    "kafka_bootstrap_servers", "kafka_properties", "alerts_topic", "status_topic", "time_unit"
)
def reconcile(
    since: Annotated[
        str,
        typer.Option(
            "--since",
            envvar="MONITOR_RECONCILE_SINCE",
            help="How far back to read the topics, e.g. 2h (a duration).",
        ),
    ] = "2h",
    database_url: Annotated[
        str,
        typer.Option(
            "--database-url",
            envvar="DATABASE_URL",
            help="The store as the writer role, postgresql://user@host/db (the password "
            "from PGPASSWORD).",
        ),
    ] = "postgresql://alerts_writer@localhost:5432/monitoring",
    *,
    settings: MonitorSettings,
) -> None:
    """Store the alerts and status changes of the last while that the store lacks (what
    an ingestion pipeline dropped); duplicates are skipped, so it can run at any time."""
    import time

    from iot_kafka_clients.config import KafkaSettingsError, librdkafka_config

    from iot_monitor.durations import parse_duration_ms
    from iot_monitor.store.reconcile import reconcile as reconcile_store

    try:
        since_ms = int(time.time() * 1000) - parse_duration_ms(since)
        client = librdkafka_config(settings.kafka_properties)
    except (ValueError, KafkaSettingsError) as exc:
        typer.echo(f"error: {'--since: ' if 'duration' in str(exc) else ''}{exc}", err=True)
        raise typer.Exit(code=2) from None
    report = reconcile_store(
        settings.kafka_bootstrap_servers,
        client,
        database_url,
        settings.alerts_topic,
        settings.status_topic,
        since_ms,
        settings.time_unit,
    )
    typer.echo(
        f"read {report.read} records; stored {report.inserted_total} the store lacked "
        f"({', '.join(f'{view}: {n}' for view, n in sorted(report.inserted.items())) or 'none'}); "
        f"{len(report.unmappable)} unmappable, {len(report.refused)} refused"
    )
    if report.refused:
        raise typer.Exit(code=1)


devices_app = typer.Typer(
    help="Per-device settings (the settings topic): timeouts per device or pattern, "
    "maintenance pauses, expected devices.",
    no_args_is_help=True,
)
app.add_typer(devices_app, name="devices")
TOPIC_SETTINGS = ("kafka_bootstrap_servers", "kafka_properties", "settings_topic", "time_unit")
KeyArgument = Annotated[
    str, typer.Argument(help="A device id, or pattern:GLOB (e.g. pattern:meter-*).")
]


def _change(
    settings: MonitorSettings, changes: Sequence[tuple[str, dict[str, Any] | None]]
) -> None:
    from iot_monitor.devices import DevicesError, write

    try:
        write(settings, changes)
    except DevicesError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None


def _records(settings: MonitorSettings) -> list[Stored]:
    from iot_monitor.devices import DevicesError, read_topic

    try:
        return read_topic(settings)
    except DevicesError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None


def _stored(settings: MonitorSettings) -> dict[str, Stored]:
    from iot_monitor.devices import newest

    return newest(_records(settings))


def _bad_flag(flag: str, problem: str) -> typer.Exit:
    typer.echo(f"error: {flag}: {problem}", err=True)
    return typer.Exit(code=2)


@devices_app.command("set")
@takes_settings(*TOPIC_SETTINGS)
def devices_set(
    key: KeyArgument,
    inactivity_timeout: Annotated[
        str | None,
        typer.Option("--inactivity-timeout", help="This key's timeout, e.g. 15m (a duration)."),
    ] = None,
    expected: Annotated[
        bool | None,
        typer.Option(
            "--expected/--not-expected",
            help="Register the device: if it never sends, it is reported (never-seen).",
        ),
    ] = None,
    *,
    settings: MonitorSettings,
) -> None:
    """Set a device's (or a pattern's) settings; what the key had otherwise stays."""
    from iot_monitor.devices import merged
    from iot_monitor.durations import parse_duration_ms

    if inactivity_timeout is None and expected is None:
        raise _bad_flag("set", "give --inactivity-timeout, --expected or --not-expected")
    fields: dict[str, object] = {}
    if inactivity_timeout is not None:
        try:
            parse_duration_ms(inactivity_timeout)
        except ValueError as exc:
            raise _bad_flag("--inactivity-timeout", str(exc)) from None
        fields["inactivity_timeout"] = inactivity_timeout.strip()
    if expected is not None:
        fields["expected"] = expected
    value = merged(_stored(settings), key, **fields)
    _change(settings, [(key, value)])
    typer.echo(f"{key}: {json.dumps(value)}")


@devices_app.command("pause")
@takes_settings(*TOPIC_SETTINGS)
def devices_pause(
    key: KeyArgument,
    until: Annotated[
        str,
        typer.Option(
            "--until",
            help="When the pause ends: an ISO-8601 time with its zone "
            "(2026-12-24T00:00:00Z) or a duration from now (2h).",
        ),
    ],
    *,
    settings: MonitorSettings,
) -> None:
    """Pause a device (or a pattern's devices) for maintenance: no alert, no status change."""
    from iot_monitor.devices import merged

    try:
        end = _time_of(until)
    except ValueError as exc:
        raise _bad_flag("--until", str(exc)) from None
    if end <= datetime.now(UTC):
        raise _bad_flag("--until", f"{until} is not in the future")
    text = end.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    value = merged(_stored(settings), key, paused_until=text)
    _change(settings, [(key, value)])
    typer.echo(f"{key}: paused until {text}")


def _time_of(text: str) -> datetime:
    from iot_monitor.durations import parse_duration_ms

    try:
        return datetime.now(UTC) + timedelta(milliseconds=parse_duration_ms(text))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is neither an ISO-8601 time (2026-12-24T00:00:00Z) nor a duration (2h)"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no zone: add Z for UTC, or an offset such as +01:00")
    return moment.astimezone(UTC)


@devices_app.command("resume")
@takes_settings(*TOPIC_SETTINGS)
def devices_resume(key: KeyArgument, *, settings: MonitorSettings) -> None:
    """End a pause now (also one a pattern gives the device)."""
    from iot_monitor.devices import merged

    value = merged(_stored(settings), key, paused_until=None)
    _change(settings, [(key, value)])
    typer.echo(f"{key}: not paused")


@devices_app.command("expect")
@takes_settings(*TOPIC_SETTINGS)
def devices_expect(
    device_ids: Annotated[
        list[str] | None, typer.Argument(help="Device ids to register.", show_default=False)
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from-file",
            help="A CSV registry: the device id in the first column (a header line "
            "'device-id' or 'id' is skipped).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    *,
    settings: MonitorSettings,
) -> None:
    """Register devices: one that never sends is reported from its registration on."""
    import csv

    from iot_monitor.devices import merged

    ids = list(device_ids or [])
    if from_file is not None:
        with from_file.open(encoding="utf-8", newline="") as registry:
            for number, row in enumerate(csv.reader(registry), 1):
                if not row or not row[0].strip():
                    continue
                if number == 1 and row[0].strip().lower() in {"device-id", "device_id", "id"}:
                    continue
                ids.append(row[0].strip())
    if not ids:
        raise _bad_flag("expect", "give device ids, or --from-file")
    if any(device_id.startswith("pattern:") for device_id in ids):
        raise _bad_flag("expect", "a pattern cannot be expected: give device ids")
    stored = _stored(settings)
    unique = list(dict.fromkeys(ids))
    already = [i for i in unique if (merged(stored, i).get("expected") is True)]
    changes = [(i, merged(stored, i, expected=True)) for i in unique if i not in set(already)]
    _change(settings, changes)
    typer.echo(
        f"registered {len(changes)} devices on {settings.settings_topic} "
        f"({len(already)} were already expected, {len(ids) - len(unique)} duplicates skipped)"
    )


@devices_app.command("unset")
@takes_settings(*TOPIC_SETTINGS)
def devices_unset(
    keys: Annotated[list[str], typer.Argument(help="Device ids or pattern:GLOB keys.")],
    *,
    settings: MonitorSettings,
) -> None:
    """Delete keys' settings (a tombstone): their devices fall back to patterns and flags."""
    _change(settings, [(key, None) for key in keys])
    typer.echo(f"deleted the settings of {len(keys)} keys")


@devices_app.command("show")
@takes_settings(*TOPIC_SETTINGS, "inactivity_timeout_ms")
def devices_show(
    device_id: Annotated[
        str | None, typer.Argument(help="A device: its effective settings, and whence.")
    ] = None,
    *,
    settings: MonitorSettings,
) -> None:
    """List the settings on the topic, or one device's effective settings, resolved as
    the monitor resolves them (its own key, the longest matching pattern, the flags)."""
    from iot_monitor.devices import bad_values, view
    from iot_monitor.durations import duration_text

    records = _records(settings)
    resolved, read = view(settings, records)
    problems = [*(f"{key}: not a JSON object" for key in bad_values(records))]
    problems += [str(problem).split(": ", 1)[1] for problem in read.problems()]
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    if device_id is None:
        for key in resolved.settingKeys():
            typer.echo(f"{key}: {resolved.valueOf(key)}")
        typer.echo(f"{len(resolved.settingKeys())} keys on {settings.settings_topic}")
    else:
        effective = dict(resolved.effective(device_id, now_ms))
        timeout = duration_text(int(effective["timeout"]))
        typer.echo(f"{device_id}: inactivity-timeout {timeout} (from {effective['timeout-from']})")
        if "paused-until" in effective:
            until = datetime.fromtimestamp(int(effective["paused-until"]) // 1000, UTC)
            typer.echo(
                f"{device_id}: paused until {until.isoformat().replace('+00:00', 'Z')} "
                f"(from {effective['paused-from']})"
            )
        else:
            typer.echo(f"{device_id}: not paused")
        typer.echo(
            f"{device_id}: {'expected' if effective['expected'] == 'true' else 'not registered'}"
        )
    for problem in problems:
        typer.echo(f"bad setting, ignored by the monitor: {problem}", err=True)


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

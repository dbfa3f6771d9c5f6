"""`iot-monitor run` (Kafka to Kafka), `iot-monitor replay FILE` (a file, bounded) and
`iot-monitor watch` (the alerts, live).

Each command names the settings it takes; their flags, defaults and help come from
the settings fields (settings.py). Every flag can also come from an environment
variable named MONITOR_<FLAG>, e.g. MONITOR_CHECK_INTERVAL for --check-interval.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from iot_monitor.options import takes_settings
from iot_monitor.settings import MonitorSettings

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

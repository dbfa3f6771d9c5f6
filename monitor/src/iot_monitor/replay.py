"""`iot-monitor replay FILE`: the same pipeline over a file, with a finite, sorted,
deterministic list of alerts (and, on request, of status changes).

The file is read once, by the job itself (`ReplayInput`, in Java): each line is
decoded where it is read and keeps its line number, so bad lines are reported as
`FILE:LINE: reason`; and the reader, which sees the input's end, moves the watermark
to the last check (the last multiple of the interval not after the newest event time)
before the end of time, at which no check is made.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple, TextIO

from pyflink.java_gateway import get_gateway

from iot_monitor.flink_env import bounded_environment
from iot_monitor.pipeline import event_validation, java_class, monitor, split_events
from iot_monitor.settings import MonitorSettings

log = logging.getLogger(__name__)


class Replayed(NamedTuple):
    # (check ms, device id, JSON line), sorted
    alerts: list[tuple[int, str, str]]
    # (at ms, device id, status, JSON line), sorted, none after the last check
    status_changes: list[tuple[int, str, str, str]]
    # (line number, reason), in file order
    bad_lines: list[tuple[int, str]]
    lines: int
    last_check_ms: int | None
    # seconds: creating the JVM and Flink environment, then running the job; and
    # Flink's own net runtime of the job
    environment_s: float = 0.0
    job_s: float = 0.0
    net_runtime_s: float = 0.0
    # "LINE: reason" of the settings file's bad lines, in file order
    bad_settings: tuple[str, ...] = ()


def run_replay(
    source: Path, settings: MonitorSettings, settings_file: Path | None = None
) -> Replayed:
    """What the job raises on the events file `source`, under the device settings of
    `settings_file` (SPEC s10: JSON lines of key, time and value)."""
    started = time.perf_counter()
    env = bounded_environment(settings)
    environment_at = time.perf_counter()
    settings_input = java_class("SettingsInput")
    initial = get_gateway().jvm.java.util.ArrayList()
    bad_settings: tuple[str, ...] = ()
    if settings_file is not None:
        read = settings_input.readFile(str(settings_file.resolve()), settings.time_unit.ms_per_unit)
        initial, bad_settings = read.good(), tuple(read.problems())
    validation = event_validation(settings)
    decoded = java_class("ReplayInput").read(
        env._j_stream_execution_environment,
        str(source.resolve()),
        validation,
        settings.check_interval_ms,
        settings.max_out_of_orderness_ms,
    )
    events = split_events(decoded)
    monitored = monitor(events.device_ids, None, initial, settings)
    output = java_class("ReplayOutput")
    lines = output.lines(
        monitored.alerts, monitored.status_changes, events.rejected, settings.time_unit.ms_per_unit
    )
    with tempfile.TemporaryDirectory(prefix="iot-replay-") as folder:
        collected = Path(folder) / "replayed.tsv"
        net_ms = output.collect(lines, "iot-monitor-replay", str(collected))
        job_s = time.perf_counter() - environment_at
        replayed = _read_collected(collected)
    return replayed._replace(
        environment_s=environment_at - started,
        job_s=job_s,
        net_runtime_s=net_ms / 1000,
        bad_settings=bad_settings,
    )


def _read_collected(path: Path) -> Replayed:
    alerts: list[tuple[int, str, str]] = []
    changes: list[tuple[int, str, str, str]] = []
    bad: list[tuple[int, str]] = []
    lines, last_check = 0, None
    with path.open(encoding="utf-8") as collected:
        for line in collected:
            kind, rest = line.rstrip("\n").split("\t", 1)
            if kind == "alert":
                check, device, body = rest.split("\t", 2)
                alerts.append((int(check), device, body))
            elif kind == "status":
                at, device, status, body = rest.split("\t", 3)
                changes.append((int(at), device, status, body))
            elif kind == "bad":
                number, reason = rest.split("\t", 1)
                bad.append((int(number), reason))
            else:
                count, check = rest.split("\t")
                lines, last_check = int(count), int(check) if check else None
    reported = [c for c in changes if last_check is not None and c[0] <= last_check]
    return Replayed(sorted(alerts), sorted(reported), sorted(bad), lines, last_check)


def replay_file(
    source: Path,
    settings: MonitorSettings,
    out: TextIO = sys.stdout,
    status_out: TextIO | None = None,
    settings_file: Path | None = None,
) -> int:
    """Print the alerts of `source` as JSON lines on `out` (and its status changes on
    `status_out`), the bad lines on stderr; returns the number of alerts."""
    log.info("replaying %s", source)
    replayed = run_replay(source, settings, settings_file)
    for problem in replayed.bad_settings:
        sys.stderr.write(f"{settings_file}:{problem}\n")
    for number, reason in replayed.bad_lines:
        sys.stderr.write(f"{source}:{number}: {reason}\n")
    out.writelines(body + "\n" for _, _, body in replayed.alerts)
    if status_out is not None:
        status_out.writelines(change[3] + "\n" for change in replayed.status_changes)
    log.info(
        "%s: %d lines, %d bad; %d alerts, %d status changes; Flink's net runtime %.1f s "
        "(JVM and environment %.1f s, job %.1f s)",
        source,
        replayed.lines,
        len(replayed.bad_lines),
        len(replayed.alerts),
        len(replayed.status_changes),
        replayed.net_runtime_s,
        replayed.environment_s,
        replayed.job_s,
    )
    return len(replayed.alerts)

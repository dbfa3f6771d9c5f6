"""Replay throughput: the monitor's `replay` against the Java yardstick, same file,
same invocation.

    .venv/bin/python -m bench.monitor.replay [--size 200k|1m|10m] [--parallelism 1]
        [--source generator|yardstick] [--no-java] [--settings DEVICES:PATTERNS]

Sizes: 200k events over 10k devices (default, a quick run), 1m = 1M events over 10k
devices, 10m = 10M events over 1M devices (slow: minutes of generation and many
minutes of replay). Every device reports every 10 s of event time; files are cached
under .local/bench/ (BENCH_CACHE). Each figure is printed with the load average
measured just before it.

With `--settings DEVICES:PATTERNS` (e.g. `10000:1000`) the monitor runs twice, without
and with `iot-monitor replay --settings`: a settings file written once beside the events
file, with a timeout for DEVICES of the file's devices and PATTERNS `pattern:<prefix>*`
keys over prefixes of its ids, from the first event's time on; then the ratio of the
two throughputs.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.monitor import device_settings, yardstick
from bench.monitor.common import (
    PYTHON,
    REPO,
    console,
    count_lines,
    generated_file,
    machine_line,
    print_table,
    rate,
    wait_for_quiet_machine,
    yardstick_dir,
    yardstick_file,
)

# name: (events, devices)
SIZES = {"200k": (200_000, 10_000), "1m": (1_000_000, 10_000), "10m": (10_000_000, 1_000_000)}
REPORT_INTERVAL_S = 10


def events_file(size: str, source: str) -> Path:
    events, devices = SIZES[size]
    if source == "yardstick":
        return yardstick_file(events, devices)
    try:
        return generated_file(REPORT_INTERVAL_S, devices, events * REPORT_INTERVAL_S // devices)
    except (OSError, subprocess.CalledProcessError) as exc:
        console.print(f"[yellow]the event generator failed ({exc}); using the yardstick's gen.py")
        return yardstick_file(events, devices)


# The replay command's closing log line (iot_monitor.replay.replay_file).
_SUMMARY = re.compile(
    r"(?P<lines>\d+) lines, (?P<bad>\d+) bad; (?P<alerts>\d+) alerts, \d+ status changes; "
    r"Flink's net runtime (?P<net>[\d.]+) s \(JVM and environment (?P<env>[\d.]+) s, "
    r"job (?P<job>[\d.]+) s\)"
)
_PROBLEM = re.compile(r"\S+:\d+: ")


def run_monitor(
    path: Path, parallelism: int, extra_args: Sequence[str] = ()
) -> tuple[float, dict[str, Any], Counter[Any]]:
    """`iot-monitor replay` (with `extra_args`), as a user runs it: its wall time, the
    phases it logs, and its alerts as (device, latest event ms)."""
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as folder:
        alerts_path = Path(folder) / "alerts.jsonl"
        command = [PYTHON, "-m", "iot_monitor", "replay", str(path), *extra_args]
        started = time.perf_counter()
        with alerts_path.open("w") as alerts_out:
            result = subprocess.run(
                [*command, "--parallelism", str(parallelism)],
                cwd=REPO,
                stdout=alerts_out,
                stderr=subprocess.PIPE,
                text=True,
                check=False,
            )
        wall_s = time.perf_counter() - started
        summary = _SUMMARY.search(result.stderr)
        if result.returncode != 0 or summary is None:
            raise RuntimeError(f"the monitor's replay failed:\n{result.stderr[-3000:]}")
        alerts: Counter[Any] = Counter()
        with alerts_path.open() as lines:
            for line in lines:
                alert = json.loads(line)
                alerts[(alert["device-id"], round(alert["latest-event-time"] * 1000))] += 1
    timings = {
        "events": int(summary["lines"]) - int(summary["bad"]),
        # lines the replay wrote for bad events and bad settings (FILE:LINE: reason)
        "problems": sum(1 for line in result.stderr.splitlines() if _PROBLEM.match(line)),
        "alerts": int(summary["alerts"]),
        "jvm_environment_s": float(summary["env"]),
        "job_s": float(summary["job"]),
        "net_runtime_s": float(summary["net"]),
        "rest_s": wall_s - float(summary["env"]) - float(summary["job"]),
    }
    return wall_s, timings, alerts


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="200k")
    parser.add_argument("--parallelism", type=int, default=1)
    parser.add_argument(
        "--source",
        choices=["generator", "yardstick"],
        default="generator",
        help="write the file with the event generator (default) or the yardstick's gen.py",
    )
    parser.add_argument("--no-java", action="store_true", help="skip the Java yardstick")
    parser.add_argument(
        "--settings",
        type=device_settings.spec,
        metavar="DEVICES:PATTERNS",
        help="also replay with per-device settings: a timeout for DEVICES of the file's "
        "devices and PATTERNS prefix patterns (e.g. 10000:1000), beside the run without",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    console.print(f"machine: {machine_line()}")
    path = events_file(args.size, args.source)
    events = count_lines(path)
    console.print(f"file: {path} ({events:,} lines, parallelism {args.parallelism})")
    rows: list[list[object]] = []
    java: yardstick.JavaRun | None = None
    if args.no_java:
        console.print("Java yardstick: skipped (--no-java)")
    elif not yardstick.available():
        where = yardstick_dir()
        reason = f"{where} holds no InactivityJob.java" if where else "YARDSTICK_DIR is not set"
        console.print(f"Java yardstick: skipped, {reason}")
    else:
        load = wait_for_quiet_machine()
        java = yardstick.run(path, args.parallelism)
        rows.append(_java_row(load, events, java))
    runs: list[tuple[str, list[str]]] = [("monitor (PyFlink)", [])]
    if args.settings is not None:
        settings_path = device_settings.settings_file(path, *args.settings)
        keys, patterns = device_settings.count_keys(settings_path)
        console.print(f"settings: {settings_path} ({keys:,} devices, {patterns:,} patterns)")
        runs.append(
            (f"monitor, settings {keys:,}:{patterns:,}", ["--settings", str(settings_path)])
        )
    measured: list[tuple[float, dict[str, Any], Counter[Any]]] = []
    for name, extra_args in runs:
        load = wait_for_quiet_machine()
        wall_s, timings, alerts = run_monitor(path, args.parallelism, extra_args)
        measured.append((wall_s, timings, alerts))
        net_s = timings["net_runtime_s"]
        rows.append([name, f"{load:.2f}", f"{wall_s:.1f}", rate(events, wall_s), f"{net_s:.1f}",
                     rate(events, net_s), sum(alerts.values())])  # fmt: skip
        if timings["problems"]:
            console.print(f"[yellow]{name}: {timings['problems']:,} bad lines reported[/]")
    print_table(
        f"Replay throughput, {args.size} ({events:,} events)",
        ["implementation", "load", "wall s", "events/s wall", "net runtime s", "events/s net",
         "alerts"],
        rows,
    )  # fmt: skip
    wall_s, timings, monitor_alerts = measured[0]
    net_s = timings["net_runtime_s"]
    _print_phases(timings)
    if len(measured) > 1:
        with_wall, with_timings, _ = measured[1]
        with_net = with_timings["net_runtime_s"]
        console.print(
            f"with settings / without: {wall_s / with_wall:.3f}x of wall-time throughput, "
            f"{net_s / with_net:.3f}x of net-runtime throughput (target >= 0.9x)"
        )
    if java is not None:
        _print_comparison(java, wall_s, net_s, monitor_alerts)
    return 0


def _java_row(load: float, events: int, java: yardstick.JavaRun) -> list[object]:
    net_s = java.net_runtime_s
    net = f"{net_s:.1f}" if net_s is not None else "-"
    return ["Java yardstick", f"{load:.2f}", f"{java.wall_s:.1f}", rate(events, java.wall_s),
            net, rate(events, net_s), sum(java.alerts.values())]  # fmt: skip


def _print_phases(timings: dict[str, Any]) -> None:
    phases = [
        ("Python start, imports, sorting and printing", "rest_s"),
        ("JVM and Flink environment", "jvm_environment_s"),
        ("planning, running and collecting the job", "job_s"),
        ("of which Flink's net runtime of the job", "net_runtime_s"),
    ]
    print_table(
        "Where the monitor's wall time went",
        ["phase", "seconds"],
        [[name, f"{timings[key]:.1f}"] for name, key in phases],
    )


def _print_comparison(
    java: yardstick.JavaRun, wall_s: float, net_s: float, monitor_alerts: Counter[Any]
) -> None:
    java_net = java.net_runtime_s
    ratio_net = f"{java_net / net_s:.3f}x" if java_net else "-"
    console.print(
        f"monitor / Java: {java.wall_s / wall_s:.3f}x of wall-time throughput, "
        f"{ratio_net} of net-runtime throughput"
    )
    same_count = sum(java.alerts.values()) == sum(monitor_alerts.values())
    same_alerts = java.alerts == monitor_alerts
    console.print(
        f"same alert count: {'yes' if same_count else 'NO'}; "
        f"same (device, latest event time) alerts: {'yes' if same_alerts else 'NO'}"
    )
    if not same_alerts:
        only_java = sum((java.alerts - monitor_alerts).values())
        only_monitor = sum((monitor_alerts - java.alerts).values())
        console.print(f"  only in Java: {only_java}, only in the monitor: {only_monitor}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

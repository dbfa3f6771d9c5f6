"""Checkpoint size per tracked device: the monitor over many distinct devices, then
the size of its newest checkpoint divided by the number of devices.

    .venv/bin/python -m bench.monitor.state_size [--devices 100000] [--parallelism 1]
        [--with-settings]

One event per device (a run that ends now) goes into a fresh topic; the monitor reads
it from the earliest offset with the default state backend (hashmap, full checkpoints
in chk-N/ folders). Once the consumer group's committed offsets reach the end, the
checkpoint that committed them holds every device; its folder is measured. The
resident memory of the monitor's processes (Python and its JVM) is printed as well,
as an upper bound: the heap is not collected before it is read.

The monitor reads a fresh compacted settings topic of the run's own: empty, or with
`--with-settings` one setting per device (key the device id, value
`{"inactivity-timeout": "90s"}`, timestamp now), written before it starts; then the
checkpoint measured is one that also committed the end of that topic.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from iot_event_generator.fleet import device_id

from bench.monitor import device_settings, kafka_tools
from bench.monitor.common import (
    console,
    load_average,
    machine_line,
    print_table,
    wait_for_quiet_machine,
)

TARGET_BYTES = 100


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def newest_checkpoint(checkpoints: Path) -> Path | None:
    complete = [meta.parent for meta in checkpoints.glob("*/chk-*/_metadata")]
    return max(complete, key=lambda folder: int(folder.name.split("-")[1]), default=None)


def process_group_rss(group: int) -> int:
    """Resident bytes of every process in the process group `group`."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != group:
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def _wait_until_committed(
    ends: list[tuple[str, str, int]], process: subprocess.Popen[bytes], timeout_s: float
) -> float:
    """Until each (group, topic, total) of `ends` has committed `total` offsets."""
    offsets = [(kafka_tools.CommittedOffsets(group, topic), total) for group, topic, total in ends]
    started = time.perf_counter()
    try:
        for committed, total in offsets:
            while committed.total() < total:
                if time.perf_counter() - started > timeout_s:
                    raise TimeoutError(f"offsets did not reach {total:,} within {timeout_s:.0f} s")
                if process.poll() is not None:
                    raise RuntimeError(f"the monitor exited with {process.returncode}; see its log")
                time.sleep(0.5)
    finally:
        for committed, _ in offsets:
            committed.close()
    return time.perf_counter() - started


def measure(
    topic: str, total: int, devices: int, parallelism: int, timeout_s: float, with_settings: bool
) -> list[list[object]]:
    run = kafka_tools.run_id()
    alerts = f"bench-mon-{run}-alerts"
    kafka_tools.create_topics([alerts, f"{alerts}-dlq"], [1, 1])
    settings = kafka_tools.create_settings_topic(run)
    written = 0
    if with_settings:
        written = device_settings.produce(
            kafka_tools.bootstrap(),
            settings,
            ((device_id(index, devices), {"inactivity-timeout": "90s"})
             for index in range(1, devices + 1)),
        )  # fmt: skip
    flags, checkpoints = kafka_tools.monitor_flags(
        run, topic, alerts, "exactly-once", parallelism, settings_topic=settings
    )
    process = kafka_tools.start_monitor(flags, f"state-size-{run}")
    try:
        ends = [(f"bench-{run}", topic, total), (f"bench-{run}-settings", settings, written)]
        elapsed = _wait_until_committed(ends, process, timeout_s)
        rss = process_group_rss(process.pid)
        # The checkpoint that committed the last offset is the newest one now.
        newest = newest_checkpoint(checkpoints)
        if newest is None:
            raise RuntimeError(f"no complete checkpoint under {checkpoints}")
        size, whole = folder_bytes(newest), folder_bytes(checkpoints)
    finally:
        kafka_tools.stop_monitor(process)
        kafka_tools.delete_topics([alerts, f"{alerts}-dlq", settings])
        shutil.rmtree(checkpoints, ignore_errors=True)
    per_device = "checkpoint bytes per device" + (", each with a setting" if written else "")
    return [
        ["devices (distinct)", f"{devices:,}", ""],
        ["events read", f"{total:,}", ""],
        ["settings read (one per device, 90s)" if written else "settings read", f"{written:,}", ""],
        ["launch until all offsets committed", f"{elapsed:.1f} s", ""],
        [f"newest checkpoint ({newest.name}), all operators", f"{size:,} B", ""],
        [per_device, f"{size / devices:.1f}", f"<= {TARGET_BYTES}"],
        ["checkpoint folder incl. shared/ and older chk-*", f"{whole:,} B", ""],
        ["resident memory, monitor + JVM (upper bound)", f"{rss / 2**20:,.0f} MiB", ""],
        ["resident bytes per device (upper bound)", f"{rss / devices:,.0f}", ""],
    ]


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--parallelism", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds")
    parser.add_argument(
        "--with-settings",
        action="store_true",
        help="write one setting per device (a 90s timeout) to the run's settings topic first",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    console.print(f"machine: {machine_line()}; Kafka at {kafka_tools.bootstrap()}")
    with kafka_tools.preloaded_topic(args.devices, args.devices, 0) as (topic, total):
        load = wait_for_quiet_machine()
        rows = measure(
            topic, total, args.devices, args.parallelism, args.timeout, args.with_settings
        )
    rows.append(["load average before / after", f"{load:.2f} / {load_average():.2f}", ""])
    settings = ", one setting per device" if args.with_settings else ", no settings"
    print_table(
        f"State per device, hashmap state backend (the default), full checkpoints{settings}",
        ["", "measured", "target"],
        rows,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

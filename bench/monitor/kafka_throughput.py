"""Kafka-to-Kafka throughput: events/s of the monitor with exactly-once and with
at-least-once, against plain consumers of the same topic (the ceiling).

    .venv/bin/python -m bench.monitor.kafka_throughput [--events 200000]
        [--devices 10000] [--parallelism 1[,2...]] [--modes exactly-once,at-least-once]
        [--jobmanager HOST:PORT] [--settings DEVICES:PATTERNS]

N events (every device every 10 s, a run that ends now) are preloaded into a fresh
3-partition topic. The ceiling is Kafka's own Java consumer (`ConsumerPerformance`
from the broker's jars, the client Flink's source uses), timed from its first fetch;
one confluent-kafka consumer is shown beside it. For each parallelism and delivery
guarantee the monitor starts from the earliest offset with a fresh consumer group, and
the benchmark polls that group's committed offsets, which Flink commits with each
completed checkpoint (every 10 s). Two figures per run: events over the time from
launch until everything was committed (JVM start and planning included), and the
sustained rate between the first and the last checkpoint that moved the offsets,
leaving out the last interval, in which the monitor may have caught up and idled
(resolution: one checkpoint interval).

The monitor runs in a process of its own (`iot-monitor run`, Flink's mini-cluster in
that process's JVM). With `--jobmanager`, every run is repeated as a job submitted to
that Flink cluster (`iot-monitor run --jobmanager`, detached; launch is the start of
the submission, and the job is cancelled through the cluster's REST API afterwards);
`--cluster-only` skips the in-process runs.

Every run reads a settings topic of the benchmark's own (compacted, fresh), never the
default `device-settings`: an empty one, or, for the runs that `--settings
DEVICES:PATTERNS` adds beside each run, one preloaded with a timeout for DEVICES of
the preloaded devices and PATTERNS `pattern:<prefix>*` keys over their ids, stamped
from before the first event.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from iot_event_generator.fleet import device_id
from iot_monitor.flink_env import JAR_CACHE

from bench.monitor import device_settings, kafka_tools
from bench.monitor.common import (
    REPO,
    cache_dir,
    console,
    machine_line,
    print_table,
    wait_for_quiet_machine,
)

POLL_S = 0.5
# well under the checkpoint interval (10 s)
COMMIT_SPREAD_S = 3.0


class MonitorRun(NamedTuple):
    to_end_s: float | None
    sustained: float | None
    committed: int
    samples: list[tuple[float, int]]


def raw_consume_rate(topic: str, total: int) -> float:
    """Events/s of one confluent-kafka consumer reading the whole topic."""
    consumer = Consumer(
        {
            "bootstrap.servers": kafka_tools.bootstrap(),
            "group.id": f"bench-ceiling-{kafka_tools.run_id()}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    seen = 0
    started: float | None = None
    while seen < total:
        batch = consumer.consume(num_messages=10_000, timeout=1)
        if started is None and batch:
            started = time.perf_counter()  # the clock starts with the first fetched batch
        seen += sum(1 for message in batch if not message.error())
    elapsed = time.perf_counter() - (started or 0.0)
    consumer.close()
    return total / elapsed


def java_consume_rate(topic: str, total: int) -> float:
    """Events/s of Kafka's Java consumer reading the whole topic, from its first fetch
    (`fetch.nMsg.sec` of the broker's `ConsumerPerformance` tool)."""
    subprocess.run([str(REPO / "scripts/fetch-jars.sh"), "kafka"], check=True)
    config = cache_dir() / "ceiling-consumer.properties"
    config.write_text("isolation.level=read_committed\n")
    command = [
        "java", "-cp", str(JAR_CACHE / "kafka" / "*"), "org.apache.kafka.tools.ConsumerPerformance",
        "--bootstrap-server", kafka_tools.bootstrap(),
        "--topic", topic,
        "--messages", str(total),
        "--group", f"bench-ceiling-{kafka_tools.run_id()}",
        "--consumer.config", str(config),
    ]  # fmt: skip
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    header, values = output.strip().splitlines()[-2:]
    stats = dict(zip(header.split(", "), values.split(", "), strict=True))
    return float(stats["fetch.nMsg.sec"])


def measure_monitor(
    topic: str,
    total: int,
    delivery: str,
    parallelism: int,
    timeout_s: float,
    status: bool,
    settings_topic: str,
    jobmanager: str | None = None,
) -> MonitorRun:
    """One run of the monitor over the preloaded topic, with the settings of
    `settings_topic`: in a process of its own, or, with `jobmanager`, as a job of that
    Flink cluster."""
    run = kafka_tools.run_id()
    alerts = f"bench-mon-{run}-alerts"
    outputs = [alerts, f"{alerts}-dlq", f"{alerts}-status"]
    kafka_tools.create_topics(outputs, [1, 1, 1])
    flags, checkpoints = kafka_tools.monitor_flags(
        run, topic, alerts, delivery, parallelism, outputs[2] if status else "", settings_topic
    )
    group = f"bench-{run}"
    offsets = kafka_tools.CommittedOffsets(group, topic)
    samples: list[tuple[float, int]] = [(0.0, 0)]
    monitor: kafka_tools.RunningMonitor | None = None
    started = time.perf_counter()
    try:
        where = "cluster" if jobmanager else "process"
        monitor = kafka_tools.launch_monitor(
            flags, f"kafka-throughput-{where}-p{parallelism}-{delivery}-{run}", jobmanager
        )
        while samples[-1][1] < total and time.perf_counter() - started < timeout_s:
            monitor.check()
            time.sleep(POLL_S)
            committed = offsets.total()
            if committed != samples[-1][1]:
                samples.append((time.perf_counter() - started, committed))
    finally:
        offsets.close()
        if monitor is not None:
            monitor.stop()
        kafka_tools.delete_topics(outputs)
        shutil.rmtree(checkpoints, ignore_errors=True)
    done = samples[-1][1] >= total
    # The last checkpoint interval may have ended with the monitor idle, caught up:
    # the sustained rate counts only the intervals before it.
    checkpoints_seen = per_checkpoint(samples)
    moved = checkpoints_seen[1:-1] if done else checkpoints_seen[1:]
    sustained = None
    if len(moved) >= 2:
        (first_s, first_n), (last_s, last_n) = moved[0], moved[-1]
        sustained = (last_n - first_n) / (last_s - first_s)
    return MonitorRun(samples[-1][0] if done else None, sustained, samples[-1][1], samples)


def per_checkpoint(samples: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """One sample per checkpoint: at parallelism > 1 each source subtask commits its own
    partitions' offsets, so a checkpoint's commit can show up as several changes a moment
    apart. Changes within `COMMIT_SPREAD_S` of the first of them count as one, at the
    time of the first with the offsets of the last."""
    merged: list[tuple[float, int]] = []
    for at, committed in samples:
        if merged and at - merged[-1][0] < COMMIT_SPREAD_S and merged[-1][1] != 0:
            merged[-1] = (merged[-1][0], committed)
        else:
            merged.append((at, committed))
    return merged


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument(
        "--parallelism",
        default="1",
        help="the monitor's parallelism, or several separated by commas (a run each)",
    )
    parser.add_argument("--modes", default="exactly-once,at-least-once")
    parser.add_argument(
        "--jobmanager",
        metavar="HOST:PORT",
        help="also run the monitor as a job of this Flink cluster (its REST API), "
        "e.g. localhost:8081 of scripts/local-flink.sh",
    )
    parser.add_argument(
        "--cluster-only",
        action="store_true",
        help="with --jobmanager: skip the runs in a process of its own",
    )
    parser.add_argument(
        "--no-status",
        action="store_true",
        help="run the monitor without its status changes (--status.topic ''), to see their cost",
    )
    parser.add_argument(
        "--settings",
        type=device_settings.spec,
        metavar="DEVICES:PATTERNS",
        help="beside each run, one with per-device settings: a timeout for DEVICES of the "
        "preloaded devices and PATTERNS prefix patterns (e.g. 10000:1000)",
    )
    parser.add_argument(
        "--timeout", type=float, default=360.0, help="give up on a run after this many seconds"
    )
    args = parser.parse_args(argv)
    if args.cluster_only and not args.jobmanager:
        parser.error("--cluster-only needs --jobmanager")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    parallelisms = [int(value) for value in args.parallelism.split(",")]
    places: list[str | None] = [] if args.cluster_only else [None]
    if args.jobmanager:
        places.append(args.jobmanager)
        overview = kafka_tools.flink_rest(args.jobmanager, "/overview")
        console.print(
            f"Flink cluster at {args.jobmanager}: {overview['taskmanagers']} TaskManagers, "
            f"{overview['slots-available']} of {overview['slots-total']} slots free"
        )
    console.print(f"machine: {machine_line()}; Kafka at {kafka_tools.bootstrap()}")
    # The preloaded run ends now and lasts events / (devices / 10 s); its settings apply
    # from a minute before it.
    first_event_s = time.time() - args.events * 10 / args.devices
    with (
        kafka_tools.preloaded_topic(args.devices, args.events, 0.01) as (topic, total),
        settings_topics(args, int((first_event_s - 60) * 1000)) as variants,
    ):
        console.print(f"preloaded {total:,} events from {args.devices:,} devices into {topic}")
        rows: list[list[object]] = []
        ratios: list[str] = []
        load = wait_for_quiet_machine()
        ceiling = java_consume_rate(topic, total)
        rows.append(["Kafka's Java consumer (ceiling)", f"{load:.2f}", "-", f"{ceiling:,.0f}", "-"])
        load = wait_for_quiet_machine()
        python_rate = raw_consume_rate(topic, total)
        rows.append(
            ["one confluent-kafka consumer", f"{load:.2f}", "-", f"{python_rate:,.0f}", "-"]
        )
        for jobmanager in places:
            where = f"on the cluster at {jobmanager}" if jobmanager else "in its own process"
            for parallelism in parallelisms:
                for mode in args.modes.split(","):
                    pair: list[MonitorRun] = []
                    for label, settings_topic in variants:
                        load = wait_for_quiet_machine()
                        result = measure_monitor(
                            topic,
                            total,
                            mode,
                            parallelism,
                            args.timeout,
                            not args.no_status,
                            settings_topic,
                            jobmanager,
                        )
                        pair.append(result)
                        name = f"monitor {where}, parallelism {parallelism}, {mode}{label}"
                        rows.append(_row(name, load, total, result, ceiling))
                        console.print(f"{name}: committed offsets (s, events): {result.samples}")
                    if len(pair) == 2:
                        ratios.append(
                            f"{where}, parallelism {parallelism}, {mode}: {_ratio(*pair)}"
                        )
    print_table(
        f"Kafka to Kafka, {total:,} events",
        ["reader", "load", "launch to all committed s", "events/s", "of the ceiling"],
        rows,
    )
    console.print(
        "events/s of the monitor: sustained, between checkpoints while it had a backlog "
        "(launch-to-end rate in brackets)"
    )
    for line in ratios:
        console.print(f"with settings / without, {line}")
    return 0


@contextmanager
def settings_topics(args: argparse.Namespace, timestamp_ms: int) -> Iterator[list[tuple[str, str]]]:
    """(row label, settings topic) of each run: an empty compacted topic of the run's
    own, and with `--settings` one holding those settings; deleted afterwards."""
    run = kafka_tools.run_id()
    created = [kafka_tools.create_settings_topic(run, "settings-empty")]
    variants = [("", created[0])]
    try:
        if args.settings is not None:
            created.append(kafka_tools.create_settings_topic(run, "settings"))
            ids = [device_id(index, args.devices) for index in range(1, args.devices + 1)]
            records = device_settings.settings_for(ids, *args.settings)
            device_settings.produce(kafka_tools.bootstrap(), created[1], records, timestamp_ms)
            patterns = sum(1 for key, _ in records if key.startswith("pattern:"))
            devices = len(records) - patterns
            console.print(
                f"settings: {devices:,} devices and {patterns:,} patterns written to {created[1]}"
            )
            variants.append((f", settings {devices:,}:{patterns:,}", created[1]))
        yield variants
    finally:
        kafka_tools.delete_topics(created)


def _ratio(without: MonitorRun, with_settings: MonitorRun) -> str:
    if without.to_end_s is None or with_settings.to_end_s is None:
        return "- (a run did not finish)"
    overall = without.to_end_s / with_settings.to_end_s
    sustained = "-"
    if without.sustained and with_settings.sustained:
        sustained = f"{with_settings.sustained / without.sustained:.3f}x"
    return f"{sustained} sustained, {overall:.3f}x launch to end (target >= 0.9x)"


def _row(name: str, load: float, total: int, run: MonitorRun, ceiling: float) -> list[object]:
    if run.to_end_s is None:
        return [name, f"{load:.2f}", f"not done ({run.committed:,})", "-", "-"]
    overall = total / run.to_end_s
    sustained = run.sustained or overall
    return [
        name,
        f"{load:.2f}",
        f"{run.to_end_s:.1f}",
        f"{sustained:,.0f} ({overall:,.0f})",
        f"{sustained / ceiling:.3f}",
    ]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

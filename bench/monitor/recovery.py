"""Recovery from a TaskManager's loss: the time from a SIGKILL of one TaskManager of
the local Flink cluster to the first alert committed (read_committed) after it, with
the monitor's job under live load.

    .venv/bin/python -m bench.monitor.recovery [--kills 3] [--rate 2000]
        [--devices 2000] [--parallelism 2] [--jobmanager localhost:8081]
        [--cluster-dir .local/flink]

The cluster is the one `scripts/local-flink.sh start` runs (one slot per TaskManager).
On fresh topics, the event generator sends `--rate` events/s live (stamped with the
wall clock), and a small fleet of devices that report for their first seconds only
raises alerts at every check, a steady stream to time a recovery by. The monitor is
submitted to the cluster with `iot-monitor run --jobmanager`, exactly-once, checks
every `--check-interval` (5 s, so that the checks' cadence does not hide the
recovery), checkpoints every 10 s. Once it has checkpointed and committed alerts,
each kill, at a random moment of the checkpoint cycle: SIGKILL of a TaskManager's
process (its pid in the cluster's taskmanager-N.pid), then `scripts/local-flink.sh
start` brings it back, as a supervisor would. Printed for each kill: when the
TaskManager was back, when the job completed a checkpoint triggered after the kill,
when the first alert committed after the kill was read (the first read after that
checkpoint completed, as the recovered job's alerts become visible only then, so that
a commit already under way at the kill does not count), and the job's restarts so
far; then the median.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

from bench.monitor import kafka_tools
from bench.monitor.common import (
    REPO,
    VENV_BIN,
    cache_dir,
    console,
    machine_line,
    print_table,
    wait_for_quiet_machine,
)
from monitor.tests.cluster.local_cluster import AlertRecorder, LocalCluster
from monitor.tests.fleet import Fleet


class Kill(NamedTuple):
    taskmanager: str
    load: float
    back_s: float
    checkpointing_s: float
    first_alert_s: float
    restarts: int


def the_cluster(folder: Path, jobmanager: str) -> LocalCluster:
    """The running cluster of scripts/local-flink.sh in `folder`, whose REST API is at
    `jobmanager` (localhost:PORT): its `start` restarts what is not running."""
    host, port = jobmanager.rsplit(":", 1)
    if host not in ("localhost", "127.0.0.1"):
        raise SystemExit(f"--jobmanager {jobmanager}: the TaskManagers to kill must be local")
    taskmanagers = len(list(folder.glob("taskmanager-*.pid")))
    if taskmanagers == 0:
        raise SystemExit(f"no TaskManager in {folder}: start the cluster (scripts/local-flink.sh)")
    cluster = LocalCluster(folder, taskmanagers)
    cluster.rest_port = int(port)
    cluster.env = {
        **os.environ,
        "FLINK_CLUSTER_DIR": str(folder),
        "FLINK_REST_PORT": port,
        "FLINK_TASKMANAGERS": str(taskmanagers),
    }
    return cluster


def live_generator(topic: str, devices: int, rate: float, log: Path) -> subprocess.Popen[bytes]:
    """The event generator sending `rate` events/s live into `topic` for up to an hour;
    1% of its devices fail along the way."""
    command = [
        str(VENV_BIN / "iot-event-generator"),
        "--kafka.bootstrap.servers", kafka_tools.bootstrap(),
        "--topic", topic,
        "--quiet",
        "--num.devices", str(devices),
        "--rate", str(rate),
        "--duration.seconds", "3600",
        "--failure.probability", "0.01",
        "--seed", "7",
    ]  # fmt: skip
    with log.open("wb") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--rate", type=float, default=2000, help="live events/s")
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--parallelism", type=int, default=2)
    parser.add_argument("--check-interval", default="5s")
    parser.add_argument("--inactivity-timeout", default="10s")
    parser.add_argument("--jobmanager", default="localhost:8081", metavar="HOST:PORT")
    parser.add_argument(
        "--cluster-dir",
        type=Path,
        default=Path(os.environ.get("FLINK_CLUSTER_DIR", REPO / ".local" / "flink")),
        help="the cluster's folder (FLINK_CLUSTER_DIR of scripts/local-flink.sh)",
    )
    parser.add_argument("--seed", type=int, default=5, help="the kills' moments and targets")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    cluster = the_cluster(args.cluster_dir.resolve(), args.jobmanager)
    overview = cluster.rest("/overview")
    if overview["jobs-running"] or overview["slots-available"] < args.parallelism:
        raise SystemExit(
            f"the cluster at {args.jobmanager} should be idle with {args.parallelism} free "
            f"slots; it runs {overview['jobs-running']} jobs, {overview['slots-available']} "
            "slots free"
        )
    console.print(f"machine: {machine_line()}; Kafka at {kafka_tools.bootstrap()}")
    console.print(
        f"Flink cluster at {args.jobmanager}: {cluster.taskmanagers} TaskManagers "
        f"({args.cluster_dir})"
    )
    rng = random.Random(args.seed)
    run = kafka_tools.run_id()
    events, alerts, status = (f"bench-mon-{run}-{what}" for what in ("events", "alerts", "status"))
    names = [events, alerts, f"{alerts}-dlq", status]  # the dlq's name as monitor_flags has it
    kafka_tools.create_topics(names, [3, 1, 1, 1])
    flags, checkpoints = kafka_tools.monitor_flags(
        run, events, alerts, "exactly-once", args.parallelism, status
    )
    flags += [
        "--check-interval", args.check_interval,
        "--inactivity-timeout", args.inactivity_timeout,
        "--max-out-of-orderness", "5s",
    ]  # fmt: skip
    logs = cache_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    recorder = AlertRecorder(kafka_tools.bootstrap(), alerts)
    fleet: Fleet | None = None
    generator: subprocess.Popen[bytes] | None = None
    job: kafka_tools.ClusterJob | None = None
    kills: list[Kill] = []
    load = wait_for_quiet_machine()
    recorder.start()
    try:
        # Made now: its devices report for their first seconds from its making.
        fleet = Fleet(kafka_tools.bootstrap(), events, devices=0, seed=1, gone=3)
        fleet.start()
        generator = live_generator(
            events, args.devices, args.rate, logs / f"recovery-generator-{run}.log"
        )
        job = kafka_tools.ClusterJob(flags, f"recovery-submit-{run}", args.jobmanager)
        console.print(f"job {job.job_id} submitted (load {load:.2f}); waiting for its alerts")
        cluster.wait_for_checkpoint(job.job_id)
        recorder.wait_until(lambda got: len(got) > 0, timeout_s=120)
        for number in range(1, args.kills + 1):
            # Once the machine has settled, at a random moment of the checkpoint cycle
            # (10 s): the job has committed alerts again since the previous recovery.
            load = wait_for_quiet_machine()
            time.sleep(rng.uniform(0, 10))
            taskmanager = f"taskmanager-{rng.randint(1, cluster.taskmanagers)}"
            killed_at = time.time()
            cluster.kill(taskmanager)
            cluster.start()  # scripts/local-flink.sh start: brings the killed one back
            back_s = time.time() - killed_at
            _, whole_ms = cluster.wait_for_checkpoint(job.job_id, int(killed_at * 1000))
            # Alerts of the recovered job become visible when a checkpoint completes.
            since = max(killed_at, whole_ms / 1000)
            deadline = time.monotonic() + 120
            while (first := recorder.first_read_after(since)) is None:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no alert committed within 120 s of kill {number}")
                time.sleep(0.1)
            kill = Kill(
                taskmanager,
                load,
                back_s,
                whole_ms / 1000 - killed_at,
                first - killed_at,
                cluster.restarts(job.job_id),
            )
            kills.append(kill)
            console.print(
                f"kill {number} ({taskmanager}, load {load:.2f}): back in {back_s:.1f} s, "
                f"checkpoint completed after {kill.checkpointing_s:.1f} s, first committed "
                f"alert after {kill.first_alert_s:.1f} s, {kill.restarts} restarts so far"
            )
    finally:
        if job is not None:
            job.stop()
        if generator is not None:
            generator.terminate()
            generator.wait(30)
        if fleet is not None:
            fleet.stop()
        recorder.stop()
        kafka_tools.delete_topics(names)
        shutil.rmtree(checkpoints, ignore_errors=True)
    _print(kills, args)
    return 0


def _print(kills: list[Kill], args: argparse.Namespace) -> None:
    rows: list[list[object]] = [
        [
            str(number),
            kill.taskmanager,
            f"{kill.load:.2f}",
            f"{kill.back_s:.1f}",
            f"{kill.checkpointing_s:.1f}",
            f"{kill.first_alert_s:.1f}",
            str(kill.restarts),
        ]
        for number, kill in enumerate(kills, 1)
    ]
    if kills:
        rows.append(
            [
                "median",
                "",
                "",
                f"{statistics.median(k.back_s for k in kills):.1f}",
                f"{statistics.median(k.checkpointing_s for k in kills):.1f}",
                f"{statistics.median(k.first_alert_s for k in kills):.1f}",
                "",
            ]
        )
    print_table(
        f"TaskManager killed under {args.rate:,.0f} events/s, parallelism {args.parallelism}, "
        f"checks every {args.check_interval}, checkpoints every 10 s",
        [
            "kill",
            "TaskManager",
            "load",
            "back s",
            "checkpoint completed s",
            "first committed alert s",
            "restarts so far",
        ],
        rows,
    )
    console.print("seconds from the SIGKILL")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

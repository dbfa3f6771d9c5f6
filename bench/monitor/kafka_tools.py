"""Kafka and process helpers for the monitor's Kafka benchmarks: fresh topics, offsets,
a preloaded fleet, and the monitor started and stopped, as a process of its own or as
a job submitted to a Flink cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from bench.monitor.common import VENV_BIN, cache_dir, console
from testsupport.kafka import COMPACTED, ensure_topics


def bootstrap() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")


def run_id() -> str:
    return f"{time.strftime('%H%M%S')}-{uuid.uuid4().hex[:6]}"


def create_topics(
    names: Sequence[str], partitions: Sequence[int], config: Mapping[str, str] | None = None
) -> None:
    """Create the topics (each with the topic settings `config`, e.g. COMPACTED) and
    wait until every partition has a leader that answers."""
    admin = AdminClient({"bootstrap.servers": bootstrap()})
    configs = {name: dict(config or {}) for name in names}
    ensure_topics(admin, bootstrap(), dict(zip(names, partitions, strict=True)), configs)


def create_settings_topic(run: str, name: str = "settings") -> str:
    """A fresh compacted settings topic of the run's own (one partition), empty; its name."""
    topic = f"bench-mon-{run}-{name}"
    create_topics([topic], [1], COMPACTED)
    return topic


@contextmanager
def preloaded_topic(
    devices: int, events: int, failure_probability: float
) -> Iterator[tuple[str, int]]:
    """A 3-partition events topic of the run's own with a simulated fleet in it
    (its name and record count), deleted afterwards."""
    topic = f"bench-mon-{run_id()}-events"
    create_topics([topic], [3])
    try:
        yield topic, preload(topic, devices, events, failure_probability)
    finally:
        delete_topics([topic])


def delete_topics(names: Sequence[str]) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap()})
    for future in admin.delete_topics(list(names)).values():
        try:
            future.result()
        except KafkaException as exc:
            console.print(f"[yellow]could not delete a topic: {exc}")


def _partitions(consumer: Consumer, topic: str) -> list[TopicPartition]:
    metadata = consumer.list_topics(topic, timeout=10).topics[topic]
    return [TopicPartition(topic, number) for number in sorted(metadata.partitions)]


def end_offset_total(topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap(), "group.id": "bench-offsets"})
    try:
        return sum(
            consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in _partitions(consumer, topic)
        )
    finally:
        consumer.close()


class CommittedOffsets:
    """Reads a consumer group's committed offsets without joining the group."""

    def __init__(self, group: str, topic: str) -> None:
        self.consumer = Consumer({"bootstrap.servers": bootstrap(), "group.id": group})
        self.partitions = _partitions(self.consumer, topic)

    def total(self) -> int:
        committed = self.consumer.committed(self.partitions, timeout=10)
        return sum(max(tp.offset, 0) for tp in committed)

    def close(self) -> None:
        self.consumer.close()


def preload(topic: str, devices: int, events: int, failure_probability: float = 0.01) -> int:
    """Send a simulated run that ends now (every device every 10 s) into `topic` with
    the event generator; return the number of records in the topic."""
    rate = devices / 10
    command = [
        str(VENV_BIN / "iot-event-generator"),
        "--kafka.bootstrap.servers", bootstrap(),
        "--topic", topic,
        "--no-sleep", "--quiet",
        "--num.devices", str(devices),
        "--rate", str(rate),
        "--duration.seconds", str(events / rate),
        "--failure.probability", str(failure_probability),
        "--seed", "42",
    ]  # fmt: skip
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return end_offset_total(topic)


def start_monitor(flags: Sequence[str], log_name: str) -> subprocess.Popen[bytes]:
    """`iot-monitor run FLAGS` in a process group of its own (it starts a JVM as its
    child), logging to .local/bench/logs/."""
    logs = cache_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / f"{log_name}.log").open("wb") as log:
        return subprocess.Popen(
            [str(VENV_BIN / "iot-monitor"), "run", *flags],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_monitor(process: subprocess.Popen[bytes]) -> None:
    """Stop the monitor started above, and its JVM with it (same process group)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


class RunningMonitor(Protocol):
    """The monitor of one benchmark run, wherever it runs."""

    def check(self) -> None:
        """Raise when the monitor has ended (it runs until stopped)."""

    def stop(self) -> None:
        """Stop it; return once it has stopped."""


class MonitorProcess:
    """`iot-monitor run` in a process of its own: the job in that process's JVM."""

    def __init__(self, flags: Sequence[str], log_name: str) -> None:
        self.process = start_monitor(flags, log_name)

    def check(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"the monitor exited with {self.process.returncode}; see its log in "
                f"{cache_dir() / 'logs'}"
            )

    def stop(self) -> None:
        stop_monitor(self.process)


def flink_rest(jobmanager: str, path: str, method: str = "GET") -> Any:
    """One call of a Flink cluster's REST API at `jobmanager` (HOST:PORT); its JSON answer."""
    request = urllib.request.Request(f"http://{jobmanager}{path}", method=method)
    with urllib.request.urlopen(request, timeout=10) as answer:
        body = answer.read()
    return json.loads(body) if body else None


class ClusterJob:
    """The monitor submitted to the Flink cluster at `jobmanager` with
    `iot-monitor run --jobmanager`, which returns once the job is submitted; stopped by
    cancelling the job through the REST API."""

    def __init__(self, flags: Sequence[str], log_name: str, jobmanager: str) -> None:
        self.jobmanager = jobmanager
        logs = cache_dir() / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = logs / f"{log_name}.log"
        done = subprocess.run(
            [str(VENV_BIN / "iot-monitor"), "run", "--jobmanager", jobmanager, *flags],
            capture_output=True,
            text=True,
            check=False,
        )
        log.write_text(done.stdout + done.stderr)
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines or len(lines[-1]) != 32:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"the submission to {jobmanager} failed: {last} (see {log})")
        self.job_id = lines[-1]

    def state(self) -> str:
        return str(flink_rest(self.jobmanager, f"/jobs/{self.job_id}")["state"])

    def check(self) -> None:
        state = self.state()
        if state in ("FAILED", "CANCELED", "FINISHED"):
            raise RuntimeError(f"job {self.job_id} on {self.jobmanager} is {state}")

    def stop(self, timeout_s: float = 60) -> None:
        if self.state() in ("FAILED", "CANCELED", "FINISHED"):
            return
        flink_rest(self.jobmanager, f"/jobs/{self.job_id}?mode=cancel", method="PATCH")
        deadline = time.monotonic() + timeout_s
        while self.state() != "CANCELED":
            if time.monotonic() > deadline:
                raise RuntimeError(f"job {self.job_id} not cancelled within {timeout_s} s")
            time.sleep(0.2)


def launch_monitor(
    flags: Sequence[str], log_name: str, jobmanager: str | None = None
) -> RunningMonitor:
    """The monitor with these flags: in a process of its own, or, with `jobmanager`
    (HOST:PORT of a Flink cluster's REST API), as a job of that cluster. Its log (the
    submission's, for a cluster) goes to .local/bench/logs/."""
    if jobmanager is None:
        return MonitorProcess(flags, log_name)
    return ClusterJob(flags, log_name, jobmanager)


def monitor_flags(
    run: str,
    events_topic: str,
    alerts_topic: str,
    delivery: str,
    parallelism: int,
    status_topic: str = "",
    settings_topic: str = "",
) -> tuple[list[str], Path]:
    """The monitor's flags for a run; an empty `status_topic` turns the status changes
    off, an empty `settings_topic` the per-device settings (never the default topic,
    `device-settings`, which is not the benchmark's)."""
    checkpoints = cache_dir() / "checkpoints" / run
    flags = [
        "--kafka.bootstrap.servers", bootstrap(),
        "--events.topic", events_topic,
        "--alerts.topic", alerts_topic,
        "--dlq.topic", f"{alerts_topic}-dlq",
        "--status.topic", status_topic,
        "--settings.topic", settings_topic,
        "--group-id", f"bench-{run}",
        "--transactional-id-prefix", f"bench-{run}",
        "--checkpoint.dir", checkpoints.as_uri(),
        "--checkpoint.interval", "10s",
        "--delivery-guarantee", delivery,
        "--parallelism", str(parallelism),
        "--starting-offsets", "earliest",
    ]  # fmt: skip
    return flags, checkpoints

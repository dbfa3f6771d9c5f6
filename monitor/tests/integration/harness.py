"""Running the real monitor against a real broker, and reading what it wrote."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from confluent_kafka import Consumer, Message, Producer


def produce(
    bootstrap: str,
    topic: str,
    records: Sequence[tuple[str | None, bytes | None]],
    partition: int | None = None,
) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for key, value in records:
        if partition is None:
            producer.produce(topic, key=key, value=value)
        else:
            producer.produce(topic, key=key, value=value, partition=partition)
        producer.poll(0)
    assert producer.flush(30) == 0


def event(device: str, time_s: int) -> tuple[str, bytes]:
    body = {"event-id": f"{device}@{time_s}", "device-id": device, "time": time_s}
    return device, json.dumps(body).encode()


class _Watched:
    """A monitor started by `running_monitor`: a test reading its output fails at once,
    with the reason, when the monitor exits or its Flink job fails, rather than waiting
    out its timeout."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        log: Path,
        flink_logs: Path,
        tolerate_restarts: bool = False,
    ) -> None:
        self.process = process
        self.tolerate_restarts = tolerate_restarts
        self.log = log
        self.flink_logs = flink_logs
        self.read_to: dict[Path, int] = {}

    def check(self) -> None:
        code = self.process.poll()
        if code is not None:
            tail = self.log.read_text(errors="replace").splitlines()[-15:]
            raise AssertionError(
                f"the monitor exited with code {code}; the end of {self.log}:\n" + "\n".join(tail)
            )
        if self.tolerate_restarts:
            return
        for path in sorted(self.flink_logs.glob("*.log")):
            with path.open("rb") as log:
                log.seek(self.read_to.get(path, 0))
                text = log.read()
                self.read_to[path] = log.tell()
            for line in text.decode(errors="replace").splitlines():
                if _TASK_FAILED.search(line):
                    raise AssertionError(f"the monitor's Flink job failed (see {path}): {line}")


_WATCHED: list[_Watched] = []
# How Flink logs a task that failed, whether it restarts or not.
_TASK_FAILED = re.compile(r"switched from [A-Z]+ to FAILED")


def read_until(
    bootstrap: str,
    topic: str,
    done: Callable[[list[Message]], bool],
    timeout_s: float,
) -> list[Message]:
    """Committed records of `topic` from the start, until `done` says so or time runs out.
    Fails as soon as a monitor of `running_monitor` exits or its Flink job fails."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-reader-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    messages: list[Message] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and not done(messages):
            for watched in _WATCHED:
                watched.check()
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                messages.append(message)
    finally:
        consumer.close()
    return messages


def alerts_of(messages: list[Message]) -> list[tuple[int, str, int]]:
    """(check instant ms, device id, latest event time) of each alert record."""
    result = []
    for message in messages:
        body = json.loads(message.value())
        assert set(body) == {"device-id", "latest-event-time"}
        assert message.key().decode() == body["device-id"]
        result.append((message.timestamp()[1], body["device-id"], body["latest-event-time"]))
    return result


@contextmanager
def running_monitor(
    args: Sequence[str], log_path: Path, tolerate_restarts: bool = False
) -> Iterator[subprocess.Popen[bytes]]:
    """`iot-monitor run ARGS`, logging to `log_path`; Flink's own log goes to the folder
    beside it named like it, with `-flink` added. With `tolerate_restarts`, a task that
    fails and restarts (as when the broker goes away) does not fail the test."""
    command = [sys.executable, "-m", "iot_monitor", "run", *args]
    flink_logs = log_path.with_name(log_path.stem + "-flink")
    flink_logs.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "FLINK_LOG_DIR": str(flink_logs)},
            # its own process group, so that a crash takes the JVM down with it
            start_new_session=True,
            preexec_fn=_as_from_a_terminal,
        )
    watched = _Watched(process, log_path, flink_logs, tolerate_restarts)
    _WATCHED.append(watched)
    try:
        yield process
    finally:
        stop(process)


def _as_from_a_terminal() -> None:
    """Ctrl-C as a user's terminal sends it. A shell's background job (tests run that way
    in CI) starts with SIGINT ignored, which the monitor keeps: it is not its Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stop(process: subprocess.Popen[bytes], hard: bool = False) -> None:
    _WATCHED[:] = [watched for watched in _WATCHED if watched.process is not process]
    if hard:
        # A crash: the Python driver and the JVM it started, at once.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


def monitor_args(
    topics: dict[str, str], bootstrap: str, checkpoints: Path, **flags: str
) -> list[str]:
    """The flags of a monitor on `topics` (by role, as kafka_test_topics gives them);
    without a "settings" topic, the job has no settings input (`--settings.topic ""`)."""
    values = {
        "--kafka.bootstrap.servers": bootstrap,
        "--events.topic": topics["events"],
        "--alerts.topic": topics["alerts"],
        "--dlq.topic": topics["dlq"],
        "--status.topic": topics["status"],
        "--settings.topic": topics.get("settings", ""),
        "--group-id": f"monitor-test-{uuid.uuid4().hex[:8]}",
        "--transactional-id-prefix": f"monitor-test-{uuid.uuid4().hex[:8]}",
        "--checkpoint.dir": checkpoints.as_uri(),
        "--checkpoint.interval": "2s",
        "--parallelism": "2",
    }
    values.update({"--" + name.replace("_", "-"): value for name, value in flags.items()})
    return [item for pair in values.items() for item in pair]


def wait_for_checkpoint(
    checkpoints: Path, timeout_s: float = 120, newer_than: Path | None = None
) -> Path:
    """The first completed checkpoint under `checkpoints`. Flink triggers checkpoints
    only once every task of the job runs, so this is the condition to await rather
    than a fixed sleep "to let the job start". Fails at once when a monitor of
    `running_monitor` exits or its Flink job fails. With `newer_than`, a checkpoint
    other than that one (one taken since a restart)."""
    deadline = time.monotonic() + timeout_s
    while (found := newest_checkpoint(checkpoints)) is None or found == newer_than:
        for watched in _WATCHED:
            watched.check()
        if time.monotonic() > deadline:
            raise AssertionError(f"no checkpoint completed in {checkpoints} within {timeout_s} s")
        time.sleep(0.5)
    return found


def newest_checkpoint(folder: Path) -> Path | None:
    found = sorted(folder.glob("*/chk-*/_metadata"), key=lambda path: path.stat().st_mtime)
    return found[-1].parent if found else None

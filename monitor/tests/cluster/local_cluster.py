"""A Flink session cluster of the test's own (scripts/local-flink.sh on free ports, in
the test's folder), the monitor submitted to it with `iot-monitor run --jobmanager`,
and the committed alerts recorded as they arrive, to time a recovery by."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer

from monitor.tests.integration.harness import alerts_of

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "local-flink.sh"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalCluster:
    def __init__(self, folder: Path, taskmanagers: int = 2) -> None:
        self.folder = folder
        self.taskmanagers = taskmanagers
        self.rest_port = free_port()
        self.env = {
            **os.environ,
            "FLINK_CLUSTER_DIR": str(folder),
            "FLINK_REST_PORT": str(self.rest_port),
            "FLINK_RPC_PORT": str(free_port()),
            "FLINK_TASKMANAGERS": str(taskmanagers),
            "FLINK_METRICS_PORTS": "19249-19349",
        }

    @property
    def address(self) -> str:
        return f"localhost:{self.rest_port}"

    def script(self, command: str) -> str:
        done = subprocess.run(
            [str(SCRIPT), command], env=self.env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"local-flink.sh {command}:\n{done.stdout}{done.stderr}"
        return done.stdout

    def start(self) -> None:
        """Start the cluster, or whatever process of it is not running; returns once every
        TaskManager has registered."""
        self.script("start")

    def stop(self) -> None:
        self.script("stop")

    def pid(self, process: str) -> int:
        return int((self.folder / f"{process}.pid").read_text())

    def kill(self, *processes: str) -> None:
        """SIGKILL, no warning: as a machine or container dies."""
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid(process), signal.SIGKILL)
        for process in processes:
            deadline = time.monotonic() + 10
            while _alive(self.pid(process)):
                assert time.monotonic() < deadline, f"{process} outlived SIGKILL"
                time.sleep(0.05)

    def all_processes(self) -> list[str]:
        return ["jobmanager", *(f"taskmanager-{n}" for n in range(1, self.taskmanagers + 1))]

    def rest(self, path: str) -> Any:
        with urllib.request.urlopen(f"http://{self.address}{path}", timeout=10) as answer:
            return json.load(answer)

    def submit(self, args: list[str], log: Path) -> str:
        """`iot-monitor run --jobmanager` with these flags; the job id it prints."""
        done = subprocess.run(
            [sys.executable, "-m", "iot_monitor", "run", "--jobmanager", self.address, *args],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "FLINK_LOG_DIR": str(log.parent / (log.stem + "-flink"))},
        )
        log.write_text(done.stdout + done.stderr)
        assert done.returncode == 0, f"the submission failed: {done.stderr[-2000:]}"
        job_id = done.stdout.strip().splitlines()[-1]
        assert len(job_id) == 32, done.stdout
        return job_id

    def cancel(self, job_id: str) -> None:
        request = urllib.request.Request(
            f"http://{self.address}/jobs/{job_id}?mode=cancel", method="PATCH"
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def restarts(self, job_id: str) -> int:
        """How many times the job failed and restarted (its exception history)."""
        history = self.rest(f"/jobs/{job_id}/exceptions")["exceptionHistory"]["entries"]
        return len(history)

    def wait_for_checkpoint(
        self, job_id: str, after_ms: int = 0, timeout_s: float = 180
    ) -> tuple[int, int]:
        """Until the job completes a checkpoint triggered after `after_ms` (epoch ms): it
        then runs with every task (Flink checkpoints only then). Fails at once when the
        job ends. Returns when that checkpoint was triggered and completed (epoch ms)."""
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.rest(f"/jobs/{job_id}")
            if job["state"] in ("FAILED", "CANCELED", "FINISHED"):
                root = self.rest(f"/jobs/{job_id}/exceptions").get("exceptionHistory", {})
                raise AssertionError(f"the job is {job['state']}: {json.dumps(root)[:2000]}")
            latest = self.rest(f"/jobs/{job_id}/checkpoints").get("latest") or {}
            completed = latest.get("completed") or {}
            if completed and completed["trigger_timestamp"] > after_ms:
                return int(completed["trigger_timestamp"]), int(completed["latest_ack_timestamp"])
            assert time.monotonic() < deadline, (
                f"no checkpoint of job {job_id} triggered after {after_ms} within {timeout_s} s"
                f"; see {self.folder}/*.log"
            )
            time.sleep(0.5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a killed child of ours that nobody reaped is a zombie, not alive
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    return False


class AlertRecorder(threading.Thread):
    """Every committed alert (read_committed) with the wall-clock time it was read."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        super().__init__(daemon=True)
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"test-recorder-{uuid.uuid4()}",
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
                "enable.auto.commit": False,
            }
        )
        self.consumer.subscribe([topic])
        self.read: list[tuple[float, tuple[int, str, int]]] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                message = self.consumer.poll(0.2)
                if message is not None and not message.error():
                    (alert,) = alerts_of([message])
                    with self.lock:
                        self.read.append((time.time(), alert))
        finally:
            self.consumer.close()

    def alerts(self) -> list[tuple[int, str, int]]:
        with self.lock:
            return [alert for _, alert in self.read]

    def first_read_after(self, moment: float) -> float | None:
        with self.lock:
            return next((at for at, _ in self.read if at > moment), None)

    def wait_until(self, done: Callable[[list[tuple[int, str, int]]], bool], timeout_s: float):
        deadline = time.monotonic() + timeout_s
        while not done(self.alerts()):
            assert time.monotonic() < deadline, f"the committed alerts fell short in {timeout_s} s"
            time.sleep(0.5)

    def stop(self) -> None:
        self.stopping.set()
        self.join(30)

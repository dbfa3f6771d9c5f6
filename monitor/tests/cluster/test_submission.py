"""`iot-monitor run --jobmanager`: a job submitted to a cluster runs there, detached,
and a submission that cannot succeed says why in one line and exits 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.tests.cluster.local_cluster import LocalCluster, free_port
from monitor.tests.integration.harness import monitor_args

pytestmark = [pytest.mark.cluster, pytest.mark.kafka]


def submit(jobmanager: str, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "iot_monitor", "run", "--jobmanager", jobmanager, *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )


def error_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("error:")]


@pytest.fixture
def args(kafka_bootstrap: str, kafka_test_topics: dict[str, str], tmp_path: Path) -> list[str]:
    return monitor_args(kafka_test_topics, kafka_bootstrap, tmp_path / "chk")


def test_an_unreachable_cluster_is_one_line(args: list[str]) -> None:
    done = submit(f"localhost:{free_port()}", args)
    assert done.returncode == 1
    (line,) = error_lines(done)
    assert "cannot reach a Flink JobManager at localhost:" in line
    assert done.stdout == ""


def test_a_missing_jar_is_one_line(flink_cluster: LocalCluster, args, tmp_path: Path) -> None:
    done = submit(flink_cluster.address, args, IOT_JAR_CACHE=str(tmp_path / "no-jars"))
    assert done.returncode == 1
    (line,) = error_lines(done)
    assert "jar is not in" in line
    assert "scripts/fetch-jars.sh flink" in line


def test_the_job_runs_detached_and_a_rejected_one_is_one_line(
    flink_cluster: LocalCluster, args: list[str], tmp_path: Path
) -> None:
    too_wide = submit(flink_cluster.address, [*args, "--parallelism", "3"])
    assert too_wide.returncode == 1
    assert error_lines(too_wide) == [
        f"error: the Flink cluster at {flink_cluster.address} has 2 task slots and the job "
        "needs 3 (--parallelism): start more TaskManagers or lower --parallelism"
    ]

    not_a_savepoint = tmp_path / "savepoint-0"
    not_a_savepoint.mkdir()
    (not_a_savepoint / "_metadata").write_bytes(b"not a savepoint")
    rejected = submit(flink_cluster.address, [*args, "--restore-from", not_a_savepoint.as_uri()])
    assert rejected.returncode == 1
    (line,) = error_lines(rejected)
    assert line.startswith(f"error: the Flink cluster at {flink_cluster.address} did not take")
    assert "magic number" in line

    job = flink_cluster.submit(args, tmp_path / "submit.log")
    assert flink_cluster.rest(f"/jobs/{job}")["name"] == "iot-monitor"
    flink_cluster.wait_for_checkpoint(job)

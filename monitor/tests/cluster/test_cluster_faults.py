"""Faults of a real Flink cluster (a JobManager and two TaskManagers, each its own
process) under live load, the monitor submitted with `iot-monitor run --jobmanager`:
a TaskManager killed three times, then the whole cluster. What is committed
(read_committed) must be what the reference model says the acknowledged events imply:
no alert lost, none repeated, no false one, and every dead letter once.

Each fault's cost is printed (run with -s to see it): the time from the kill to the
first alert the recovered job committed, and the restarts it took."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.tests.cluster.local_cluster import AlertRecorder, LocalCluster
from monitor.tests.fleet import Fleet, S, assert_every_dead_letter_once, expected_committed
from monitor.tests.integration.harness import monitor_args

pytestmark = [pytest.mark.cluster, pytest.mark.kafka, pytest.mark.slow]
INTERVAL_S, TIMEOUT_S, OUT_OF_ORDERNESS_S = 5, 10, 5


@pytest.fixture
def topics(topic_factory: Callable[[str, int], str]) -> dict[str, str]:
    return {
        "events": topic_factory("cluster-events", 3),
        "alerts": topic_factory("cluster-alerts", 1),
        "dlq": topic_factory("cluster-dlq", 1),
        "status": topic_factory("cluster-status", 1),
    }


def job_flags(topics: dict[str, str], bootstrap: str, checkpoints: Path) -> list[str]:
    return monitor_args(
        topics,
        bootstrap,
        checkpoints,
        check_interval=f"{INTERVAL_S}s",
        inactivity_timeout=f"{TIMEOUT_S}s",
        max_out_of_orderness=f"{OUT_OF_ORDERNESS_S}s",
        idle_timeout="30s",
    )


def recovery(
    recorder: AlertRecorder, killed_at: float, whole_again_ms: int, what: str, report: list[str]
) -> None:
    """Time from the kill to the first alert committed by the recovered job (the first
    read once its first checkpoint since the kill was triggered)."""
    deadline = time.monotonic() + 60
    while (first := recorder.first_read_after(max(killed_at, whole_again_ms / 1000))) is None:
        assert time.monotonic() < deadline, f"no alert committed after {what}"
        time.sleep(0.2)
    report.append(
        f"{what}: checkpointing again after {whole_again_ms / 1000 - killed_at:.1f} s, "
        f"first committed alert after {first - killed_at:.1f} s"
    )


def assert_committed_as_the_model_says(
    fleet: Fleet, recorder: AlertRecorder, bootstrap: str, topics: dict[str, str]
) -> None:
    fleet.stop()
    last_check_s, expected = expected_committed(fleet, INTERVAL_S, TIMEOUT_S, OUT_OF_ORDERNESS_S)

    def up_to_last_check(alerts: list[tuple[int, str, int]]) -> list[tuple[int, str, int]]:
        return sorted(a for a in alerts if a[0] <= last_check_s * S)

    recorder.wait_until(lambda got: set(up_to_last_check(got)) >= set(expected), timeout_s=120)
    # A repeat would come with the same commit as the alert it repeats, or the next:
    # wait for two more checks to be committed, then compare.
    recorder.wait_until(
        lambda got: max(a[0] for a in got) >= (last_check_s + 2 * INTERVAL_S) * S, timeout_s=120
    )
    recorder.stop()
    assert len(expected) > 20, "the fleet's silences should raise alerts"
    assert up_to_last_check(recorder.alerts()) == expected  # none lost, repeated or false
    assert_every_dead_letter_once(bootstrap, topics["dlq"], fleet)


def test_taskmanagers_killed_under_load_change_nothing_that_is_committed(
    flink_cluster: LocalCluster, kafka_bootstrap: str, topics: dict[str, str], tmp_path: Path
) -> None:
    rng = random.Random(3)  # kills taskmanager-1, then 2, then 1
    report: list[str] = []
    recorder = AlertRecorder(kafka_bootstrap, topics["alerts"])
    recorder.start()
    fleet = Fleet(kafka_bootstrap, topics["events"], devices=24, seed=3, gone=2)
    fleet.start()
    flags = job_flags(topics, kafka_bootstrap, tmp_path / "chk")
    job = flink_cluster.submit(flags, tmp_path / "submit.log")
    try:
        flink_cluster.wait_for_checkpoint(job)
        for kill in range(1, 4):
            time.sleep(rng.uniform(3, 12))  # a random moment of the running job
            taskmanager = f"taskmanager-{rng.randint(1, 2)}"
            killed_at = time.time()
            flink_cluster.kill(taskmanager)
            flink_cluster.start()  # brings the killed one back
            back = f"kill {kill} ({taskmanager}, back in {time.time() - killed_at:.1f} s)"
            _, whole_again_ms = flink_cluster.wait_for_checkpoint(job, int(killed_at * 1000))
            recovery(recorder, killed_at, whole_again_ms, back, report)
            report[-1] += f", {flink_cluster.restarts(job)} restarts of the job so far"
        assert_committed_as_the_model_says(fleet, recorder, kafka_bootstrap, topics)
    finally:
        fleet.stop()
        recorder.stop()
        print("\n" + "\n".join(report))


def test_whole_cluster_killed_and_resumed_from_its_checkpoint_changes_nothing_committed(
    flink_cluster: LocalCluster, kafka_bootstrap: str, topics: dict[str, str], tmp_path: Path
) -> None:
    rng = random.Random(8)
    report: list[str] = []
    recorder = AlertRecorder(kafka_bootstrap, topics["alerts"])
    recorder.start()
    fleet = Fleet(kafka_bootstrap, topics["events"], devices=24, seed=4, gone=2)
    fleet.start()
    # As compose restarts its job: from the newest checkpoint in --checkpoint.dir.
    flags = [*job_flags(topics, kafka_bootstrap, tmp_path / "chk"), "--resume-latest"]
    job = flink_cluster.submit(flags, tmp_path / "submit-0.log")
    try:
        flink_cluster.wait_for_checkpoint(job)
        for kill in range(1, 3):
            time.sleep(rng.uniform(3, 12))  # a random moment of the running job
            killed_at = time.time()
            flink_cluster.kill(*flink_cluster.all_processes())
            flink_cluster.start()
            back = f"whole cluster, kill {kill} (back in {time.time() - killed_at:.1f} s"
            job = flink_cluster.submit(flags, tmp_path / f"submit-{kill}.log")
            back += f", job resubmitted after {time.time() - killed_at:.1f} s)"
            _, whole_again_ms = flink_cluster.wait_for_checkpoint(job, int(killed_at * 1000))
            recovery(recorder, killed_at, whole_again_ms, back, report)
        assert_committed_as_the_model_says(fleet, recorder, kafka_bootstrap, topics)
    finally:
        fleet.stop()
        recorder.stop()
        print("\n" + "\n".join(report))

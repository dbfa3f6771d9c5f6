"""The Kafka broker stopped for 90 s mid-stream under the job on a real Flink cluster
(a JobManager and two TaskManagers, each its own process), the devices sending all the
while: the job recovers by itself, no acknowledged event is lost, no alert repeated,
and no alert is false. The same scenario as in a single process
(monitor/tests/integration/test_broker_outage.py), here with the job submitted by
`iot-monitor run --jobmanager`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from monitor.tests.cluster.local_cluster import LocalCluster
from monitor.tests.integration.test_broker_outage import (
    Broker,
    outage_args,
    outage_under_load,
    own_broker,
)

pytestmark = [pytest.mark.cluster, pytest.mark.kafka, pytest.mark.slow]
__all__ = ["own_broker"]  # the fixture, for this module's test


@contextmanager
def submitted(cluster: LocalCluster, args: list[str], log: Path) -> Iterator[str]:
    job_id = cluster.submit(args, log)
    try:
        yield job_id
    finally:
        cluster.cancel(job_id)


def test_a_broker_outage_under_a_cluster_raises_no_false_alert_and_loses_nothing(
    own_broker: Broker, flink_cluster: LocalCluster, tmp_path: Path
) -> None:
    checkpoints = tmp_path / "chk"
    args = outage_args(own_broker.bootstrap, checkpoints)
    job = submitted(flink_cluster, args, tmp_path / "submit.log")
    # The input clock runs on a TaskManager: its words are in their logs.
    outage_under_load(own_broker, checkpoints, job, flink_cluster.folder)

"""Stopping the monitor as a user or an orchestrator does (Ctrl-C, SIGTERM)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from monitor.tests.integration.harness import (
    alerts_of,
    event,
    monitor_args,
    produce,
    read_until,
    running_monitor,
)
from testsupport.kafka import has_open_transaction

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_monitor_commits_what_it_wrote_and_holds_no_reader_back(
    kafka_bootstrap: str,
    kafka_admin: AdminClient,
    kafka_test_topics: dict[str, str],
    tmp_path: Path,
    signum: signal.Signals,
) -> None:
    alerts = kafka_test_topics["alerts"]
    checkpoints = tmp_path / "chk"
    args = monitor_args(
        kafka_test_topics,
        kafka_bootstrap,
        checkpoints,
        check_interval="1s",
        inactivity_timeout="2s",
        idle_timeout="3s",
    )
    # Checkpoints far apart: when the monitor is stopped, the alerts of its checks so far
    # are in a transaction that no checkpoint has committed.
    args[args.index("--checkpoint.interval") + 1] = "10m"
    with running_monitor(args, tmp_path / "monitor.log") as monitor:
        produce(kafka_bootstrap, kafka_test_topics["events"], [event("quiet-1", int(time.time()))])
        deadline = time.monotonic() + 120
        while not has_open_transaction(kafka_admin, alerts):
            assert time.monotonic() < deadline, "no alert written within 120 s"
            time.sleep(0.5)
        monitor.send_signal(signum)
        assert monitor.wait(30) == 0
    # Left open, the transaction would hold every read_committed reader of the topic
    # (watch, Vector) at its start until the transaction timeout, 10 minutes.
    assert not has_open_transaction(kafka_admin, alerts)
    committed = read_until(kafka_bootstrap, alerts, lambda got: len(got) > 0, timeout_s=10)
    assert {device for _, device, _ in alerts_of(committed)} == {"quiet-1"}
    log = (tmp_path / "monitor.log").read_text()
    assert "stopping: taking a savepoint" in log
    assert "stopped" in log
    # What --resume-latest goes on from.
    assert list(checkpoints.glob("savepoints/savepoint-*/_metadata"))

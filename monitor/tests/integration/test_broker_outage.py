"""The broker stopped for 90 s mid-stream while the devices keep sending (their
producers buffer), then started again: the job recovers by itself, and what is
committed is exactly what the events imply: no acknowledged event lost, no alert
repeated, and no false alert. An unreachable broker is not a silent fleet: time
waits (the input clock says `input-unavailable`), it does not run on the wall clock.

The test runs a broker of its own (scripts/local-kafka.sh on other ports), since it
stops it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from monitor.tests.fleet import (
    Fleet,
    S,
    assert_every_dead_letter_once,
    changes_of,
    expected_changes,
    expected_committed,
)
from monitor.tests.integration.harness import (
    alerts_of,
    monitor_args,
    newest_checkpoint,
    read_until,
    running_monitor,
    wait_for_checkpoint,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[3]
OUTAGE_S = 90
INTERVAL_S, TIMEOUT_S, OUT_OF_ORDERNESS_S = 5, 10, 5
# The topics scripts/local-kafka.sh makes (device-settings compacted), as deployed.
TOPICS = {
    "events": "events",
    "alerts": "alerts",
    "dlq": "events-dlq",
    "status": "device-status",
    "settings": "device-settings",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return int(probe.getsockname()[1])


class Broker:
    """A broker of this test's own, on ports nobody else uses."""

    def __init__(self, home: Path) -> None:
        self.port, self.controller_port = free_port(), free_port()
        self.env = {
            **os.environ,
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "KAFKA_HOME_DIR": str(home),
        }
        self.bootstrap = f"localhost:{self.port}"

    def run(self, command: str) -> None:
        script = str(ROOT / "scripts/local-kafka.sh")
        subprocess.run([script, command], env=self.env, check=True, timeout=120)


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[Broker]:
    broker = Broker(tmp_path / "kafka")
    broker.run("start")
    try:
        yield broker
    finally:
        broker.run("stop")


def outage_args(bootstrap: str, checkpoints: Path) -> list[str]:
    return monitor_args(
        TOPICS,
        bootstrap,
        checkpoints,
        check_interval=f"{INTERVAL_S}s",
        inactivity_timeout=f"{TIMEOUT_S}s",
        max_out_of_orderness=f"{OUT_OF_ORDERNESS_S}s",
        idle_timeout="5s",  # far shorter than the outage: the wall clock must still wait
    )


def outage_under_load(
    broker: Broker, checkpoints: Path, monitor_running: AbstractContextManager[object], logs: Path
) -> None:
    """The scenario, wherever the job runs: `monitor_running` runs it for the while, with
    `outage_args`; `logs` is the folder of its Flink logs."""
    bootstrap = broker.bootstrap
    fleet = Fleet(bootstrap, TOPICS["events"], devices=16, seed=5)
    with monitor_running:
        wait_for_checkpoint(checkpoints)
        fleet.start()
        try:
            time.sleep(15)
            broker.run("stop")
            stopped_s = time.time()
            time.sleep(OUTAGE_S)
            broker.run("start")
            time.sleep(25)
        finally:
            fleet.stopping.set()
            fleet.join(120)
        fleet_stopped_s = time.time()
        last_check_s, expected = expected_committed(
            fleet, INTERVAL_S, TIMEOUT_S, OUT_OF_ORDERNESS_S
        )

        def decided(got: list) -> bool:  # type: ignore[type-arg]
            return {a for a in alerts_of(got) if a[0] <= last_check_s * S} >= set(expected)

        messages = read_until(bootstrap, TOPICS["alerts"], decided, timeout_s=180)
        time.sleep(5)  # anything repeated or beyond the expected set would show up by now
        messages = read_until(bootstrap, TOPICS["alerts"], lambda _: False, 5)

        # Once the fleet stopped, the topic stands still: the input is idle (again: it
        # may have been before the fleet started).
        def idle_since_the_fleet_stopped(got: list) -> bool:  # type: ignore[type-arg]
            return any(
                body.get("status") == "input-idle" and body["at"] >= int(fleet_stopped_s)
                for body in (json.loads(message.value()) for message in got)
            )

        status = read_until(bootstrap, TOPICS["status"], idle_since_the_fleet_stopped, 90)
        # The bad records, those sent through the outage too: none lost, none repeated.
        assert fleet.bad_sent > 5
        assert_every_dead_letter_once(bootstrap, TOPICS["dlq"], fleet)
        # Taken while it ran (a stopped job leaves a savepoint in their place).
        assert newest_checkpoint(checkpoints) is not None
    assert any(t >= stopped_s + OUTAGE_S for _, t in fleet.acknowledged), "the fleet kept going"
    alerts = [a for a in alerts_of(messages) if a[0] <= last_check_s * S]
    assert sorted(alerts) == expected  # no false alert during the outage, none repeated
    assert len(expected) > 5, "the fleet's own silences should raise alerts"
    changes = expected_changes(fleet, INTERVAL_S, TIMEOUT_S, OUT_OF_ORDERNESS_S)
    assert sorted(c for c in changes_of(status) if c[3] <= last_check_s) == changes
    # Time waited, and the monitor said why. (Its input-unavailable record is written in
    # a transaction that can only commit once the broker is back; when the job restarts
    # meanwhile, the record goes with the aborted transaction, so the log is the witness.)
    flink_logs = logs.glob("*.log*")  # rolled ones too
    said = "".join(path.read_text(errors="replace") for path in flink_logs)
    assert "cannot read the end of events: time waits until it can" in said
    bodies = [json.loads(message.value()) for message in status]
    assert "input-idle" in [body["status"] for body in bodies if "monitor" in body]


def test_a_broker_outage_raises_no_false_alert_and_loses_nothing(
    own_broker: Broker, tmp_path: Path
) -> None:
    checkpoints = tmp_path / "chk"
    args = outage_args(own_broker.bootstrap, checkpoints)
    running = running_monitor(args, tmp_path / "monitor.log", tolerate_restarts=True)
    outage_under_load(own_broker, checkpoints, running, tmp_path / "monitor-flink")

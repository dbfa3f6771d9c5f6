"""Crashes under live load: the monitor killed (SIGKILL, its JVM with it) several
times at random moments while a fleet reports, and restarted each time with
`--resume-latest`. What is committed (read_committed) must be exactly what the
reference model says the events imply: no alert lost, none repeated, none forgiven,
and every dead letter once."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest
from confluent_kafka import Producer

from monitor.tests.integration.harness import (
    alerts_of,
    event,
    monitor_args,
    newest_checkpoint,
    read_until,
    running_monitor,
    stop,
    wait_for_checkpoint,
)
from monitor.tests.reference_model import expected_alerts

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
S = 1000
INTERVAL_S, TIMEOUT_S, OUT_OF_ORDERNESS_S = 5, 10, 5
BAD_EVERY = 97  # one bad record in so many


class Fleet(threading.Thread):
    """Devices reporting every second, each falling silent for a while on a fixed
    schedule (some long enough to be reported, some not), from one producer, so each
    partition's events are in time order. Keeps what the broker acknowledged."""

    def __init__(self, bootstrap: str, topic: str, devices: int, seed: int) -> None:
        super().__init__(daemon=True)
        self.topic = topic
        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all"})
        rng = random.Random(seed)
        self.devices = [f"device-{n:02}" for n in range(devices)]
        # seconds from the start: (silent from, for how long)
        self.silences = {
            device: (rng.randrange(5, 80), rng.choice([0, 8, 14, 23, 41]))
            for device in self.devices
        }
        self.acknowledged: list[tuple[str, int]] = []
        self.bad_sent = 0
        self.stopping = threading.Event()
        self.started_s = int(time.time())

    def _send(self, device: str, time_s: int) -> None:
        def delivered(error: object, _message: object) -> None:
            if error is None:
                self.acknowledged.append((device, time_s))

        key, value = event(device, time_s)
        self.producer.produce(self.topic, key=key, value=value, on_delivery=delivered)

    def run(self) -> None:
        sent = 0
        while not self.stopping.is_set():
            now = int(time.time())
            for device in self.devices:
                start, length = self.silences[device]
                if start <= now - self.started_s < start + length:
                    continue
                self._send(device, now)
                sent += 1
                if sent % BAD_EVERY == 0:
                    self.producer.produce(self.topic, value=b"not json " + str(sent).encode())
                    self.bad_sent += 1
            self.producer.poll(0)
            self.stopping.wait(max(0.0, now + 1 - time.time()))
        assert self.producer.flush(30) == 0


def test_kills_under_live_load_change_nothing_that_is_committed(
    kafka_bootstrap: str, kafka_test_topics: dict[str, str], tmp_path: Path
) -> None:
    rng = random.Random(11)
    checkpoints = tmp_path / "chk"
    args = monitor_args(
        kafka_test_topics,
        kafka_bootstrap,
        checkpoints,
        check_interval=f"{INTERVAL_S}s",
        inactivity_timeout=f"{TIMEOUT_S}s",
        max_out_of_orderness=f"{OUT_OF_ORDERNESS_S}s",
        idle_timeout="30s",
    )
    args.append("--resume-latest")
    fleet = Fleet(kafka_bootstrap, kafka_test_topics["events"], devices=24, seed=3)
    fleet.start()
    kills = 4
    try:
        for run in range(kills):
            before = newest_checkpoint(checkpoints)
            with running_monitor(args, tmp_path / f"monitor-{run}.log") as monitor:
                wait_for_checkpoint(checkpoints, newer_than=before)
                time.sleep(rng.uniform(3, 15))
                stop(monitor, hard=True)
        fleet.stopping.set()
        fleet.join(60)
        # The watermark the events reach decides every check up to here.
        newest_s = max(t for _, t in fleet.acknowledged)
        last_check_s = (newest_s - OUT_OF_ORDERNESS_S) // INTERVAL_S * INTERVAL_S
        events = sorted(((d, t * S) for d, t in fleet.acknowledged), key=lambda e: e[1])
        expected = [
            (check, device, latest // S)
            for check, device, latest in expected_alerts(
                events,
                interval=INTERVAL_S * S,
                timeout=TIMEOUT_S * S,
                out_of_orderness=OUT_OF_ORDERNESS_S * S,
                last_check=last_check_s * S,
            )
        ]
        with running_monitor(args, tmp_path / "monitor-final.log"):
            messages = read_until(
                kafka_bootstrap,
                kafka_test_topics["alerts"],
                lambda got: (
                    {a for a in alerts_of(got) if a[0] <= last_check_s * S} >= set(expected)
                ),
                timeout_s=120,
            )
            # anything repeated or beyond the expected set would show up by now
            time.sleep(5)
            messages = read_until(kafka_bootstrap, kafka_test_topics["alerts"], lambda _: False, 5)
            dead = read_until(
                kafka_bootstrap,
                kafka_test_topics["dlq"],
                lambda got: len(got) >= fleet.bad_sent,
                timeout_s=60,
            )
    finally:
        fleet.stopping.set()
    alerts = [a for a in alerts_of(messages) if a[0] <= last_check_s * S]
    assert len(expected) > 20, "the fleet's silences should raise alerts"
    assert sorted(alerts) == expected  # none lost, none repeated, none forgiven or false
    sources = {
        (dict(m.headers())["dlq.source.partition"], dict(m.headers())["dlq.source.offset"])
        for m in dead
    }
    assert len(dead) == fleet.bad_sent == len(sources)  # every dead letter, once

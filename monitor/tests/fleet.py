"""A live fleet for the fault tests (crashes of the monitor, of a TaskManager, of the
whole cluster), and what the reference model says its acknowledged events imply."""

from __future__ import annotations

import json
import random
import threading
import time

from confluent_kafka import Message, Producer

from monitor.tests.integration.harness import event, read_until
from monitor.tests.reference_model import Rules, expected_alerts, replay_items, run

S = 1000
BAD_EVERY = 97  # one bad record in so many


class Fleet(threading.Thread):
    """Devices reporting every second, each falling silent for a while on a fixed
    schedule (some long enough to be reported, some not), from one producer, so each
    partition's events are in time order. Keeps what the broker acknowledged.

    `gone` more devices report for their first few seconds only, then never again: they
    are reported at every check, a steady stream of alerts to time a recovery by."""

    def __init__(self, bootstrap: str, topic: str, devices: int, seed: int, gone: int = 0) -> None:
        super().__init__(daemon=True)
        self.topic = topic
        # Idempotent, as a gateway that buffers through an outage must be: its retries
        # keep each partition in the order sent, without it batches retried after the
        # broker returns can land behind newer ones, beyond any out-of-orderness.
        self.producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "linger.ms": 5,
                "acks": "all",
                "enable.idempotence": True,
            }
        )
        rng = random.Random(seed)
        self.devices = [f"device-{n:02}" for n in range(devices)]
        # seconds from the start: (silent from, for how long)
        self.silences = {
            device: (rng.randrange(5, 80), rng.choice([0, 8, 14, 23, 41]))
            for device in self.devices
        }
        for n in range(gone):
            self.devices.append(f"gone-{n:02}")
            self.silences[self.devices[-1]] = (3 + n, 10**9)
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

    def stop(self) -> None:
        self.stopping.set()
        self.join(60)


def expected_committed(
    fleet: Fleet, interval_s: int, timeout_s: int, out_of_orderness_s: int
) -> tuple[int, list[tuple[int, str, int]]]:
    """The last check the fleet's acknowledged events decide (seconds) and the alerts up
    to it, as (check ms, device, latest event time s), sorted: what must be committed."""
    # The watermark the events reach decides every check up to here.
    newest_s = max(t for _, t in fleet.acknowledged)
    last_check_s = (newest_s - out_of_orderness_s) // interval_s * interval_s
    events = sorted(((d, t * S) for d, t in fleet.acknowledged), key=lambda e: e[1])
    expected = [
        (check, device, latest // S)
        for check, device, latest in expected_alerts(
            events,
            interval=interval_s * S,
            timeout=timeout_s * S,
            out_of_orderness=out_of_orderness_s * S,
            last_check=last_check_s * S,
        )
    ]
    return last_check_s, expected


def expected_changes(
    fleet: Fleet, interval_s: int, timeout_s: int, out_of_orderness_s: int
) -> list[tuple[str, str, int, int]]:
    """The status changes the fleet's acknowledged events imply up to the last check
    they decide, as (device, status, since s, at s), sorted."""
    last_check_s, _ = expected_committed(fleet, interval_s, timeout_s, out_of_orderness_s)
    events = sorted(((d, t * S) for d, t in fleet.acknowledged), key=lambda e: e[1])
    items = replay_items(events, out_of_orderness_s * S, last_check_s * S)
    model = run(items, Rules(interval_s * S, timeout_s * S))
    return sorted(
        (device, status, since // S, at // S)
        for device, status, since, at in model.changes
        if at <= last_check_s * S
    )


def changes_of(messages: list[Message]) -> list[tuple[str, str, int, int]]:
    """(device, status, since, at) of the devices' status changes among `messages`."""
    bodies = [json.loads(message.value()) for message in messages]
    return [
        (body["device-id"], body["status"], body["since"], body["at"])
        for body in bodies
        if "device-id" in body
    ]


def assert_every_dead_letter_once(bootstrap: str, topic: str, fleet: Fleet) -> None:
    """Every bad record the fleet sent is a committed dead letter, and only once (told
    apart by its source coordinates)."""
    dead = read_until(bootstrap, topic, lambda got: len(got) >= fleet.bad_sent, 60)
    sources = {
        (dict(m.headers())["dlq.source.partition"], dict(m.headers())["dlq.source.offset"])
        for m in dead
    }
    assert len(dead) == fleet.bad_sent == len(sources)

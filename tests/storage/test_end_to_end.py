"""Alerts written to the real Kafka in transactions, as the monitor writes them,
reach PostgreSQL the way vector.yaml describes: committed ones only, mapped by its
remap, through the duplicate-absorbing insert view."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from confluent_kafka import Producer

from tests.storage.alert_loader import AlertLoader, loader_env
from tests.storage.store import AlertStore

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

FIRST_CHECK = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
Alert = tuple[datetime, str, datetime]


def alert_value(device_id: str, latest: datetime, unit: str) -> bytes:
    scale = 1000 if unit == "ms" else 1
    value = {"device-id": device_id, "latest-event-time": int(latest.timestamp() * scale)}
    return json.dumps(value).encode()


def send_transaction(
    producer: Producer, topic: str, records: Iterable[tuple[datetime, str, bytes]], commit: bool
) -> None:
    producer.begin_transaction()
    for check, key, value in records:
        producer.produce(topic, value, key.encode(), timestamp=int(check.timestamp() * 1000))
    if commit:
        producer.commit_transaction()
    else:
        producer.flush()
        producer.abort_transaction()


def alerts(devices: list[str], checks: range) -> list[Alert]:
    silent_since = FIRST_CHECK - timedelta(seconds=75)
    return [
        (FIRST_CHECK + timedelta(seconds=30 * k), device, silent_since)
        for k in checks
        for device in devices
    ]


def records(batch: list[Alert], unit: str) -> list[tuple[datetime, str, bytes]]:
    return [(check, device, alert_value(device, latest, unit)) for check, device, latest in batch]


def stored(store: AlertStore) -> set[Alert]:
    with psycopg.connect(store.reader_url) as conn:
        rows = conn.execute("SELECT time, device_id, latest_event_time FROM alerts")
        return set(rows.fetchall())


@pytest.mark.parametrize("unit", ["s", "ms"])
def test_committed_alerts_land_once_aborted_ones_never(
    alert_store: AlertStore, kafka_bootstrap: str, alerts_topic: str, unit: str
) -> None:
    topic = alerts_topic
    first, aborted = alerts(["d1", "d2", "d3"], range(2)), alerts(["ghost"], range(3))
    later = alerts(["d1", "d4"], range(1, 3))  # (check 1, d1) repeats an alert of `first`
    producer = Producer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "transactional.id": f"alerts-store-test-{uuid.uuid4()}",
        }
    )
    producer.init_transactions(30)
    send_transaction(producer, topic, records(first, unit), commit=True)
    send_transaction(producer, topic, records(aborted, unit), commit=False)
    bad = [(FIRST_CHECK, "d9", b"{not json")]
    send_transaction(producer, topic, records(later, unit) + bad, commit=True)

    env = loader_env(alert_store, kafka_bootstrap, topic, unit)
    report = AlertLoader(env).run(expect=len(first) + len(later) + 1)

    assert stored(alert_store) == set(first) | set(later)
    assert report.read == len(first) + len(later) + 1
    assert report.stored == len(set(first) | set(later))
    [(dead_letter, reason)] = report.dropped
    assert (dead_letter.value(), dead_letter.key()) == (b"{not json", b"d9")
    assert "parse_json" in reason


def test_a_replay_of_the_topic_stores_nothing_twice(
    alert_store: AlertStore, kafka_bootstrap: str, alerts_topic: str
) -> None:
    topic = alerts_topic
    batch = alerts(["d1", "d2"], range(3))
    producer = Producer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "transactional.id": f"alerts-store-test-{uuid.uuid4()}",
        }
    )
    producer.init_transactions(30)
    send_transaction(producer, topic, records(batch, "s"), commit=True)
    env = loader_env(alert_store, kafka_bootstrap, topic, "s")

    first = AlertLoader(env).run(expect=len(batch))
    same_group = AlertLoader(env).run(expect=0, idle=3.0)
    new_group = AlertLoader(env | {"ALERTS_CONSUMER_GROUP": f"replay-{uuid.uuid4()}"}).run(
        expect=len(batch)
    )

    assert (first.stored, same_group.read, new_group.read, new_group.stored) == (6, 0, 6, 0)
    assert stored(alert_store) == set(batch)

"""Alerts written to the real Kafka in transactions, as the monitor writes them,
reach PostgreSQL the way vector.yaml describes: committed ones only, mapped by its
remap, through the duplicate-absorbing insert view."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from confluent_kafka import Producer

from tests.storage.alert_loader import AlertLoader, StatusLoader, loader_env
from tests.storage.store import AlertStore, init_roles

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


def change_value(fields: dict[str, Any], unit: str) -> bytes:
    scale = 1000 if unit == "ms" else 1
    scaled = {k: v * scale if k in ("since", "at") else v for k, v in fields.items()}
    return json.dumps(scaled).encode()


@pytest.mark.parametrize("unit", ["s", "ms"])
def test_status_changes_land_in_their_tables_with_any_password(
    alert_store: AlertStore, kafka_bootstrap: str, status_topic: str, unit: str
) -> None:
    # A password that breaks a URL: the sink's driver takes it from PGPASSWORD.
    password = "p@ss:w/rd#?%&= x"
    rotated = init_roles(
        alert_store.admin_url,
        {"ALERTS_WRITER_PASSWORD": password, "ALERTS_READER_PASSWORD": alert_store.reader_password},
    )
    assert rotated.returncode == 0, rotated.stderr
    store = AlertStore(alert_store.admin_url, password, alert_store.reader_password)
    t = int(FIRST_CHECK.timestamp())
    committed = [
        {"device-id": "d1", "status": "silent", "since": t - 75, "at": t},
        {"device-id": "d2", "status": "never-seen", "since": t - 600, "at": t + 30},
        {"device-id": "d1", "status": "back", "since": t - 75, "at": t + 40},
        {"monitor": "iot-monitor", "status": "input-idle", "at": t + 60},
    ]
    aborted = [{"device-id": "ghost", "status": "silent", "since": t - 75, "at": t}]
    producer = Producer(
        {"bootstrap.servers": kafka_bootstrap, "transactional.id": f"status-test-{uuid.uuid4()}"}
    )
    producer.init_transactions(30)

    def records(changes: list[dict[str, object]]) -> list[tuple[datetime, str, bytes]]:
        return [
            (FIRST_CHECK, str(c.get("device-id", c.get("monitor"))), change_value(c, unit))
            for c in changes
        ]

    send_transaction(producer, status_topic, records(committed), commit=True)
    send_transaction(producer, status_topic, records(aborted), commit=False)
    send_transaction(producer, status_topic, records(committed[:1]), commit=True)
    env = loader_env(store, kafka_bootstrap, "unused", unit, status_topic)

    report = StatusLoader(env).run(expect=len(committed) + 1)

    with psycopg.connect(store.reader_url) as conn:
        changes = conn.execute("SELECT device_id, status, time FROM device_status ORDER BY 3")
        monitor = conn.execute("SELECT monitor, status, time FROM monitor_input").fetchall()
        device_rows = changes.fetchall()
    at = FIRST_CHECK.timestamp
    assert (report.read, report.stored, report.dropped) == (5, 4, [])
    assert [(d, s, int(when.timestamp())) for d, s, when in device_rows] == [
        ("d1", "silent", int(at())),
        ("d2", "never-seen", int(at()) + 30),
        ("d1", "back", int(at()) + 40),
    ]
    assert [(m, s, int(when.timestamp())) for m, s, when in monitor] == [
        ("iot-monitor", "input-idle", int(at()) + 60)
    ]

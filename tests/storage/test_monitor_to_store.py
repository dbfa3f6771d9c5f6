"""The monitor's own alerts reach the store: `iot-monitor replay` decides which alerts
a fleet's events raise, they go to Kafka in a transaction as the monitor writes them
(its alert body is `json.dumps` of the two fields, which monitor/tests/operator/
test_wire_format.py holds it to), and the vector.yaml mapping stores exactly those
rows."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from confluent_kafka import Producer

from tests.storage.alert_loader import AlertLoader, loader_env
from tests.storage.store import ROOT, AlertStore

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

MONITOR = ROOT / ".venv" / "bin" / "iot-monitor"
START = 1_772_366_400  # 2026-03-01T12:00:00Z, a multiple of 30 s


def fleet_events() -> list[dict[str, Any]]:
    """d1 falls silent early, d2 late and at a fractional second, d3 keeps sending."""
    events: list[dict[str, Any]] = [{"device-id": "d1", "time": START + 5}]
    events += [{"device-id": "d2", "time": START + 10 * k + 0.25} for k in range(9)]
    events += [{"device-id": "d3", "time": START + 20 * k} for k in range(16)]
    events.sort(key=lambda event: float(event["time"]))
    return [{"event-id": f"e{n}", **event} for n, event in enumerate(events)]


def replay(events_file: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(MONITOR), "replay", "--parallelism", "1", str(events_file)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def produce(bootstrap: str, topic: str, alerts: list[dict[str, Any]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"t-{uuid.uuid4()}"})
    producer.init_transactions(30)
    producer.begin_transaction()
    for alert in alerts:
        fields = {"device-id": alert["device-id"], "latest-event-time": alert["latest-event-time"]}
        body = json.dumps(fields, ensure_ascii=False)
        producer.produce(
            topic, body.encode(), alert["device-id"].encode(), timestamp=alert["check-time"] * 1000
        )
    producer.commit_transaction()


@pytest.mark.skipif(shutil.which(str(MONITOR)) is None, reason="iot-monitor is not installed")
def test_the_monitors_alerts_are_stored_as_it_raised_them(
    alert_store: AlertStore, kafka_bootstrap: str, alerts_topic: str, tmp_path: Path
) -> None:
    events_file = tmp_path / "events.jsonl"
    events_file.write_text("".join(json.dumps(event) + "\n" for event in fleet_events()))
    raised = replay(events_file)
    assert {alert["device-id"] for alert in raised} == {"d1", "d2"}

    produce(kafka_bootstrap, alerts_topic, raised)
    env = loader_env(alert_store, kafka_bootstrap, alerts_topic, "s")
    report = AlertLoader(env).run(expect=len(raised))

    with psycopg.connect(alert_store.reader_url) as conn:
        rows = set(conn.execute("SELECT time, device_id, latest_event_time FROM alerts"))
    expected = {(at(a["check-time"]), a["device-id"], at(a["latest-event-time"])) for a in raised}
    assert (report.dropped, rows) == ([], expected)

"""A test stand-in for Vector: reads alerts (or status changes) from Kafka as a
kafka source of vector.yaml does (its topic, group, offset reset and librdkafka
options, so read_committed), maps each record with the remap program of
vector.yaml (through pyvrl), routes it as the route transform does, writes each
batch with the statement of Vector's postgres sink to the sink's table and
endpoint (the password from PGPASSWORD, as the sink's driver takes it), and commits
the offsets only once the batch is stored, as end-to-end acknowledgements do."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
import pyvrl
from confluent_kafka import Consumer, Message
from psycopg.types.json import Jsonb

from tests.storage.store import AlertStore, libpq_env, vector_insert_statement
from tests.storage.vector_config import (
    STATUS_REMAP,
    Dropped,
    compile_remap,
    kafka_event,
    load_config,
    route_of,
    run_remap,
)


@dataclass
class LoadReport:
    read: int = 0
    stored: int = 0
    # Rows of batches the database refused: Vector 0.46 drops them and commits the
    # offsets all the same (vectordotdev/vector#24543), and so does this loader.
    rejected: int = 0
    dropped: list[tuple[Message, str]] = field(default_factory=list)


def consumer_settings(config: Mapping[str, Any], source_name: str) -> dict[str, Any]:
    source = config["sources"][source_name]
    return {
        "bootstrap.servers": source["bootstrap_servers"],
        "group.id": source["group_id"],
        "auto.offset.reset": source["auto_offset_reset"],
        "enable.auto.commit": False,
        **source["librdkafka_options"],
    }


def as_event(message: Message) -> dict[str, Any]:
    _, millis = message.timestamp()
    key = message.key()
    return kafka_event(
        message.value() or b"",
        datetime.fromtimestamp(millis / 1000, UTC),
        key=key.decode() if key is not None else None,
        topic=message.topic() or "",
        partition=message.partition() or 0,
        offset=message.offset() or 0,
    )


def vector_json(row: dict[str, Any]) -> dict[str, Any]:
    """A row as Vector's JSON serialiser writes it: timestamps in RFC 3339, UTC."""
    return {
        name: value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if isinstance(value, datetime)
        else value
        for name, value in row.items()
    }


class AlertLoader:
    """Vector's alerts pipeline; StatusLoader is its status-change pipeline."""

    source = "alerts_topic"
    remap = "alert_rows"

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        config = load_config(env)
        self.program: pyvrl.Transform = compile_remap(env, remap=self.remap)
        self.settings = consumer_settings(config, self.source)
        self.topics: list[str] = config["sources"][self.source]["topics"]
        self.sinks: dict[tuple[str, ...], dict[str, Any]] = {
            tuple(sink["inputs"]): sink for sink in config["sinks"].values() if "table" in sink
        }
        self.password = env["PGPASSWORD"]

    def sink_of(self, row: dict[str, Any]) -> dict[str, Any]:
        return self.sinks[(self.remap,)]

    def store(self, rows: list[dict[str, Any]]) -> int:
        stored = 0
        by_sink: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
        for row in rows:
            sink = self.sink_of(row)
            by_sink.setdefault(sink["table"], (sink, []))[1].append(row)
        for sink, batch in by_sink.values():
            with psycopg.connect(sink["endpoint"], password=self.password) as conn:
                stored += conn.execute(
                    vector_insert_statement(sink["table"]),
                    [Jsonb([vector_json(r) for r in batch])],
                ).rowcount
        return stored

    def handle(self, batch: list[Message], report: LoadReport) -> None:
        rows = []
        for message in batch:
            if message.error() is not None:
                raise RuntimeError(str(message.error()))
            try:
                rows.append(run_remap(self.program, as_event(message)))
            except Dropped as dropped:
                report.dropped.append((message, dropped.reason))
        if rows:
            try:
                report.stored += self.store(rows)
            except psycopg.OperationalError:
                raise  # a network error: Vector retries those
            except psycopg.DatabaseError:
                report.rejected += len(rows)
        report.read += len(batch)

    def run(self, expect: int, timeout: float = 60.0, idle: float = 2.0) -> LoadReport:
        """Load until `expect` records were read and none came for `idle` seconds."""
        report = LoadReport()
        consumer = Consumer(self.settings)
        consumer.subscribe(self.topics)
        deadline, last_seen = time.monotonic() + timeout, time.monotonic()
        try:
            while time.monotonic() < deadline:
                batch = consumer.consume(num_messages=100, timeout=0.5)
                if batch:
                    self.handle(batch, report)
                    consumer.commit(asynchronous=False)
                    last_seen = time.monotonic()
                elif report.read >= expect and time.monotonic() - last_seen > idle:
                    break
        finally:
            consumer.close()
        return report


class StatusLoader(AlertLoader):
    source = "status_topic"
    remap = STATUS_REMAP

    def sink_of(self, row: dict[str, Any]) -> dict[str, Any]:
        [output] = route_of(self.env, row)
        return self.sinks[(f"status_tables.{output}",)]


def loader_env(
    store: AlertStore, bootstrap: str, topic: str, unit: str, status_topic: str = "device-status"
) -> dict[str, str]:
    """The environment vector.yaml would get to read `topic` into `store`."""
    db = libpq_env(store.admin_url)
    return {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "ALERTS_TOPIC": topic,
        "ALERTS_CONSUMER_GROUP": f"alerts-store-test-{uuid.uuid4().hex[:8]}",
        "STATUS_TOPIC": status_topic,
        "STATUS_CONSUMER_GROUP": f"status-store-test-{uuid.uuid4().hex[:8]}",
        "ALERTS_TIME_UNIT": unit,
        "ALERTS_DB_HOST": db["PGHOST"],
        "ALERTS_DB_PORT": db["PGPORT"],
        "ALERTS_DB_NAME": db["PGDATABASE"],
        "PGPASSWORD": store.writer_password,
    }

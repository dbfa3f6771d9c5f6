"""`iot-monitor store reconcile`: store what the ingestion pipeline dropped.

Vector 0.46's postgres sink retries only network errors; a batch the database
refuses for any other reason (a restart during the insert, a rotated password, a
read-only failover) is dropped and its Kafka offsets committed all the same
(vectordotdev/vector#24543). This reads the alerts and status changes of the last
while back from Kafka (read_committed, from the offsets of `since_ms`), maps them
as vector.yaml does, and inserts them through the same insert views, which skip
what is already stored: running it costs duplicates only, and it can run at any
time, as often as wanted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from confluent_kafka import Consumer, KafkaError, Message, TopicPartition
from psycopg.types.json import Jsonb

from iot_monitor.store.rows import Row, Unmappable, alert_row, status_row
from iot_monitor.timeunit import TimeUnit

BATCH_ROWS = 500
TIMEOUT_S = 30.0


@dataclass
class ReconcileReport:
    read: int = 0
    # Rows the database lacked and now holds, per insert view.
    inserted: dict[str, int] = field(default_factory=dict)
    # (topic, partition, offset, reason) of records that map to no row (dead letters).
    unmappable: list[tuple[str, int, int, str]] = field(default_factory=list)
    # (view, row, error) of rows the database refused one by one.
    refused: list[tuple[str, Row, str]] = field(default_factory=list)

    @property
    def inserted_total(self) -> int:
        return sum(self.inserted.values())


def reconcile(
    bootstrap: str,
    kafka_properties: dict[str, str],
    database_url: str,
    alerts_topic: str,
    status_topic: str,
    since_ms: int,
    unit: TimeUnit,
) -> ReconcileReport:
    """Insert every alert and status change read from `since_ms` on that the store lacks.
    An empty topic name skips that topic (status changes turned off)."""
    report = ReconcileReport()
    batches: dict[str, list[Row]] = {}
    topics = [topic for topic in (alerts_topic, status_topic) if topic]
    # Autocommit: each batch is a transaction of its own (store()).
    with psycopg.connect(database_url, autocommit=True) as conn:
        for message in committed_records(bootstrap, kafka_properties, topics, since_ms):
            report.read += 1
            try:
                view, row = to_row(message, alerts_topic, unit)
            except Unmappable as reason:
                where = (message.topic() or "", message.partition() or 0, message.offset() or 0)
                report.unmappable.append((*where, str(reason)))
                continue
            batch = batches.setdefault(view, [])
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                store(conn, view, batch, report)
                batch.clear()
        for view, batch in batches.items():
            store(conn, view, batch, report)
    return report


def to_row(message: Message, alerts_topic: str, unit: TimeUnit) -> tuple[str, Row]:
    if message.topic() == alerts_topic:
        _, timestamp_ms = message.timestamp()
        return alert_row(message.value(), timestamp_ms, unit)
    return status_row(message.value(), unit)


def committed_records(
    bootstrap: str, kafka_properties: dict[str, str], topics: list[str], since_ms: int
) -> Iterator[Message]:
    """Every committed record of `topics` from `since_ms` to the end as it is now."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            # Never committed: the reconciler has no position of its own.
            "group.id": "iot-monitor-reconcile",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            **kafka_properties,
            "isolation.level": "read_committed",
        }
    )
    try:
        starts = start_offsets(consumer, topics, since_ms)
        if not starts:
            return
        # The ends as they are now (read_committed: the last stable offsets). The end of
        # a partition the consumer reports counts only once it is there: it may first
        # report an end it knew before it fetched.
        ends = {
            (tp.topic, tp.partition): consumer.get_watermark_offsets(tp, TIMEOUT_S)[1]
            for tp in starts
        }
        consumer.assign(starts)
        pending = set(ends)
        while pending:
            message = consumer.poll(TIMEOUT_S)
            if message is None:
                raise TimeoutError(f"no record nor end of partition in {TIMEOUT_S} s: {pending}")
            error = message.error()
            if error is not None and error.code() == KafkaError._PARTITION_EOF:
                where = (message.topic() or "", message.partition() or 0)
                if (message.offset() or 0) >= ends[where]:
                    pending.discard(where)
            elif error is not None:
                raise RuntimeError(f"reading {message.topic()}: {error}")
            else:
                yield message
    finally:
        consumer.close()


def start_offsets(consumer: Consumer, topics: list[str], since_ms: int) -> list[TopicPartition]:
    """The first offset at or after `since_ms` of every partition that has one."""
    wanted = []
    for topic in topics:
        metadata = consumer.list_topics(topic, timeout=TIMEOUT_S).topics[topic]
        if metadata.error is not None:
            raise RuntimeError(f"topic {topic}: {metadata.error}")
        wanted += [TopicPartition(topic, p, since_ms) for p in metadata.partitions]
    found = consumer.offsets_for_times(wanted, timeout=TIMEOUT_S)
    # Offset -1: nothing at or after that time in the partition.
    return [tp for tp in found if tp.offset >= 0]


def store(
    conn: psycopg.Connection[Any], view: str, rows: list[Row], report: ReconcileReport
) -> None:
    """One batch as Vector inserts it; if the database refuses it, row by row, so
    that one bad row costs only itself."""
    statement = f"INSERT INTO {view} SELECT * FROM jsonb_populate_recordset(NULL::{view}, %s)"
    try:
        with conn.transaction():
            inserted = conn.execute(statement, [Jsonb([json_row(r) for r in rows])]).rowcount
    except psycopg.DatabaseError:
        inserted = 0
        for row in rows:
            try:
                with conn.transaction():
                    inserted += conn.execute(statement, [Jsonb([json_row(row)])]).rowcount
            except psycopg.DatabaseError as error:
                report.refused.append((view, row, str(error).strip()))
    report.inserted[view] = report.inserted.get(view, 0) + inserted


def json_row(row: Row) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}

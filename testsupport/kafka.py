"""Kafka for tests: the broker named by KAFKA_BOOTSTRAP_SERVERS, else the local one
that scripts/local-kafka.sh starts (and leaves running for the next run)."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = Path(__file__).resolve().parent.parent
TEST_TOPICS = {"events-test": 3, "alerts-test": 1, "events-dlq-test": 1}


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if given:
        return given
    subprocess.run([str(ROOT / "scripts" / "local-kafka.sh"), "start"], check=True)
    return "localhost:" + os.environ.get("KAFKA_PORT", "9092")


@pytest.fixture(scope="session")
def kafka_admin(kafka_bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": kafka_bootstrap})


def ensure_topics(admin: AdminClient, topics: dict[str, int]) -> None:
    existing = admin.list_topics(timeout=10).topics
    wanted = [
        NewTopic(name, num_partitions=partitions, replication_factor=1)
        for name, partitions in topics.items()
        if name not in existing
    ]
    if wanted:
        for future in admin.create_topics(wanted, operation_timeout=30).values():
            future.result()
        _wait_for_leaders(admin, [topic.topic for topic in wanted])


def _wait_for_leaders(admin: AdminClient, names: list[str], timeout_s: float = 30) -> None:
    """A new topic answers NOT_LEADER_FOR_PARTITION until its leaders are elected."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        topics = admin.list_topics(timeout=10).topics
        if all(
            name in topics
            and topics[name].partitions
            and all(p.leader >= 0 for p in topics[name].partitions.values())
            for name in names
        ):
            return
        time.sleep(0.2)
    raise TimeoutError(f"no leader elected for {names} within {timeout_s} s")


def clear_topic(admin: AdminClient, bootstrap: str, topic: str) -> None:
    """Delete every record of `topic` up to its current end (offsets keep growing)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"clear-{uuid.uuid4()}"})
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        ends = []
        for partition in metadata.partitions:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            if high > 0:
                ends.append(TopicPartition(topic, partition, high))
    finally:
        consumer.close()
    if ends:
        for future in admin.delete_records(ends, operation_timeout=30).values():
            future.result()


@pytest.fixture
def kafka_test_topics(kafka_bootstrap: str, kafka_admin: AdminClient) -> dict[str, str]:
    """events-test (3 partitions), alerts-test and events-dlq-test, emptied before the test."""
    ensure_topics(kafka_admin, TEST_TOPICS)
    for topic in TEST_TOPICS:
        clear_topic(kafka_admin, kafka_bootstrap, topic)
    return {"events": "events-test", "alerts": "alerts-test", "dlq": "events-dlq-test"}


@pytest.fixture
def topic_factory(kafka_admin: AdminClient) -> Iterator[Callable[[str, int], str]]:
    """Makes topics of the test's own (`prefix-<random>`), deleted after the test."""
    made: list[str] = []

    def make(prefix: str, partitions: int) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        ensure_topics(kafka_admin, {name: partitions})
        made.append(name)
        return name

    yield make
    if made:
        kafka_admin.delete_topics(made, operation_timeout=30)


@pytest.fixture
def fresh_topic(topic_factory: Callable[[str, int], str]) -> str:
    """A topic of its own for one test (3 partitions), deleted afterwards."""
    return topic_factory("test", 3)

"""The Kafka helpers of testsupport/kafka.py against the real broker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource

from testsupport.kafka import (
    COMPACTED,
    clear_topic,
    ensure_topics,
    recreate_topic,
    wait_until_ready,
)

pytestmark = pytest.mark.kafka


@pytest.fixture
def topic_names(kafka_admin: AdminClient) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    existing = kafka_admin.list_topics(timeout=10).topics
    made = [name for name in names if name in existing]
    if made:
        for future in kafka_admin.delete_topics(made, operation_timeout=60).values():
            future.result()


def watermarks(bootstrap: str, topic: str, partitions: int) -> list[tuple[int, int]]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"marks-{uuid.uuid4()}"})
    try:
        return [
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            for p in range(partitions)
        ]
    finally:
        consumer.close()


def test_a_topic_made_and_cleared_at_once_answers_every_time(
    kafka_bootstrap: str, kafka_admin: AdminClient, topic_names: list[str]
) -> None:
    """Without a wait for answering leaders, some of these failed with
    NOT_LEADER_FOR_PARTITION: the broker is busiest when several topics are new."""
    topic_names.extend(f"race-{uuid.uuid4().hex[:12]}" for _ in range(48))

    def make_and_clear(name: str) -> None:
        ensure_topics(kafka_admin, kafka_bootstrap, {name: 3})
        clear_topic(kafka_admin, kafka_bootstrap, name)

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(make_and_clear, topic_names))


def test_clearing_deletes_every_record_and_keeps_the_offsets(
    kafka_bootstrap: str, kafka_admin: AdminClient, topic_names: list[str]
) -> None:
    topic = f"clear-{uuid.uuid4().hex[:12]}"
    topic_names.append(topic)
    ensure_topics(kafka_admin, kafka_bootstrap, {topic: 2})
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    for n in range(10):
        producer.produce(topic, value=b"x", partition=n % 2)
    assert producer.flush(30) == 0

    clear_topic(kafka_admin, kafka_bootstrap, topic)
    assert watermarks(kafka_bootstrap, topic, 2) == [(5, 5), (5, 5)]
    clear_topic(kafka_admin, kafka_bootstrap, topic)  # an empty topic clears too
    assert watermarks(kafka_bootstrap, topic, 2) == [(5, 5), (5, 5)]


def test_existing_topics_are_waited_for_and_left_as_they_are(
    kafka_bootstrap: str, kafka_admin: AdminClient, topic_names: list[str]
) -> None:
    topic = f"kept-{uuid.uuid4().hex[:12]}"
    topic_names.append(topic)
    ensure_topics(kafka_admin, kafka_bootstrap, {topic: 2})
    ensure_topics(kafka_admin, kafka_bootstrap, {topic: 2})
    assert len(kafka_admin.list_topics(topic, timeout=10).topics[topic].partitions) == 2


def test_a_topic_that_never_comes_is_a_clear_timeout(kafka_bootstrap: str) -> None:
    missing = f"never-{uuid.uuid4().hex[:12]}"
    with pytest.raises(TimeoutError, match=rf"topics \['{missing}'\] not ready within 1 s"):
        wait_until_ready(kafka_bootstrap, [missing], timeout_s=1)


def cleanup_policy(admin: AdminClient, topic: str) -> str:
    (future,) = admin.describe_configs([ConfigResource("topic", topic)]).values()
    return str(future.result()["cleanup.policy"].value)


def test_a_compacted_topic_is_emptied_by_making_it_anew(
    kafka_bootstrap: str, kafka_admin: AdminClient, topic_names: list[str]
) -> None:
    """Kafka refuses to delete the records of a compacted topic, so recreate_topic
    empties the tests' settings topic instead of clear_topic."""
    topic = f"compacted-{uuid.uuid4().hex[:12]}"
    topic_names.append(topic)
    ensure_topics(kafka_admin, kafka_bootstrap, {topic: 1}, {topic: COMPACTED})
    assert cleanup_policy(kafka_admin, topic) == "compact"
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    for n in range(3):
        producer.produce(topic, key=b"device-1", value=b"{}" if n else None)
    assert producer.flush(30) == 0
    with pytest.raises(KafkaException, match="POLICY_VIOLATION"):
        clear_topic(kafka_admin, kafka_bootstrap, topic)

    recreate_topic(kafka_admin, kafka_bootstrap, topic, 1, COMPACTED)
    assert watermarks(kafka_bootstrap, topic, 1) == [(0, 0)]
    assert cleanup_policy(kafka_admin, topic) == "compact"
    recreate_topic(kafka_admin, kafka_bootstrap, topic, 1, COMPACTED)  # an empty one too
    assert watermarks(kafka_bootstrap, topic, 1) == [(0, 0)]

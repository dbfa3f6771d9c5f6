"""Reading back everything a topic holds, for the integration tests."""

import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition

from testsupport.kafka import wait_until_ready


def read_topic(bootstrap: str, topic: str, timeout: float = 60.0) -> list[Message]:
    """Every record of `topic`, from the beginning up to its end as of now."""
    wait_until_ready(bootstrap, [topic])  # a topic made just now may not answer yet
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"read-{uuid.uuid4()}",
            "enable.auto.commit": False,
        }
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in partitions
        }
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        remaining = {p for p, end in ends.items() if end > 0}
        records: list[Message] = []
        deadline = time.monotonic() + timeout
        while remaining:
            assert time.monotonic() < deadline, f"partitions {remaining} not read in {timeout} s"
            # consume() waits for the whole count or the timeout: keep the timeout short.
            for message in consumer.consume(10_000, timeout=0.5):
                assert message.error() is None, message.error()
                records.append(message)
                if message.offset() + 1 >= ends[message.partition()]:
                    remaining.discard(message.partition())
        return records
    finally:
        consumer.close()

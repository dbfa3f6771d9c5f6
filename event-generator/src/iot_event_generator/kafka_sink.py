"""Producing records to Kafka with confluent-kafka, tuned for throughput, and counting
honestly what the broker acknowledged."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from iot_kafka_clients.config import (
    ClientErrors,
    KafkaConnectionError,
    KafkaSettingsError,
    cluster_metadata,
    librdkafka_config,
)

from iot_event_generator.sinks import Delivery, SinkError
from iot_event_generator.wire import Record

# Batching and compression for throughput; a few tens of milliseconds of lingering is
# far below anything the monitor measures. Any of these can be overridden with
# --kafka.property, whose TLS and SASL settings are the Java clients' (as the monitor's
# are), translated by iot_kafka_clients.config; its other settings are librdkafka's.
PRODUCER_DEFAULTS: dict[str, Any] = {
    "client.id": "iot-event-generator",
    "linger.ms": 20,
    "batch.size": 1_000_000,
    "batch.num.messages": 100_000,
    "compression.type": "lz4",
    "queue.buffering.max.messages": 1_000_000,
    "queue.buffering.max.kbytes": 1_048_576,
    "enable.idempotence": True,
    # A record Kafka cannot take within 30 s counts as failed, so that a lost broker
    # neither stalls the run nor a stop request for long.
    "message.timeout.ms": 30_000,
    # Same partition for a device id as the Java clients' default partitioner.
    "partitioner": "murmur2_random",
}
FLUSH_TIMEOUT_SECONDS = 30.0
PURGED = {KafkaError._PURGE_QUEUE, KafkaError._PURGE_INFLIGHT}


def make_producer(
    bootstrap_servers: str,
    properties: dict[str, str],
    errors: ClientErrors,
    on_delivery: Callable[[KafkaError | None, Message], None],
) -> Producer:
    quiet_logger = logging.getLogger("iot_event_generator.librdkafka")
    quiet_logger.addHandler(logging.NullHandler())
    quiet_logger.propagate = False
    try:
        client_config = librdkafka_config(properties, tuning=True)
    except KafkaSettingsError as exc:
        raise SinkError(f"--kafka.property: {exc}") from None
    config = {
        **PRODUCER_DEFAULTS,
        **client_config,
        "bootstrap.servers": bootstrap_servers,
        # Only failures are reported, so the hot path pays nothing per success;
        # after flush() every record not reported failed was acknowledged.
        "delivery.report.only.error": True,
        "on_delivery": on_delivery,
        "error_cb": errors,
        "logger": quiet_logger,
    }
    try:
        return Producer(config)
    except KafkaException as exc:
        raise SinkError(f"invalid Kafka client settings: {exc.args[0].str()}") from None


def check_topic(
    producer: Producer,
    bootstrap_servers: str,
    errors: ClientErrors,
    timeout: float,
    topic: str,
    what: str = "topic",
) -> None:
    try:
        metadata = cluster_metadata(producer, bootstrap_servers, errors, timeout, topic)
    except KafkaConnectionError as exc:
        raise SinkError(str(exc)) from None
    found = metadata.topics.get(topic)
    if found is None or found.error is not None:
        raise SinkError(f"{what} '{topic}' does not exist at {bootstrap_servers}")


def publish_settings(
    bootstrap_servers: str,
    topic: str,
    properties: dict[str, str],
    connect_timeout: float,
    records: list[tuple[bytes, bytes]],
    timestamp_ms: int,
) -> None:
    """Produce the device settings `records` to `topic`, stamped `timestamp_ms`, and
    wait until the broker has every one of them; SinkError if it does not."""
    problems: list[str] = []

    def on_delivery(error: KafkaError | None, _message: Message) -> None:
        if error is not None:
            problems.append(error.str())

    errors = ClientErrors()  # what the broker says on the way matters only if a record fails
    producer = make_producer(bootstrap_servers, properties, errors, on_delivery)
    check_topic(producer, bootstrap_servers, errors, connect_timeout, topic, "settings topic")
    for key, value in records:
        try:
            producer.produce(topic, value, key, timestamp=timestamp_ms)
        except KafkaException as exc:
            problems.append(exc.args[0].str())
    unconfirmed = producer.flush(FLUSH_TIMEOUT_SECONDS)
    if unconfirmed:
        producer.purge()
        producer.flush(0)
        problems.append(f"{unconfirmed} not confirmed in {FLUSH_TIMEOUT_SECONDS:g} s")
    if problems:
        raise SinkError(
            f"the device settings could not be written to topic '{topic}' at"
            f" {bootstrap_servers}: {problems[0]}"
        )


class KafkaSink:
    lines_only = False

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        properties: dict[str, str],
        connect_timeout: float,
    ) -> None:
        self.description = f"Kafka topic '{topic}' at {bootstrap_servers}"
        self._topic = topic
        self._written = 0
        self._failed = 0
        self._problems: dict[str, int] = {}
        self._errors = ClientErrors(then=self._on_error)
        self._producer = make_producer(
            bootstrap_servers, properties, self._errors, self._on_delivery
        )
        check_topic(self._producer, bootstrap_servers, self._errors, connect_timeout, topic)

    def _on_delivery(self, error: KafkaError | None, _message: Message) -> None:
        if error is not None and error.code() not in PURGED:
            self._failed += 1
            self._note(error.str())

    def _on_error(self, error: KafkaError) -> None:
        self._note(error.str())

    def _note(self, problem: str) -> None:
        self._problems[problem] = self._problems.get(problem, 0) + 1

    def write(self, records: list[Record]) -> None:
        produce, topic = self._producer.produce, self._topic
        for key, value in records:
            try:
                produce(topic, value, key)
            except BufferError:
                self._produce_when_there_is_room(key, value)
            except KafkaException as exc:
                self._failed += 1
                self._note(exc.args[0].str())
        self._written += len(records)
        self._producer.poll(0)

    def _produce_when_there_is_room(self, key: bytes | None, value: bytes | None) -> None:
        """The local queue is full: serve delivery reports until the broker catches up."""
        while True:
            self._producer.poll(0.05)
            try:
                self._producer.produce(self._topic, value, key)
                return
            except BufferError:
                continue
            except KafkaException as exc:
                self._failed += 1
                self._note(exc.args[0].str())
                return

    def failures_so_far(self) -> int:
        return self._failed

    def close(self) -> Delivery:
        try:
            unconfirmed = self._producer.flush(FLUSH_TIMEOUT_SECONDS)
        except KeyboardInterrupt:
            # A second Ctrl-C while waiting: give up waiting, but say what is unknown.
            unconfirmed = len(self._producer)
        if unconfirmed:
            self._producer.purge()
            self._producer.flush(0)
        problems = tuple(f"{text} (x{times})" for text, times in self._problems.items())
        return Delivery(self._written, self._failed, unconfirmed, problems)

"""Kafka for tests: the broker named by KAFKA_BOOTSTRAP_SERVERS, else the local one
that scripts/local-kafka.sh starts (and leaves running for the next run)."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import pytest
from confluent_kafka import (
    OFFSET_END,
    Consumer,
    IsolationLevel,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec

from testsupport.kafka_security import SecureKafka

ROOT = Path(__file__).resolve().parent.parent
# The tests' fixed topics by role (kafka_test_topics), their partitions, and the topic
# settings of the compacted one (as device-settings is made everywhere).
TEST_TOPIC_ROLES = {
    "events": "events-test",
    "alerts": "alerts-test",
    "dlq": "events-dlq-test",
    "status": "device-status-test",
    "settings": "device-settings-test",
}
TEST_TOPICS = {
    "events-test": 3,
    "alerts-test": 1,
    "events-dlq-test": 1,
    "device-status-test": 1,
    "device-settings-test": 1,
}
COMPACTED = {"cleanup.policy": "compact"}
# Tests write records stamped on fixed days of the past; under the broker's retention
# (7 days) its check, every 5 minutes, deletes them whenever it falls within a test.
KEPT = {"retention.ms": "-1"}
TEST_TOPIC_CONFIGS = {"device-settings-test": COMPACTED}
# A freshly started broker has taken up to a few seconds to lead a new topic's
# partitions; a minute means something is wrong with the broker, not the test.
READY_TIMEOUT_S = 60.0
# What a partition answers while its leader is being elected or has not yet taken
# over: worth asking again, unlike an error in the request itself.
NOT_READY = {
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError.FENCED_LEADER_EPOCH,
    KafkaError.UNKNOWN_LEADER_EPOCH,
    KafkaError.REQUEST_TIMED_OUT,
    KafkaError._UNKNOWN_PARTITION,
    KafkaError._UNKNOWN_TOPIC,
    KafkaError._TIMED_OUT,
    KafkaError._TRANSPORT,
    KafkaError._NOENT,  # the admin client's "no leaders found"
}


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if given:
        return given
    subprocess.run([str(ROOT / "scripts" / "local-kafka.sh"), "start"], check=True)
    return "localhost:" + os.environ.get("KAFKA_PORT", "9092")


# The secure broker of the tests: its own, beside the plain one (which may be running
# for others without the listener); started once and left running, as that one is.
SECURE_TEST_PORTS = {"KAFKA_PORT": "29092", "KAFKA_CONTROLLER_PORT": "29093"}
SECURE_TEST_PORTS["KAFKA_SECURE_PORT"] = "29095"


@pytest.fixture(scope="session")
def secure_kafka() -> SecureKafka:
    """A SASL_SSL listener (SCRAM-SHA-512 over TLS) and its client files: the broker
    named by KAFKA_SECURE_BOOTSTRAP_SERVERS (with KAFKA_SECURE_HOME, laid out as
    scripts/local-kafka.sh --secure writes it, and KAFKA_BOOTSTRAP_SERVERS, a plain
    listener of the same cluster), else a local one in .local/kafka-secure."""
    given = os.environ.get("KAFKA_SECURE_BOOTSTRAP_SERVERS")
    if given:
        return SecureKafka(
            os.environ["KAFKA_BOOTSTRAP_SERVERS"], given, Path(os.environ["KAFKA_SECURE_HOME"])
        )
    home = ROOT / ".local" / "kafka-secure"
    env = {**os.environ, **SECURE_TEST_PORTS, "KAFKA_HOME_DIR": str(home)}
    script = ROOT / "scripts" / "local-kafka.sh"
    done = subprocess.run(
        [str(script), "start", "--secure"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{script} start --secure failed:\n{done.stdout}{done.stderr}"
    return SecureKafka(
        f"localhost:{SECURE_TEST_PORTS['KAFKA_PORT']}",
        f"localhost:{SECURE_TEST_PORTS['KAFKA_SECURE_PORT']}",
        home,
    )


@pytest.fixture(scope="session")
def kafka_admin(kafka_bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": kafka_bootstrap})


def not_ready(error: KafkaException | KafkaError) -> bool:
    """Whether `error` is a partition not led yet (ask again) rather than a real failure."""
    kafka_error = error.args[0] if isinstance(error, KafkaException) else error
    return isinstance(kafka_error, KafkaError) and (
        kafka_error.code() in NOT_READY or kafka_error.retriable()
    )


def ensure_topics(
    admin: AdminClient,
    bootstrap: str,
    topics: dict[str, int],
    configs: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Create the missing ones of `topics` (name: partitions), each with its topic
    settings of `configs` (name: {key: value}, e.g. COMPACTED), then wait until every
    partition of each, new or not, has a leader that answers."""
    existing = admin.list_topics(timeout=10).topics
    wanted = [
        NewTopic(
            name,
            num_partitions=partitions,
            replication_factor=1,
            config=dict((configs or {}).get(name, {})),
        )
        for name, partitions in topics.items()
        if name not in existing
    ]
    if wanted:
        for future in admin.create_topics(wanted, operation_timeout=30).values():
            try:
                future.result()
            except KafkaException as error:  # made meanwhile by another test session
                if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise
    wait_until_ready(bootstrap, topics)


def wait_until_ready(
    bootstrap: str, topics: Iterable[str], timeout_s: float = READY_TIMEOUT_S
) -> None:
    """Until every partition of `topics` has a leader and answers a list-offsets request.

    Metadata names a leader before that broker serves the partition: a new topic's
    first requests are answered NOT_LEADER_FOR_PARTITION for a moment."""
    pending = sorted(set(topics))
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"ready-{uuid.uuid4()}"})
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            reasons = {name: _why_not_ready(consumer, name) for name in pending}
            pending = [name for name, reason in reasons.items() if reason]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"Kafka at {bootstrap}: topics {pending} not ready within {timeout_s:.0f} s"
                    f" (last answer: {reasons[pending[0]]}); is the broker healthy? "
                    "The local one logs to .local/kafka/broker.log"
                )
            time.sleep(0.2)
    finally:
        consumer.close()


def _why_not_ready(consumer: Consumer, topic: str) -> str | None:
    """None when every partition of `topic` answers, else what stood in the way."""
    metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
    if metadata is None or metadata.error is not None or not metadata.partitions:
        return f"{topic}: {metadata.error if metadata else 'unknown topic'}"
    for partition in metadata.partitions.values():
        if partition.leader < 0 or partition.error is not None:
            return f"{topic}[{partition.id}]: no leader ({partition.error})"
        try:
            consumer.get_watermark_offsets(TopicPartition(topic, partition.id), timeout=10)
        except KafkaException as error:
            if not not_ready(error):
                raise
            return f"{topic}[{partition.id}]: {error.args[0].str()}"
    return None


def clear_topic(
    admin: AdminClient, bootstrap: str, topic: str, timeout_s: float = READY_TIMEOUT_S
) -> None:
    """Delete every record of `topic` up to its current end (offsets keep growing).

    Not for a compacted topic: the broker refuses to delete its records
    (POLICY_VIOLATION); recreate_topic empties one."""
    wait_until_ready(bootstrap, [topic], timeout_s)
    pending = list(admin.list_topics(topic, timeout=10).topics[topic].partitions)
    deadline = time.monotonic() + timeout_s
    while True:
        refused = _delete_to_end(admin, topic, pending)
        if not refused:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"Kafka at {bootstrap}: records of {topic} not deleted within"
                f" {timeout_s:.0f} s (last answer: {next(iter(refused.values()))})"
            )
        pending = list(refused)
        time.sleep(0.2)


def _delete_to_end(admin: AdminClient, topic: str, partitions: list[int]) -> dict[int, str]:
    """Delete the records of `partitions` up to their end; the partitions that were not
    ready, with what they answered."""
    ends = [TopicPartition(topic, partition, OFFSET_END) for partition in partitions]
    refused: dict[int, str] = {}
    for end, future in admin.delete_records(ends, operation_timeout=30).items():
        try:
            future.result()
        except KafkaException as error:
            if not not_ready(error):
                raise
            refused[end.partition] = f"{topic}[{end.partition}]: {error.args[0].str()}"
    return refused


def recreate_topic(
    admin: AdminClient,
    bootstrap: str,
    topic: str,
    partitions: int,
    config: Mapping[str, str] | None = None,
    timeout_s: float = READY_TIMEOUT_S,
) -> None:
    """Delete `topic` (if there is one) and make it anew, empty from offset 0, with
    `config`; then wait until it answers. How a compacted topic is emptied."""
    if topic in admin.list_topics(timeout=10).topics:
        for future in admin.delete_topics([topic], operation_timeout=30).values():
            try:
                future.result()
            except KafkaException as error:  # deleted meanwhile by another test session
                if error.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                    raise
    new = NewTopic(
        topic, num_partitions=partitions, replication_factor=1, config=dict(config or {})
    )
    deadline = time.monotonic() + timeout_s
    while True:
        (future,) = admin.create_topics([new], operation_timeout=30).values()
        try:
            future.result()
            break
        except KafkaException as error:
            # A deletion the broker has not finished yet answers that the topic exists.
            exists = error.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS
            if not exists or time.monotonic() > deadline:
                raise
        time.sleep(0.2)
    wait_until_ready(bootstrap, [topic], timeout_s)


def has_open_transaction(admin: AdminClient, topic: str) -> bool:
    """Whether a transaction holds read_committed readers of `topic` back: the end they
    see is short of the partition's end, whatever was deleted since it began."""
    partitions = list(admin.list_topics(topic, timeout=10).topics[topic].partitions)
    ends = [
        {
            tp.partition: future.result().offset
            for tp, future in admin.list_offsets(
                {TopicPartition(topic, p): OffsetSpec.latest() for p in partitions},
                isolation_level=level,
            ).items()
        }
        for level in (IsolationLevel.READ_COMMITTED, IsolationLevel.READ_UNCOMMITTED)
    ]
    return ends[0] != ends[1]


def reset_test_topics(admin: AdminClient, bootstrap: str) -> dict[str, str]:
    """The tests' fixed topics (TEST_TOPIC_ROLES), empty: the compacted settings topic
    made anew, the others made where missing and cleared. Their names by role.

    A topic that a transaction holds back (a monitor killed, or a job cancelled, whose
    writers never aborted) is made anew too: cleared, it would stay unreadable to the
    next test's read_committed readers until the transaction timeout."""
    plain = {name: n for name, n in TEST_TOPICS.items() if name not in TEST_TOPIC_CONFIGS}
    ensure_topics(admin, bootstrap, plain)
    for topic, partitions in plain.items():
        if has_open_transaction(admin, topic):
            recreate_topic(admin, bootstrap, topic, partitions)
        else:
            clear_topic(admin, bootstrap, topic)
    for topic, config in TEST_TOPIC_CONFIGS.items():
        recreate_topic(admin, bootstrap, topic, TEST_TOPICS[topic], config)
    return dict(TEST_TOPIC_ROLES)


@pytest.fixture
def kafka_test_topics(kafka_bootstrap: str, kafka_admin: AdminClient) -> dict[str, str]:
    """events-test (3 partitions), alerts-test, events-dlq-test, device-status-test and
    the compacted device-settings-test, empty before the test; by role ("events",
    "alerts", "dlq", "status", "settings")."""
    return reset_test_topics(kafka_admin, kafka_bootstrap)


@pytest.fixture
def topic_factory(
    kafka_bootstrap: str, kafka_admin: AdminClient
) -> Iterator[Callable[[str, int], str]]:
    """Makes topics of the test's own (`prefix-<random>`), kept whatever their records'
    times (KEPT), deleted after the test."""
    made: list[str] = []

    def make(prefix: str, partitions: int) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        ensure_topics(kafka_admin, kafka_bootstrap, {name: partitions}, {name: KEPT})
        made.append(name)
        return name

    yield make
    if made:
        kafka_admin.delete_topics(made, operation_timeout=30)


@pytest.fixture
def fresh_topic(topic_factory: Callable[[str, int], str]) -> str:
    """A topic of its own for one test (3 partitions), deleted afterwards."""
    return topic_factory("test", 3)

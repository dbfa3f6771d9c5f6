"""`iot-monitor devices`: the per-device settings topic (SPEC s10), written and read.

A record replaces its key's whole value, so every change reads the key's newest value
first and writes it back with the change (`pause` keeps a timeout set before it). The
monitor is the one judge of a setting: what is about to be written is checked, and what
`show` reads is resolved, by the monitor's own Java classes (`DeviceSettings`,
`SettingsView`), through the settings file format of `replay --settings`.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from iot_kafka_clients.config import librdkafka_config

from iot_monitor.settings import MonitorSettings

log = logging.getLogger(__name__)

PATTERN_PREFIX = "pattern:"
Value = dict[str, Any]


class DevicesError(Exception):
    """A settings change that cannot be made, in words for the operator."""


@dataclass(frozen=True)
class Stored:
    """A key's newest record on the topic."""

    key: str
    value: bytes | None
    timestamp_ms: int

    def parsed(self) -> Value | None:
        """Its value as JSON, or None for a deletion (or a value that is no object)."""
        if self.value is None:
            return None
        try:
            value = json.loads(self.value)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


def _client_config(settings: MonitorSettings) -> dict[str, Any]:
    return {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        **librdkafka_config(settings.kafka_properties),
    }


def read_topic(settings: MonitorSettings, timeout_s: float = 30) -> list[Stored]:
    """The records of the settings topic, from its start to its end, in order."""
    topic = settings.settings_topic
    if not topic:
        raise DevicesError("--settings.topic is empty: there is no settings topic to use")
    consumer = Consumer(
        {
            **_client_config(settings),
            "group.id": f"iot-monitor-devices-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=timeout_s)
        described = metadata.topics.get(topic)
        if described is None or described.error is not None:
            raise DevicesError(
                f"no topic {topic} on {settings.kafka_bootstrap_servers} (--settings.topic); "
                "scripts/local-kafka.sh topics creates it for the local broker"
            )
        ends = {}
        for partition in described.partitions:
            _, high = consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=timeout_s
            )
            if high > 0:
                ends[partition] = high
        records: list[Stored] = []
        if ends:
            consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
        deadline = time.monotonic() + timeout_s
        read = 0
        while ends:
            if time.monotonic() > deadline:
                raise DevicesError(f"reading {topic} took longer than {timeout_s:.0f} s")
            for message in consumer.consume(10_000, timeout=1):
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        continue
                    raise DevicesError(f"reading {topic}: {error.str()}")
                read += 1
                key = (message.key() or b"").decode("utf-8", errors="replace")
                records.append(Stored(key, message.value(), message.timestamp()[1]))
                partition, offset = message.partition(), message.offset()
                if partition in ends and offset is not None and offset + 1 >= ends[partition]:
                    del ends[partition]
                if read % 100_000 == 0:
                    log.info("read %d records of %s", read, topic)
        return records
    finally:
        consumer.close()


def _java_classes() -> Any:
    """The monitor's settings classes, in a JVM started for them (about two seconds)."""
    from iot_monitor.flink_env import bounded_environment
    from iot_monitor.pipeline import java_class

    bounded_environment(MonitorSettings())
    return java_class


def _read_as_monitor(
    records: Iterable[tuple[str, Value | None, int]], settings: MonitorSettings
) -> Any:
    """`records` (key, value, time in ms) read by the monitor's own reader of settings
    files: its good records and, per bad one, "LINE: reason"."""
    unit = settings.time_unit.ms_per_unit
    with tempfile.TemporaryDirectory(prefix="iot-devices-") as folder:
        path = Path(folder) / "settings.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for key, value, time_ms in records:
                out.write(json.dumps({"key": key, "time": time_ms / unit, "value": value}) + "\n")
        return _java_classes()("SettingsInput").readFile(str(path), unit)


def write(settings: MonitorSettings, changes: Sequence[tuple[str, Value | None]]) -> None:
    """Write `changes` (key, whole new value or None to delete), once the monitor's own
    rules accept every one of them; none is written otherwise."""
    now_ms = int(time.time() * 1000)
    checked = _read_as_monitor(((key, value, now_ms) for key, value in changes), settings)
    problems = [str(problem) for problem in checked.problems()]
    if problems:
        # "LINE: reason": the line is the change's place in `changes`, from 1.
        reasons = [problem.split(": ", 1)[1] for problem in problems[:5]]
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise DevicesError("; ".join(reasons) + more + "; nothing was written")
    failures: list[str] = []

    def delivered(error: KafkaError | None, message: Any) -> None:
        if error is not None:
            failures.append(f"{message.key().decode()}: {error.str()}")

    producer = Producer({**_client_config(settings), "enable.idempotence": True, "acks": "all"})
    for number, (key, value) in enumerate(changes, 1):
        body = None if value is None else json.dumps(value).encode()
        producer.produce(settings.settings_topic, body, key.encode(), on_delivery=delivered)
        if number % 10_000 == 0:
            producer.poll(0)
            log.info("sent %d of %d settings", number, len(changes))
    left = producer.flush(30)
    if left or failures:
        raise DevicesError(
            f"{left + len(failures)} of {len(changes)} settings were not written to "
            f"{settings.settings_topic}: {'; '.join(failures[:3]) or 'no answer in 30 s'}"
        )


def newest(records: Iterable[Stored]) -> dict[str, Stored]:
    """Each key's newest record that holds a JSON object or deletes it: the value a
    change starts from."""
    found: dict[str, Stored] = {}
    for record in records:
        if record.value is None or record.parsed() is not None:
            found[record.key] = record
    return found


def merged(stored: dict[str, Stored], key: str, **fields: Any) -> Value:
    """`key`'s newest value with `fields` changed (a field set to `...` is removed)."""
    current = stored[key].parsed() if key in stored else None
    value = dict(current or {})
    for field, new in fields.items():
        name = field.replace("_", "-")
        if new is ...:
            value.pop(name, None)
        else:
            value[name] = new
    return value


def view(settings: MonitorSettings, records: list[Stored]) -> Any:
    """The monitor's `SettingsView` of the topic's records, read as the monitor reads
    them (a bad one leaves its key as it was), and the monitor's reader's result."""
    # A value that is no JSON object is one the monitor rejects: the key keeps what it had.
    readable = [s for s in records if s.value is None or s.parsed() is not None]
    read = _read_as_monitor(((s.key, s.parsed(), s.timestamp_ms) for s in readable), settings)
    java_class = _java_classes()
    return java_class("SettingsView")(read.good(), settings.inactivity_timeout_ms), read


def bad_values(records: list[Stored]) -> list[str]:
    """The keys of records whose value is not a JSON object: the monitor rejects them."""
    return sorted({s.key for s in records if s.value is not None and s.parsed() is None})

"""The generator against a real Kafka broker: what it reports sent is what the topic
holds, keyed by device and spread over the partitions."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict

import pytest
from confluent_kafka import KafkaException, TopicPartition
from confluent_kafka.admin import NewTopic
from iot_event_generator.cli import main

from .kafka_reading import read_topic

pytestmark = pytest.mark.kafka


def generate(bootstrap: str, topic: str, truth_path, *flags: str) -> tuple[int, dict]:
    code = main(
        ["--kafka.bootstrap.servers", bootstrap, "--topic", topic, "--quiet",
         "--truth-file", str(truth_path), *flags]
    )  # fmt: skip
    return code, json.loads(truth_path.read_text())


def test_every_event_reported_sent_is_in_the_topic_keyed_by_device(
    kafka_bootstrap, fresh_topic, tmp_path
):
    code, truth = generate(
        kafka_bootstrap, fresh_topic, tmp_path / "truth.json",
        "--num.devices", "60", "--event.interval.ms", "50", "--duration.seconds", "2",
        "--failure.probability", "0.3",
    )  # fmt: skip
    records = read_topic(kafka_bootstrap, fresh_topic)
    events = [json.loads(record.value()) for record in records]
    assert code == 0
    assert truth["events"]["sent"] > 0
    assert len(records) == truth["events"]["sent"] == truth["events"]["records-delivered"]
    assert [r.key().decode() for r in records] == [e["device-id"] for e in events]
    assert len({e["event-id"] for e in events}) == len(events)
    partitions_of_device = defaultdict(set)
    for record in records:
        partitions_of_device[record.key()].add(record.partition())
    assert {r.partition() for r in records} == {0, 1, 2}
    assert all(len(parts) == 1 for parts in partitions_of_device.values())
    assert len(partitions_of_device) == 60


def test_failed_devices_fall_silent_in_the_topic(kafka_bootstrap, fresh_topic, tmp_path):
    code, truth = generate(
        kafka_bootstrap, fresh_topic, tmp_path / "truth.json",
        "--num.devices", "20", "--event.interval.ms", "100", "--duration.seconds", "3",
        "--failure.probability", "0.5", "--seed", "4",
    )  # fmt: skip
    last_time = defaultdict(int)
    for record in read_topic(kafka_bootstrap, fresh_topic):
        event = json.loads(record.value())
        last_time[event["device-id"]] = max(last_time[event["device-id"]], event["time"])
    assert code == 0
    assert truth["failures"], "seed 4 makes devices fail"
    for failure in truth["failures"]:
        assert last_time[failure["device-id"]] == failure["last-event-time"]


def test_malformed_records_reach_the_topic_and_are_counted_apart(
    kafka_bootstrap, fresh_topic, tmp_path
):
    code, truth = generate(
        kafka_bootstrap, fresh_topic, tmp_path / "truth.json",
        "--num.devices", "50", "--event.interval.ms", "100", "--duration.seconds", "2",
        "--bad-fraction", "0.3", "--seed", "9",
    )  # fmt: skip
    records = read_topic(kafka_bootstrap, fresh_topic)
    well_formed = [r for r in records if r.value() and r.value().startswith(b'{"event-id": "')
                   and not r.value().startswith(b'{"event-id": "hostile-')]  # fmt: skip
    assert code == 0
    assert len(records) == truth["events"]["sent"] + truth["events"]["malformed-sent"]
    assert len(well_formed) == truth["events"]["sent"]
    tombstones = sum(1 for r in records if r.value() is None)
    assert tombstones == truth["events"]["malformed-by-case"].get("tombstone", 0) > 0


def test_a_missing_topic_is_one_line_and_exit_code_1(kafka_bootstrap, capsys):
    code = main(["--kafka.bootstrap.servers", kafka_bootstrap, "--topic", "no-such-topic-here"])
    err = capsys.readouterr().err
    assert code == 1
    assert err == f"error: topic 'no-such-topic-here' does not exist at {kafka_bootstrap}\n"


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_signal_flushes_and_the_summary_counts_what_the_topic_holds(
    kafka_bootstrap, fresh_topic, kafka_admin, tmp_path, stop_signal
):
    truth_path = tmp_path / "truth.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "iot_event_generator", "--kafka.bootstrap.servers",
         kafka_bootstrap, "--topic", fresh_topic, "--num.devices", "2000", "--rate", "50000",
         "--duration.seconds", "120", "--truth-file", str(truth_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        wait_for_records(kafka_admin, kafka_bootstrap, fresh_topic)
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    truth = json.loads(truth_path.read_text())
    records = read_topic(kafka_bootstrap, fresh_topic)
    assert process.returncode == 128 + stop_signal, err
    assert truth["stopped-early"] == "stopped by the operator"
    assert len(records) == truth["events"]["sent"] == truth["events"]["records-delivered"]
    assert f"Sent {truth['events']['sent']:,} events" in out
    assert "Traceback" not in err


def wait_for_records(admin, bootstrap: str, topic: str, timeout: float = 30.0) -> None:
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "watermarks"})
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                highs = [
                    consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=5)[1]
                    for p in range(3)
                ]
            except KafkaException:
                highs = []  # a new topic's partitions may still be electing leaders
            if sum(highs) > 1000:
                return
            time.sleep(0.2)
        raise AssertionError(f"no records in {topic} after {timeout} s")
    finally:
        consumer.close()


def test_records_kafka_refuses_are_counted_failed_and_the_rest_delivered(
    kafka_bootstrap, fresh_topic, tmp_path
):
    # The client refuses records above 50,000 bytes: the oversize and deep-nesting cases.
    code, truth = generate(
        kafka_bootstrap, fresh_topic, tmp_path / "truth.json",
        "--num.devices", "50", "--event.interval.ms", "100", "--duration.seconds", "2",
        "--bad-fraction", "0.3", "--seed", "9", "--kafka.property", "message.max.bytes=50000",
    )  # fmt: skip
    records = read_topic(kafka_bootstrap, fresh_topic)
    by_case = truth["events"]["malformed-by-case"]
    too_big = by_case.get("oversize", 0) + by_case.get("deep-nesting", 0)
    assert code == 1
    assert too_big > 0
    assert truth["events"]["records-failed"] == too_big
    assert truth["events"]["records-unconfirmed"] == 0
    assert len(records) == truth["events"]["records-delivered"]
    assert len(records) == truth["events"]["sent"] + truth["events"]["malformed-sent"] - too_big


def test_records_the_broker_refuses_are_never_counted_delivered(
    kafka_bootstrap, kafka_admin, tmp_path
):
    topic = f"test-small-{uuid.uuid4().hex[:8]}"
    config = {"max.message.bytes": "30000"}
    for future in kafka_admin.create_topics([NewTopic(topic, 1, 1, config=config)]).values():
        future.result()
    try:
        code, truth = generate(
            kafka_bootstrap, topic, tmp_path / "truth.json",
            "--num.devices", "50", "--event.interval.ms", "100", "--duration.seconds", "2",
            "--bad-fraction", "0.3", "--seed", "9", "--kafka.property", "compression.type=none",
        )  # fmt: skip
        records = read_topic(kafka_bootstrap, topic)
    finally:
        for future in kafka_admin.delete_topics([topic], operation_timeout=30).values():
            future.result()
    events = truth["events"]
    assert code == 1
    assert events["records-failed"] > 0
    assert len(records) == events["records-delivered"]
    assert (
        events["records-delivered"] + events["records-failed"] + events["records-unconfirmed"]
        == events["sent"] + events["malformed-sent"]
    )

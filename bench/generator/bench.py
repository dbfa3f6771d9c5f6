"""How fast the event generator produces: events per second to Kafka and to a file.

    .venv/bin/python bench/generator/bench.py [--events N] [--devices N] [--bootstrap HOST:PORT]

A simulated run (--no-sleep) of N events from a fleet with no failures, once into the
topic `bench-generator` (created with 3 partitions for the run and deleted after it)
and once into a temporary file. The Kafka figure includes waiting until the broker
acknowledged every record. CPU time is that of the whole process (Python and the
Kafka client's threads).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from iot_event_generator.kafka_sink import KafkaSink
from iot_event_generator.runner import run
from iot_event_generator.settings import GeneratorSettings
from iot_event_generator.sinks import FileSink, Sink

TOPIC = "bench-generator"


def create_topic(admin: AdminClient, bootstrap: str) -> None:
    if TOPIC in admin.list_topics(timeout=10).topics:
        delete_topic(admin)
    for future in admin.create_topics([NewTopic(TOPIC, 3, 1)]).values():
        future.result()
    # Not in the measured time: a new partition's leader answers only after a moment.
    wait_for(lambda: answers(bootstrap), f"every partition of {TOPIC} to answer")


def delete_topic(admin: AdminClient) -> None:
    """The benchmark's records are of no further use; do not let them pile up."""
    for future in admin.delete_topics([TOPIC], operation_timeout=30).values():
        with contextlib.suppress(KafkaException):  # already gone
            future.result()
    # The topic can be made again only once the deletion is through.
    wait_for(lambda: TOPIC not in admin.list_topics(timeout=10).topics, f"{TOPIC} to go")


def answers(bootstrap: str) -> bool:
    """Whether every partition of the topic has a leader that answers list-offsets."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-generator-ready"})
    try:
        partitions = consumer.list_topics(TOPIC, timeout=10).topics[TOPIC].partitions
        for number, partition in partitions.items():
            if partition.leader < 0:
                return False
            consumer.get_watermark_offsets(TopicPartition(TOPIC, number), timeout=5)
        return bool(partitions)
    except KafkaException:
        return False
    finally:
        consumer.close()


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"waited {timeout_s:.0f} s for {what}; is the broker healthy?")
        time.sleep(0.2)


def measure(name: str, settings: GeneratorSettings, open_sink: Callable[[], Sink]) -> None:
    sink = open_sink()
    wall, cpu = time.perf_counter(), time.process_time()
    report = run(settings, sink)
    delivery = sink.close()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if not delivery.all_delivered:
        sys.exit(f"{name}: {delivery.failed} failed, {delivery.unconfirmed} unconfirmed")
    print(
        f"{name:<6} {report.events_sent:>10,} events in {wall:6.2f} s = "
        f"{report.events_sent / wall:>9,.0f} events/s  (CPU {cpu:5.2f} s, "
        f"{report.events_sent / cpu:>9,.0f} events per CPU second)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument(
        "--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    )
    args = parser.parse_args()
    rounds = max(1, args.events // args.devices)
    common = {
        "num_devices": args.devices,
        "event_interval_ms": 1000,
        "duration_seconds": rounds,
        "failure_probability": 0.0,
        "no_sleep": True,
        "seed": 1,
        "quiet": True,
    }
    print(f"{rounds * args.devices:,} events from {args.devices:,} devices, {os.cpu_count()} CPUs")
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    create_topic(admin, args.bootstrap)
    try:
        kafka = GeneratorSettings(**common, bootstrap_servers=args.bootstrap, topic=TOPIC)
        measure("kafka", kafka, lambda: KafkaSink(args.bootstrap, TOPIC, {}, 10))
    finally:
        delete_topic(admin)
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "events.jsonl")
        measure("file", GeneratorSettings(**common, output=path), lambda: FileSink(path))


if __name__ == "__main__":
    main()

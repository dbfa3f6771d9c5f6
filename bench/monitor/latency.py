"""Alert latency: from an alert's check instant (its Kafka timestamp) until a
read_committed consumer sees it, on a live fleet of which some devices stop.

    .venv/bin/python -m bench.monitor.latency [--devices 100] [--stop 10]
        [--stop-after 20] [--duration 160] [--delivery exactly-once|at-least-once]

The monitor starts on fresh topics; meanwhile this command sends one event per device
per second, stamped with the wall clock, stops `--stop` devices after `--stop-after`
seconds and keeps the others going until `--duration`. A stopped device's first alert
is due at the first multiple of 30 s more than 60 s after its last event, then every
30 s. Target: max out-of-orderness (5 s) + checkpoint interval (10 s) + 1 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from bench.monitor import kafka_tools
from bench.monitor.common import (
    console,
    load_average,
    machine_line,
    print_table,
    wait_for_quiet_machine,
)

TARGET_S = 5 + 10 + 1


class LiveFleet:
    """One event per device per second, from a plain producer, until told to stop."""

    def __init__(self, topic: str, devices: int) -> None:
        self.topic = topic
        self.producer = Producer({"bootstrap.servers": kafka_tools.bootstrap(), "linger.ms": 5})
        self.live = [f"lat-{number:04d}" for number in range(devices)]
        self.sent = 0
        self.next_second = int(time.time()) + 1

    def stop_devices(self, count: int) -> list[str]:
        stopped, self.live = self.live[:count], self.live[count:]
        return stopped

    def send_due(self) -> None:
        now = time.time()
        while self.next_second <= now:
            for device in self.live:
                body = json.dumps(
                    {"event-id": f"{device}-{self.next_second}", "device-id": device,
                     "time": self.next_second}
                )  # fmt: skip
                self.producer.produce(self.topic, body.encode(), key=device.encode())
                self.sent += 1
            self.next_second += 1
        self.producer.poll(0)

    def close(self) -> None:
        self.producer.flush(10)


def committed_alert_reader(topic: str) -> Consumer:
    consumer = Consumer(
        {
            "bootstrap.servers": kafka_tools.bootstrap(),
            "group.id": f"bench-latency-{kafka_tools.run_id()}",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    return consumer


def _run(args: argparse.Namespace, events: str, alerts: str) -> tuple[list[Any], list[str], int]:
    run = kafka_tools.run_id()
    flags, checkpoints = kafka_tools.monitor_flags(run, events, alerts, args.delivery, 1)
    process = kafka_tools.start_monitor(flags, f"latency-{args.delivery}-{run}")
    fleet = LiveFleet(events, args.devices)
    reader = committed_alert_reader(alerts)
    started = time.time()
    stopped: list[str] = []
    seen: list[Any] = []
    try:
        while time.time() - started < args.duration:
            if process.poll() is not None:
                raise RuntimeError(f"the monitor exited with {process.returncode}; see its log")
            if not stopped and time.time() - started >= args.stop_after:
                stopped = fleet.stop_devices(args.stop)
            fleet.send_due()
            for message in reader.consume(num_messages=1000, timeout=0.1):
                if message.error() or message.value() is None:
                    continue
                seen_at_ms = time.time() * 1000
                body = json.loads(message.value() or b"{}")
                seen.append((body["device-id"], message.timestamp()[1], seen_at_ms))
    finally:
        fleet.close()
        reader.close()
        kafka_tools.stop_monitor(process)
        shutil.rmtree(checkpoints, ignore_errors=True)
    return seen, stopped, fleet.sent


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--stop", type=int, default=10, help="devices that fall silent")
    parser.add_argument("--stop-after", type=float, default=20.0, help="seconds")
    parser.add_argument("--duration", type=float, default=160.0, help="seconds")
    parser.add_argument(
        "--delivery", choices=["exactly-once", "at-least-once"], default="exactly-once"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    console.print(f"machine: {machine_line()}; Kafka at {kafka_tools.bootstrap()}")
    prefix = f"bench-mon-{kafka_tools.run_id()}"
    topics = [f"{prefix}-events", f"{prefix}-alerts", f"{prefix}-alerts-dlq"]
    kafka_tools.create_topics(topics, [3, 1, 1])
    load_before = wait_for_quiet_machine()
    try:
        seen, stopped, sent = _run(args, topics[0], topics[1])
    finally:
        kafka_tools.delete_topics(topics)
    load_after = load_average()
    latencies = [(seen_at - check_ms) / 1000 for _, check_ms, seen_at in seen]
    unexpected = sorted({device for device, _, _ in seen} - set(stopped))
    console.print(
        f"{sent:,} events sent; {len(stopped)} devices stopped after {args.stop_after:.0f} s; "
        f"{len(seen)} alerts for {len({d for d, _, _ in seen})} devices; "
        f"alerts for devices that kept sending: {unexpected or 'none'}"
    )
    rows: list[list[object]] = [[f"load average before / after: {load_before:.2f} / "
                                 f"{load_after:.2f}", "", ""]]  # fmt: skip
    if latencies:
        rows = [
            ["median", f"{statistics.median(latencies):.2f}", f"{TARGET_S}"],
            ["max", f"{max(latencies):.2f}", f"{TARGET_S}"],
            ["min", f"{min(latencies):.2f}", "-"],
            *rows,
        ]
    print_table(
        f"Alert latency, {args.delivery}: check instant to read_committed consumer "
        f"({len(latencies)} alerts)",
        ["", "seconds", "target s"],
        rows,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

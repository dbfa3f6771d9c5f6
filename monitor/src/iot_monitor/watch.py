"""`iot-monitor watch`: the alerts and status changes as they are committed, in a
live table of the devices silent now.

Reads like any downstream consumer does (read_committed), so what it shows is what
storage and dashboards will see. A device that comes back leaves the table, and a
line says after how long. Without a terminal it prints one line per alert and change.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NoReturn

import typer
from confluent_kafka import Consumer, Message
from iot_kafka_clients.config import (
    ClientErrors,
    KafkaConnectionError,
    KafkaSettingsError,
    cluster_metadata,
    describe_refusal,
    librdkafka_config,
)
from rich.console import Console
from rich.live import Live
from rich.table import Table

from iot_monitor.settings import MonitorSettings
from iot_monitor.timeunit import TimeUnit


@dataclass
class DeviceAlerts:
    alerts: int
    latest_event_ms: int
    last_check_ms: int


@dataclass
class AlertBoard:
    unit: TimeUnit
    devices: dict[str, DeviceAlerts] = field(default_factory=dict)
    alerts: int = 0
    dead_letters: int = 0
    returns: int = 0
    events: list[str] = field(default_factory=list)

    def add_alert(self, value: bytes, check_ms: int) -> str:
        body = json.loads(value)
        device = str(body["device-id"])
        latest_ms = self.unit.to_ms(body["latest-event-time"])
        entry = self.devices.setdefault(device, DeviceAlerts(0, latest_ms, check_ms))
        entry.alerts += 1
        entry.latest_event_ms, entry.last_check_ms = latest_ms, check_ms
        self.alerts += 1
        return (
            f"ALERT {device}: silent since {clock(latest_ms)} "
            f"({(check_ms - latest_ms) / 1000:.0f} s at the {clock(check_ms)} check)"
        )

    def add_status(self, value: bytes) -> str | None:
        """A status change; a device back or forgotten leaves the silent ones, one never
        seen (registered, never sent) gets a line of its own."""
        body = json.loads(value)
        status = str(body["status"])
        at_ms = self.unit.to_ms(body["at"])
        if "monitor" in body:
            line = f"INPUT {status.removeprefix('input-').upper()} at {clock(at_ms)}"
        elif status == "silent":
            return None  # its alert says it
        elif status == "never-seen":
            # Its alerts follow; what they cannot say is that it never sent at all.
            registered_ms = self.unit.to_ms(body["since"])
            line = f"NEVER SEEN {body['device-id']}: registered at {clock(registered_ms)}"
        else:
            device = str(body["device-id"])
            self.devices.pop(device, None)
            since_ms = self.unit.to_ms(body["since"])
            if status == "back":
                self.returns += 1
                line = f"BACK {device} at {clock(at_ms)}, after {(at_ms - since_ms) / 1000:.0f} s"
            else:
                line = f"FORGOTTEN {device}: silent since {clock(since_ms)}"
        self.events = [*self.events[-4:], line]
        return line

    def table(self) -> Table:
        table = Table(
            title=f"{len(self.devices)} devices silent now; {self.alerts} alerts, "
            f"{self.returns} returns, {self.dead_letters} bad events dead-lettered",
            caption="\n".join([*self.events, "times in UTC; Ctrl-C to stop"]),
        )
        for name in ("device", "alerts", "last event", "silent for", "last check"):
            table.add_column(name)
        now_ms = time.time() * 1000
        recent = sorted(self.devices.items(), key=lambda item: -item[1].last_check_ms)
        for device, entry in recent[:40]:
            table.add_row(
                device,
                str(entry.alerts),
                clock(entry.latest_event_ms),
                f"{(now_ms - entry.latest_event_ms) / 1000:.0f} s",
                clock(entry.last_check_ms),
            )
        return table


def clock(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%H:%M:%S")


CONNECT_TIMEOUT_S = 15


def _consumer(settings: MonitorSettings, from_beginning: bool, errors: ClientErrors) -> Consumer:
    """A consumer of the alerts, dead letters and status changes, once Kafka answered it."""
    config = {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "group.id": f"iot-monitor-watch-{uuid.uuid4().hex[:8]}",
        "auto.offset.reset": "earliest" if from_beginning else "latest",
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
        # the one-line error of `watch` says it all; no librdkafka connection log
        "log_level": 0,
        "error_cb": errors,
        **librdkafka_config(settings.kafka_properties),
    }
    consumer = Consumer(config)
    try:
        cluster_metadata(consumer, settings.kafka_bootstrap_servers, errors, CONNECT_TIMEOUT_S)
    except KafkaConnectionError:
        consumer.close()
        raise
    consumer.subscribe(
        [
            topic
            for topic in (settings.alerts_topic, settings.dlq_topic, settings.status_topic)
            if topic
        ]
    )
    return consumer


def _take(board: AlertBoard, message: Message, settings: MonitorSettings) -> str | None:
    value = message.value()
    if message.topic() == settings.dlq_topic:
        board.dead_letters += 1
        return None
    if value is None:
        return f"skipped a record with no value at offset {message.offset()}"
    if message.topic() == settings.status_topic:
        return board.add_status(value)
    return board.add_alert(value, message.timestamp()[1])


def watch(settings: MonitorSettings, from_beginning: bool, seconds: float | None) -> AlertBoard:
    board = AlertBoard(settings.time_unit)
    console = Console()
    errors = ClientErrors()
    try:
        consumer = _consumer(settings, from_beginning, errors)
    except (KafkaSettingsError, KafkaConnectionError) as exc:
        flag = "--kafka.property: " if isinstance(exc, KafkaSettingsError) else ""
        _fail(f"{flag}{exc}")
    stop_at = None if seconds is None else time.monotonic() + seconds
    try:
        with Live(board.table(), console=console, auto_refresh=False) as live:
            while stop_at is None or time.monotonic() < stop_at:
                if errors.refusal is not None:  # a password changed or revoked meanwhile
                    live.stop()
                    _fail(describe_refusal(errors.refusal, settings.kafka_bootstrap_servers))
                message = consumer.poll(0.5)
                if message is not None and not message.error():
                    line = _take(board, message, settings)
                    if line and not console.is_terminal:
                        console.print(line, highlight=False)
                live.update(board.table(), refresh=console.is_terminal)
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    return board


def _fail(line: str) -> NoReturn:
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"error: {line}", markup=False)
    raise typer.Exit(code=1)

"""`iot-monitor watch`: the alerts as they are committed, in a live table.

Reads like any downstream consumer does (read_committed), so what it shows is what
storage and dashboards will see. Without a terminal it prints one line per alert.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from confluent_kafka import Consumer, Message
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

    def table(self) -> Table:
        table = Table(
            title=f"{self.alerts} alerts for {len(self.devices)} silent devices; "
            f"{self.dead_letters} bad events dead-lettered",
            caption="times in UTC; Ctrl-C to stop",
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


def _consumer(settings: MonitorSettings, from_beginning: bool) -> Consumer:
    config = {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "group.id": f"iot-monitor-watch-{uuid.uuid4().hex[:8]}",
        "auto.offset.reset": "earliest" if from_beginning else "latest",
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
        **settings.kafka_properties,
    }
    consumer = Consumer(config)
    consumer.subscribe([settings.alerts_topic, settings.dlq_topic])
    return consumer


def _take(board: AlertBoard, message: Message, alerts_topic: str) -> str | None:
    value = message.value()
    if message.topic() != alerts_topic:
        board.dead_letters += 1
        return None
    if value is None:
        return f"skipped an alert record with no value at offset {message.offset()}"
    return board.add_alert(value, message.timestamp()[1])


def watch(settings: MonitorSettings, from_beginning: bool, seconds: float | None) -> AlertBoard:
    board = AlertBoard(settings.time_unit)
    console = Console()
    consumer = _consumer(settings, from_beginning)
    stop_at = None if seconds is None else time.monotonic() + seconds
    try:
        with Live(board.table(), console=console, auto_refresh=False) as live:
            while stop_at is None or time.monotonic() < stop_at:
                message = consumer.poll(0.5)
                if message is not None and not message.error():
                    line = _take(board, message, settings.alerts_topic)
                    if line and not console.is_terminal:
                        console.print(line, highlight=False)
                live.update(board.table(), refresh=console.is_terminal)
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    return board

"""Ground truth of a run: what was sent, and which devices failed when. Times are in
the unit of the events (epoch seconds, or milliseconds with --time-unit ms), so that
they compare directly with the events and the monitor's alerts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iot_event_generator.device_settings import format_duration_ms, inactivity_timeout_ms
from iot_event_generator.fleet import DeviceClass
from iot_event_generator.sinks import Delivery


@dataclass(slots=True)
class DeviceFailure:
    device_id: str
    failed_at: int  # the planned moment of the failure
    last_event_time: int | None  # time of its last event before falling silent
    recovered_at: int | None = None  # planned moment it came back, if it did
    first_event_after_recovery: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "device-id": self.device_id,
            "failed-at": self.failed_at,
            "last-event-time": self.last_event_time,
            "recovered-at": self.recovered_at,
            "first-event-after-recovery": self.first_event_after_recovery,
        }


@dataclass(slots=True)
class RunReport:
    seed: int
    run_id: str
    destination: str
    time_unit: str
    num_devices: int
    events_sent: int = 0
    malformed_sent: dict[str, int] = field(default_factory=dict)
    first_event_time: int | None = None
    last_event_time: int | None = None
    elapsed_seconds: float = 0.0
    behind_seconds: float = 0.0
    stopped_early: str | None = None  # why the run ended before its duration, if it did
    failures: list[DeviceFailure] = field(default_factory=list)
    delivery: Delivery = field(default_factory=lambda: Delivery(0, 0, 0))
    device_classes: tuple[DeviceClass, ...] = ()  # of a mixed fleet (--device-class)
    settings_written: list[str] = field(default_factory=list)  # where its settings went

    @property
    def events_per_second(self) -> float:
        return self.events_sent / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    @property
    def recovered(self) -> list[DeviceFailure]:
        return [f for f in self.failures if f.recovered_at is not None]

    def to_json(self) -> dict[str, Any]:
        truth = {
            "seed": self.seed,
            "run-id": self.run_id,
            "destination": self.destination,
            "time-unit": self.time_unit,
            "first-event-time": self.first_event_time,
            "last-event-time": self.last_event_time,
            "elapsed-seconds": round(self.elapsed_seconds, 3),
            "stopped-early": self.stopped_early,
            "events": {
                "sent": self.events_sent,
                "malformed-sent": sum(self.malformed_sent.values()),
                "malformed-by-case": dict(sorted(self.malformed_sent.items())),
                "records-delivered": self.delivery.delivered,
                "records-failed": self.delivery.failed,
                "records-unconfirmed": self.delivery.unconfirmed,
            },
            "devices": {
                "total": self.num_devices,
                "failed": len(self.failures),
                "recovered": len(self.recovered),
            },
            "failures": [failure.to_json() for failure in self.failures],
        }
        if self.device_classes:
            truth["device-classes"] = [
                {
                    "name": c.name,
                    "interval-seconds": c.interval_seconds,
                    "count": c.count,
                    "inactivity-timeout": format_duration_ms(
                        inactivity_timeout_ms(c.interval_seconds)
                    ),
                }
                for c in self.device_classes
            ]
        return truth

    def write_json(self, path: str) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

"""What an alert says, on the alerts topic and in a replay's output."""

from __future__ import annotations

import json

from iot_monitor.timeunit import TimeUnit


def alert_body(device_id: str, latest_event_ms: int, unit: TimeUnit) -> str:
    """The alert's Kafka value: exactly these two fields, so existing consumers keep working."""
    return json.dumps(
        {"device-id": device_id, "latest-event-time": unit.from_ms(latest_event_ms)},
        ensure_ascii=False,
    )


def replay_line(check_ms: int, device_id: str, latest_event_ms: int, unit: TimeUnit) -> str:
    return json.dumps(
        {
            "check-time": unit.from_ms(check_ms),
            "device-id": device_id,
            "latest-event-time": unit.from_ms(latest_event_ms),
        },
        ensure_ascii=False,
    )

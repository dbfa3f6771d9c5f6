"""The monitor's records as the alert store's rows: the mapping of the remap
programs of infrastructure/vector/vector.yaml (alert_rows, status_rows), for
records read back from Kafka. tests/storage/test_reconcile.py holds the two to the
same rows and the same refusals."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from iot_monitor.timeunit import TimeUnit

ALERTS = "alerts_ingest"
DEVICE_STATUS = "device_status_ingest"
MONITOR_INPUT = "monitor_input_ingest"
DEVICE_STATES = ("silent", "back", "forgotten", "never-seen")
INPUT_STATES = ("input-idle", "input-unavailable", "input-resumed")
# vector.yaml's bounds: 1e14 ms is in the year 5138, 1e11 ms in 1973.
MAX_MS = 1e14
MIN_MS_IN_MS_UNIT = 1e11
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Row = dict[str, Any]


class Unmappable(ValueError):
    """A record the pipeline sends to its dead letters instead of storing it."""


def _refuse(constant: str) -> None:
    raise Unmappable(f"parse_json: {constant} is not JSON")


def parse_object(value: bytes | None) -> dict[str, Any]:
    try:
        parsed = json.loads((value or b"").decode("utf-8"), parse_constant=_refuse)
    except (UnicodeDecodeError, json.JSONDecodeError) as failure:
        raise Unmappable(f"parse_json: {failure}") from failure
    if not isinstance(parsed, dict):
        raise Unmappable("object: the record is not a JSON object")
    return parsed


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_time(value: Any, name: str, unit: TimeUnit) -> datetime:
    if not is_number(value):
        raise Unmappable(f"{name} is missing or not a number")
    millis = float(value) * unit.ms_per_unit
    if not millis > 0.0:
        raise Unmappable(f"{name} is not positive")
    if not millis < MAX_MS:
        raise Unmappable(f"{name} is too large: it looks like milliseconds but the unit is seconds")
    if unit is TimeUnit.MILLISECONDS and millis < MIN_MS_IN_MS_UNIT:
        raise Unmappable(f"{name} is too small: it looks like seconds but the unit is milliseconds")
    # Half away from zero, as VRL's round.
    return datetime.fromtimestamp(math.floor(millis + 0.5) / 1000, UTC)


def identifier(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str):
        raise Unmappable(f"{name} is missing or not a string")
    if not value:
        raise Unmappable(f"{name} is empty")
    if CONTROL.search(value):
        raise Unmappable(f"{name} holds control characters")
    return value


def alert_row(value: bytes | None, record_timestamp_ms: int, unit: TimeUnit) -> tuple[str, Row]:
    """An alert: its time is the record timestamp (the check that raised it)."""
    alert = parse_object(value)
    device_id = identifier(alert, "device-id")
    latest = as_time(alert.get("latest-event-time"), "latest-event-time", unit)
    time = datetime.fromtimestamp(record_timestamp_ms / 1000, UTC)
    return ALERTS, {"time": time, "device_id": device_id, "latest_event_time": latest}


def status_row(value: bytes | None, unit: TimeUnit) -> tuple[str, Row]:
    """A status change: a device's (device_status) or the monitor's (monitor_input)."""
    change = parse_object(value)
    status = change.get("status")
    if not isinstance(status, str):
        raise Unmappable("status is missing or not a string")
    time = as_time(change.get("at"), "at", unit)
    if "device-id" in change:
        if status not in DEVICE_STATES:
            raise Unmappable("status of a device must be silent, back, forgotten or never-seen")
        device_id = identifier(change, "device-id")
        since = as_time(change.get("since"), "since", unit)
        return DEVICE_STATUS, {
            "time": time,
            "device_id": device_id,
            "status": status,
            "since": since,
        }
    if not isinstance(change.get("monitor"), str):
        raise Unmappable("neither device-id nor monitor is given")
    monitor = identifier(change, "monitor")
    if status not in INPUT_STATES:
        raise Unmappable(
            "status of the monitor must be input-idle, input-unavailable or input-resumed"
        )
    return MONITOR_INPUT, {"time": time, "monitor": monitor, "status": status}

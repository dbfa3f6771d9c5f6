"""What the monitor writes (the Java `WireFormat`) is, byte for byte, what its
consumers have always read: Python's `json.dumps` of the same values."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from iot_monitor.flink_env import bounded_environment
from iot_monitor.pipeline import java_class
from iot_monitor.settings import MonitorSettings
from iot_monitor.timeunit import TimeUnit

pytestmark = [pytest.mark.flink]


@pytest.fixture(scope="module")
def wire() -> SimpleNamespace:
    """The Java `WireFormat`, in a Python object (hypothesis inspects fixtures, which a
    Java class answers with an error instead of AttributeError)."""
    bounded_environment(MonitorSettings())  # the JVM, with the monitor's operators
    wire_format = java_class("WireFormat")
    return SimpleNamespace(alertBody=wire_format.alertBody, replayAlert=wire_format.replayAlert,
                           statusBody=wire_format.statusBody)  # fmt: skip


def alert_body(wire: SimpleNamespace, device_id: str, latest_ms: int, unit: TimeUnit) -> str:
    return str(wire.alertBody(java_class("Alert")(device_id, latest_ms, 0), unit.ms_per_unit))


def test_the_alert_body_is_exactly_the_two_fields(wire: SimpleNamespace) -> None:
    assert alert_body(wire, "d456", 1_234_567_890_000, TimeUnit.SECONDS) == (
        '{"device-id": "d456", "latest-event-time": 1234567890}'
    )


def test_the_latest_time_is_echoed_in_the_unit_it_came_in(wire: SimpleNamespace) -> None:
    assert '"latest-event-time": 1234567890123}' in alert_body(
        wire, "d", 1_234_567_890_123, TimeUnit.MILLISECONDS
    )
    assert '"latest-event-time": 1234567890.5}' in alert_body(
        wire, "d", 1_234_567_890_500, TimeUnit.SECONDS
    )


def test_non_ascii_device_ids_stay_readable_utf8(wire: SimpleNamespace) -> None:
    body = alert_body(wire, "capteur-été", 1000, TimeUnit.SECONDS)
    assert "capteur-été" in body


def test_replay_lines_carry_the_check_time(wire: SimpleNamespace) -> None:
    alert = java_class("Alert")("a", 1_000, 90_000)
    assert wire.replayAlert(alert, 1000) == (
        '{"check-time": 90, "device-id": "a", "latest-event-time": 1}'
    )


def test_a_status_change_names_its_device_status_since_and_at(wire: SimpleNamespace) -> None:
    change = java_class("StatusChange")("d", "silent", 1_000_500, 1_080_000)
    assert json.loads(wire.statusBody(change, 1000)) == {
        "device-id": "d",
        "status": "silent",
        "since": 1000.5,
        "at": 1080,
    }


def python_time(ms: int, unit: TimeUnit) -> int | float:
    """How the alerts always echoed a time: whole units as integers, else a float."""
    whole, rest = divmod(ms, unit.ms_per_unit)
    return whole if rest == 0 else ms / unit.ms_per_unit


# What validation lets through: no control characters, no lone surrogates.
device_ids = st.text(
    alphabet=st.characters(blacklist_categories=["Cc", "Cs"]), min_size=1, max_size=40
)


@given(
    device_id=device_ids,
    latest_ms=st.integers(1, 99_999_999_999_999),
    unit=st.sampled_from(list(TimeUnit)),
)
@settings(max_examples=300, deadline=None)
def test_alert_bodies_are_pythons_json_dumps(
    wire: SimpleNamespace, device_id: str, latest_ms: int, unit: TimeUnit
) -> None:
    expected = json.dumps(
        {"device-id": device_id, "latest-event-time": python_time(latest_ms, unit)},
        ensure_ascii=False,
    )
    assert alert_body(wire, device_id, latest_ms, unit) == expected

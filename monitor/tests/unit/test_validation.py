from __future__ import annotations

import pytest
from iot_monitor.timeunit import TimeUnit
from iot_monitor.validation import Event, Rejection, parse_event

from monitor.tests.hostile_events import HOSTILE, NOW_S

NOW_MS = NOW_S * 1000
SKEW_MS = 300_000


def parse(payload: bytes | None, unit: TimeUnit = TimeUnit.SECONDS) -> Event | Rejection:
    return parse_event(payload, unit, NOW_MS, SKEW_MS)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_every_hostile_event_is_rejected_with_a_reason(case: str) -> None:
    payload, word = HOSTILE[case]
    result = parse(payload)
    assert isinstance(result, Rejection), case
    assert word.lower() in result.reason.lower()


def test_a_good_event_in_seconds() -> None:
    assert parse(b'{"event-id": "e1", "device-id": "d456", "time": 1700000000}') == Event(
        "d456", 1_700_000_000_000
    )


def test_floats_and_unknown_fields_are_accepted() -> None:
    payload = b'{"device-id": "d1", "time": 1700000000.25, "battery": 0.5, "extra": [1]}'
    assert parse(payload) == Event("d1", 1_700_000_000_250)


def test_milliseconds_when_the_unit_says_so() -> None:
    payload = b'{"device-id": "d1", "time": 1700000000123}'
    assert parse(payload, TimeUnit.MILLISECONDS) == Event("d1", 1_700_000_000_123)


def test_unicode_device_ids_are_fine() -> None:
    assert parse('{"device-id": "capteur-été-№7", "time": 5}'.encode()) == Event(
        "capteur-été-№7", 5000
    )


def test_a_time_just_inside_the_future_skew_is_accepted() -> None:
    payload = b'{"device-id": "d1", "time": %d}' % (NOW_S + 300)
    assert parse(payload) == Event("d1", NOW_MS + 300_000)

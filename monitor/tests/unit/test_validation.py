"""The reference model of validation (`validation_model`) against the catalogue of
hostile records and a few good events; the Java EventValidation is held to the model
in tests/replay/test_event_decoder.py."""

from __future__ import annotations

import pytest
from iot_event_generator import hostile
from iot_event_generator.settings import TimeUnit

from monitor.tests.hostile_events import HOSTILE, NOW_S
from monitor.tests.validation_model import Event, Rejection, parse_event

NOW_MS = NOW_S * 1000
SKEW_MS = 300_000
MS_PER_UNIT = {TimeUnit.SECONDS: 1000, TimeUnit.MILLISECONDS: 1}


def parse(payload: bytes | None, ms_per_unit: int = 1000) -> Event | Rejection:
    return parse_event(payload, ms_per_unit, NOW_MS, SKEW_MS)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_every_hostile_event_is_rejected_with_a_reason(case: str) -> None:
    payload, word = HOSTILE[case]
    result = parse(payload)
    assert isinstance(result, Rejection), case
    assert word.lower() in result.reason.lower()


@pytest.mark.parametrize(
    ("case", "unit"),
    [(case, unit) for unit in TimeUnit for case in hostile.cases(unit)],
    ids=lambda param: getattr(param, "name", str(param)),
)
def test_every_hostile_record_is_rejected_in_its_time_unit(
    case: hostile.HostileCase, unit: TimeUnit
) -> None:
    _, payload = case.record("device-0007", now=NOW_S, time_unit=unit)
    result = parse(payload, MS_PER_UNIT[unit])
    assert isinstance(result, Rejection), case.name
    assert case.reason_word.lower() in result.reason.lower()


def test_a_good_event_in_seconds() -> None:
    assert parse(b'{"event-id": "e1", "device-id": "d456", "time": 1700000000}') == Event(
        "d456", 1_700_000_000_000
    )


def test_floats_and_unknown_fields_are_accepted() -> None:
    payload = b'{"device-id": "d1", "time": 1700000000.25, "battery": 0.5, "extra": [1]}'
    assert parse(payload) == Event("d1", 1_700_000_000_250)


def test_milliseconds_when_the_unit_says_so() -> None:
    payload = b'{"device-id": "d1", "time": 1700000000123}'
    assert parse(payload, ms_per_unit=1) == Event("d1", 1_700_000_000_123)


def test_unicode_device_ids_are_fine() -> None:
    assert parse('{"device-id": "capteur-été-№7", "time": 5}'.encode()) == Event(
        "capteur-été-№7", 5000
    )


def test_the_last_of_duplicate_keys_counts() -> None:
    payload = b'{"device-id": 1, "device-id": "last", "time": null, "time": 5}'
    assert parse(payload) == Event("last", 5000)


def test_a_time_just_inside_the_future_skew_is_accepted() -> None:
    payload = b'{"device-id": "d1", "time": %d}' % (NOW_S + 300)
    assert parse(payload) == Event("d1", NOW_MS + 300_000)
    assert parse(b'{"device-id": "d1", "time": %d}' % (NOW_S + 301)) == Rejection(
        "time is 301 s ahead of the wall clock (more than the 300 s allowed)"
    )

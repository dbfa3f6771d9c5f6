"""Every case of the catalogue must be rejected by a validator that follows the rules
for bad input, and a well-formed event must pass the same validator."""

import json
import math
import time

import pytest
from iot_event_generator import hostile
from iot_event_generator.settings import TimeUnit

NOW = 1_800_000_000.0
SIZE_LIMIT = 64 * 1024
DEVICE_ID_LIMIT = 256
FUTURE_SKEW_SECONDS = 300


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def problem_with(value: bytes | None, unit: TimeUnit, now: float = NOW) -> str | None:
    """What a strict reader would say is wrong with a record, or None if it is fine."""
    if not value:
        return "empty"
    if len(value) > SIZE_LIMIT:
        return "too large"
    try:
        text = value.decode("utf-8")
        event = json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return f"undecodable: {type(exc).__name__}"
    if not isinstance(event, dict):
        return "not an object"
    device = event.get("device-id")
    if not isinstance(device, str) or not device or len(device) > DEVICE_ID_LIMIT:
        return "bad device-id"
    if any(ord(ch) < 32 or 0xD800 <= ord(ch) <= 0xDFFF for ch in device):
        return "device-id has control characters or surrogates"
    moment = event.get("time")
    if isinstance(moment, bool) or not isinstance(moment, int | float):
        return "bad time type"
    if not math.isfinite(moment) or moment <= 0:
        return "time not a positive finite number"
    seconds = moment / 1000 if unit is TimeUnit.MILLISECONDS else moment
    if seconds > now + FUTURE_SKEW_SECONDS:
        return "time in the future"
    return None


@pytest.mark.parametrize(
    ("case", "unit"),
    [(case, unit) for unit in TimeUnit for case in hostile.cases(unit)],
    ids=lambda param: getattr(param, "name", str(param)),
)
def test_every_case_is_bad(case, unit):
    key, value = case.record("device-0007", now=NOW, time_unit=unit)
    assert key == b"device-0007"
    assert problem_with(value, unit) is not None


@pytest.mark.parametrize("unit", list(TimeUnit))
def test_a_well_formed_event_passes_the_same_check(unit):
    stamp = unit.from_epoch_seconds(NOW)
    value = json.dumps({"event-id": "e", "device-id": "device-0007", "time": stamp}).encode()
    assert problem_with(value, unit) is None


def test_case_names_are_unique_and_can_be_looked_up():
    names = [case.name for case in hostile.CASES]
    assert len(names) == len(set(names))
    assert hostile.case("time-nan").name == "time-nan"
    with pytest.raises(KeyError):
        hostile.case("no-such-case")


def test_cases_for_milliseconds_leave_out_the_milliseconds_look_alike():
    in_seconds = {case.name for case in hostile.cases(TimeUnit.SECONDS)}
    in_ms = {case.name for case in hostile.cases(TimeUnit.MILLISECONDS)}
    assert in_seconds - in_ms == {"time-in-milliseconds"}


def test_cases_for_line_files_can_each_be_one_line():
    for case in hostile.cases(for_lines=True):
        _, value = case.record("device-0001", now=time.time())
        assert value, case.name
        assert b"\n" not in value, case.name
    names = {case.name for case in hostile.cases(for_lines=True)}
    assert not names & {"tombstone", "empty"}


def test_event_ids_name_the_case():
    _, value = hostile.case("time-string").record("device-0001", now=NOW)
    assert json.loads(value)["event-id"] == "hostile-time-string"  # type: ignore[arg-type]

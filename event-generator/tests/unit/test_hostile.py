"""Every case of the catalogue must be rejected by the monitor's reference model of
validation, with a reason holding the case's word, and a well-formed event must pass
the same model."""

import json
import time

import pytest
from iot_event_generator import hostile
from iot_event_generator.settings import TimeUnit

from monitor.tests.validation_model import Event, Rejection, parse_event

NOW = 1_800_000_000.0
FUTURE_SKEW_MS = 300_000
MS_PER_UNIT = {TimeUnit.SECONDS: 1000, TimeUnit.MILLISECONDS: 1}


def validated(value: bytes | None, unit: TimeUnit) -> Event | Rejection:
    return parse_event(value, MS_PER_UNIT[unit], int(NOW * 1000), FUTURE_SKEW_MS)


@pytest.mark.parametrize(
    ("case", "unit"),
    [(case, unit) for unit in TimeUnit for case in hostile.cases(unit)],
    ids=lambda param: getattr(param, "name", str(param)),
)
def test_every_case_is_bad_for_the_reason_it_names(
    case: hostile.HostileCase, unit: TimeUnit
) -> None:
    key, value = case.record("device-0007", now=NOW, time_unit=unit)
    assert key == b"device-0007"
    result = validated(value, unit)
    assert isinstance(result, Rejection), case.name
    assert case.reason_word.lower() in result.reason.lower(), result.reason


@pytest.mark.parametrize("unit", list(TimeUnit))
def test_a_well_formed_event_passes_the_same_check(unit: TimeUnit) -> None:
    stamp = unit.from_epoch_seconds(NOW)
    value = json.dumps({"event-id": "e", "device-id": "device-0007", "time": stamp}).encode()
    assert validated(value, unit) == Event("device-0007", int(NOW * 1000))


def test_the_milliseconds_look_alike_is_good_in_milliseconds() -> None:
    _, value = hostile.case("time-in-milliseconds").record(
        "device-0007", now=NOW, time_unit=TimeUnit.MILLISECONDS
    )
    assert isinstance(validated(value, TimeUnit.MILLISECONDS), Event)


def test_case_names_are_unique_and_can_be_looked_up() -> None:
    names = [case.name for case in hostile.all_cases()]
    assert len(names) == len(set(names))
    assert hostile.case("time-nan").name == "time-nan"
    with pytest.raises(KeyError):
        hostile.case("no-such-case")


def test_cases_for_milliseconds_leave_out_the_milliseconds_look_alike() -> None:
    in_seconds = {case.name for case in hostile.cases(TimeUnit.SECONDS)}
    in_ms = {case.name for case in hostile.cases(TimeUnit.MILLISECONDS)}
    assert in_seconds - in_ms == {"time-in-milliseconds"}


def test_cases_for_line_files_can_each_be_one_line() -> None:
    for case in hostile.cases(for_lines=True):
        _, value = case.record("device-0001", now=time.time())
        assert value, case.name
        assert b"\n" not in value, case.name
        assert b"\r" not in value, case.name
    names = {case.name for case in hostile.cases(for_lines=True)}
    assert not names & {"tombstone", "empty"}


def test_event_ids_name_the_case() -> None:
    _, value = hostile.case("time-string").record("device-0001", now=NOW)
    assert json.loads(value)["event-id"] == "hostile-time-string"  # type: ignore[arg-type]


def test_payloads_hold_what_the_placeholders_say() -> None:
    assert hostile.case("tombstone").record("d", now=NOW) == (b"d", None)
    _, value = hostile.case("not-utf8").record("d", now=NOW)
    assert b'"device-\xff"' in value  # type: ignore[operator]
    _, value = hostile.case("time-far-future").record("d", now=NOW, time_unit=TimeUnit.MILLISECONDS)
    assert json.loads(value)["time"] == (NOW + 365 * 24 * 3600) * 1000  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown placeholder"):
        hostile.HostileCase("x", "p", "w", "${nope}").record("d", now=NOW)

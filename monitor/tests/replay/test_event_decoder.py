"""The Java `EventValidation`, the monitor's only validation, agrees with the reference
model (`validation_model`) on every record: the same event, or the same reason (after
"not JSON: " each names the parser's problem in its own words)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from iot_event_generator import hostile
from iot_event_generator.settings import TimeUnit
from iot_monitor.flink_env import bounded_environment
from iot_monitor.settings import MonitorSettings
from py4j.java_gateway import get_field  # type: ignore[import-untyped]
from pyflink.java_gateway import get_gateway

from monitor.tests.hostile_events import NOW_S
from monitor.tests.layouts import CANONICAL, OTHER_LAYOUTS
from monitor.tests.validation_model import Event, Rejection, parse_event

pytestmark = [pytest.mark.flink]
NOW_MS = NOW_S * 1000
SKEW_MS = 300_000
SECONDS, MILLISECONDS = 1000, 1  # ms per unit
MS_PER_UNIT = {TimeUnit.SECONDS: SECONDS, TimeUnit.MILLISECONDS: MILLISECONDS}
NOT_JSON = "not JSON: "


class JavaValidation:
    """An `EventValidation` in the JVM, read back as the model's values."""

    def __init__(self, ms_per_unit: int) -> None:
        flink = get_gateway().jvm.io.iotmonitor.flink
        self._validation = flink.EventValidation(ms_per_unit, SKEW_MS)
        self._into = flink.DecodedEvent()

    def parse(self, payload: bytes | None, now_ms: int = NOW_MS) -> Event | Rejection:
        self._validation.decode(payload, now_ms, self._into)
        reason = get_field(self._into, "reason")
        if reason is not None:
            return Rejection(reason)
        return Event(get_field(self._into, "deviceId"), get_field(self._into, "timeMs"))


@pytest.fixture(scope="module")
def java() -> dict[int, JavaValidation]:
    bounded_environment(MonitorSettings())  # starts the JVM with the monitor's jar
    return {ms_per_unit: JavaValidation(ms_per_unit) for ms_per_unit in (SECONDS, MILLISECONDS)}


def assert_agrees(
    java: dict[int, JavaValidation], payload: bytes | None, ms_per_unit: int, now_ms: int = NOW_MS
) -> Event | Rejection:
    got = java[ms_per_unit].parse(payload, now_ms)
    expected = parse_event(payload, ms_per_unit, now_ms, SKEW_MS)
    if isinstance(expected, Rejection) and expected.reason.startswith(NOT_JSON):
        assert isinstance(got, Rejection), payload
        assert got.reason.startswith(NOT_JSON), (payload, got.reason, expected.reason)
    else:
        assert got == expected, payload
    return got


@pytest.mark.parametrize("unit", list(TimeUnit))
def test_every_hostile_record_is_rejected_as_the_model_rejects_it(
    java: dict[int, JavaValidation], unit: TimeUnit
) -> None:
    for case in hostile.cases(unit):
        _, payload = case.record("device-0007", now=NOW_S, time_unit=unit)
        got = assert_agrees(java, payload, MS_PER_UNIT[unit])
        assert isinstance(got, Rejection), case.name
        assert case.reason_word.lower() in got.reason.lower(), (case.name, got.reason)


@pytest.mark.parametrize("ms_per_unit", [SECONDS, MILLISECONDS])
def test_known_layouts_decode_as_the_model_reads_them(
    java: dict[int, JavaValidation], ms_per_unit: int
) -> None:
    for payload in CANONICAL + OTHER_LAYOUTS:
        assert_agrees(java, payload, ms_per_unit)
    assert java[SECONDS].parse(CANONICAL[0]) == Event("device-0001", 1_700_000_000_000)
    assert java[MILLISECONDS].parse(CANONICAL[0]) == Event("device-0001", 1_700_000_000)
    assert java[SECONDS].parse(OTHER_LAYOUTS[-2]) == Event("last", 1_700_000_000_000)


@pytest.mark.parametrize("fields", ['"event-id": "x", "device-id": "d", ', '"device-id": "d", '])
def test_the_skew_bound_holds_on_both_sides_of_it(
    java: dict[int, JavaValidation], fields: str
) -> None:
    def event(time: int) -> bytes:
        return ("{" + fields + f'"time": {time}' + "}").encode()

    bound = NOW_MS + SKEW_MS
    assert assert_agrees(java, event(bound), MILLISECONDS) == Event("d", bound)
    assert isinstance(assert_agrees(java, event(bound + 1), MILLISECONDS), Rejection)
    assert assert_agrees(java, event(NOW_S + 300), SECONDS) == Event("d", bound)
    too_far = assert_agrees(java, event(NOW_S + 301), SECONDS)
    assert too_far == Rejection(
        "time is 301 s ahead of the wall clock (more than the 300 s allowed)"
    )
    # the bound follows the clock it is given
    assert isinstance(assert_agrees(java, event(bound), MILLISECONDS, now_ms=NOW_MS - 1), Rejection)


device_ids = st.one_of(
    st.text(min_size=0, max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12),
)
times = st.one_of(
    st.integers(min_value=-5, max_value=10**16),
    st.integers(min_value=NOW_S - 10**6, max_value=NOW_S + 10**3),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 1, 99_999_999_999, 100_000_000_000, NOW_MS, NOW_S + 300, NOW_S + 301]),
    st.sampled_from([NOW_MS + SKEW_MS, NOW_MS + SKEW_MS + 1, 2**63, 2**64 - 1, 2**64, -(2**63)]),
    st.none(),
    st.booleans(),
    st.text(max_size=5),
)


@given(
    event_id=st.text(max_size=20),
    device_id=device_ids,
    time=times,
    ascii_only=st.booleans(),
    compact=st.booleans(),
    ms_per_unit=st.sampled_from([SECONDS, MILLISECONDS]),
)
@settings(max_examples=400, deadline=None)
def test_java_agrees_with_the_model_on_any_event(
    java: dict[int, JavaValidation],
    event_id: str,
    device_id: str,
    time: Any,
    ascii_only: bool,
    compact: bool,
    ms_per_unit: int,
) -> None:
    document = {"event-id": event_id, "device-id": device_id, "time": time}
    separators = (",", ":") if compact else (", ", ": ")
    payload = json.dumps(document, ensure_ascii=ascii_only, separators=separators).encode()
    assert_agrees(java, payload, ms_per_unit)


canonical = b'{"event-id": "e", "device-id": "device-0001", "time": 1800000000}'


@given(
    payload=st.one_of(
        st.binary(max_size=40),
        st.lists(st.sampled_from(list(b'{}[]":, \\u0dDe+-.159tfn\t\xff\xc3\xed')), max_size=40).map(
            bytes
        ),
        st.tuples(st.integers(0, len(canonical) - 1), st.binary(max_size=3)).map(
            lambda edit: canonical[: edit[0]] + edit[1] + canonical[edit[0] + 1 :]
        ),
    ),
    ms_per_unit=st.sampled_from([SECONDS, MILLISECONDS]),
)
@settings(max_examples=300, deadline=None)
def test_java_agrees_with_the_model_on_any_bytes(
    java: dict[int, JavaValidation], payload: bytes, ms_per_unit: int
) -> None:
    assert_agrees(java, payload, ms_per_unit)

"""The Kafka source's decoder (`EventDecoder`, in Java) takes only good events apart,
exactly as the full validation reads them, and leaves every other record to it."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from iot_monitor.flink_env import streaming_environment
from iot_monitor.kafka_source import event_decoder
from iot_monitor.settings import MonitorSettings
from iot_monitor.timeunit import TimeUnit
from iot_monitor.validation import Event, Rejection, parse_event
from py4j.java_gateway import get_field

from monitor.tests.hostile_events import NOW_S, hostile_events
from monitor.tests.layouts import CANONICAL, OTHER_LAYOUTS

pytestmark = [pytest.mark.flink]
NOW_MS = NOW_S * 1000
SKEW_MS = 300_000


@pytest.fixture(scope="module")
def decoders() -> dict[TimeUnit, Any]:
    streaming_environment(MonitorSettings())  # starts the JVM with the monitor's jars
    return {
        unit: event_decoder(MonitorSettings(time_unit=unit, max_future_skew_ms=SKEW_MS))
        for unit in TimeUnit
    }


class Decoded(NamedTuple):
    device_id: str | None  # set for a canonical event only
    time_ms: int
    watermarked: bool

    def is_canonical(self) -> bool:
        return self.device_id is not None


def decode(decoder: Any, payload: bytes | None, kafka_ms: int = NOW_MS) -> Decoded:
    event = decoder.decode(payload, kafka_ms, NOW_MS)
    return Decoded(*(get_field(event, name) for name in ("deviceId", "timeMs", "watermarked")))


def validated(payload: bytes | None, unit: TimeUnit) -> Event | Rejection:
    return parse_event(payload, unit, NOW_MS, SKEW_MS)


def assert_agrees(decoder: Any, payload: bytes | None, unit: TimeUnit) -> None:
    """A canonical event is one validation accepts, with the same device id and time;
    a good event's time is the one the watermark follows."""
    event, expected = decode(decoder, payload), validated(payload, unit)
    if event.is_canonical():
        assert expected == Event(event.device_id, event.time_ms)
    if isinstance(expected, Event):
        assert (event.time_ms, event.watermarked) == (expected.time_ms, True)


@pytest.mark.parametrize("unit", list(TimeUnit))
def test_the_decoder_agrees_with_validation_on_every_known_record(
    decoders: dict[TimeUnit, Any], unit: TimeUnit
) -> None:
    hostile = [payload for payload, _ in hostile_events(NOW_S).values()]
    for payload in CANONICAL + OTHER_LAYOUTS + hostile:
        assert_agrees(decoders[unit], payload, unit)
    assert not any(decode(decoders[unit], payload).is_canonical() for payload in hostile)
    assert not any(decode(decoders[unit], line).is_canonical() for line in OTHER_LAYOUTS)


def test_the_generators_events_take_the_fast_path(decoders: dict[TimeUnit, Any]) -> None:
    for line in CANONICAL[:2]:
        event = decode(decoders[TimeUnit.SECONDS], line)
        assert event.is_canonical()
    event = decode(decoders[TimeUnit.MILLISECONDS], CANONICAL[0])
    assert (event.device_id, event.time_ms) == ("device-0001", 1_700_000_000)


def test_times_too_far_ahead_take_the_full_validation(decoders: dict[TimeUnit, Any]) -> None:
    decoder = decoders[TimeUnit.MILLISECONDS]

    def line(time_ms: int) -> bytes:
        return b'{"event-id": "x", "device-id": "d", "time": %d}' % time_ms

    # ahead of its Kafka timestamp: the watermark ignores it
    late_stamp = decode(decoder, line(NOW_MS), kafka_ms=NOW_MS - SKEW_MS - 1)
    assert (late_stamp.is_canonical(), late_stamp.watermarked) == (False, False)
    on_the_bound = decode(decoder, line(NOW_MS), kafka_ms=NOW_MS - SKEW_MS)
    assert (on_the_bound.is_canonical(), on_the_bound.watermarked) == (True, True)
    # ahead of the wall clock, though not of its Kafka timestamp
    ahead = decode(decoder, line(NOW_MS + SKEW_MS + 1), kafka_ms=NOW_MS + SKEW_MS)
    assert (ahead.is_canonical(), ahead.watermarked) == (False, True)
    # milliseconds while the unit is seconds never move the watermark
    in_ms = decode(decoders[TimeUnit.SECONDS], b'{"device-id": "d", "time": 1700000000000}')
    assert (in_ms.is_canonical(), in_ms.watermarked) == (False, False)


def test_records_without_a_time_carry_the_epoch(decoders: dict[TimeUnit, Any]) -> None:
    for payload in (None, b"", b'{"device-id": "d"}', b'{"time": "soon"}', b'{"time": 1x}'):
        event = decode(decoders[TimeUnit.SECONDS], payload)
        assert (event.time_ms, event.watermarked, event.is_canonical()) == (0, False, False)


device_ids = st.one_of(
    st.text(min_size=0, max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12),
)
times = st.one_of(
    st.integers(min_value=-5, max_value=10**16),
    st.integers(min_value=NOW_S - 10**6, max_value=NOW_S + 10**3),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 1, 99_999_999_999, 100_000_000_000, NOW_MS, NOW_S + 301]),
    st.none(),
)


@given(
    event_id=st.text(max_size=20),
    device_id=device_ids,
    time=times,
    ascii_only=st.booleans(),
    compact=st.booleans(),
    unit=st.sampled_from(list(TimeUnit)),
)
@settings(max_examples=400, deadline=None)
def test_the_decoder_agrees_with_validation_on_any_event(
    decoders: dict[TimeUnit, Any],
    event_id: str,
    device_id: str,
    time: float | None,
    ascii_only: bool,
    compact: bool,
    unit: TimeUnit,
) -> None:
    document = {"event-id": event_id, "device-id": device_id, "time": time}
    separators = (",", ":") if compact else (", ", ": ")
    payload = json.dumps(document, ensure_ascii=ascii_only, separators=separators).encode()
    assert_agrees(decoders[unit], payload, unit)
    expected = validated(payload, unit)
    # what the canonical layout admits: ASCII that JSON writes without escapes
    unescaped = set(map(chr, range(0x21, 0x7F))) - {'"', "\\"}
    in_layout = set(device_id) <= unescaped and set(event_id) <= unescaped | {" "}
    if isinstance(expected, Event) and isinstance(time, int) and in_layout:
        assert decode(decoders[unit], payload).is_canonical()

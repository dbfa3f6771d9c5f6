import json

from iot_event_generator import wire
from iot_event_generator.wire import EventEncoder


def test_events_follow_the_wire_format_and_are_keyed_by_device():
    encoder = EventEncoder("0badcafe", 10)
    records = encoder.encode([1, 2, 10], 1_700_000_000)
    events = [json.loads(value) for _, value in records]  # type: ignore[arg-type]
    assert [key for key, _ in records] == [b"device-0001", b"device-0002", b"device-0010"]
    assert [e["device-id"] for e in events] == ["device-0001", "device-0002", "device-0010"]
    assert {e["time"] for e in events} == {1_700_000_000}
    assert all(set(e) == {"event-id", "device-id", "time"} for e in events)


def test_event_ids_are_unique_across_chunks():
    encoder = EventEncoder("0badcafe", 3)
    records = encoder.encode([1, 2, 3], 5) + encoder.encode([1, 2, 3], 6)
    ids = [json.loads(value)["event-id"] for _, value in records]  # type: ignore[arg-type]
    assert len(set(ids)) == 6
    assert all(event_id.startswith("0badcafe-") for event_id in ids)
    assert encoder.events_encoded == 6


def test_large_fleets_without_cached_keys_encode_the_same(monkeypatch):
    cached = EventEncoder("0badcafe", 20).encode([3, 17, 20], 9)
    monkeypatch.setattr(wire, "KEY_CACHE_LIMIT", 10)
    uncached_encoder = EventEncoder("0badcafe", 20)
    assert uncached_encoder._keys is None
    assert uncached_encoder.encode([3, 17, 20], 9) == cached

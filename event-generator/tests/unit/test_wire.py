import json

from iot_event_generator.fleet import DeviceClass, device_id_format
from iot_event_generator.wire import DeviceKeys, EventEncoder


def keys(num_devices: int, cached: bool = True) -> DeviceKeys:
    return DeviceKeys(device_id_format(num_devices), num_devices, cached)


def test_events_follow_the_wire_format_and_are_keyed_by_device():
    records = EventEncoder("0badcafe").encode([1, 2, 10], 1_700_000_000, keys(10))
    events = [json.loads(value) for _, value in records]  # type: ignore[arg-type]
    assert [key for key, _ in records] == [b"device-0001", b"device-0002", b"device-0010"]
    assert [e["device-id"] for e in events] == ["device-0001", "device-0002", "device-0010"]
    assert {e["time"] for e in events} == {1_700_000_000}
    assert all(set(e) == {"event-id", "device-id", "time"} for e in events)


def test_event_ids_are_unique_across_chunks_and_classes():
    encoder = EventEncoder("0badcafe")
    meters = DeviceClass("meter", 3600, 3)
    records = encoder.encode([1, 2, 3], 5, keys(3)) + encoder.encode([1, 2, 3], 6, keys(3))
    records += encoder.encode([1, 3], 6, DeviceKeys(meters.id_format, meters.count))
    ids = [json.loads(value)["event-id"] for _, value in records]  # type: ignore[arg-type]
    assert len(set(ids)) == 8
    assert all(event_id.startswith("0badcafe-") for event_id in ids)
    assert encoder.events_encoded == 8
    assert [key for key, _ in records[-2:]] == [b"meter-0001", b"meter-0003"]


def test_large_fleets_without_cached_keys_encode_the_same():
    cached = EventEncoder("0badcafe").encode([3, 17, 20], 9, keys(20))
    assert EventEncoder("0badcafe").encode([3, 17, 20], 9, keys(20, cached=False)) == cached

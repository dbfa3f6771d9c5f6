"""The event wire format: `{"event-id": ..., "device-id": ..., "time": ...}` keyed by
the device id, both as UTF-8 bytes."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import count

Record = tuple[bytes | None, bytes | None]
"""A Kafka record as (key, value); None stands for no key or a tombstone."""

KEY_CACHE_LIMIT = 1_000_000  # fleets up to this size keep their keys ready (~60 MB at most)


class DeviceKeys:
    """The keys (ids as bytes) of devices 1..count of one class, from the printf-style
    `id_format`; kept ready if `cached`."""

    def __init__(self, id_format: str, count: int, cached: bool = True) -> None:
        self._key_format = id_format.encode()
        self._keys: list[bytes] | None = None
        if cached:
            # Index 0 is unused: devices are numbered from 1.
            self._keys = [b"", *(self._key_format % d for d in range(1, count + 1))]

    def key(self, device: int) -> bytes:
        return self._key_format % device

    def of(self, devices: Iterable[int]) -> list[bytes]:
        if self._keys is not None:
            cached = self._keys
            return [cached[device] for device in devices]
        key_format = self._key_format
        return [key_format % device for device in devices]


class EventEncoder:
    """Encodes events of one run. Event ids are `<run id>-<sequence number>`, so they
    are unique within a run and, since run ids are random, across runs."""

    def __init__(self, run_id: str) -> None:
        # Formatting bytes directly is several times faster than building a dict and
        # serialising it, and the generator's throughput depends on it.
        self._template_start = b'{"event-id": "' + run_id.encode() + b'-%d", "device-id": "%b", '
        self.events_encoded = 0

    def encode(self, devices: Iterable[int], time_value: int, keys: DeviceKeys) -> list[Record]:
        """One event for each of `devices` (of the class of `keys`), all with the same time."""
        template = self._template_start + b'"time": %d}' % time_value
        device_keys = keys.of(devices)
        first = self.events_encoded + 1
        self.events_encoded += len(device_keys)
        return [
            (key, template % (seq, key))
            for seq, key in zip(count(first), device_keys, strict=False)
        ]

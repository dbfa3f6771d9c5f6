"""The event wire format: `{"event-id": ..., "device-id": ..., "time": ...}` keyed by
the device id, both as UTF-8 bytes."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import count

from iot_event_generator.fleet import device_id_format

Record = tuple[bytes | None, bytes | None]
"""A Kafka record as (key, value); None stands for no key or a tombstone."""

KEY_CACHE_LIMIT = 1_000_000  # fleets up to this size keep their keys ready (~60 MB at most)


class EventEncoder:
    """Encodes events of one run. Event ids are `<run id>-<sequence number>`, so they
    are unique within a run and, since run ids are random, across runs."""

    def __init__(self, run_id: str, num_devices: int) -> None:
        # Formatting bytes directly is several times faster than building a dict and
        # serialising it, and the generator's throughput depends on it.
        self._template_start = b'{"event-id": "' + run_id.encode() + b'-%d", "device-id": "%b", '
        self._key_format = device_id_format(num_devices).encode()
        self._keys: list[bytes] | None = None
        if num_devices <= KEY_CACHE_LIMIT:
            # Index 0 is unused: devices are numbered from 1.
            self._keys = [b"", *(self._key_format % d for d in range(1, num_devices + 1))]
        self.events_encoded = 0

    def key(self, device: int) -> bytes:
        return self._key_format % device

    def encode(self, devices: Iterable[int], time_value: int) -> list[Record]:
        """One event for each device, all with the same time."""
        template = self._template_start + b'"time": %d}' % time_value
        if self._keys is not None:
            cached = self._keys
            keys = [cached[device] for device in devices]
        else:
            key_format = self._key_format
            keys = [key_format % device for device in devices]
        first = self.events_encoded + 1
        self.events_encoded += len(keys)
        return [(key, template % (seq, key)) for seq, key in zip(count(first), keys, strict=False)]

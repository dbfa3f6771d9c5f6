"""The event wire format: `{"event-id": ..., "device-id": ..., "time": ...}` keyed by
the device id, both as UTF-8 bytes."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import count

from iot_event_generator.fleet import device_id_format

Record = tuple[bytes | None, bytes | None]
"""A Kafka record as (key, value); None stands for no key or a tombstone."""


class EventEncoder:
    """Encodes events of one run. Event ids are `<run id>-<sequence number>`, so they
    are unique within a run and, since run ids are random, across runs."""

    def __init__(self, run_id: str, num_devices: int) -> None:
        # Formatting bytes directly is several times faster than building a dict and
        # serialising it, and the generator's throughput depends on this line.
        self._template = (
            b'{"event-id": "' + run_id.encode() + b'-%d", "device-id": "%b", "time": %d}'
        )
        self._key_format = device_id_format(num_devices).encode()
        self.events_encoded = 0

    def key(self, device: int) -> bytes:
        return self._key_format % device

    def encode(self, devices: Iterable[int], time_value: int) -> list[Record]:
        """One event for each device, all with the same time."""
        template, key_format = self._template, self._key_format
        keys = [key_format % device for device in devices]
        first = self.events_encoded + 1
        self.events_encoded += len(keys)
        return [
            (key, template % (seq, key, time_value))
            for seq, key in zip(count(first), keys, strict=False)
        ]

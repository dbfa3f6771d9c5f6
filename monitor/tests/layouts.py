"""Good events, in the canonical layout and in others, for the tests of the two places
that take canonical events apart directly: a replay's screening and the Kafka
source's decoder."""

from __future__ import annotations

CANONICAL = [
    b'{"event-id": "run-1", "device-id": "device-0001", "time": 1700000000}',
    b'{"event-id":"e0","device-id":"d0","time":1700000000}',
    b'{"event-id": "x", "device-id": "d", "time": 99999999999}',  # the largest in seconds
    b'{"event-id": "x", "device-id": "d", "time": 4102444800}',  # far ahead of the clock
    b'{"event-id": "x", "device-id": "a b~!", "time": 1700000000123}',
    # written on Windows: the screening's fast path leaves it to the full validation
    b'{"event-id": "x", "device-id": "crlf", "time": 1700000000}\r',
]
OTHER_LAYOUTS = [
    b'{"device-id": "d", "time": 1700000000}',
    b'{"time": 1700000000, "device-id": "d", "event-id": "x"}',
    b'{"event-id": "x", "device-id": "d", "time": 1700000000.5}',
    b'{"event-id": "x", "device-id": "caf\xc3\xa9", "time": 1700000000}',
]

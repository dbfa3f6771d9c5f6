"""Good events, in the canonical layout (the fast path of the Java `EventValidation`)
and in others (its full path), for the tests that hold it to the validation model."""

from __future__ import annotations

CANONICAL = [
    b'{"event-id": "run-1", "device-id": "device-0001", "time": 1700000000}',
    b'{"event-id":"e0","device-id":"d0","time":1700000000}',
    b'{"event-id": "x", "device-id": "d", "time": 99999999999}',  # the largest in seconds
    b'{"event-id": "x", "device-id": "d", "time": 4102444800}',  # far ahead of the clock
    b'{"event-id": "x", "device-id": "a b~!", "time": 1700000000123}',
    # written on Windows: the fast path leaves it to the full path
    b'{"event-id": "x", "device-id": "crlf", "time": 1700000000}\r',
]
OTHER_LAYOUTS = [
    b'{"device-id": "d", "time": 1700000000}',
    b'{"time": 1700000000, "device-id": "d", "event-id": "x"}',
    b'{"event-id": "x", "device-id": "d", "time": 1700000000.5}',
    b'{"event-id": "x", "device-id": "caf\xc3\xa9", "time": 1700000000}',
    b'{"event-id": "x", "device-id": "caf\\u00e9 \\ud83d\\ude00", "time": 1700000000}',
    b'\n {\r\n\t"device-id" : "d" ,"time" :1700000000 }\r\n',
    b'{"device\\u002did": "escaped-key", "time": 1700000000}',
    b'{"device-id": 1, "device-id": "last", "time": null, "time": 1700000000}',
    b'{"device-id": "d", "time": 17e8, "nested": {"time": "x", "device-id": 1}, "list": [[]]}',
]

"""Every kind of bad event SPEC section 4 names, with a word its reason must contain."""

from __future__ import annotations

NOW_S = 1_800_000_000


def hostile_events(now_s: int) -> dict[str, tuple[bytes | None, str]]:
    """Each bad event by name, with a word its dead-letter reason must contain."""
    return {
        "not utf-8": (b'{"device-id": "d\xff", "time": 1}', "UTF-8"),
        "not json": (b"device d1 at 12:00", "not JSON"),
        "trailing garbage": (b'{"device-id": "d1", "time": 1700000000} extra', "not JSON"),
        "byte-order mark": (b'\xef\xbb\xbf{"device-id": "d1", "time": 1700000000}', "byte-order"),
        "deep nesting": (b"[" * 5_000 + b"]" * 5_000, "depth"),
        "array of events": (b'[{"device-id": "d1", "time": 1700000000}]', "not a JSON object"),
        "empty value": (b"", "empty"),
        "tombstone": (None, "tombstone"),
        "device-id missing": (b'{"time": 1700000000}', "device-id"),
        "device-id null": (b'{"device-id": null, "time": 1700000000}', "device-id"),
        "device-id empty": (b'{"device-id": "", "time": 1700000000}', "empty"),
        "device-id number": (b'{"device-id": 42, "time": 1700000000}', "must be a string"),
        "device-id too long": (
            b'{"device-id": "' + b"d" * 300 + b'", "time": 1700000000}',
            "longer",
        ),
        "device-id NUL": (b'{"device-id": "d\\u0000", "time": 1700000000}', "control"),
        "device-id control": (b'{"device-id": "d\\n1", "time": 1700000000}', "control"),
        "device-id lone surrogate": (b'{"device-id": "d\\ud800", "time": 1700000000}', "surrogate"),
        "time missing": (b'{"device-id": "d1"}', "time"),
        "time null": (b'{"device-id": "d1", "time": null}', "time"),
        "time string": (b'{"device-id": "d1", "time": "1700000000"}', "got a string"),
        "time boolean": (b'{"device-id": "d1", "time": true}', "got a boolean"),
        "time NaN": (b'{"device-id": "d1", "time": NaN}', "not JSON"),
        "time infinite": (b'{"device-id": "d1", "time": Infinity}', "not JSON"),
        "time huge float": (b'{"device-id": "d1", "time": 1e400}', "not JSON"),
        "time zero": (b'{"device-id": "d1", "time": 0}', "positive"),
        "time negative": (b'{"device-id": "d1", "time": -5}', "positive"),
        "time far future": (b'{"device-id": "d1", "time": %d}' % (now_s + 3600), "ahead"),
        "time in ms while unit is s": (
            b'{"device-id": "d1", "time": 1700000000000}',
            "milliseconds",
        ),
        "payload over 64 KiB": (
            b'{"device-id": "d1", "time": 1700000000, "pad": "' + b"x" * 70_000 + b'"}',
            "limit",
        ),
    }


HOSTILE = hostile_events(NOW_S)

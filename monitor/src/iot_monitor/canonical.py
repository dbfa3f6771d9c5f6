"""The canonical layout of an event, the one every known producer writes (the event
generator among them): `{"event-id": "...", "device-id": "...", "time": N}`.

A record that matches it is taken apart directly: by the Kafka source's decoder in
Java (`EventDecoder`) and by a replay's screening in Python. Anything else gets the
full validation of `validation`.
"""

from __future__ import annotations

from iot_monitor.timeunit import TimeUnit
from iot_monitor.validation import MAX_DEVICE_ID_CHARS, SECONDS_THAT_LOOK_LIKE_MS

# Every character class leaves out quotes, backslashes and control characters, so the
# fields need no unescaping and hold nothing that validation would refuse.
# Group 1 is the device id, group 2 the time.
_CANONICAL = (
    r'^\{{"event-id": ?"[ !#-\[\]-~]{{0,256}}", ?"device-id": ?"([!#-\[\]-~]{{1,{device}}})", '
    r'?"time": ?([1-9][0-9]{{0,{digits}}})\}}$'
)


def canonical_line_regex(unit: TimeUnit) -> str:
    """The regular expression (Java's and Python's alike) of an event in the canonical
    layout with a plausible `time`: below the milliseconds-in-seconds limit when the
    unit is seconds."""
    digits = len(str(SECONDS_THAT_LOOK_LIKE_MS - 1)) - 1 if unit is TimeUnit.SECONDS else 14
    return _CANONICAL.format(device=MAX_DEVICE_ID_CHARS, digits=digits)

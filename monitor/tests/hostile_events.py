"""Every kind of bad event the README names (its "Dead letter" paragraph), with a
word its reason must contain:
the event generator's catalogue of hostile records (`iot_event_generator.hostile`),
the one list of them, in epoch seconds."""

from __future__ import annotations

from iot_event_generator import hostile
from iot_event_generator.settings import TimeUnit

NOW_S = 1_800_000_000
DEVICE_ID = "device-0001"


def hostile_events(now_s: int) -> dict[str, tuple[bytes | None, str]]:
    """Each bad event by name, with a word its dead-letter reason must contain."""
    return {
        case.name: (case.record(DEVICE_ID, now=now_s)[1], case.reason_word)
        for case in hostile.cases(TimeUnit.SECONDS)
    }


HOSTILE = hostile_events(NOW_S)

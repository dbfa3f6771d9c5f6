"""Which events the silence check has to see, and how each one is read.

The job keeps, per device, sessions of events in Flink SQL: a session closes when
the watermark passes its newest event plus the inactivity timeout, which is the
moment the device may start to count as silent. A device in an open session cannot
be silent, so the silence check needs only the changes:

- WENT_QUIET: a session closed; its newest event time is the device's latest,
  unless something newer is known already.
- HEARD: an event that may have (re)opened a session while the device was quiet as
  far as the check knows (its previous event is a whole timeout behind the
  watermark or behind this event).
- LATE: an event the watermark passed by the timeout or more before it arrived;
  it may join no session, so it is passed on for its time alone.

`classify_event` is the rule the SQL in `tables.py` implements, in plain Python for
the tests and the docs: it is given the device's previous event time in arrival
order and the watermark before the event arrived. It may pass on more events than
strictly needed, never fewer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class ChangeKind(StrEnum):
    HEARD = "heard"
    LATE = "late"
    WENT_QUIET = "quiet"


class Change(NamedTuple):
    device_id: str
    time_ms: int
    kind: ChangeKind


def classify_event(
    device_id: str, time_ms: int, previous_ms: int | None, watermark_ms: int | None, gap_ms: int
) -> Change | None:
    late = watermark_ms is not None and watermark_ms >= time_ms + gap_ms - 1
    if previous_ms is None:
        # A device's first event opens its first session, whose close will tell.
        needed = late
    else:
        needed = time_ms > previous_ms + gap_ms or (
            watermark_ms is not None and watermark_ms >= previous_ms + gap_ms - 1
        )
    if not needed:
        return None
    return Change(device_id, time_ms, ChangeKind.LATE if late else ChangeKind.HEARD)

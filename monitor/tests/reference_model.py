"""SPEC section 3 written the obvious way, for comparison with the real rules.

Events arrive in a given order; after each one the watermark is the largest time
seen so far minus the out-of-orderness bound, and the check at T happens when the
watermark first reaches T (or at the end of a bounded input, for T up to the last
check). At that moment a device alerts when timeout < T - L <= expiry, L being the
newest time among its events read so far.
"""

from __future__ import annotations

from collections.abc import Sequence

Alert = tuple[int, str, int]  # (check instant, device id, latest event time), all ms


def expected_alerts(
    events: Sequence[tuple[str, int]],
    *,
    interval: int = 30_000,
    timeout: int = 60_000,
    expiry: int = 86_400_000,
    out_of_orderness: int = 5_000,
    last_check: int | None = None,
) -> list[Alert]:
    """`last_check` defaults to the last multiple of the interval not after the newest
    event (a bounded input); a later one stands for the wall clock taking over."""
    if not events:
        return []
    if last_check is None:
        last_check = max(t for _, t in events) // interval * interval
    latest: dict[str, int] = {}
    alerts: list[Alert] = []
    next_check = None
    newest = None

    def check(at: int) -> None:
        for device, last in latest.items():
            silent = at - last
            if silent > timeout and (not expiry or silent <= expiry):
                alerts.append((at, device, last))

    for device, time_ms in events:
        latest[device] = max(latest.get(device, time_ms), time_ms)
        newest = time_ms if newest is None else max(newest, time_ms)
        if next_check is None:
            next_check = (time_ms // interval) * interval
        watermark = newest - out_of_orderness
        while next_check <= watermark and next_check <= last_check:
            check(next_check)
            next_check += interval
    assert next_check is not None
    while next_check <= last_check:
        check(next_check)
        next_check += interval
    return sorted(alerts)

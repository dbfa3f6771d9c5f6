"""The alert rule and the status changes (docs/design.md) written the obvious way:
the specification the Java operator (`DeviceMonitor`) is tested against.

The model sees what the operator sees: events (device, time), in the order they are
read, and the watermark moving. The check at T happens when the watermark first
reaches T (or at the end of a bounded input, for T up to the last check). At that
moment a device alerts when timeout < T - L <= expiry, L being the newest time among
its events read so far that are not after T: an event stamped after T never counts
for T, however early it was read, and an event read after the check cannot undo it.

Status changes: `silent` at the check of the first alert of a silence;
`back` when the first event newer than that silence's latest time counts for the
schedule (at once when it is stamped not after the next check, else when the checks
reach it), with that event's time; `forgotten` when a silent device is dropped by the
expiry, at latest + expiry, and an event stamped at or after that instant starts the
device anew instead of bringing it back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Alert = tuple[int, str, int]  # (check instant, device id, latest event time), all ms
Status = tuple[str, str, int, int]  # (device id, status, since, at), all ms
# What the operator receives: ("event", device, time) or ("watermark", time)
Item = tuple[str, str, int] | tuple[str, int]
END = 2**63 - 1


@dataclass
class Rules:
    interval: int = 30_000
    timeout: int = 60_000
    expiry: int = 86_400_000  # 0: never

    def first_alerting_check(self, latest_ms: int) -> int:
        """The first check at which a device last heard of at `latest_ms` is silent."""
        return ((latest_ms + self.timeout) // self.interval + 1) * self.interval

    def check_of(self, time_ms: int) -> int:
        """The first check an event stamped `time_ms` counts for."""
        return -(-time_ms // self.interval) * self.interval


@dataclass
class _Device:
    # the times of its events read since it was last forgotten
    times: list[int] = field(default_factory=list)
    # the latest time of a silence that was reported, while it lasts
    silent_since: int | None = None


@dataclass
class Model:
    rules: Rules
    devices: dict[str, _Device] = field(default_factory=dict)
    alerts: list[Alert] = field(default_factory=list)
    changes: list[Status] = field(default_factory=list)
    watermark: int | None = None
    ended: bool = False

    def next_check(self) -> int:
        """The first check not made yet."""
        assert self.watermark is not None
        return (self.watermark // self.rules.interval + 1) * self.rules.interval

    def on_event(self, device_id: str, time_ms: int) -> None:
        device = self.devices.setdefault(device_id, _Device())
        device.times.append(time_ms)
        since = device.silent_since
        if since is not None and since < time_ms and time_ms <= self.next_check():
            self._returns(device_id, device, time_ms)

    def _returns(self, device_id: str, device: _Device, time_ms: int) -> None:
        since = device.silent_since
        assert since is not None
        device.silent_since = None
        expiry = self.rules.expiry
        if expiry and time_ms >= since + expiry:
            self.changes.append((device_id, "forgotten", since, since + expiry))
            device.times = [t for t in device.times if t >= time_ms]
        else:
            self.changes.append((device_id, "back", since, time_ms))

    def advance(self, watermark: int) -> None:
        if self.ended or (self.watermark is not None and watermark <= self.watermark):
            return
        if watermark == END:
            self.ended = True
            return
        interval = self.rules.interval
        if self.watermark is not None:
            check = self.next_check()
        else:
            # No check was made before the first watermark: any since the oldest event.
            times = [t for device in self.devices.values() for t in device.times]
            check = self.rules.check_of(min(times, default=watermark))
        while check <= watermark:
            self.watermark = check
            self._check(check)
            check += interval
        self.watermark = watermark

    def _check(self, at: int) -> None:
        rules = self.rules
        for device_id, device in list(self.devices.items()):
            counted = [t for t in device.times if t <= at]
            if not counted:
                continue
            latest = max(counted)
            silent_ms = at - latest
            if silent_ms <= rules.timeout:
                continue
            if rules.expiry and silent_ms > rules.expiry:
                if device.silent_since is not None:
                    self.changes.append((device_id, "forgotten", latest, latest + rules.expiry))
                    device.silent_since = None
                device.times = [t for t in device.times if t > at]
                if not device.times:
                    del self.devices[device_id]
                continue
            self.alerts.append((at, device_id, latest))
            if device.silent_since is None:
                self.changes.append((device_id, "silent", latest, at))
                device.silent_since = latest
            # The checks now reach the events stamped up to the next one.
            coming = [t for t in device.times if latest < t <= at + rules.interval]
            if coming:
                self._returns(device_id, device, min(coming))


def run(items: Iterable[Item], rules: Rules) -> Model:
    model = Model(rules)
    for item in items:
        if item[0] == "event":
            _, device_id, time_ms = item  # type: ignore[misc]
            model.on_event(device_id, time_ms)
        else:
            model.advance(item[1])  # type: ignore[arg-type]
    return model


def replay_items(
    events: Sequence[tuple[str, int]], out_of_orderness: int, last_check: int | None
) -> list[Item]:
    """What a replay feeds the operator: each event, then the watermark when it
    moves (the newest time so far minus the out-of-orderness); at the end, the last
    check and the end of time."""
    items: list[Item] = []
    watermark: int | None = None
    for device_id, time_ms in events:
        items.append(("event", device_id, time_ms))
        if watermark is None or time_ms - out_of_orderness > watermark:
            watermark = time_ms - out_of_orderness
            items.append(("watermark", watermark))
    if last_check is not None:
        items.append(("watermark", last_check))
    items.append(("watermark", END))
    return items


def last_check_of(events: Sequence[tuple[str, int]], interval: int) -> int:
    """A bounded input's last check: the last multiple of the interval not after its
    newest event time."""
    return max(t for _, t in events) // interval * interval


def expected_alerts(
    events: Sequence[tuple[str, int]],
    *,
    interval: int = 30_000,
    timeout: int = 60_000,
    expiry: int = 86_400_000,
    out_of_orderness: int = 5_000,
    last_check: int | None = None,
) -> list[Alert]:
    """The alerts of `events` read in order as a replay reads them. `last_check`
    defaults to the bounded input's; a later one stands for the wall clock taking over."""
    if not events:
        return []
    if last_check is None:
        last_check = last_check_of(events, interval)
    items = replay_items(events, out_of_orderness, last_check)
    return sorted(run(items, Rules(interval, timeout, expiry)).alerts)

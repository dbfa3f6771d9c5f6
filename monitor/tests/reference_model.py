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

Settings (SPEC s10): a setting read is in force from its time on, or, read after the
watermark passed its time, from the first check not made yet; per key the entry of
the newest start counts. At check T a device's timeout and pause are looked up field
by field: its own key, then the patterns matching it (longest first, then in string
order), then the flags. A paused check raises no alert and no silent change (a return
still ends a reported silence). A device registered (`expected`) before it ever sent
counts its registration (the record's own time) as a time, and its silence from it
is `never-seen`; a
registration withdrawn before it sends ends its watch from the first check at or after
the withdrawal (`forgotten` as of the withdrawal, if reported).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

Alert = tuple[int, str, int]  # (check instant, device id, latest event time), all ms
Status = tuple[str, str, int, int]  # (device id, status, since, at), all ms
# What the operator receives: ("event", device, time), ("watermark", time), or
# ("setting", key, time, value) with value a dict of SPEC s10's fields (durations as
# text, times in ms) or None for a deletion
Item = tuple[str, str, int] | tuple[str, int] | tuple[str, str, int, dict[str, Any] | None]
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
    # its registration, while it has sent nothing at or before it
    registered: int | None = None


_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def duration_ms(text: str | float) -> int:
    """A setting's duration ("90s", "15m", "500ms"; a bare number is seconds)."""
    if not isinstance(text, str):
        return round(text * 1000)
    number = text.rstrip("smhd")
    return round(float(number) * _UNITS_MS[text[len(number) :] or "s"])


@dataclass
class _Value:
    timeout: int | None = None
    paused_until: int | None = None  # 0: explicitly not paused
    expected: bool = False

    @classmethod
    def of(cls, value: dict[str, Any] | None) -> _Value:
        if value is None:
            return cls()
        timeout = value.get("inactivity-timeout")
        paused = value.get("paused-until", -1)
        return cls(
            None if timeout is None else duration_ms(timeout),
            None if paused == -1 else (0 if paused is None else int(paused)),
            bool(value.get("expected", False)),
        )


@dataclass
class Model:
    rules: Rules
    devices: dict[str, _Device] = field(default_factory=dict)
    alerts: list[Alert] = field(default_factory=list)
    changes: list[Status] = field(default_factory=list)
    watermark: int | None = None
    ended: bool = False
    # key -> [(from, value)], by from
    settings: dict[str, list[tuple[int, _Value]]] = field(default_factory=dict)

    def _value_at(self, key: str, at: int) -> _Value | None:
        found = None
        for start, value in self.settings.get(key, []):
            if start <= at:
                found = value
        return found

    def _layers(self, device_id: str, at: int) -> list[_Value]:
        patterns = sorted(
            (key for key in self.settings if key.startswith("pattern:")),
            key=lambda key: (-len(key), key),
        )
        keys = [device_id] + [k for k in patterns if fnmatchcase(device_id, k[len("pattern:") :])]
        return [v for v in (self._value_at(key, at) for key in keys) if v is not None]

    def timeout_at(self, device_id: str, at: int) -> int:
        for layer in self._layers(device_id, at):
            if layer.timeout is not None:
                return layer.timeout
        return self.rules.timeout

    def paused_at(self, device_id: str, at: int) -> bool:
        for layer in self._layers(device_id, at):
            if layer.paused_until is not None:
                return layer.paused_until > at
        return False

    def on_setting(self, key: str, time_ms: int, value: dict[str, Any] | None) -> None:
        start = time_ms if self.watermark is None else max(time_ms, self.next_check())
        timeline = [entry for entry in self.settings.get(key, []) if entry[0] != start]
        timeline.append((start, _Value.of(value)))
        timeline.sort(key=lambda entry: entry[0])
        self.settings[key] = timeline
        if key.startswith("pattern:"):
            return
        expected = timeline[-1][1].expected
        device = self.devices.get(key)
        if expected and (device is None or not device.times):
            self.devices[key] = _Device(times=[time_ms], registered=time_ms)

    def _withdrawn_at(self, device_id: str, at: int) -> int | None:
        """When the registration of a device was withdrawn, as of the check at `at`: the
        start of its own key's values that do not register it, in force at `at` and
        since the last that did; None while one registers it."""
        withdrawn = None
        registers = False
        for start, value in self.settings.get(device_id, []):
            if start > at:
                break
            if value.expected:
                withdrawn, registers = None, True
            elif registers and withdrawn is None:
                withdrawn = start
        return withdrawn

    def next_check(self) -> int:
        """The first check not made yet."""
        assert self.watermark is not None
        return (self.watermark // self.rules.interval + 1) * self.rules.interval

    def on_event(self, device_id: str, time_ms: int) -> None:
        device = self.devices.setdefault(device_id, _Device())
        device.times.append(time_ms)
        if device.registered is not None and time_ms <= device.registered:
            device.registered = None
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
            if device.registered is not None and device.times == [device.registered]:
                withdrawn = self._withdrawn_at(device_id, at)
                if withdrawn is not None:
                    # a withdrawal applies to the checks at or after it, as any setting
                    since = device.silent_since
                    if since is not None:
                        self.changes.append((device_id, "forgotten", since, withdrawn))
                    del self.devices[device_id]
                    continue
            latest = max(counted)
            silent_ms = at - latest
            if silent_ms <= self.timeout_at(device_id, at):
                self._coming(device_id, device, latest, at)
                continue
            if rules.expiry and silent_ms > rules.expiry:
                if device.silent_since is not None:
                    self.changes.append((device_id, "forgotten", latest, latest + rules.expiry))
                    device.silent_since = None
                device.times = [t for t in device.times if t > at]
                if not device.times:
                    del self.devices[device_id]
                continue
            if self.paused_at(device_id, at):
                self._coming(device_id, device, latest, at)
                continue
            self.alerts.append((at, device_id, latest))
            if device.silent_since is None:
                never_seen = device.registered is not None and latest == device.registered
                self.changes.append(
                    (device_id, "never-seen" if never_seen else "silent", latest, at)
                )
                device.silent_since = latest
            self._coming(device_id, device, latest, at)

    def _coming(self, device_id: str, device: _Device, latest: int, at: int) -> None:
        """The checks now reach the events stamped up to the next one: a silent device's
        first of them is its return."""
        if device.silent_since is None:
            return
        coming = [t for t in device.times if latest < t <= at + self.rules.interval]
        if coming:
            self._returns(device_id, device, min(coming))


def run(items: Iterable[Item], rules: Rules) -> Model:
    model = Model(rules)
    for item in items:
        if item[0] == "event":
            _, device_id, time_ms = item  # type: ignore[misc]
            model.on_event(device_id, time_ms)
        elif item[0] == "setting":
            _, key, time_ms, value = item  # type: ignore[misc]
            model.on_setting(key, time_ms, value)
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

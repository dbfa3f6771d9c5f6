"""Per-device settings for the benchmarks: device keys and `pattern:<prefix>*` keys
over a fleet's device ids, the same for the same ids, as a replay's settings file or
records of a compacted settings topic of the run's own."""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from confluent_kafka import Producer

from bench.monitor.common import console

# A bit above the monitor's default of 60 s, so that the failing devices are still
# alerted, later.
DEVICE_TIMEOUTS = ("90s", "120s")
PATTERN_TIMEOUTS = ("100s", "150s")
_DEVICE_ID = re.compile(rb'"device-id"\s*:\s*"([^"]*)"')
_TIME = re.compile(rb'"time"\s*:\s*(-?[\d.]+)')


def spec(text: str) -> tuple[int, int]:
    """`DEVICES:PATTERNS` (argparse type), e.g. `100000:1000`."""
    devices, _, patterns = text.partition(":")
    try:
        counts = int(devices), int(patterns)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not DEVICES:PATTERNS") from None
    if min(counts) < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: counts cannot be negative")
    return counts


def prefix_patterns(device_ids: Sequence[str], count: int) -> list[str]:
    """`count` globs `<prefix>*`, shortest prefixes first (then in string order), over
    the proper prefixes of the ids that are longer than the prefix all of them share:
    with ids `device-00001` ... `device-10000`, `device-0*`, `device-1*`, `device-00*`
    ..., so that each device matches a few of them (one of each length taken)."""
    # the prefix of all ids is that of the first and the last in string order
    first, last = min(device_ids), max(device_ids)
    shared = next(
        (at for at, (a, b) in enumerate(zip(first, last, strict=False)) if a != b),
        min(len(first), len(last)),
    )
    prefixes = {device[:end] for device in device_ids for end in range(shared + 1, len(device))}
    return [f"{prefix}*" for prefix in sorted(prefixes, key=lambda p: (len(p), p))[:count]]


def spread(device_ids: Sequence[str], count: int) -> list[str]:
    """`count` of the ids, evenly spread over them in string order."""
    ordered = sorted(device_ids)
    if count >= len(ordered):
        return ordered
    return [ordered[index * len(ordered) // count] for index in range(count)]


def settings_for(
    device_ids: Sequence[str], devices: int, patterns: int
) -> list[tuple[str, dict[str, Any]]]:
    """(key, value) of `devices` device keys (at most one per id) and `patterns`
    pattern keys over `device_ids`, each value an inactivity timeout."""
    chosen = spread(device_ids, devices)
    globs = prefix_patterns(device_ids, patterns)
    for asked, got, what in ((devices, len(chosen), "devices"), (patterns, len(globs), "patterns")):
        if got < asked:
            console.print(f"[yellow]settings: {asked:,} {what} asked for, {got:,} fit the ids[/]")
    records = [
        (device, {"inactivity-timeout": DEVICE_TIMEOUTS[index % 2]})
        for index, device in enumerate(chosen)
    ]
    records += [
        (f"pattern:{glob}", {"inactivity-timeout": PATTERN_TIMEOUTS[index % 2]})
        for index, glob in enumerate(globs)
    ]
    return records


def file_devices_and_start(events_file: Path) -> tuple[list[str], float]:
    """The distinct device ids of a JSON-lines events file, and its first event's time
    (in the file's own unit)."""
    devices: set[bytes] = set()
    first: float | None = None
    with events_file.open("rb") as lines:
        for line in lines:
            device = _DEVICE_ID.search(line)
            if device is None:
                continue
            devices.add(device[1])
            if first is None and (at := _TIME.search(line)) is not None:
                first = float(at[1])
    if first is None:
        raise ValueError(f"{events_file} has no event with a time")
    return sorted(device.decode() for device in devices), first


def settings_file(events_file: Path, devices: int, patterns: int) -> Path:
    """The replay settings file (JSON lines of key, time and value) for `events_file`:
    `devices` of its device ids and `patterns` prefix patterns over them, all from its
    first event's time. Written once, beside the events file."""
    path = events_file.with_name(f"{events_file.stem}.settings-{devices}dev-{patterns}pat.jsonl")
    if path.is_file():
        return path
    console.print(f"writing {path.name} ...")
    ids, start = file_devices_and_start(events_file)
    at: int | float = int(start) if start == int(start) else start
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as out:
        for key, value in settings_for(ids, devices, patterns):
            out.write(json.dumps({"key": key, "time": at, "value": value}) + "\n")
    partial.rename(path)
    return path


def count_keys(path: Path) -> tuple[int, int]:
    """Device keys and pattern keys of a settings file."""
    devices = patterns = 0
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if json.loads(line)["key"].startswith("pattern:"):
                patterns += 1
            else:
                devices += 1
    return devices, patterns


def produce(
    bootstrap: str,
    topic: str,
    records: Iterable[tuple[str, dict[str, Any]]],
    timestamp_ms: int | None = None,
) -> int:
    """Write the settings to `topic` (key: the device id or pattern, value: the JSON
    object, timestamp: when they apply from, default now); return how many."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50, "acks": "all"})
    failures: list[str] = []

    def delivered(error: Any, _message: Any) -> None:
        if error is not None:
            failures.append(str(error))

    at = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    sent = 0
    for key, value in records:
        while True:
            try:
                producer.produce(
                    topic, json.dumps(value).encode(), key.encode(), timestamp=at,
                    on_delivery=delivered,
                )  # fmt: skip
                break
            except BufferError:
                producer.poll(0.1)
        sent += 1
    if producer.flush(60) or failures:
        raise RuntimeError(f"settings not all written to {topic}: {failures[:3]}")
    return sent

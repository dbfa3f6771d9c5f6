"""The monitor as a user runs it: real Kafka in, real Kafka out, read with read_committed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import Message

from monitor.tests.hostile_events import hostile_events
from monitor.tests.integration.harness import (
    alerts_of,
    event,
    monitor_args,
    newest_checkpoint,
    produce,
    read_until,
    running_monitor,
    stop,
    wait_for_checkpoint,
)
from monitor.tests.reference_model import expected_alerts

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
S = 1000
# Short enough for a live test to see alerts within seconds.
LIVE_TIMING = {"check_interval": "5s", "inactivity_timeout": "10s", "idle_timeout": "5s"}


def aligned_base(hours_ago: int) -> int:
    now = int(time.time())
    return (now - hours_ago * 3600) // 30 * 30


# A backlog with a device expiry of 10 minutes: once the backlog is read the
# partitions go idle and the wall clock takes over, so every device is reported
# until it expires, a finite, exact set.
BACKLOG_EXPIRY_S = 600


def backlog_alerts(events_s: list[tuple[str, int]]) -> list[tuple[int, str, int]]:
    """(check ms, device, latest s) of every alert a backlog of (device, time s) gives."""
    expected = expected_alerts(
        [(d, t * S) for d, t in events_s],
        expiry=BACKLOG_EXPIRY_S * S,
        last_check=int(time.time()) * S,
    )
    return [(check, device, latest // S) for check, device, latest in expected]


def backlog_monitor_args(topics: dict[str, str], bootstrap: str, tmp_path: Path) -> list[str]:
    return monitor_args(
        topics,
        bootstrap,
        tmp_path / "chk",
        idle_timeout="5s",
        device_expiry=f"{BACKLOG_EXPIRY_S}s",
    )


def read_alerts(bootstrap: str, topics: dict[str, str], count: int) -> list[tuple[int, str, int]]:
    """The first `count` alerts, as `alerts_of` gives them."""
    messages = read_until(bootstrap, topics["alerts"], lambda got: len(got) >= count, 150)
    return alerts_of(messages)


def test_a_backlog_gives_exactly_the_expected_alerts_and_bad_events_go_to_the_dlq(
    kafka_bootstrap: str, kafka_test_topics: dict[str, str], tmp_path: Path
) -> None:
    base = aligned_base(hours_ago=1)
    active = [f"active-{n}" for n in range(6)]
    silent = [f"silent-{n}" for n in range(3)]
    events = [(d, t) for t in range(base, base + 301, 10) for d in active]
    events += [(d, t) for t in range(base, base + 101, 10) for d in silent]
    events.sort(key=lambda item: item[1])
    hostile = hostile_events(int(time.time()))
    records = [event(device, t) for device, t in events]
    for n, (payload, _) in enumerate(hostile.values()):
        records.insert(7 * n + 3, (f"bad-{n}", payload))
    produce(kafka_bootstrap, kafka_test_topics["events"], records)

    expected_s = backlog_alerts(events)
    args = backlog_monitor_args(kafka_test_topics, kafka_bootstrap, tmp_path)
    with running_monitor(args, tmp_path / "monitor.log"):
        alerts = read_alerts(kafka_bootstrap, kafka_test_topics, len(expected_s))
        time.sleep(5)  # anything beyond the expected set would show up by now
        alerts += alerts_of(
            read_until(kafka_bootstrap, kafka_test_topics["alerts"], lambda got: False, 3)
        )[len(alerts) :]
        dead = read_until(
            kafka_bootstrap, kafka_test_topics["dlq"], lambda got: len(got) >= len(hostile), 30
        )
    assert sorted(alerts) == expected_s
    assert len(expected_s) == 9 * 18

    assert len(dead) == len(hostile)
    by_payload = {message.value(): message for message in dead}
    for name, (payload, word) in hostile.items():
        message = by_payload.get(payload)
        assert message is not None, f"{name} did not reach the dead-letter topic"
        headers = dict(message.headers())
        assert word.lower() in headers["dlq.reason"].decode().lower(), name
        assert headers["dlq.source.topic"].decode() == kafka_test_topics["events"]
        assert int(headers["dlq.source.partition"]) in (0, 1, 2)
        assert int(headers["dlq.source.offset"]) >= 0


def test_events_in_other_layouts_count_like_the_canonical_ones(
    kafka_bootstrap: str, kafka_test_topics: dict[str, str], tmp_path: Path
) -> None:
    """Canonical records never reach Python; any other layout is validated there and
    must rejoin the events with its own time."""
    base = aligned_base(hours_ago=1)
    layouts = {
        "canonical": lambda d, t: event(d, t)[1],
        "reordered": lambda d, t: json.dumps({"time": t, "device-id": d}).encode(),
        "float": lambda d, t: json.dumps({"device-id": d, "time": float(t)}).encode(),
    }
    events: list[tuple[str, str, int]] = []
    for layout in layouts:
        events += [(layout, f"{layout}-active", t) for t in range(base, base + 301, 10)]
        events += [(layout, f"{layout}-silent", t) for t in range(base, base + 101, 10)]
    events.sort(key=lambda item: item[2])
    records = [(device, layouts[layout](device, t)) for layout, device, t in events]
    produce(kafka_bootstrap, kafka_test_topics["events"], records)

    expected_s = backlog_alerts([(d, t) for _, d, t in events])
    args = backlog_monitor_args(kafka_test_topics, kafka_bootstrap, tmp_path)
    with running_monitor(args, tmp_path / "monitor.log"):
        alerts = read_alerts(kafka_bootstrap, kafka_test_topics, len(expected_s))
    assert sorted(alerts) == expected_s
    assert {device for _, device, _ in alerts} == {d for _, d, _ in events}


def test_when_all_input_stops_the_wall_clock_raises_the_alerts(
    kafka_bootstrap: str, kafka_test_topics: dict[str, str], tmp_path: Path
) -> None:
    args = monitor_args(kafka_test_topics, kafka_bootstrap, tmp_path / "chk", **LIVE_TIMING)
    devices = [f"device-{n}" for n in range(5)]
    with running_monitor(args, tmp_path / "monitor.log"):
        wait_for_checkpoint(tmp_path / "chk")  # the job runs before the fleet reports
        for _ in range(3):
            now = int(time.time())
            produce(kafka_bootstrap, kafka_test_topics["events"], [event(d, now) for d in devices])
            time.sleep(1)
        last = int(time.time()) - 1
        # Nothing arrives any more: alerts must follow within a check interval plus the
        # idle timeout (and a checkpoint, since alerts are committed with it).
        first_check = (last + 10) // 5 * 5 + 5
        deadline = first_check + 5 + 5 + 2 + 10 - time.time()
        messages = read_until(
            kafka_bootstrap,
            kafka_test_topics["alerts"],
            lambda got: {m.key() for m in got} >= {d.encode() for d in devices},
            timeout_s=max(deadline, 1),
        )
        # The monitor says the input is idle (the checks run on the wall clock), and
        # that it resumed when a device reports again.
        idle = read_until(
            kafka_bootstrap,
            kafka_test_topics["status"],
            lambda got: input_said("idle")(got) and len(silent_devices(got)) == len(devices),
            30,
        )
        produce(kafka_bootstrap, kafka_test_topics["events"], [event("device-0", int(time.time()))])
        resumed = read_until(
            kafka_bootstrap, kafka_test_topics["status"], input_said("resumed"), 30
        )
    alerted = {device for _, device, _ in alerts_of(messages)}
    assert alerted == set(devices)
    assert all(latest >= last - 2 for _, _, latest in alerts_of(messages))
    assert input_said("idle")(idle)
    assert input_said("resumed")(resumed)
    assert silent_devices(idle) == set(devices)


def silent_devices(messages: list[Message]) -> set[str]:
    return {json.loads(m.value())["device-id"] for m in messages if b'"silent"' in m.value()}


def input_said(word: str) -> Callable[[list[Message]], bool]:
    """Whether the monitor's own status records among the messages say input-`word`."""

    def said(messages: list[Message]) -> bool:
        bodies = [json.loads(message.value()) for message in messages]
        return any(body.get("status") == f"input-{word}" and "monitor" in body for body in bodies)

    return said


def test_an_idle_partition_does_not_hold_back_the_others(
    kafka_bootstrap: str, kafka_test_topics: dict[str, str], tmp_path: Path
) -> None:
    args = monitor_args(kafka_test_topics, kafka_bootstrap, tmp_path / "chk", **LIVE_TIMING)
    topic = kafka_test_topics["events"]
    with running_monitor(args, tmp_path / "monitor.log"):
        wait_for_checkpoint(tmp_path / "chk")
        produce(kafka_bootstrap, topic, [event("lonely", int(time.time()))], partition=2)
        started = time.time()
        alerted: set[str] = set()
        # Partitions 0 and 1 keep reporting; partition 2 never speaks again.
        while time.time() - started < 60 and alerted < {"gone", "lonely"}:
            now = int(time.time())
            produce(kafka_bootstrap, topic, [event("a", now)], partition=0)
            produce(kafka_bootstrap, topic, [event("b", now)], partition=1)
            if time.time() - started < 5:
                produce(kafka_bootstrap, topic, [event("gone", now)], partition=0)
            messages = read_until(kafka_bootstrap, kafka_test_topics["alerts"], lambda _: False, 1)
            alerted = {device for _, device, _ in alerts_of(messages)}
    # Alerts came while two partitions were busy: event time moved without partition 2,
    # and not through the wall clock, which only counts when every partition is idle.
    assert alerted == {"gone", "lonely"}


def test_a_restart_from_a_checkpoint_with_a_backlog_raises_no_false_alerts(
    kafka_bootstrap: str, kafka_test_topics: dict[str, str], tmp_path: Path
) -> None:
    base = aligned_base(hours_ago=2)
    active = [f"active-{n}" for n in range(5)]
    phase_one = [(d, t) for t in range(base, base + 121, 10) for d in [*active, "quiet", "leaver"]]
    phase_one = [(d, t) for d, t in phase_one if not (d == "quiet" and t > base + 60)]
    checkpoints = tmp_path / "chk"
    # The idle timeout is long: everything here is event time, not the wall clock.
    args = monitor_args(kafka_test_topics, kafka_bootstrap, checkpoints, idle_timeout="10m")
    produce(kafka_bootstrap, kafka_test_topics["events"], [event(d, t) for d, t in phase_one])
    with running_monitor(args, tmp_path / "first.log") as first:
        # A checkpoint taken after the first events were read: two after the job ran.
        first_checkpoint = wait_for_checkpoint(checkpoints)
        second = wait_for_checkpoint(checkpoints, newer_than=first_checkpoint)
        wait_for_checkpoint(checkpoints, newer_than=second)
        stop(first, hard=True)  # a crash, not a clean stop
    assert newest_checkpoint(checkpoints) is not None

    phase_two = [(d, t) for t in range(base + 130, base + 601, 10) for d in [*active, "leaver"]]
    phase_two = [(d, t) for d, t in phase_two if not (d == "leaver" and t > base + 200)]
    produce(kafka_bootstrap, kafka_test_topics["events"], [event(d, t) for d, t in phase_two])
    # watermark ends at base+595: checks up to base+570 are decided
    expected = sorted(
        [(t * S, "quiet", base + 60) for t in range(base + 150, base + 571, 30)]
        + [(t * S, "leaver", base + 200) for t in range(base + 270, base + 571, 30)]
    )
    restarted = [*args, "--restore-from", checkpoints.as_uri()]
    with running_monitor(restarted, tmp_path / "second.log"):
        messages = read_until(
            kafka_bootstrap,
            kafka_test_topics["alerts"],
            lambda got: len(got) >= len(expected),
            timeout_s=120,
        )
        time.sleep(6)
        messages = read_until(kafka_bootstrap, kafka_test_topics["alerts"], lambda got: False, 3)
    alerts = sorted(alerts_of(messages))
    assert alerts == expected  # no active device, no duplicate, nothing lost

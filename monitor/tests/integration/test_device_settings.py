"""Per-device settings as an operator uses them (SPEC s10): written with `iot-monitor
devices` to the real settings topic, then read by the running monitor; a pattern's
timeout, a pause and an expected device behave as in a replay, they survive a restart
from a checkpoint, and a bad settings record goes to the dead letters and changes
nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from monitor.tests.integration.harness import (
    alerts_of,
    event,
    monitor_args,
    produce,
    read_until,
    running_monitor,
    stop,
    wait_for_checkpoint,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
S = 1000
INTERVAL_S, TIMEOUT_S = 5, 10
SLOW_TIMEOUT_S = 30


def devices(bootstrap: str, topic: str, *args: str) -> str:
    """`iot-monitor devices ARGS` against the test's settings topic; its output."""
    done = subprocess.run(
        [sys.executable, "-m", "iot_monitor", "devices", *args],
        env={
            **os.environ,
            "MONITOR_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "MONITOR_SETTINGS_TOPIC": topic,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_settings_written_with_devices_apply_live_survive_a_restart_and_bad_ones_change_nothing(
    kafka_bootstrap: str, kafka_test_topics: dict[str, str], tmp_path: Path
) -> None:
    topics = kafka_test_topics
    settings_topic = topics["settings"]
    assert "pattern:slow-*" in devices(
        kafka_bootstrap,
        settings_topic,
        "set",
        "pattern:slow-*",
        "--inactivity-timeout",
        f"{SLOW_TIMEOUT_S}s",
    )
    devices(kafka_bootstrap, settings_topic, "pause", "paused-1", "--until", "10m")
    registering_s = time.time()
    assert "registered 1 devices" in devices(kafka_bootstrap, settings_topic, "expect", "ghost-1")
    registered_s = time.time()
    # Written past the command's checks, as any other producer could: the monitor says no.
    produce(
        kafka_bootstrap,
        settings_topic,
        [("pattern:slow-*", b'{"inactivity-timeout": "-5s"}'), ("fast-1", b"not json")],
    )
    # Resolved as the monitor does: the bad record leaves the pattern's value in force.
    shown = devices(kafka_bootstrap, settings_topic, "show", "slow-7")
    assert f"inactivity-timeout {SLOW_TIMEOUT_S}s (from pattern:slow-*)" in shown
    checkpoints = tmp_path / "chk"
    args = monitor_args(
        topics,
        kafka_bootstrap,
        checkpoints,
        check_interval=f"{INTERVAL_S}s",
        inactivity_timeout=f"{TIMEOUT_S}s",
        idle_timeout="5s",
    )
    with running_monitor(args, tmp_path / "first.log") as first:
        first_checkpoint = wait_for_checkpoint(checkpoints)
        # A checkpoint taken once the settings were read: their offsets are behind it.
        wait_for_checkpoint(checkpoints, newer_than=first_checkpoint)
        stop(first, hard=True)
    # From here on the settings come from the checkpointed state alone.
    stopping = threading.Event()
    started_s = int(time.time())

    def fleet() -> None:
        produce(
            kafka_bootstrap, topics["events"], [event(d, started_s) for d in ("slow-1", "paused-1")]
        )
        while not stopping.is_set():
            now = int(time.time())
            sending = ["steady-1"] + (["fast-1"] if now < started_s + 5 else [])
            produce(kafka_bootstrap, topics["events"], [event(d, now) for d in sending])
            time.sleep(1)

    with running_monitor([*args, "--resume-latest"], tmp_path / "second.log"):
        sender = threading.Thread(target=fleet, daemon=True)
        sender.start()
        try:
            messages = read_until(
                kafka_bootstrap,
                topics["alerts"],
                lambda got: {b"slow-1", b"fast-1", b"ghost-1"} <= {m.key() for m in got},
                timeout_s=SLOW_TIMEOUT_S + 60,
            )
            time.sleep(INTERVAL_S * 2)  # a pause would have raised by now
            messages = read_until(kafka_bootstrap, topics["alerts"], lambda _: False, 5)
        finally:
            stopping.set()
            sender.join(10)
        status = read_until(
            kafka_bootstrap,
            topics["status"],
            lambda got: any(b"never-seen" in (m.value() or b"") for m in got),
            30,
        )
        dead = read_until(kafka_bootstrap, topics["dlq"], lambda got: len(got) >= 2, 30)
    first_alert: dict[str, tuple[int, float]] = {}
    for check_ms, device, latest in alerts_of(messages):
        first_alert.setdefault(device, (check_ms, latest))
    assert "paused-1" not in first_alert
    assert "steady-1" not in first_alert
    check_ms, latest = first_alert["slow-1"]
    # The pattern's 30 s, not the flags' 10 s (and not the bad record's)
    assert SLOW_TIMEOUT_S * S < check_ms - latest * S <= (SLOW_TIMEOUT_S + INTERVAL_S) * S
    check_ms, latest = first_alert["fast-1"]
    assert TIMEOUT_S * S < check_ms - latest * S <= (TIMEOUT_S + INTERVAL_S) * S
    # The expected device that never sent: from its registration, the record's time.
    check_ms, latest = first_alert["ghost-1"]
    assert registering_s - 1 <= latest <= registered_s + 1
    changes = [json.loads(m.value()) for m in status if m.value()]
    assert {"device-id": "ghost-1", "status": "never-seen"}.items() <= next(
        c for c in changes if c.get("device-id") == "ghost-1"
    ).items()
    reasons = {m.headers() and dict(m.headers()).get("dlq.reason", b"").decode() for m in dead}
    assert any("not a duration" in reason for reason in reasons if reason)
    assert any("not JSON" in reason for reason in reasons if reason)
    assert all(dict(m.headers())["dlq.source.topic"].decode() == settings_topic for m in dead)

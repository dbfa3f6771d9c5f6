"""The monitor's metrics as Prometheus scrapes them from `iot-monitor run` (Flink's
local mini-cluster: one JVM, one endpoint), against what the test sent."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from iot_monitor.metrics import DEAD_LETTERS_BY_REASON, OPERATOR_METRICS, prometheus_name

from monitor.tests.integration.harness import (
    event,
    monitor_args,
    produce,
    running_monitor,
    wait_for_checkpoint,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
Samples = list[tuple[str, dict[str, str], float]]
# Bad records and the label of their reason's kind (the reason up to its details,
# every character but letters, digits, ':' and '_' made '_' by the reporter).
BAD_RECORDS = [
    (b"not json", "not_JSON"),
    (b"{not json either", "not_JSON"),
    (b'{"device-id": "no-time"}', "time_is_missing_or_null"),
    (json.dumps({"time": int(time.time())}).encode(), "device_id_is_missing_or_null"),
    (b"", "empty_value"),
]
INACTIVITY_TIMEOUT_S = 300
COUNTED = ("devicesTracked", "devicesSilent", "statusChanges", "alertsRaised", "deadLetters")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scrape(port: int) -> Samples:
    """Every sample of http://localhost:PORT/metrics; none while nothing answers."""
    try:
        with urllib.request.urlopen(f"http://localhost:{port}/metrics", timeout=5) as answer:
            text = answer.read().decode()
    except OSError:
        return []
    samples = []
    for line in text.splitlines():
        if (match := SAMPLE.match(line)) and not line.startswith("#"):
            labels = dict(LABEL.findall(match["labels"] or ""))
            samples.append((match["name"], labels, float(match["value"])))
    return samples


def total(samples: Samples, metric: str) -> float:
    """A metric summed over its series (one per subtask)."""
    return sum(value for name, _, value in samples if name == metric)


def largest(samples: Samples, metric: str) -> float:
    """A metric's largest series: the slowest subtask's lag, whether any input is idle."""
    return max(value for name, _, value in samples if name == metric)


def by_reason(samples: Samples) -> dict[str, float]:
    counts: dict[str, float] = defaultdict(float)
    for name, labels, value in samples:
        if name == DEAD_LETTERS_BY_REASON:
            counts[labels["reason"]] += value
    return dict(counts)


def scrape_until(
    port: int, monitor: subprocess.Popen[bytes], done: Callable[[Samples], bool], timeout_s: float
) -> Samples:
    deadline = time.monotonic() + timeout_s
    samples = scrape(port)
    while not done(samples) and time.monotonic() < deadline:
        assert monitor.poll() is None, f"the monitor exited with code {monitor.returncode}"
        time.sleep(1)
        samples = scrape(port)
    return samples


def test_the_metrics_count_what_the_monitor_was_sent(
    kafka_bootstrap: str, topic_factory: Callable[[str, int], str], tmp_path: Path
) -> None:
    topics = {
        "events": topic_factory("metrics-events", 3),
        "alerts": topic_factory("metrics-alerts", 1),
        "dlq": topic_factory("metrics-dlq", 1),
        "status": topic_factory("metrics-status", 1),
    }
    now = int(time.time())
    active = [f"active-{n}" for n in range(4)]
    silent = [f"silent-{n}" for n in range(3)]
    # Silent for 60 s beyond the timeout by now: each is reported at every check since;
    # the active ones stay below it for the rest of the test.
    last_silent = now - INACTIVITY_TIMEOUT_S - 60
    records = [event(d, t) for t in range(last_silent - 60, last_silent + 1, 10) for d in silent]
    records += [event(d, t) for t in range(now - 60, now + 1, 10) for d in active]
    records += [(f"bad-{n}", payload) for n, (payload, _) in enumerate(BAD_RECORDS)]
    produce(kafka_bootstrap, topics["events"], records)

    port = free_port()
    flags = {
        "check_interval": "5s",
        "inactivity_timeout": f"{INACTIVITY_TIMEOUT_S}s",
        "idle_timeout": "5s",
        "device_expiry": "1h",
        "metrics.port": str(port),
    }
    args = monitor_args(topics, kafka_bootstrap, tmp_path / "chk", **flags)
    with running_monitor(args, tmp_path / "monitor.log") as monitor:
        wait_for_checkpoint(tmp_path / "chk")

        def settled(samples: Samples) -> bool:
            """Every record read, every silence reported, and the topic standing still."""
            return (
                total(samples, prometheus_name("deadLetters")) == len(BAD_RECORDS)
                and total(samples, prometheus_name("devicesSilent")) == len(silent)
                and total(samples, prometheus_name("inputIdle")) >= 1
            )

        samples = scrape_until(port, monitor, settled, timeout_s=120)

    metric = {name: total(samples, prometheus_name(name)) for name in COUNTED}
    assert metric["devicesTracked"] == len(active) + len(silent), metric
    assert metric["devicesSilent"] == len(silent), metric
    assert metric["statusChanges"] == len(silent), metric  # one "silent" each, no return
    # every 5 s check from 60 s after the timeout began to the last event's watermark
    assert metric["alertsRaised"] >= len(silent) * 10, metric
    assert metric["deadLetters"] == len(BAD_RECORDS), metric
    expected_reasons: dict[str, float] = defaultdict(float)
    for _, reason in BAD_RECORDS:
        expected_reasons[reason] += 1
    assert by_reason(samples) == expected_reasons
    assert largest(samples, prometheus_name("inputIdle")) == 1
    assert largest(samples, prometheus_name("inputUnavailable")) == 0
    # idle: the wall clock drives the watermark, seconds behind it
    assert 0 <= largest(samples, prometheus_name("eventTimeLagMs")) < 60_000
    assert_series_come_from_their_operators(samples)


def assert_series_come_from_their_operators(samples: Samples) -> None:
    for operator, names in OPERATOR_METRICS.items():
        label = re.sub(r"[^\w:]", "_", operator)
        for name in names:
            series = [labels for n, labels, _ in samples if n == prometheus_name(name)]
            assert series, f"{prometheus_name(name)} is not exported"
            assert all(s["operator_name"].endswith(label) for s in series), (name, series)
            assert all(s["job_name"] == "iot_monitor" for s in series), (name, series)

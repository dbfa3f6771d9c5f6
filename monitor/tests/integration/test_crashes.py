"""Crashes under live load: the monitor killed (SIGKILL, its JVM with it) several
times at random moments while a fleet reports, and restarted each time with
`--resume-latest`. What is committed (read_committed) must be exactly what the
reference model says the events imply: no alert lost, none repeated, none forgiven,
and every dead letter once."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from monitor.tests.fleet import (
    Fleet,
    S,
    assert_every_dead_letter_once,
    changes_of,
    expected_changes,
    expected_committed,
)
from monitor.tests.integration.harness import (
    alerts_of,
    monitor_args,
    newest_checkpoint,
    read_until,
    running_monitor,
    stop,
    wait_for_checkpoint,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
INTERVAL_S, TIMEOUT_S, OUT_OF_ORDERNESS_S = 5, 10, 5


def test_kills_under_live_load_change_nothing_that_is_committed(
    kafka_bootstrap: str, kafka_test_topics: dict[str, str], tmp_path: Path
) -> None:
    rng = random.Random(11)
    checkpoints = tmp_path / "chk"
    args = monitor_args(
        kafka_test_topics,
        kafka_bootstrap,
        checkpoints,
        check_interval=f"{INTERVAL_S}s",
        inactivity_timeout=f"{TIMEOUT_S}s",
        max_out_of_orderness=f"{OUT_OF_ORDERNESS_S}s",
        idle_timeout="30s",
    )
    args.append("--resume-latest")
    fleet = Fleet(kafka_bootstrap, kafka_test_topics["events"], devices=24, seed=3)
    fleet.start()
    kills = 4
    try:
        for run in range(kills):
            before = newest_checkpoint(checkpoints)
            with running_monitor(args, tmp_path / f"monitor-{run}.log") as monitor:
                wait_for_checkpoint(checkpoints, newer_than=before)
                time.sleep(rng.uniform(3, 15))
                stop(monitor, hard=True)
        fleet.stop()
        last_check_s, expected = expected_committed(
            fleet, INTERVAL_S, TIMEOUT_S, OUT_OF_ORDERNESS_S
        )
        with running_monitor(args, tmp_path / "monitor-final.log"):
            messages = read_until(
                kafka_bootstrap,
                kafka_test_topics["alerts"],
                lambda got: (
                    {a for a in alerts_of(got) if a[0] <= last_check_s * S} >= set(expected)
                ),
                timeout_s=120,
            )
            # anything repeated or beyond the expected set would show up by now
            time.sleep(5)
            messages = read_until(kafka_bootstrap, kafka_test_topics["alerts"], lambda _: False, 5)
            status = read_until(kafka_bootstrap, kafka_test_topics["status"], lambda _: False, 5)
            assert_every_dead_letter_once(kafka_bootstrap, kafka_test_topics["dlq"], fleet)
    finally:
        fleet.stopping.set()
    alerts = [a for a in alerts_of(messages) if a[0] <= last_check_s * S]
    assert len(expected) > 20, "the fleet's silences should raise alerts"
    # Each committed alert and where it lies in the topic: a repeated one is read against
    # the broker's log (its transaction) and the monitors' logs beside this file.
    (tmp_path / "alerts.tsv").write_text(
        "".join(
            f"{m.partition()}\t{m.offset()}\t{a}\n"
            for m, a in zip(messages, alerts_of(messages), strict=True)
        )
    )
    assert sorted(alerts) == expected  # none lost, none repeated, none forgiven or false
    changes = expected_changes(fleet, INTERVAL_S, TIMEOUT_S, OUT_OF_ORDERNESS_S)
    assert {status for _, status, _, _ in changes} >= {"silent", "back"}
    # the status changes are in the alerts' transactions: as exact
    assert sorted(c for c in changes_of(status) if c[3] <= last_check_s) == changes

"""`iot-monitor replay FILE`: the same pipeline over a file, with a finite, sorted,
deterministic list of alerts.

The file is read once in Python first: bad lines are reported with their line
numbers (Flink's file source does not know them), the newest event time fixes the
last check, and only the good events go on to Flink, as `time-ms TAB device-id`
lines, so no bad line can move time and Flink splits each line with two string
functions.
"""

from __future__ import annotations

import logging
import re
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple, TextIO

from pyflink.datastream import DataStream, StreamExecutionEnvironment

from iot_monitor.alerts import replay_line
from iot_monitor.canonical import canonical_line_regex
from iot_monitor.flink_env import bounded_environment
from iot_monitor.pipeline import alert_stream, screened_device_ids
from iot_monitor.rules import AlertRules
from iot_monitor.settings import MonitorSettings
from iot_monitor.validation import Rejection, parse_event

log = logging.getLogger(__name__)


_NONE = -(2**63)
_WRITE_EVERY = 65_536


class Screened(NamedTuple):
    good_lines: int
    bad_lines: int
    newest_event_ms: int | None


def screen_file(source: Path, good: TextIO, errors: TextIO, settings: MonitorSettings) -> Screened:
    """Write the usable events of `source` to `good` as `time-ms TAB device-id` lines;
    report the others on `errors`."""
    now_ms = int(time.time() * 1000)
    not_after_ms = now_ms + settings.max_future_skew_ms
    ms_per_unit = settings.time_unit.ms_per_unit
    canonical = re.compile(canonical_line_regex(settings.time_unit).encode()).match
    bad_count = number = 0
    newest = _NONE
    screened: list[str] = []
    with source.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if len(screened) >= _WRITE_EVERY:
                good.writelines(screened)
                screened.clear()
            # The canonical layout is taken apart directly (as the Kafka source's
            # decoder does); everything else gets the full validation and its reason.
            # This loop runs once per line of the file: keep it lean (`$` matches
            # before "\n").
            canonical_line = canonical(raw)
            if canonical_line is not None:
                time_ms = int(canonical_line[2]) * ms_per_unit
                if time_ms <= not_after_ms:
                    if time_ms > newest:
                        newest = time_ms
                    screened.append(f"{time_ms}\t{canonical_line[1].decode('ascii')}\n")
                    continue
            line = raw.rstrip(b"\r\n")
            result = parse_event(line, settings.time_unit, now_ms, settings.max_future_skew_ms)
            if isinstance(result, Rejection):
                bad_count += 1
                errors.write(f"{source}:{number}: {result.reason}\n")
                continue
            newest = max(newest, result.time_ms)
            screened.append(f"{result.time_ms}\t{result.device_id}\n")
    good.writelines(screened)
    return Screened(number - bad_count, bad_count, None if newest == _NONE else newest)


def last_check(newest_event_ms: int, check_interval_ms: int) -> int:
    return newest_event_ms // check_interval_ms * check_interval_ms


def run_replay(
    path: Path, settings: MonitorSettings, rules: AlertRules
) -> list[tuple[int, str, int]]:
    """(check ms, device id, latest event ms) of every alert of the events file
    `path`, in output order; bad lines are reported on stderr and skipped."""
    with tempfile.TemporaryDirectory(prefix="iot-replay-") as folder:
        screened = Path(folder) / "events.tsv"
        with screened.open("w", encoding="utf-8") as good:
            screen_file(path, good, sys.stderr, settings)
        return _run_screened(screened, settings, rules)


def _run_screened(
    screened: Path, settings: MonitorSettings, rules: AlertRules
) -> list[tuple[int, str, int]]:
    env = bounded_environment(settings)
    alerts = replay_alert_stream(env, screened, settings, rules)
    return sorted(
        (row[2], row[0], row[1]) for row in alerts.execute_and_collect("iot-monitor-replay")
    )


def replay_alert_stream(
    env: StreamExecutionEnvironment, screened: Path, settings: MonitorSettings, rules: AlertRules
) -> DataStream:
    """The alerts of a file written by `screen_file`."""
    return alert_stream(screened_device_ids(env, screened, settings), settings, rules)


def replay_file(source: Path, settings: MonitorSettings, out: TextIO = sys.stdout) -> int:
    with tempfile.TemporaryDirectory(prefix="iot-replay-") as folder:
        good_path = Path(folder) / "events.tsv"
        with good_path.open("w", encoding="utf-8") as good:
            screened = screen_file(source, good, sys.stderr, settings)
        log.info(
            "%s: %d usable events, %d bad lines", source, screened.good_lines, screened.bad_lines
        )
        if screened.newest_event_ms is None:
            return 0
        last = last_check(screened.newest_event_ms, settings.check_interval_ms)
        rules = replace(settings.rules, last_check_ms=last)
        alerts = _run_screened(good_path, settings, rules)
    for check_ms, device_id, latest_ms in alerts:
        out.write(replay_line(check_ms, device_id, latest_ms, settings.time_unit) + "\n")
    log.info("%d alerts", len(alerts))
    return len(alerts)

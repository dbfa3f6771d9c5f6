"""A replay's screening takes canonical lines apart directly; it must agree with the
full validation on every line, good or bad."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from iot_monitor.canonical import canonical_line_regex
from iot_monitor.replay import screen_file
from iot_monitor.settings import MonitorSettings
from iot_monitor.timeunit import TimeUnit
from iot_monitor.validation import Rejection, parse_event

from monitor.tests.hostile_events import NOW_S, hostile_events
from monitor.tests.layouts import CANONICAL, OTHER_LAYOUTS


@pytest.mark.parametrize("unit", list(TimeUnit))
def test_screening_agrees_with_validation_line_by_line(tmp_path: Path, unit: TimeUnit) -> None:
    hostile = [payload for payload, _ in hostile_events(NOW_S).values() if payload]
    lines = [line for line in CANONICAL + OTHER_LAYOUTS + hostile if b"\n" not in line]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    good, errors = io.StringIO(), io.StringIO()
    screen_file(source, good, errors, MonitorSettings(time_unit=unit))
    expected = []
    for line in lines:
        result = parse_event(line, unit, NOW_S * 1000, 300_000)
        if not isinstance(result, Rejection):
            expected.append(f"{result.time_ms}\t{result.device_id}")
    assert good.getvalue().splitlines() == expected
    assert errors.getvalue().count("\n") == len(lines) - len(expected)


def test_the_canonical_layout_is_what_the_generator_writes() -> None:
    pattern = re.compile(canonical_line_regex(TimeUnit.SECONDS).encode())
    assert pattern.match(CANONICAL[0])
    assert not any(pattern.match(line) for line in OTHER_LAYOUTS)

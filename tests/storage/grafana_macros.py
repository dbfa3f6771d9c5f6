"""Grafana's PostgreSQL macros and template variables, expanded the way Grafana
expands them, so that a panel's SQL can run on a real PostgreSQL in a test."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
TIME_FILTER = re.compile(r"\$__timeFilter\(\s*([^)]+?)\s*\)")
TIME_GROUP_ALIAS = re.compile(r"\$__timeGroupAlias\(\s*([^,]+?)\s*,\s*([^)]+?)\s*\)")


def interval_seconds(interval: str) -> int:
    text = interval.strip().strip("'\"")
    match = re.fullmatch(r"(\d+)([smhd])", text)
    if match is None:
        raise ValueError(f"not an interval: {interval!r}")
    return int(match.group(1)) * UNITS[match.group(2)]


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Expansion:
    """What Grafana would substitute: the time range, $__interval, the variables."""

    start: datetime
    end: datetime
    interval: str
    timescaledb: bool
    variables: dict[str, str]

    def time_group(self, column: str, interval: str) -> str:
        seconds = interval_seconds(interval)
        if self.timescaledb:
            return f"time_bucket('{seconds}s', {column})"
        return f"floor(extract(epoch from {column})/{seconds})*{seconds}"

    def expand(self, sql: str) -> str:
        text = sql.replace("$__interval", self.interval)
        start, end = (moment.strftime("%Y-%m-%dT%H:%M:%SZ") for moment in (self.start, self.end))
        text = TIME_FILTER.sub(lambda m: f"{m.group(1)} BETWEEN '{start}' AND '{end}'", text)
        text = text.replace("$__timeFrom()", f"'{start}'").replace("$__timeTo()", f"'{end}'")
        text = TIME_GROUP_ALIAS.sub(
            lambda m: f'{self.time_group(m.group(1), m.group(2))} AS "time"', text
        )
        for name, value in self.variables.items():
            # Replaced literally: a value is SQL text and may hold backslashes.
            text = re.sub(rf"\$\{{{name}\}}|\${name}\b", value.replace("\\", "\\\\"), text)
        if "$" in text:
            raise ValueError(f"unexpanded macro or variable left in: {text}")
        return text


def multi_value(values: Sequence[str]) -> str:
    """A multi-value variable with some values selected, as Grafana quotes it for SQL."""
    return ",".join(quote_literal(value) for value in values)

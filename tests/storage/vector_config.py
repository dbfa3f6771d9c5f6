"""vector.yaml as Vector reads it: environment variables substituted into the text,
then YAML; and its remap program run through pyvrl on events shaped like those of
Vector's kafka source."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyvrl
import yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
VECTOR_YAML = ROOT / "infrastructure" / "vector" / "vector.yaml"
REMAP = "alert_rows"
STATUS_REMAP = "status_rows"
STATUS_ROUTE = "status_tables"

# $$, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, $NAME
PLACEHOLDER = re.compile(
    r"\$\$|\$\{(?P<braced>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>[A-Za-z_]\w*)"
)

# pyvrl cannot pass a timestamp value in from Python: the test hands the record
# timestamp over as RFC 3339 text and this line gives it the type the kafka source
# gives it.
TIMESTAMP_PRELUDE = 'if exists(.timestamp) { .timestamp = parse_timestamp!(.timestamp, "%+") }\n'


class MissingVariable(ValueError):
    pass


class Dropped(Exception):
    """The remap sent the event to its dropped (dead-letter) output."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def substitute(text: str, env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("braced") or match.group("bare")
        op, arg = match.group("op"), match.group("arg")
        value = env.get(name)
        unusable = value is None or (op is not None and op.startswith(":") and value == "")
        if op is not None and op.endswith("-") and unusable:
            return str(arg)
        if op is not None and op.endswith("?") and unusable:
            raise MissingVariable(arg or name)
        return value or ""

    return PLACEHOLDER.sub(replace, text)


def load_config(env: Mapping[str, str]) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(substitute(VECTOR_YAML.read_text(), env))
    return loaded


def remap_source(env: Mapping[str, str], remap: str = REMAP) -> str:
    return str(load_config(env)["transforms"][remap]["source"])


def compile_remap(
    env: Mapping[str, str], prelude: str = TIMESTAMP_PRELUDE, remap: str = REMAP
) -> pyvrl.Transform:
    return pyvrl.Transform(prelude + remap_source(env, remap))


def route_of(env: Mapping[str, str], row: dict[str, Any], route: str = STATUS_ROUTE) -> list[str]:
    """The outputs of the route transform whose condition holds for `row`."""
    conditions = load_config(env)["transforms"][route]["route"]
    # pyvrl takes no timestamp from Python; the conditions only ask which columns exist.
    row = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
    return [
        name
        for name, condition in conditions.items()
        if pyvrl.Transform(f'. = {{"matched": {condition}}}').remap(row)["matched"] is True
    ]


def kafka_event(
    value: str | bytes,
    record_time: datetime,
    key: str | None = None,
    topic: str = "alerts",
    partition: int = 0,
    offset: int = 0,
) -> dict[str, Any]:
    """An event as Vector's kafka source emits it with `decoding.codec: bytes`."""
    return {
        "message": value,
        "timestamp": record_time.astimezone(UTC).isoformat(),
        "message_key": key,
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "headers": {},
        "source_type": "kafka",
    }


def run_remap(program: pyvrl.Transform, event: dict[str, Any]) -> dict[str, Any]:
    """The row the remap makes of `event`, or Dropped with the reason it gave."""
    try:
        result = program.remap(event)
    except ValueError as failure:
        raise Dropped(str(failure)) from failure
    assert isinstance(result, dict), result
    return result

"""Where records go: the Sink interface and the JSON-lines file sink. (The Kafka sink
lives in kafka_sink.py, the only module that talks to Kafka.)"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from iot_event_generator.settings import STDOUT
from iot_event_generator.wire import Record


class SinkError(Exception):
    """The destination cannot be used; the message is meant for the operator."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of the records written: acknowledged, failed, or still unknown when
    the sink was closed."""

    written: int
    failed: int
    unconfirmed: int
    problems: tuple[str, ...] = ()

    @property
    def delivered(self) -> int:
        return self.written - self.failed - self.unconfirmed

    @property
    def all_delivered(self) -> bool:
        return self.failed == 0 and self.unconfirmed == 0


class Sink(Protocol):
    description: str
    lines_only: bool  # True if records are lines of text (no tombstones or empty values)

    def write(self, records: list[Record]) -> None: ...

    def failures_so_far(self) -> int: ...

    def close(self) -> Delivery: ...


class FileSink:
    """Writes each record's value as one line; keys are not written (every event names
    its device)."""

    lines_only = True

    def __init__(self, path: str) -> None:
        self.description = "standard output" if path == STDOUT else f"file {path}"
        self._written = 0
        self._file: BinaryIO
        if path == STDOUT:
            self._file = sys.stdout.buffer
        else:
            try:
                self._file = open(path, "wb")  # noqa: SIM115 - closed in close()
            except OSError as exc:
                raise SinkError(f"cannot write to {path}: {exc.strerror}") from None
        self._owns_file = path != STDOUT

    def write(self, records: list[Record]) -> None:
        values = [value for _, value in records if value is not None]
        if not values:
            return
        try:
            self._file.write(b"\n".join(values) + b"\n")
        except OSError as exc:
            raise SinkError(f"writing to {self.description} failed: {exc.strerror}") from None
        self._written += len(values)

    def failures_so_far(self) -> int:
        return 0

    def close(self) -> Delivery:
        try:
            if self._owns_file:
                self._file.close()
            else:
                self._file.flush()
        except OSError as exc:
            return Delivery(self._written, 0, self._written, (f"closing the file: {exc}",))
        return Delivery(self._written, 0, 0)

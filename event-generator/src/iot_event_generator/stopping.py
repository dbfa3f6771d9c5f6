"""Ctrl-C and SIGTERM end the run cleanly: the current chunk finishes, everything is
flushed and the summary printed. Until the run loop has ended, further signals change
nothing, so that a record is never half counted; afterwards (while waiting for Kafka
to acknowledge) Ctrl-C acts as usual."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    def __init__(self) -> None:
        self.requested = False
        self.signal_number: int | None = None
        self._previous: dict[int, Any] = {}

    def __call__(self) -> bool:
        return self.requested

    def __enter__(self) -> StopRequest:
        for signum in SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.requested = True
        self.signal_number = self.signal_number or signum

"""A live progress line on the terminal."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.text import Text

from iot_event_generator.runner import Status

REFRESH_SECONDS = 0.25


def describe(status: Status) -> str:
    # The first fraction of a second says nothing about the rate.
    elapsed = status.elapsed_seconds
    rate = f"{status.events_sent / elapsed:,.0f}/s" if elapsed >= 0.5 else "measuring"
    line = (
        f"{status.events_sent:,} events sent ({rate})"
        f" | devices live {status.live_devices:,}, failed {status.failed_devices:,}"
        f" | {status.elapsed_seconds:,.1f} s of {status.planned_seconds:,g} s"
    )
    if status.malformed_sent:
        line += f" | malformed {status.malformed_sent:,}"
    if status.delivery_failures:
        line += f" | delivery failures {status.delivery_failures:,}"
    return line


class ProgressLine:
    """Redraws at most every REFRESH_SECONDS; does nothing when disabled."""

    def __init__(self, console: Console, enabled: bool) -> None:
        self._live = Live(console=console, auto_refresh=False, transient=True) if enabled else None
        self._next_refresh = 0.0

    def __enter__(self) -> ProgressLine:
        if self._live is not None:
            self._live.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.stop()

    def update(self, status: Status) -> None:
        if self._live is None:
            return
        now = time.monotonic()
        if now >= self._next_refresh:
            self._next_refresh = now + REFRESH_SECONDS
            self._live.update(Text(describe(status)), refresh=True)

"""The unit of the `time` field: epoch seconds by default, milliseconds on request."""

from __future__ import annotations

from enum import StrEnum


class TimeUnit(StrEnum):
    SECONDS = "s"
    MILLISECONDS = "ms"

    @property
    def ms_per_unit(self) -> int:
        return 1000 if self is TimeUnit.SECONDS else 1

    def to_ms(self, value: int | float) -> int:
        return (
            int(value * self.ms_per_unit) if isinstance(value, float) else value * self.ms_per_unit
        )

    def from_ms(self, ms: int) -> int | float:
        """Echo a time in this unit: whole seconds stay integers."""
        whole, rest = divmod(ms, self.ms_per_unit)
        return whole if rest == 0 else ms / self.ms_per_unit

"""Following the fleet through the run: applying failures and recoveries as their
moments come, and recording the event times the ground truth needs."""

from __future__ import annotations

from iot_event_generator.fleet import FleetPlan, LiveDevices, device_id_format
from iot_event_generator.pacing import Pacer
from iot_event_generator.truth import DeviceFailure


class FleetTracker:
    """Each round, every live device sends one event, in id order, in chunks of
    `chunk_size` that share a time. So a device's event time is found from its
    position in the round and the times of the round's chunks. (One tracker follows
    the devices of one class, named by `id_format`.)"""

    def __init__(
        self, plan: FleetPlan, pacer: Pacer, chunk_size: int, id_format: str | None = None
    ) -> None:
        self.live = LiveDevices(plan.num_devices)
        self.failures: dict[int, DeviceFailure] = {}
        self._id_format = id_format or device_id_format(plan.num_devices)
        self._pacer = pacer
        self._chunk_size = chunk_size
        self._changes = plan.changes()
        self._next_change = 0
        self._previous_round: list[int] = []  # chunk times of the last complete round
        self._awaiting_first_event: list[int] = []

    def start_round(self, offset: float) -> None:
        """Apply every failure and recovery due by `offset`, the start of a round.

        A change takes effect at the start of the round after its planned moment, and
        the truth reports that round's start as its time: a failed device's last event
        then always comes before its reported failure, even when a round is spread
        over several chunks with times of their own."""
        due = []
        while (
            self._next_change < len(self._changes) and self._changes[self._next_change][0] <= offset
        ):
            due.append(self._changes[self._next_change])
            self._next_change += 1
        # Positions in the previous round are those of the live set before any change.
        last_times = {d: self._time_in(self._previous_round, d) for _, d, up in due if not up}
        effective = self._pacer.nominal_time_value(offset)
        for _, device, comes_up in due:
            if comes_up:
                self.live.bring_up(device)
                self.failures[device].recovered_at = effective
                self._awaiting_first_event.append(device)
            else:
                self.live.take_down(device)
                self.failures[device] = DeviceFailure(
                    self._id_format % device, effective, last_times[device]
                )

    def end_round(self, chunk_times: list[int]) -> None:
        """Record the round's chunk times (all of them, or those sent before a stop)."""
        for device in self._awaiting_first_event:
            self.failures[device].first_event_after_recovery = self._time_in(chunk_times, device)
        self._awaiting_first_event = []
        self._previous_round = chunk_times

    def _time_in(self, chunk_times: list[int], device: int) -> int | None:
        chunk = self.live.position(device) // self._chunk_size
        return chunk_times[chunk] if chunk < len(chunk_times) else None

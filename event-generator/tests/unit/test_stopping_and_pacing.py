import os
import signal

import pytest
from iot_event_generator.pacing import Pacer
from iot_event_generator.progress import describe
from iot_event_generator.runner import Status
from iot_event_generator.settings import GeneratorSettings
from iot_event_generator.stopping import StopRequest


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_requests_a_stop_instead_of_killing_the_run(signum):
    before = signal.getsignal(signum)
    with StopRequest() as stop:
        os.kill(os.getpid(), signum)
        os.kill(os.getpid(), signum)  # a second one changes nothing during the run
        assert stop()
        assert stop.signal_number == signum
    assert signal.getsignal(signum) is before


def test_a_slow_schedule_still_notices_a_stop_within_a_tenth_of_a_second():
    now = [0.0]
    naps: list[float] = []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        now[0] += seconds

    settings = GeneratorSettings(event_interval_ms=3_600_000, duration_seconds=7200)
    pacer = Pacer(settings, lambda: now[0], sleep, should_stop=lambda: len(naps) >= 3)
    pacer.wait_until(3600)
    assert naps == [0.1, 0.1, 0.1]


def test_the_progress_line_says_what_is_going_on():
    status = Status(
        events_sent=12_000, malformed_sent=40, live_devices=9, failed_devices=1,
        elapsed_seconds=2.0, planned_seconds=60, delivery_failures=3,
    )  # fmt: skip
    assert describe(status) == (
        "12,000 events sent (6,000/s) | devices live 9, failed 1 | 2.0 s of 60 s"
        " | malformed 40 | delivery failures 3"
    )
    status.elapsed_seconds = 0.1
    assert "(measuring)" in describe(status)

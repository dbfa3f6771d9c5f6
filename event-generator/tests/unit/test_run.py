"""The run loop against a file: the ground truth must agree with the events written."""

import json
from collections import defaultdict
from pathlib import Path

import pytest
from iot_event_generator.runner import run
from iot_event_generator.settings import GeneratorSettings, TimeUnit
from iot_event_generator.sinks import FileSink
from iot_event_generator.truth import RunReport

START = 1_800_000_000


def simulate(path: Path, **overrides) -> tuple[RunReport, list[bytes]]:
    values = {
        "num_devices": 25,
        "event_interval_ms": 1000,
        "duration_seconds": 600,
        "failure_probability": 0.4,
        "recovery_probability": 0.5,
        "seed": 5,
        "no_sleep": True,
        "start_time": START,
        "output": str(path),
    }
    settings = GeneratorSettings(**{**values, **overrides})
    sink = FileSink(str(path))
    report = run(settings, sink)
    report.delivery = sink.close()
    return report, path.read_bytes().splitlines()


def times_by_device(lines: list[bytes]) -> dict[str, list[int]]:
    times = defaultdict(list)
    for line in lines:
        event = json.loads(line)
        times[event["device-id"]].append(event["time"])
    return times


@pytest.mark.parametrize(
    "fleet",
    [
        {},
        # Rounds of several chunks, each chunk with its own time.
        {"num_devices": 4500, "event_interval_ms": 10_000, "duration_seconds": 300,
         "failure_probability": 0.02},
    ],
    ids=["small-fleet", "rounds-of-several-chunks"],
)  # fmt: skip
def test_the_truth_file_matches_the_emitted_events(tmp_path, fleet):
    report, lines = simulate(tmp_path / "events.jsonl", **fleet)
    rounds = GeneratorSettings(
        **{"event_interval_ms": 1000, "duration_seconds": 600, **fleet}
    ).total_rounds
    times = times_by_device(lines)
    assert report.events_sent == len(lines) == report.delivery.delivered
    assert report.failures, "this seed should produce failures"
    assert any(f.recovered_at is not None for f in report.failures)
    failed = {f.device_id: f for f in report.failures}
    for device, sent in times.items():
        failure = failed.get(device)
        if failure is None:
            assert len(sent) == rounds, f"{device} never failed, so it sends every round"
            continue
        assert failure.last_event_time == max(t for t in sent if t < failure.failed_at)
        resumed = failure.first_event_after_recovery
        silent = [
            t for t in sent if failure.last_event_time < t and (resumed is None or t < resumed)
        ]
        assert silent == [], f"{device} sent while it was down"
        if resumed is not None:
            assert resumed in sent
            assert resumed >= failure.recovered_at
        else:
            assert max(sent) == failure.last_event_time


def test_the_same_seed_writes_the_same_file_and_another_seed_does_not(tmp_path):
    _, first = simulate(tmp_path / "a.jsonl")
    _, again = simulate(tmp_path / "b.jsonl")
    _, other = simulate(tmp_path / "c.jsonl", seed=6)
    assert first == again
    assert first != other


def test_events_are_stamped_with_simulated_time_from_the_start(tmp_path):
    report, lines = simulate(tmp_path / "e.jsonl", failure_probability=0)
    times = sorted({json.loads(line)["time"] for line in lines})
    assert times == list(range(START, START + 600))
    assert (report.first_event_time, report.last_event_time) == (START, START + 599)


def test_milliseconds_unit_stamps_milliseconds(tmp_path):
    report, lines = simulate(
        tmp_path / "ms.jsonl", time_unit=TimeUnit.MILLISECONDS, event_interval_ms=250
    )
    times = sorted({json.loads(line)["time"] for line in lines})
    assert times[:3] == [START * 1000, START * 1000 + 250, START * 1000 + 500]
    assert all(f.failed_at > START * 1000 for f in report.failures)


def test_rate_sets_the_round_interval_for_the_whole_fleet(tmp_path):
    report, lines = simulate(
        tmp_path / "r.jsonl", num_devices=2000, rate=1000, failure_probability=0, duration_seconds=6
    )
    # 2000 devices at 1000 events/s: each device sends every 2 s, three times in 6 s.
    assert len(lines) == report.events_sent == 6000
    assert sorted({json.loads(line)["time"] for line in lines}) == [
        START + offset for offset in range(6)
    ]


def test_malformed_records_are_mixed_in_without_changing_the_good_events(tmp_path):
    plain_report, plain = simulate(tmp_path / "plain.jsonl")
    report, mixed = simulate(tmp_path / "mixed.jsonl", bad_fraction=0.2)
    plain_lines = set(plain)
    good = [line for line in mixed if line in plain_lines]
    bad_count = sum(report.malformed_sent.values())
    assert good == plain
    assert len(mixed) == len(plain) + bad_count
    assert bad_count / len(mixed) == pytest.approx(0.2, abs=0.03)
    assert report.events_sent == plain_report.events_sent
    assert len(report.malformed_sent) > 10, "many different cases should appear"


def test_a_stop_request_ends_the_run_early_and_the_truth_says_so(tmp_path):
    checks = 0

    def stop_after_a_while() -> bool:
        nonlocal checks
        checks += 1
        return checks > 300

    settings = GeneratorSettings(
        num_devices=5, event_interval_ms=1000, duration_seconds=3600, failure_probability=1,
        seed=1, no_sleep=True, start_time=START, output=str(tmp_path / "s.jsonl"),
    )  # fmt: skip
    sink = FileSink(settings.output or "")
    report = run(settings, sink, should_stop=stop_after_a_while)
    report.delivery = sink.close()
    lines = (tmp_path / "s.jsonl").read_bytes().splitlines()
    assert report.stopped_early == "stopped by the operator"
    assert report.events_sent == len(lines) < 5 * 3600
    # Only failures that happened before the stop are reported.
    assert all(f.failed_at <= report.last_event_time + 1 for f in report.failures)
    assert len(report.failures) < 5


def test_a_live_run_waits_for_each_round_and_stamps_the_clock(tmp_path):
    now = [float(START)]
    sleeps = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    settings = GeneratorSettings(
        num_devices=3, event_interval_ms=500, duration_seconds=10, failure_probability=0,
        seed=2, output=str(tmp_path / "live.jsonl"),
    )  # fmt: skip
    sink = FileSink(settings.output or "")
    report = run(settings, sink, clock=lambda: now[0], sleep=sleep)
    sink.close()
    times = [
        json.loads(line)["time"] for line in (tmp_path / "live.jsonl").read_bytes().splitlines()
    ]
    assert len(times) == 60
    assert sum(sleeps) == pytest.approx(9.5)
    assert times[:3] == [START] * 3
    assert times[-1] == START + 9
    assert report.behind_seconds == 0

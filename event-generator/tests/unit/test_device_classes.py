"""A mixed fleet (--device-class NAME:INTERVAL:COUNT): the flag's parsing and errors,
devices of each class reporting at their interval, and the device settings written
for them (--settings-file; the topic is in the integration tests)."""

import json
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pytest
from iot_event_generator.cli import main
from iot_event_generator.device_settings import format_duration_ms, inactivity_timeout_ms
from iot_event_generator.fleet import DeviceClass
from iot_event_generator.settings import GeneratorSettings

START = "2026-01-01T00:00:00Z"
START_SECONDS = 1_767_225_600


def simulated(tmp_path: Path, *flags: str) -> list[str]:
    return [
        "--no-sleep", "--quiet", "--start-time", START, "--seed", "11",
        "--output", str(tmp_path / "events.jsonl"), "--truth-file", str(tmp_path / "truth.json"),
        *flags,
    ]  # fmt: skip


def events(tmp_path: Path) -> list[dict]:
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def times_by_device(tmp_path: Path) -> dict[str, list[int]]:
    times = defaultdict(list)
    for event in events(tmp_path):
        times[event["device-id"]].append(event["time"])
    return times


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("meter:3600s:200", DeviceClass("meter", 3600, 200)),
        ("meter:1h:200", DeviceClass("meter", 3600, 200)),
        ("tracker:5s:1000", DeviceClass("tracker", 5, 1000)),
        ("tracker:5:1000", DeviceClass("tracker", 5, 1000)),  # a bare number is seconds
        ("fast.one:500ms:1", DeviceClass("fast.one", 0.5, 1)),
        ("gate_2:1.5m:3", DeviceClass("gate_2", 90, 3)),
        ("daily:1d:7", DeviceClass("daily", 86400, 7)),
    ],
)
def test_a_class_is_name_interval_and_count(flag, expected):
    settings = GeneratorSettings(device_classes=[flag])
    assert settings.device_classes == (expected,)
    assert settings.fleet_classes == (expected,)


def test_classes_come_in_the_order_given_and_make_up_the_fleet():
    settings = GeneratorSettings(device_classes=["meter:1h:200", "tracker:5s:1000"])
    assert [c.name for c in settings.fleet_classes] == ["meter", "tracker"]
    assert settings.fleet_size == 1200


def test_without_classes_the_fleet_is_one_class_of_devices():
    settings = GeneratorSettings(num_devices=30, event_interval_ms=250)
    assert settings.fleet_classes == (DeviceClass("device", 0.25, 30),)


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--device-class", "meter"], "expected NAME:INTERVAL:COUNT"),
        (["--device-class", "meter:5s"], "expected NAME:INTERVAL:COUNT"),
        (["--device-class", "meter:5s:3:1"], "expected NAME:INTERVAL:COUNT"),
        (["--device-class", "meter:soon:3"], "'soon' is not a duration"),
        (["--device-class", "meter:-5s:3"], "'-5s' is not a duration"),
        (["--device-class", "meter:0s:3"], "interval of class 'meter' must be from 1ms"),
        (["--device-class", "meter:200d:3"], "interval of class 'meter' must be from 1ms"),
        (["--device-class", "meter:5s:0"], "count of class 'meter' must be from 1"),
        (["--device-class", "meter:5s:many"], "the count of 'meter:5s:many' is not a whole"),
        (["--device-class", "met*r:5s:3"], "the class name 'met*r'"),
        (["--device-class", ":5s:3"], "the class name ''"),
        (["--device-class", "-x:5s:3"], "the class name '-x'"),
        (["--device-class", "a:1s:6000000", "--device-class", "b:1s:5000000"],
         "more than 10,000,000 devices"),
        (["--device-class", "meter:5s:3", "--device-class", "meter:1h:2"],
         "class 'meter' is given more than once"),
    ],
)  # fmt: skip
def test_a_bad_class_gives_one_line_naming_the_flag(capsys, flags, says):
    assert main(["--no-sleep", "--output", "-", *flags]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("error: --device-class: ")
    assert says in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--device-class", "meter:1h:2", "--num.devices", "5"],
         "--num.devices does not go with --device-class"),
        (["--device-class", "meter:1h:2", "--event.interval.ms", "5"],
         "--event.interval.ms does not go with --device-class"),
        (["--device-class", "meter:1h:2", "--rate", "100"],
         "--rate does not go with --device-class"),
        (["--settings.topic", "device-settings"], "--settings.topic needs --device-class"),
        (["--settings-file", "settings.jsonl"], "--settings-file needs --device-class"),
        (["--device-class", "meter:1h:2", "--settings.topic", "bad topic"], "--settings.topic: "),
    ],
)  # fmt: skip
def test_flags_that_do_not_go_together_are_refused_by_name(capsys, flags, says):
    assert main(["--no-sleep", "--output", "-", *flags]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert says in err


def test_a_class_flag_given_by_its_variable_counts_as_given(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GENERATOR_DEVICE_CLASS", "meter:1h:2 tracker:5s:3")
    assert main(simulated(tmp_path, "--duration.seconds", "10")) == 0
    assert sorted(times_by_device(tmp_path)) == [
        "meter-0001", "meter-0002", "tracker-0001", "tracker-0002", "tracker-0003",
    ]  # fmt: skip
    monkeypatch.setenv("GENERATOR_NUM_DEVICES", "5")
    assert main(simulated(tmp_path)) == 2
    assert "--num.devices does not go with --device-class" in capsys.readouterr().err


def test_devices_of_each_class_report_at_their_interval(tmp_path):
    # 2,500 trackers: a round of three chunks spread over its 5 s, so a tracker's
    # event lies up to 4 s into its round; the others send at the round's start.
    classes = {"meter": (100, 4), "sensor": (30, 10), "tracker": (5, 2500)}
    flags = [f"{name}:{interval}s:{count}" for name, (interval, count) in classes.items()]
    code = main(
        simulated(tmp_path, "--duration.seconds", "300", "--failure.probability", "0",
                  *[arg for flag in flags for arg in ("--device-class", flag)])
    )  # fmt: skip
    times = times_by_device(tmp_path)
    assert code == 0
    assert len(times) == 2514
    for device, sent in times.items():
        interval, _ = classes[device.rsplit("-", 1)[0]]
        assert len(sent) == -(-300 // interval), device
        assert all(b - a == interval for a, b in pairwise(sent)), device
        assert 0 <= sent[0] - START_SECONDS < interval, device
    assert {times["tracker-0001"][0], times["tracker-1001"][0], times["tracker-2001"][0]} == {
        START_SECONDS,
        START_SECONDS + 2,
        START_SECONDS + 4,
    }


def test_with_failures_a_class_keeps_its_interval_and_the_truth_matches(tmp_path):
    code = main(
        simulated(tmp_path, "--duration.seconds", "600", "--failure.probability", "0.4",
                  "--recovery.probability", "0.5", "--device-class", "slow:60s:40",
                  "--device-class", "fast:2s:1500")
    )  # fmt: skip
    truth = json.loads((tmp_path / "truth.json").read_text())
    times = times_by_device(tmp_path)
    failed = {f["device-id"]: f for f in truth["failures"]}
    assert code == 0
    recovered = sum(f["recovered-at"] is not None for f in failed.values())
    assert truth["devices"] == {"total": 1540, "failed": len(failed), "recovered": recovered}
    assert {d.split("-")[0] for d in failed} == {"slow", "fast"}
    assert list(failed) == sorted(failed)
    assert sum(len(sent) for sent in times.values()) == truth["events"]["sent"]
    for device, sent in times.items():
        interval = 60 if device.startswith("slow") else 2
        # Within the pacing's spread: the 40 slow devices send together at the start
        # of each round; as devices before it fail or come back, a fast device moves
        # between its round's two chunks, sent at 0 s and 1.33 s into the round.
        allowed_gaps = {60} if interval == 60 else {1, 2, 3}
        failure = failed.get(device)
        if failure is None:
            assert len(sent) == 600 // interval, device
            assert {b - a for a, b in pairwise(sent)} <= allowed_gaps, device
            continue
        assert failure["last-event-time"] == max(t for t in sent if t < failure["failed-at"])
        assert failure["failed-at"] % interval == START_SECONDS % interval, "a round's start"
        resumed = failure["first-event-after-recovery"]
        assert not [t for t in sent if failure["last-event-time"] < t < (resumed or 10**12)]
        if resumed is not None:
            assert resumed in sent


def test_one_class_named_device_is_the_fleet_without_classes(tmp_path):
    common = ["--duration.seconds", "600", "--failure.probability", "0.3"]
    assert (
        main(simulated(tmp_path, *common, "--num.devices", "25", "--event.interval.ms", "2000"))
        == 0
    )
    plain = (tmp_path / "events.jsonl").read_bytes()
    plain_truth = json.loads((tmp_path / "truth.json").read_text())
    assert main(simulated(tmp_path, *common, "--device-class", "device:2s:25")) == 0
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert (tmp_path / "events.jsonl").read_bytes() == plain
    assert truth.pop("device-classes") == [
        {"name": "device", "interval-seconds": 2.0, "count": 25, "inactivity-timeout": "32s"}
    ]
    truth.pop("elapsed-seconds"), plain_truth.pop("elapsed-seconds")
    assert truth == plain_truth


@pytest.mark.parametrize(
    ("interval_seconds", "timeout"),
    [
        (3600, "3h"),  # three intervals
        (300, "15m"),
        (86400, "3d"),
        (20, "1m"),  # three intervals is just the interval plus 40 s
        (5, "35s"),  # the interval plus 30 s is more than three of them
        (0.5, "30500ms"),
        (0.001, "30001ms"),
    ],
)
def test_the_timeout_of_a_class_is_three_intervals_and_at_least_30_s_more(
    interval_seconds, timeout
):
    assert format_duration_ms(inactivity_timeout_ms(interval_seconds)) == timeout


@pytest.mark.parametrize(("unit", "time"), [("s", START_SECONDS), ("ms", START_SECONDS * 1000)])
def test_the_settings_file_holds_one_timeout_per_class_from_the_first_event(tmp_path, unit, time):
    settings_file = tmp_path / "settings.jsonl"
    code = main(
        simulated(tmp_path, "--duration.seconds", "60", "--time-unit", unit,
                  "--device-class", "meter:3600s:200", "--device-class", "tracker:5s:1000",
                  "--device-class", "fast:500ms:2", "--settings-file", str(settings_file))
    )  # fmt: skip
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert code == 0
    assert truth["first-event-time"] == time
    assert settings_file.read_text() == (
        f'{{"key": "pattern:meter-*", "time": {time}, "value": {{"inactivity-timeout": "3h"}}}}\n'
        f'{{"key": "pattern:tracker-*", "time": {time}, '
        '"value": {"inactivity-timeout": "35s"}}\n'
        f'{{"key": "pattern:fast-*", "time": {time}, '
        '"value": {"inactivity-timeout": "30500ms"}}\n'
    )
    assert [c["inactivity-timeout"] for c in truth["device-classes"]] == ["3h", "35s", "30500ms"]


def test_without_a_start_time_the_settings_apply_from_the_first_event(tmp_path):
    settings_file = tmp_path / "settings.jsonl"
    flags = ["--no-sleep", "--quiet", "--output", str(tmp_path / "e.jsonl"),
             "--truth-file", str(tmp_path / "truth.json"), "--duration.seconds", "30",
             "--device-class", "meter:1h:2", "--settings-file", str(settings_file)]  # fmt: skip
    assert main(flags) == 0
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert json.loads(settings_file.read_text())["time"] == truth["first-event-time"]


def test_a_live_run_writes_settings_that_apply_before_its_first_event(tmp_path, capsys):
    settings_file = tmp_path / "settings.jsonl"
    flags = ["--quiet", "--output", str(tmp_path / "e.jsonl"), "--time-unit", "ms",
             "--truth-file", str(tmp_path / "truth.json"), "--duration.seconds", "1",
             "--device-class", "tick:250ms:3", "--device-class", "slow:1h:1",
             "--failure.probability", "0",
             "--settings-file", str(settings_file)]  # fmt: skip
    assert main(flags) == 0
    truth = json.loads((tmp_path / "truth.json").read_text())
    lines = [json.loads(line) for line in settings_file.read_text().splitlines()]
    first = truth["first-event-time"]
    assert [line["key"] for line in lines] == ["pattern:tick-*", "pattern:slow-*"]
    assert all(first - 1000 < line["time"] <= first for line in lines)
    assert truth["events"]["sent"] == 4 * 3 + 1
    out = capsys.readouterr().out
    assert "Classes: tick 3 every 0.25 s, slow 1 every 3,600 s." in out
    assert f"Device settings (2 inactivity timeouts) written to file {settings_file}." in out


def test_a_settings_file_that_cannot_be_written_stops_before_any_event(tmp_path, capsys):
    flags = simulated(tmp_path, "--device-class", "meter:1h:2",
                      "--settings-file", str(tmp_path / "no-such-dir" / "s.jsonl"))  # fmt: skip
    assert main(flags) == 1
    assert "cannot write" in capsys.readouterr().err
    assert (tmp_path / "events.jsonl").read_text() == ""

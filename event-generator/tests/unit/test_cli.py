"""The command line: flags and environment variables reach the settings, and a bad
value gives one line naming the flag and exit code 2."""

import json

import pytest
from iot_event_generator.cli import main


def replay(tmp_path, *flags: str) -> list[str]:
    return [
        "--no-sleep", "--quiet", "--output", str(tmp_path / "events.jsonl"),
        "--truth-file", str(tmp_path / "truth.json"), *flags,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--num.devices", "-5"], "--num.devices"),
        (["--num.devices", "many"], "--num.devices"),
        (["--failure.probability", "1.5"], "--failure.probability"),
        (["--recovery.probability", "-0.1"], "--recovery.probability"),
        (["--event.interval.ms", "0"], "--event.interval.ms"),
        (["--duration.seconds", "0"], "--duration.seconds"),
        (["--time-unit", "minutes"], "--time-unit"),
        (["--rate", "0"], "--rate"),
        (["--bad-fraction", "1"], "--bad-fraction"),
        (["--kafka.property", "no-equals-sign"], "--kafka.property"),
        (["--start-time", "someday", "--no-sleep"], "--start-time"),
        (["--start-time", "2026-01-01T00:00:00Z"], "--start-time"),
        (["--topic", "bad topic"], "--topic"),
    ],
)
def test_a_bad_value_gives_one_line_naming_the_flag(capsys, flags, named):
    assert main(flags) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("error: ")
    assert named in err
    assert "Traceback" not in err


def test_flags_with_dots_reach_the_run(tmp_path):
    flags = ["--num.devices", "7", "--event.interval.ms", "500", "--duration.seconds", "10"]
    code = main(replay(tmp_path, *flags, "--failure.probability", "0", "--seed", "3"))
    truth = json.loads((tmp_path / "truth.json").read_text())
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    assert code == 0
    assert truth["devices"]["total"] == 7
    assert truth["seed"] == 3
    assert len(lines) == truth["events"]["sent"] == 7 * 20


def test_environment_variables_set_every_flag(tmp_path, monkeypatch):
    monkeypatch.setenv("GENERATOR_NUM_DEVICES", "4")
    monkeypatch.setenv("GENERATOR_DURATION_SECONDS", "2")
    monkeypatch.setenv("GENERATOR_EVENT_INTERVAL_MS", "1000")
    monkeypatch.setenv("GENERATOR_TIME_UNIT", "ms")
    monkeypatch.setenv("GENERATOR_START_TIME", "2026-01-01T00:00:00Z")
    monkeypatch.setenv("GENERATOR_FAILURE_PROBABILITY", "0")
    assert main(replay(tmp_path)) == 0
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    times = sorted({json.loads(line)["time"] for line in lines})
    assert len(lines) == 8
    assert times == [1_767_225_600_000, 1_767_225_601_000]


def test_a_flag_wins_over_its_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("GENERATOR_NUM_DEVICES", "4")
    assert main(replay(tmp_path, "--num.devices", "2", "--duration.seconds", "1")) == 0
    assert json.loads((tmp_path / "truth.json").read_text())["devices"]["total"] == 2


def test_an_unreachable_broker_is_one_line_and_exit_code_1(capsys, monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    assert main(["--connect-timeout", "1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "cannot reach Kafka at 127.0.0.1:1" in err


def test_events_can_go_to_standard_output_with_the_summary_elsewhere(capsys):
    code = main(["--no-sleep", "--output", "-", "--num.devices", "2", "--duration.seconds", "1",
                 "--event.interval.ms", "500", "--failure.probability", "0"])  # fmt: skip
    captured = capsys.readouterr()
    events = [json.loads(line) for line in captured.out.splitlines()]
    assert code == 0
    assert [e["device-id"] for e in events] == ["device-0001", "device-0002"] * 2
    assert "Sent 4 events" in captured.err


def test_an_unknown_kafka_client_setting_is_one_line_and_exit_code_1(capsys):
    assert main(["--kafka.property", "no.such.setting=1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "invalid Kafka client settings" in err
    assert "no.such.setting" in err

from __future__ import annotations

import pytest
from iot_monitor.cli import main
from iot_monitor.durations import parse_duration_ms
from iot_monitor.settings import MonitorSettings, starting_timestamp_ms


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("30", 30_000),
        ("30s", 30_000),
        ("500ms", 500),
        ("1m", 60_000),
        ("24h", 86_400_000),
        ("0", 0),
        ("1.5s", 1500),
    ],
)
def test_durations(text: str, ms: int) -> None:
    assert parse_duration_ms(text) == ms


def test_a_bad_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration_ms("soon")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--parallelism", "0"], "--parallelism"),
        (["run", "--check-interval", "often"], "--check-interval: 'often' is not a duration"),
        (["run", "--device-expiry", "30s"], "--device-expiry"),
        (["run", "--transaction-timeout", "20m"], "--transaction-timeout"),
        (["run", "--starting-offsets", "yesterday"], "--starting-offsets"),
        (["run", "--kafka.property", "novalue"], "--kafka.property"),
        (["run", "--delivery-guarantee", "maybe"], "--delivery-guarantee"),
        (["run", "--metrics.port", "9259-9249"], "--metrics.port: must be a port or a range"),
        (["run", "--metrics.port", "http"], "--metrics.port"),
        (["replay", "/no/such/file.jsonl"], "does not exist"),
    ],
)
def test_a_bad_flag_gets_a_message_that_names_it(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_every_bad_flag_is_named_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--parallelism", "0", "--idle-timeout", "soon"]) == 2
    err = capsys.readouterr().err
    assert "error: --parallelism:" in err
    assert "error: --idle-timeout: 'soon' is not a duration" in err


def test_a_duration_is_text_as_on_the_command_line_or_milliseconds() -> None:
    assert MonitorSettings.model_validate({"check_interval_ms": "45s"}).check_interval_ms == 45_000
    assert MonitorSettings(check_interval_ms=45).check_interval_ms == 45
    repeated = MonitorSettings.model_validate({"kafka_properties": ["a=1;b=2", "c=3"]})
    assert repeated.kafka_properties == {"a": "1", "b": "2", "c": "3"}


def test_flags_come_from_the_environment_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MONITOR_CHECK_INTERVAL", "never")
    assert main(["run"]) == 2
    assert "--check-interval" in capsys.readouterr().err


def test_defaults_follow_the_specification() -> None:
    settings = MonitorSettings()
    assert settings.kafka_bootstrap_servers == "localhost:9092"
    assert (settings.events_topic, settings.alerts_topic, settings.dlq_topic) == (
        "events",
        "alerts",
        "events-dlq",
    )
    assert settings.checkpoint_dir == "file:///tmp/flink-checkpoints"
    assert settings.parallelism == 2
    assert settings.checkpoint_interval_ms == 10_000
    assert (
        settings.check_interval_ms,
        settings.inactivity_timeout_ms,
        settings.device_expiry_ms,
    ) == (
        30_000,
        60_000,
        86_400_000,
    )
    assert settings.max_out_of_orderness_ms == 5_000
    assert settings.idle_timeout_ms == 30_000
    assert settings.max_future_skew_ms == 300_000


def test_starting_offsets_accept_epoch_ms_and_iso_times() -> None:
    assert starting_timestamp_ms("1700000000000") == 1_700_000_000_000
    assert starting_timestamp_ms("2023-11-14T22:13:20Z") == 1_700_000_000_000

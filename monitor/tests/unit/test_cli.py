"""The commands' flags are the settings fields': every field has a flag, `--help` shows it
with the field's default and help, its environment variable sets it, and the README's
flag table lists exactly these flags with these defaults."""

from __future__ import annotations

import os
import re
import sys
import types
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from iot_monitor import cli
from iot_monitor.settings import DeliveryGuarantee, MonitorSettings, flag_of
from iot_monitor.timeunit import TimeUnit
from pydantic.fields import FieldInfo

README = Path(__file__).resolve().parents[3] / "README.md"
FIELDS = MonitorSettings.model_fields
FLAGS = {flag_of(field): name for name, field in FIELDS.items()}

# A value other than the default for every flag, as the environment gives it, and the
# setting it makes. A new setting needs a line here.
FROM_ENV: dict[str, tuple[str, Any]] = {
    "--kafka.bootstrap.servers": ("kafka-1:9093,kafka-2:9093", "kafka-1:9093,kafka-2:9093"),
    "--kafka.property": (
        "security.protocol=SSL;ssl.key.password=k",
        {
            "security.protocol": "SSL",
            "ssl.key.password": "k",
        },
    ),
    "--events.topic": ("ev", "ev"),
    "--alerts.topic": ("al", "al"),
    "--dlq.topic": ("dl", "dl"),
    "--status.topic": ("st", "st"),
    "--settings.topic": ("se", "se"),
    "--group-id": ("g", "g"),
    "--starting-offsets": ("earliest", "earliest"),
    "--checkpoint.dir": ("s3://bucket/cp", "s3://bucket/cp"),
    "--checkpoint.interval": ("20s", 20_000),
    "--parallelism": ("4", 4),
    "--delivery-guarantee": ("at-least-once", DeliveryGuarantee.AT_LEAST_ONCE),
    "--transactional-id-prefix": ("p", "p"),
    "--transaction-timeout": ("5m", 300_000),
    "--restore-from": ("file:///savepoints/sp-1", "file:///savepoints/sp-1"),
    "--resume-latest": ("true", True),
    "--jobmanager": ("flink-jobmanager:8081", "flink-jobmanager:8081"),
    "--time-unit": ("ms", TimeUnit.MILLISECONDS),
    "--check-interval": ("45s", 45_000),
    "--inactivity-timeout": ("90s", 90_000),
    "--max-out-of-orderness": ("500ms", 500),
    "--idle-timeout": ("1m", 60_000),
    "--device-expiry": ("2h", 7_200_000),
    "--max-future-skew": ("0", 0),
    "--metrics.port": ("9300", "9300"),
}


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[MonitorSettings]:
    """The settings `run` starts the job with; no job (and no JVM) is started."""
    for name in [name for name in os.environ if name.startswith("MONITOR_")]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    job = types.ModuleType("iot_monitor.job")
    calls: list[MonitorSettings] = []
    job.run_job = calls.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "iot_monitor.job", job)
    submit = types.ModuleType("iot_monitor.submit")  # run --jobmanager
    submit.submit_job = lambda settings: calls.append(settings) or "0" * 32  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "iot_monitor.submit", submit)
    monkeypatch.setattr(cli, "_configure_logging", lambda: None)
    return calls


def help_options(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> dict[str, str]:
    """Each option `iot-monitor COMMAND --help` lists, with the text printed beside it."""
    monkeypatch.setenv("COLUMNS", "1000")
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.main([command, "--help"]) == 0
    options: dict[str, str] = {}
    flag = None
    for line in capsys.readouterr().out.splitlines():
        text = line.strip("│ ")
        if text.startswith("--"):
            flag, _, text = text.partition(" ")
            options[flag] = ""
        if flag and not text.startswith("╰"):
            options[flag] += " " + text.strip()
        else:
            flag = None
    return {flag: " ".join(text.split()) for flag, text in options.items()}


def test_every_setting_has_a_flag_and_help_of_its_own() -> None:
    assert len(FLAGS) == len(FIELDS)
    assert all(re.fullmatch(r"--[a-z][a-z0-9.-]*[a-z0-9]", flag) for flag in FLAGS)
    assert all(field.description for field in FIELDS.values())


@pytest.mark.parametrize("flag", FLAGS)
def test_run_help_shows_the_flag_with_the_settings_default_help_and_env_var(
    flag: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    field = FIELDS[FLAGS[flag]]
    shown = help_options("run", monkeypatch, capsys)[flag]
    assert " ".join(str(field.description).split()) in shown
    assert "MONITOR_" + re.sub(r"[.-]", "_", flag[2:]).upper() in shown
    default = None if field.default_factory else field.default
    if default is None or isinstance(default, bool):
        assert "[default:" not in shown
    else:
        value = default.value if isinstance(default, Enum) else default
        assert f"[default: {value}]" in shown


@pytest.mark.parametrize(
    ("command", "own"),
    [
        ("run", set()),
        ("replay", {"--status", "--settings"}),
        ("watch", {"--from-beginning", "--seconds"}),
    ],
)
def test_every_option_of_a_command_is_a_setting_or_its_own(
    command: str, own: set[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = set(help_options(command, monkeypatch, capsys)) - {"--help"}
    assert own <= shown
    assert shown - own <= set(FLAGS)
    if command == "run":
        assert shown == set(FLAGS)


def test_replay_runs_on_one_instance_by_default(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "[default: 1]" in help_options("replay", monkeypatch, capsys)["--parallelism"]


@pytest.mark.parametrize("flag", FLAGS)
def test_the_flags_environment_variable_sets_it(
    flag: str, started: list[MonitorSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    text, value = FROM_ENV[flag]
    monkeypatch.setenv("MONITOR_" + re.sub(r"[.-]", "_", flag[2:]).upper(), text)
    assert cli.main(["run"]) == 0
    (settings,) = started
    assert getattr(settings, FLAGS[flag]) == value
    assert getattr(MonitorSettings(), FLAGS[flag]) != value


def test_every_flag_has_an_environment_sample() -> None:
    assert set(FROM_ENV) == set(FLAGS)


def test_the_broker_list_also_comes_from_kafka_bootstrap_servers(
    started: list[MonitorSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:29092")
    assert cli.main(["run"]) == 0
    assert started[0].kafka_bootstrap_servers == "broker:29092"


def test_flags_override_the_environment_and_repeat(
    started: list[MonitorSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITOR_CHECK_INTERVAL", "45s")
    argv = ["run", "--check-interval", "1m", "--kafka.property", "a=1", "--kafka.property", "b=2"]
    assert cli.main([*argv, "--resume-latest", "--time-unit", "ms"]) == 0
    (settings,) = started
    assert settings.check_interval_ms == 60_000
    assert settings.kafka_properties == {"a": "1", "b": "2"}
    assert settings.resume_latest
    assert settings.time_unit is TimeUnit.MILLISECONDS


def readme_flag_table() -> dict[str, str]:
    """The README's `| flag | default | meaning |` table: flag to default as written."""
    lines = README.read_text().splitlines()
    start = lines.index("| flag | default | meaning |")
    rows: dict[str, str] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        flag, default = (cell.strip().strip("`") for cell in line.strip("|").split("|")[:2])
        rows[flag.split()[0]] = default
    return rows


def readme_default(field: FieldInfo) -> str:
    """A setting's default as the README writes it: empty when none, `off` for a switch."""
    if field.default_factory or field.default is None:
        return ""
    if isinstance(field.default, bool):
        return "on" if field.default else "off"
    return str(field.default.value if isinstance(field.default, Enum) else field.default)


def test_the_readme_flag_table_lists_the_settings_flags_and_defaults() -> None:
    expected = {flag_of(field): readme_default(field) for field in FIELDS.values()}
    assert readme_flag_table() == expected


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["set", "d1"], "set: give --inactivity-timeout, --expected or --not-expected"),
        (["set", "d1", "--inactivity-timeout", "often"], "--inactivity-timeout: 'often' is not"),
        (["pause", "d1", "--until", "2020-01-01T00:00:00Z"], "--until: 2020-01-01T00:00:00Z is"),
        (
            ["pause", "d1", "--until", "2030-01-01T00:00:00"],
            "--until: '2030-01-01T00:00:00' has no zone",
        ),
        (["pause", "d1", "--until", "soon"], "--until: 'soon' is neither"),
        (["expect"], "expect: give device ids, or --from-file"),
        (["expect", "pattern:m-*"], "expect: a pattern cannot be expected"),
    ],
)
def test_a_bad_devices_flag_says_which_before_anything_is_read_or_written(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # No broker is reachable here: these must fail on the flags alone.
    code = cli.main(["devices", *argv, "--kafka.bootstrap.servers", "localhost:1"])
    assert code == 2
    assert f"error: {says}" in capsys.readouterr().err

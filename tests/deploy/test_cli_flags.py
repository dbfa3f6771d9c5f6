"""The flags the deployments pass exist in the programs' command lines, and the
monitor's settings accept the values they pass."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import yaml
from iot_monitor.settings import MonitorSettings, flag_of

from tests.deploy.support import ENVS, ROOT

pytestmark = pytest.mark.deploy

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())["services"]
PYTHON = ROOT / ".venv" / "bin" / "python"


def help_text(*command: str) -> set[str]:
    """The flags a program's --help lists."""
    done = subprocess.run(
        [str(PYTHON), *command, "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "300", "NO_COLOR": "1", "TERM": "dumb"},
    )
    assert done.returncode == 0, done.stderr
    return set(re.findall(r"--[a-z][a-z0-9.-]*[a-z0-9]", done.stdout))


def flags(args: list[str]) -> set[str]:
    return {arg for arg in args if arg.startswith("--")}


def compose_value(arg: str) -> str:
    """An argument as compose passes it when no variable is set: `${NAME:-default}`."""
    return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", arg)


MODEL_FLAGS = {flag_of(field) for field in MonitorSettings.model_fields.values()}


@pytest.fixture(scope="module")
def monitor_help() -> set[str]:
    return help_text("-m", "iot_monitor", "run")


def test_compose_monitor_flags_exist(monitor_help):
    command = COMPOSE["jobmanager"]["command"]
    used = flags(command[command.index("run") + 1 :])
    assert used
    assert used - monitor_help == set()


@pytest.mark.parametrize("env", ENVS)
def test_flink_deployment_flags_exist(render, monitor_help, env):
    (deployment,) = [d for d in render("flink", env) if d["kind"] == "FlinkDeployment"]
    args = deployment["spec"]["job"]["args"]
    used = flags(args[args.index("run") + 1 :])
    assert used - monitor_help == set()


def test_compose_monitor_args_make_valid_settings(monitor_settings):
    command = [compose_value(arg) for arg in COMPOSE["jobmanager"]["command"]]
    settings = monitor_settings(command[command.index("run") + 1 :])
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert settings.resume_latest


@pytest.mark.parametrize("env", ENVS)
def test_flink_deployment_args_make_valid_settings(render, monitor_settings, env):
    (deployment,) = [d for d in render("flink", env) if d["kind"] == "FlinkDeployment"]
    job = deployment["spec"]["job"]
    args = job["args"][job["args"].index("run") + 1 :]
    settings = monitor_settings(args)
    assert settings.parallelism == job["parallelism"]
    assert len(settings.kafka_properties) == args.count("--kafka.property")


def test_compose_generator_flags_exist():
    generator_help = help_text("-m", "iot_event_generator")
    used = flags(COMPOSE["event-generator"]["command"])
    assert used
    assert used - generator_help == set()

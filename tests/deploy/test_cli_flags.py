"""The flags the deployments pass exist in the programs' command lines."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import yaml

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


def test_compose_generator_flags_exist():
    generator_help = help_text("-m", "iot_event_generator")
    used = flags(COMPOSE["event-generator"]["command"])
    assert used
    assert used - generator_help == set()

"""One definition of the job's arguments and Flink options, used by every way the job
is started: `iot_monitor.submit.job_arguments` (the `iot-monitor run` flags) and
`iot_monitor.flink_env.job_options` (the Flink options the job sets itself).

Compose's application-mode command and the Helm chart's FlinkDeployment (dev, qa,
prod) pass PythonDriver exactly the arguments the definition renders for the settings
they make, and their Flink configurations give each option the job sets the value the
job sets; `iot-monitor run --jobmanager` builds its job from the same two functions."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from iot_monitor.durations import parse_duration_ms
from iot_monitor.flink_env import job_options
from iot_monitor.settings import MonitorSettings
from iot_monitor.submit import PYTHON_DRIVER_ARGS, job_arguments, python_driver_arguments

from monitor.tests.unit.test_cli import FROM_ENV
from tests.deploy.support import ENVS, ROOT

pytestmark = pytest.mark.deploy

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())["services"]
DURATION_OPTIONS = {"execution.checkpointing.interval"}


def flink_deployment(render: Any, env: str) -> dict[str, Any]:
    (deployment,) = [d for d in render("flink", env) if d["kind"] == "FlinkDeployment"]
    return deployment["spec"]


def driver_args(command: list[str]) -> list[str]:
    return command[command.index(PYTHON_DRIVER_ARGS[0]) :]


def comparable(key: str, value: Any) -> Any:
    """An option's value as Flink reads it: `10s` and `10000 ms` are one duration,
    YAML's `true` and the text `true` one boolean."""
    if value is None:
        return None
    if key in DURATION_OPTIONS:
        return parse_duration_ms(str(value).replace(" ", ""))
    return str(value).lower() if isinstance(value, bool) else str(value)


def assert_gives_the_job_options(configuration: dict[str, Any], settings: MonitorSettings):
    expected = job_options(settings)
    given = {key: comparable(key, configuration.get(key)) for key in expected}
    assert given == {key: comparable(key, value) for key, value in expected.items()}


def test_compose_passes_the_definitions_arguments(monitor_settings):
    args = driver_args(COMPOSE["jobmanager"]["command"])
    settings = monitor_settings(args[len(PYTHON_DRIVER_ARGS) :])
    assert args == python_driver_arguments(settings)


@pytest.mark.parametrize("env", ENVS)
def test_flink_deployment_passes_the_definitions_arguments(render, monitor_settings, env):
    args = flink_deployment(render, env)["job"]["args"]
    settings = monitor_settings(args[len(PYTHON_DRIVER_ARGS) :])
    assert args == python_driver_arguments(settings)


def test_compose_flink_properties_give_the_job_options(monitor_settings):
    args = driver_args(COMPOSE["jobmanager"]["command"])
    settings = monitor_settings(args[len(PYTHON_DRIVER_ARGS) :])
    for service in ("jobmanager", "taskmanager"):
        properties = yaml.safe_load(COMPOSE[service]["environment"]["FLINK_PROPERTIES"])
        assert_gives_the_job_options(properties, settings)


@pytest.mark.parametrize("env", ENVS)
def test_flink_deployment_configuration_gives_the_job_options(render, monitor_settings, env):
    spec = flink_deployment(render, env)
    settings = monitor_settings(spec["job"]["args"][len(PYTHON_DRIVER_ARGS) :])
    assert_gives_the_job_options(spec["flinkConfiguration"], settings)
    assert spec["job"]["parallelism"] == settings.parallelism


@pytest.mark.parametrize(
    "settings",
    [
        MonitorSettings(),
        MonitorSettings(
            **{
                field: value
                for flag, (_, value) in FROM_ENV.items()
                for field, info in MonitorSettings.model_fields.items()
                if info.json_schema_extra["flag"] == flag  # type: ignore[index]
            }
        ),
    ],
    ids=["defaults", "every-flag-changed"],
)
def test_the_arguments_give_back_the_settings(monitor_settings, settings):
    """What the definition renders, `iot-monitor run` reads back as the same settings
    (except where the job runs, which is not an argument of the job)."""
    args = job_arguments(settings)
    assert "--jobmanager" not in args
    assert monitor_settings(args) == settings.model_copy(update={"jobmanager": None})

"""`iot-monitor run --jobmanager HOST:PORT`: the job submitted to a running Flink
session cluster, detached; and the one definition of the job's arguments that compose
and the Helm chart pass to PythonDriver (tests/deploy compares theirs with it).

The submission builds the same graph as `run` in this process's JVM, with the same
Flink options (flink_env.job_options), and hands it to the cluster's REST API with the
jars it names; then it returns the job id. The cluster's own jars (the local cluster
and the image have both in lib/) win for Flink's classes; the monitor's operators come
from the uploaded jar, the build the graph was made with.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from enum import Enum
from typing import Any

from iot_monitor.durations import duration_text
from iot_monitor.preflight import PreflightError, check_kafka
from iot_monitor.settings import MonitorSettings, flag_of, is_duration

JOB_NAME = "iot-monitor"
# PythonDriver's arguments before the monitor's own, in compose and the Helm chart.
PYTHON_DRIVER_ARGS = ("-pym", "iot_monitor", "run")
# What every deployment decides for itself rather than inherits from the defaults,
# so that a new default never changes a running deployment unseen.
DEPLOYMENT_DECIDES = (
    "kafka_bootstrap_servers",
    "events_topic",
    "alerts_topic",
    "dlq_topic",
    "status_topic",
    "settings_topic",
    "group_id",
    "starting_offsets",
    "checkpoint_dir",
    "parallelism",
    "delivery_guarantee",
    "transactional_id_prefix",
    "time_unit",
)
# Where the job runs is not an argument of the job.
NOT_JOB_ARGUMENTS = ("jobmanager",)


class SubmissionError(PreflightError):
    pass


def _value_text(name: str, value: Any) -> str:
    if is_duration(MonitorSettings.model_fields[name]):
        return duration_text(value)
    return str(value.value if isinstance(value, Enum) else value)


def job_arguments(settings: MonitorSettings) -> list[str]:
    """The `iot-monitor run` flags that make `settings`, in the settings' order: those of
    DEPLOYMENT_DECIDES always, any other that differs from its default."""
    defaults = MonitorSettings()
    args: list[str] = []
    for name, field in MonitorSettings.model_fields.items():
        value = getattr(settings, name)
        if name in NOT_JOB_ARGUMENTS or (
            name not in DEPLOYMENT_DECIDES and value == getattr(defaults, name)
        ):
            continue
        flag = flag_of(field)
        if isinstance(value, dict):
            args += [item for key in sorted(value) for item in (flag, f"{key}={value[key]}")]
        elif isinstance(value, bool):
            args += [flag] if value else []
        elif value is not None:
            args += [flag, _value_text(name, value)]
    return args


def python_driver_arguments(settings: MonitorSettings) -> list[str]:
    """PythonDriver's program arguments for the job of `settings` (application mode)."""
    return [*PYTHON_DRIVER_ARGS, *job_arguments(settings)]


def check_jobmanager(address: str, parallelism: int, timeout_s: float = 10) -> None:
    """The JobManager's REST API answers at `address` and offers the slots the job needs."""
    try:
        with urllib.request.urlopen(f"http://{address}/overview", timeout=timeout_s) as answer:
            overview = json.load(answer)
    except (OSError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise SubmissionError(
            f"cannot reach a Flink JobManager at {address} within {timeout_s:.0f} s ({reason}); "
            "check --jobmanager (scripts/local-flink.sh start runs one on localhost:8081)"
        ) from None
    slots = int(overview.get("slots-total", 0))
    if slots < parallelism:
        raise SubmissionError(
            f"the Flink cluster at {address} has {slots} task slots and the job needs "
            f"{parallelism} (--parallelism): start more TaskManagers or lower --parallelism"
        )


def flink_error(error: Exception) -> str:
    """The innermost cause of a Java exception, first line, as Flink's client raised it."""
    java = getattr(error, "java_exception", None)
    if java is None:
        return str(error).splitlines()[0]
    while java.getCause() is not None and java.getCause() is not java:
        java = java.getCause()
    message = str(java.getMessage() or java.getClass().getName())
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    # The REST client wraps the server's exception: "[Internal server error., <Exception
    # on server side:", then the server's stack trace; its first "Caused by" says why.
    causes = [line for line in lines if line.startswith("Caused by:")]
    return (causes[-1].removeprefix("Caused by: ") if causes else lines[0])[:500]


def submit_job(settings: MonitorSettings) -> str:
    """Submit the job to the cluster of `settings.jobmanager`; its job id (hex)."""
    assert settings.jobmanager, "submit_job needs --jobmanager"
    from iot_monitor.flink_env import streaming_environment  # starts a JVM
    from iot_monitor.job import attach_kafka_job

    check_kafka(settings)
    check_jobmanager(settings.jobmanager, settings.parallelism)
    env = streaming_environment(settings)
    attach_kafka_job(env, settings)
    try:
        client = env.execute_async(JOB_NAME)
    except Exception as exc:  # py4j's error, carrying the Java one
        if getattr(exc, "java_exception", None) is None:
            raise
        raise SubmissionError(
            f"the Flink cluster at {settings.jobmanager} did not take the job: {flink_error(exc)}"
        ) from None
    return str(client.get_job_id())

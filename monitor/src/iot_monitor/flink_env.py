"""Creating the Flink environment the job runs in, locally or on a cluster."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pyflink.common import Configuration
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.java_gateway import get_gateway

from iot_monitor.checkpoints import newest_checkpoint, resolve_restore_path
from iot_monitor.metrics import reporter_options
from iot_monitor.preflight import PreflightError
from iot_monitor.settings import MonitorSettings

log = logging.getLogger(__name__)
JAR_CACHE = Path(os.environ.get("IOT_JAR_CACHE", Path.home() / ".cache/iot-monitor/jars"))


class MissingJarError(PreflightError):
    pass


def _jars(pattern: str, cached: str, what: str) -> list[str]:
    """`pattern` in Flink's lib/ in the images (nothing to add); else every jar of the
    cache's folder `cached`, for local runs."""
    flink_home = os.environ.get("FLINK_HOME")
    if flink_home and list(Path(flink_home, "lib").glob(pattern)):
        return []
    jars = sorted((JAR_CACHE / cached).glob("*.jar"))
    if not jars:
        raise MissingJarError(
            f"{what} is not in {JAR_CACHE / cached}: "
            "run `scripts/fetch-jars.sh flink` (or `make setup`)"
        )
    return [jar.as_uri() for jar in jars]


def function_jars() -> list[str]:
    """The monitor's Java operators (`jvm/monitor-functions`), which every job runs."""
    return _jars("iot-monitor-functions-*.jar", "functions", "the monitor's Java operators' jar")


def connector_jars() -> list[str]:
    return _jars("flink-sql-connector-kafka-*.jar", "flink", "the Flink Kafka connector jar")


def _base_options(settings: MonitorSettings) -> dict[str, str]:
    return {
        "parallelism.default": str(settings.parallelism),
        # Flink hands records between chained operators without copying them: every
        # operator here treats its input as read-only.
        "pipeline.object-reuse": "true",
    }


def _configuration(options: dict[str, str]) -> Configuration:
    config = Configuration()
    for key, value in options.items():
        config.set_string(key, value)
    return config


def bounded_environment(settings: MonitorSettings) -> StreamExecutionEnvironment:
    """For a file replay. No periodic watermarks: the replay's reader emits one after
    every record, so the result does not depend on how fast the file is read."""
    config = _configuration({**_base_options(settings), "pipeline.auto-watermark-interval": "0"})
    return _execution_environment(config, function_jars())


def job_options(settings: MonitorSettings) -> dict[str, str]:
    """The Flink options the job sets itself, wherever it runs: in this process, submitted
    to a cluster (`--jobmanager`), or started by PythonDriver in compose and the Helm
    chart, whose Flink configurations a test (tests/deploy) compares with these."""
    return {
        **_base_options(settings),
        "execution.checkpointing.interval": f"{settings.checkpoint_interval_ms} ms",
        "execution.checkpointing.mode": "EXACTLY_ONCE",
        "execution.checkpointing.dir": settings.checkpoint_dir,
        "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
        "execution.checkpointing.num-retained": "3",
        "restart-strategy.type": "exponential-delay",
    }


def cluster_options(jobmanager: str) -> dict[str, str]:
    """Submitting to the session cluster whose REST API is at `jobmanager` (HOST:PORT),
    without waiting for the job: the client's JVM builds the graph and uploads it with
    the jars of `pipeline.jars`."""
    host, _, port = jobmanager.rpartition(":")
    return {
        "execution.target": "remote",
        "rest.address": host,
        "rest.port": port,
        "execution.attached": "false",
    }


def streaming_environment(settings: MonitorSettings) -> StreamExecutionEnvironment:
    # The reporter of a job run in this process; a cluster's is its own configuration's.
    options = {**job_options(settings), **reporter_options(settings.metrics_port)}
    if settings.jobmanager:
        options.update(cluster_options(settings.jobmanager))
    config = _configuration(options)
    restore = restore_path(settings)
    if restore:
        config.set_string("execution.state-recovery.path", restore)
        # Every operator with state has a stable uid; a savepoint of an older version
        # may hold state under uids this one no longer has (its operators were
        # replaced), which must not stop the restore.
        config.set_string("execution.state-recovery.ignore-unclaimed-state", "true")
    return _execution_environment(config, [*connector_jars(), *function_jars()])


def restore_path(settings: MonitorSettings) -> str | None:
    path: str | None
    if settings.restore_from:
        path = resolve_restore_path(settings.restore_from)
    elif settings.resume_latest:
        path = newest_checkpoint(settings.checkpoint_dir)
        if path is None:
            log.info("no checkpoint in %s yet: starting fresh", settings.checkpoint_dir)
    else:
        return None
    if path:
        log.info("resuming from %s", path)
    return path


def _execution_environment(config: Configuration, jars: list[str]) -> StreamExecutionEnvironment:
    if jars:
        # Set before the environment exists: PyFlink then puts them on the class path
        # where the job graph is built, which names the Java operators' classes.
        config.set_string("pipeline.jars", ";".join(jars))
    if config.get_string("execution.target", "") == "remote":
        # Outside Flink's own CLI, get_execution_environment always makes a local
        # environment; this one picks its executor by execution.target.
        java_environment = get_gateway().jvm.org.apache.flink.streaming.api.environment
        return StreamExecutionEnvironment(
            java_environment.StreamExecutionEnvironment(config._j_configuration)
        )
    return StreamExecutionEnvironment.get_execution_environment(config)

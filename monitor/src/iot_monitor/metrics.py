"""The monitor's metrics in Prometheus format: Flink's Prometheus reporter serves every
metric of its process at http://HOST:PORT/metrics.

The reporter is a plugin of the Flink distribution (plugins/metrics-prometheus), in
the apache-flink package as in the flink image, so no jar is added for it. A job run in
this process (`iot-monitor run`, Flink's local mini-cluster: JobManager and TaskManager
in one JVM, one endpoint) gets the options below; a cluster's processes get the same
factory from their own Flink configuration (docker-compose.yaml, the flink chart).
"""

from __future__ import annotations

REPORTER = "prom"
FACTORY_CLASS = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory"

# The operators' metrics (jvm/monitor-functions) as Prometheus names them: scope
# taskmanager.job.task.operator (labels job_name, task_name, operator_name,
# subtask_index, ...), one series per subtask; label values have every character but
# letters, digits, ':' and '_' made '_' (job_name="iot_monitor"). Counters are exported
# as gauges that grow, which rate() takes.
OPERATOR_SCOPE = "flink_taskmanager_job_task_operator"
# Each operator's own metrics (jvm/monitor-functions), by the operator's name.
OPERATOR_METRICS = {
    "device monitor": (
        "devicesTracked",
        "devicesSilent",
        "eventTimeLagMs",
        "alertsRaised",
        "statusChanges",
    ),
    "split good events from bad": ("deadLetters",),
    "input clock": ("inputIdle", "inputUnavailable"),
}


def reporter_options(port: str) -> dict[str, str]:
    """Flink options that serve the process's metrics on `port` (PORT or FROM-TO);
    none for an empty port."""
    if not port:
        return {}
    prefix = f"metrics.reporter.{REPORTER}"
    return {f"{prefix}.factory.class": FACTORY_CLASS, f"{prefix}.port": port}


def prometheus_name(metric: str, *groups: str) -> str:
    """The Prometheus name of one of the operators' metrics, e.g. `devicesTracked`; a
    key-value group's key joins the name and its value becomes a label."""
    return "_".join((OPERATOR_SCOPE, *groups, metric))


# the dead letters of one kind of reason, labelled reason="not_JSON" and so on
DEAD_LETTERS_BY_REASON = prometheus_name("deadLetters", "reason")

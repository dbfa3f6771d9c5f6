"""The monitor's metrics where it is deployed: Flink's Prometheus reporter in compose
and the flink chart, compose's Prometheus scraping every Flink process, the chart's
scrape annotations, NetworkPolicy and PodMonitor, and the "IoT monitor health"
dashboard on the provisioned Prometheus datasource, asking only for metrics the job
exports (monitor/tests/integration/test_metrics.py reads them from a running job)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from iot_monitor.flink_env import JAR_CACHE
from iot_monitor.metrics import (
    DEAD_LETTERS_BY_REASON,
    FACTORY_CLASS,
    OPERATOR_METRICS,
    prometheus_name,
)

from tests.deploy.support import ENVS, INFRA, ROOT, helm_template
from tests.deploy.test_spec_figures import flink_pin

pytestmark = pytest.mark.deploy

SERVICES = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())["services"]
FLINK_SERVICES = ("jobmanager", "taskmanager")
PROMETHEUS_CONFIG = INFRA / "prometheus/prometheus.yml"
DATASOURCE = INFRA / "grafana/provisioning/datasources/prometheus.yaml"
DASHBOARD = INFRA / "grafana/dashboards/monitor-health.json"
REPORTER = "metrics.reporter.prom."
FACTORY_PATH = FACTORY_CLASS.replace(".", "/") + ".class"


def compose_reporter(service: str) -> dict[str, Any]:
    properties = yaml.safe_load(SERVICES[service]["environment"]["FLINK_PROPERTIES"])
    return {k.removeprefix(REPORTER): v for k, v in properties.items() if k.startswith(REPORTER)}


@pytest.mark.parametrize("service", FLINK_SERVICES)
def test_compose_flink_processes_serve_their_metrics(service):
    assert compose_reporter(service) == {"factory.class": FACTORY_CLASS, "port": 9249}


def test_compose_prometheus_scrapes_every_flink_process_on_the_reporters_port():
    prometheus = SERVICES["prometheus"]
    assert re.fullmatch(r"prom/prometheus:v\d+\.\d+\.\d+", prometheus["image"])
    assert (
        "./infrastructure/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro"
        in prometheus["volumes"]
    )
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    assert "healthcheck" in prometheus
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    (flink,) = [job for job in config["scrape_configs"] if job["job_name"] == "flink"]
    # By DNS, so that every TaskManager of `--scale taskmanager=N` is scraped.
    (discovery,) = flink["dns_sd_configs"]
    assert set(discovery["names"]) == set(FLINK_SERVICES)
    assert discovery["type"] == "A"
    assert {discovery["port"]} == {compose_reporter(s)["port"] for s in FLINK_SERVICES}


def test_compose_grafana_queries_compose_prometheus():
    assert SERVICES["grafana"]["environment"]["PROMETHEUS_URL"] == "http://prometheus:9090"
    assert "127.0.0.1:9090:9090" in SERVICES["prometheus"]["ports"]


def flink_deployment(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (deployment,) = [d for d in docs if d["kind"] == "FlinkDeployment"]
    return deployment


def metrics_port(deployment: dict[str, Any]) -> int:
    (container,) = deployment["spec"]["podTemplate"]["spec"]["containers"]
    (port,) = [p["containerPort"] for p in container["ports"] if p["name"] == "metrics"]
    return int(port)


@pytest.mark.parametrize("env", ENVS)
def test_flink_pods_serve_their_metrics_where_their_annotations_say(render, env):
    deployment = flink_deployment(render("flink", env))
    conf = deployment["spec"]["flinkConfiguration"]
    port = metrics_port(deployment)
    assert conf[REPORTER + "factory.class"] == FACTORY_CLASS
    assert conf[REPORTER + "port"] == str(port)
    annotations = deployment["spec"]["podTemplate"]["metadata"]["annotations"]
    assert annotations == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(port),
        "prometheus.io/path": "/metrics",
    }
    assert not [d for d in render("flink", env) if d["kind"] == "PodMonitor"]


@pytest.mark.parametrize("env", ENVS)
def test_the_network_policy_admits_only_the_scrapers_to_the_metrics_port(render, env):
    docs = render("flink", env)
    port = metrics_port(flink_deployment(docs))
    (policy,) = [d for d in docs if d["kind"] == "NetworkPolicy"]
    rules = [r for r in policy["spec"]["ingress"] if {"port": port} in r.get("ports", [])]
    assert rules
    assert all(rule["from"] for rule in rules)
    assert {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    } in [peer for rule in rules for peer in rule["from"]]


def test_the_pod_monitor_selects_the_flink_pods_and_their_metrics_port(tools):
    docs = helm_template(
        tools["helm"],
        "flink",
        "prod",
        "--set",
        "metrics.podMonitor.enabled=true",
        "--set",
        "metrics.podMonitor.labels.release=prometheus",
    )
    (monitor,) = [d for d in docs if d["kind"] == "PodMonitor"]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    pod = flink_deployment(docs)["spec"]["podTemplate"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["port"] == "metrics"
    assert endpoint["path"] == "/metrics"
    metrics_port(flink_deployment(docs))  # the port named metrics exists


def datasource() -> dict[str, Any]:
    (source,) = yaml.safe_load(DATASOURCE.read_text())["datasources"]
    return dict(source)


@pytest.mark.parametrize("env", ENVS)
def test_grafana_gets_the_prometheus_datasource_and_its_url(render, env):
    docs = render("grafana", env)
    (configmap,) = [
        d
        for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "grafana-datasources"
    ]
    assert configmap["data"]["prometheus.yaml"] == DATASOURCE.read_text()
    assert datasource()["url"] == "${PROMETHEUS_URL}"
    (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
    env_vars = {
        e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env_vars["PROMETHEUS_URL"]["value"].startswith("http")
    (policy,) = [d for d in docs if d["kind"] == "NetworkPolicy"]
    assert any({"port": 9090} in rule.get("ports", []) for rule in policy["spec"]["egress"])


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def targets() -> list[dict[str, Any]]:
    return [target for panel in dashboard()["panels"] for target in panel["targets"]]


def test_the_dashboard_is_a_raw_model_on_the_provisioned_prometheus():
    model = dashboard()
    assert "dashboard" not in model
    assert model["title"] == "IoT monitor health"
    assert model["uid"] != json.loads((DASHBOARD.parent / "device-alerts.json").read_text())["uid"]
    source = {"type": datasource()["type"], "uid": datasource()["uid"]}
    used = [panel["datasource"] for panel in model["panels"]]
    used += [target["datasource"] for target in targets()]
    used += [variable["datasource"] for variable in model["templating"]["list"]]
    assert all(ref == source for ref in used)
    ids = [panel["id"] for panel in model["panels"]]
    assert len(ids) == len(set(ids))


def test_the_dashboard_asks_for_every_metric_of_the_job_and_no_other():
    exported = {prometheus_name(m) for ms in OPERATOR_METRICS.values() for m in ms}
    exported.add(DEAD_LETTERS_BY_REASON)
    asked = {name for target in targets() for name in re.findall(r"\bflink_\w+", target["expr"])}
    assert asked == exported
    for target in targets():
        assert '{job_name=~"$job"}' in target["expr"], target["expr"]
        assert target["expr"].count("(") == target["expr"].count(")"), target["expr"]


def test_the_dashboard_shows_what_the_spec_lists():
    titles = {panel["title"] for panel in dashboard()["panels"]}
    assert {
        "Devices tracked",
        "Devices silent now",
        "Alerts and status changes raised",
        "Dead letters by reason",
        "Input idle and unavailable",
        "Event-time lag",
    } <= titles
    (by_reason,) = [p for p in dashboard()["panels"] if p["title"] == "Dead letters by reason"]
    assert "by (reason)" in by_reason["targets"][0]["expr"]
    assert by_reason["targets"][0]["legendFormat"] == "{{reason}}"


def test_the_reporter_is_pinned_with_flink():
    pom = (ROOT / "jvm/flink-connectors/pom.xml").read_text()
    assert f"<flink.version>{flink_pin()}</flink.version>" in pom
    assert re.search(
        r"<artifactId>flink-metrics-prometheus</artifactId>\s*<version>\$\{flink.version\}",
        pom,
    )


def test_the_image_loads_the_reporter_as_its_plugin_only():
    """The Flink distribution has the reporter in plugins/metrics-prometheus; the image
    keeps the pom's copy out of lib/, where Flink would find two of one reporter."""
    dockerfile = (ROOT / "monitor/Dockerfile").read_text()
    assert "-DexcludeArtifactIds=flink-metrics-prometheus" in dockerfile
    import pyflink  # the package holds the distribution's plugins, as the image does

    plugin = Path(pyflink.__file__).parent / "plugins/metrics-prometheus"
    with zipfile.ZipFile(plugin / f"flink-metrics-prometheus-{flink_pin()}.jar") as jar:
        assert FACTORY_PATH in jar.namelist()


def test_local_runs_find_the_reporter_in_the_jar_cache():
    jars = sorted((JAR_CACHE / "flink").glob("flink-metrics-prometheus-*.jar"))
    assert [jar.name for jar in jars] == [f"flink-metrics-prometheus-{flink_pin()}.jar"], (
        "run scripts/fetch-jars.sh flink"
    )
    with zipfile.ZipFile(jars[0]) as jar:
        assert FACTORY_PATH in jar.namelist()

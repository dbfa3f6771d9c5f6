"""Every chart lints and renders for every environment, and what it renders is valid
Kubernetes (kubeconform -strict, with the FlinkDeployment schema of this folder)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import KUBERNETES_VERSION
from tests.deploy.support import CHARTS, ENVS, INFRA, SCHEMAS, namespace, run_ok

pytestmark = pytest.mark.deploy

CHART_ENVS = [(chart, env) for chart in CHARTS for env in ENVS]


def kubeconform(tools: dict[str, Path], schemas: Path, docs: list[dict[str, Any]]):
    return subprocess.run(
        [
            str(tools["kubeconform"]),
            "-strict",
            "-summary",
            "-kubernetes-version",
            KUBERNETES_VERSION,
            "-schema-location",
            str(schemas) + "/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}"
            "/{{ .ResourceKind }}{{ .KindSuffix }}.json",
            "-schema-location",
            str(SCHEMAS) + "/{{ .ResourceKind }}{{ .KindSuffix }}.json",
            "-",
        ],
        input=yaml.safe_dump_all(docs),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(("chart", "env"), CHART_ENVS)
def test_helm_lint(tools, chart, env):
    run_ok(
        [
            str(tools["helm"]),
            "lint",
            "--strict",
            str(INFRA / chart),
            "--namespace",
            namespace(env),
            "--values",
            str(INFRA / chart / f"values-{env}.yaml"),
        ]
    )


@pytest.mark.parametrize(("chart", "env"), CHART_ENVS)
def test_rendered_manifests_are_valid(tools, kubernetes_schemas, render, chart, env):
    docs = render(chart, env)
    assert docs, f"{chart} renders nothing for {env}"
    done = kubeconform(tools, kubernetes_schemas, docs)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Valid: {len(docs)}" in done.stdout, done.stdout


@pytest.mark.parametrize("env", ENVS)
def test_flink_pod_template_is_a_valid_pod(tools, kubernetes_schemas, render, env):
    (deployment,) = [d for d in render("flink", env) if d["kind"] == "FlinkDeployment"]
    pod = dict(deployment["spec"]["podTemplate"])
    pod["metadata"] = {**pod["metadata"], "name": "pod-template"}
    done = kubeconform(tools, kubernetes_schemas, [pod])
    assert done.returncode == 0, done.stdout + done.stderr


def test_validation_rejects_unknown_fields(tools, kubernetes_schemas, render):
    deployment = next(d for d in render("vector", "dev") if d["kind"] == "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["imagePolicy"] = "Always"
    done = kubeconform(tools, kubernetes_schemas, [broken])
    assert done.returncode != 0
    assert "imagePolicy" in done.stdout


def test_validation_rejects_a_bad_flink_deployment(tools, kubernetes_schemas, render):
    flink = next(d for d in render("flink", "dev") if d["kind"] == "FlinkDeployment")
    broken = yaml.safe_load(yaml.safe_dump(flink))
    broken["spec"]["job"]["upgradeMode"] = "rolling"
    done = kubeconform(tools, kubernetes_schemas, [broken])
    assert done.returncode != 0
    assert "upgradeMode" in done.stdout


def configmap_data(docs: list[dict[str, Any]], name: str) -> dict[str, str]:
    (found,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == name]
    return found["data"]


@pytest.mark.parametrize("env", ENVS)
def test_charts_carry_the_files_compose_mounts(render, env):
    """One copy of each storage file: the chart folder holds it, compose mounts it."""
    timescaledb = configmap_data(render("timescaledb", env), "timescaledb-init")
    assert timescaledb["01-init.sql"] == (INFRA / "timescaledb/init.sql").read_text()
    assert timescaledb["02-init-roles.sh"] == (INFRA / "timescaledb/init-roles.sh").read_text()
    vector = configmap_data(render("vector", env), "vector-config")
    assert vector["vector.yaml"] == (INFRA / "vector/vector.yaml").read_text()
    grafana = render("grafana", env)
    provisioning = INFRA / "grafana/provisioning"
    assert (
        configmap_data(grafana, "grafana-datasources")["datasource.yaml"]
        == (provisioning / "datasources/datasource.yaml").read_text()
    )
    assert (
        configmap_data(grafana, "grafana-dashboard-providers")["dashboards.yaml"]
        == (provisioning / "dashboards/dashboards.yaml").read_text()
    )
    dashboards = configmap_data(grafana, "grafana-dashboards")
    on_disk = {p.name: p.read_text() for p in (INFRA / "grafana/dashboards").glob("*.json")}
    assert on_disk
    assert dashboards == on_disk


@pytest.mark.parametrize(
    ("chart", "missing"),
    [
        ("timescaledb", "init.sql"),
        ("vector", "vector.yaml"),
        ("grafana", "provisioning/datasources/datasource.yaml"),
    ],
)
def test_chart_refuses_to_render_without_its_file(tools, tmp_path, chart, missing):
    copy = tmp_path / chart
    shutil.copytree(INFRA / chart, copy)
    (copy / missing).unlink()
    done = subprocess.run(
        [str(tools["helm"]), "template", chart, str(copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "must sit beside Chart.yaml" in done.stderr

"""The scripts: shellcheck-clean, and each deploy or stop script shows with --dry-run
the helm and kubectl commands it would run, and fails clearly without its tools."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.deploy.support import CHARTS, ENVS, ROOT, namespace

pytestmark = pytest.mark.deploy

SCRIPTS = sorted((ROOT / "scripts").glob("*.sh"))
# What each environment script installs (helm upgrade --install) or removes, in order.
INSTALLS = {
    "deploy-monitor.sh": ["flink"],
    "deploy-all.sh": ["kafka", "flink"],
    "deploy-monitoring.sh": ["timescaledb", "vector", "grafana"],
    "deploy-full.sh": ["kafka", "timescaledb", "vector", "grafana", "flink"],
}
REMOVES = {
    "stop-monitoring.sh": ["grafana", "vector", "timescaledb"],
    "stop-full.sh": ["flink", "grafana", "vector", "timescaledb", "kafka"],
}


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_shellcheck(tools, script):
    done = subprocess.run(
        [str(tools["shellcheck"]), "-x", "-P", str(ROOT / "scripts"), str(script)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_shellcheck_finds_a_problem(tools, tmp_path):
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/usr/bin/env bash\nrm -rf $1/*\n")
    done = subprocess.run([str(tools["shellcheck"]), str(bad)], capture_output=True, check=False)
    assert done.returncode != 0


def dry_run(script: str, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [str(ROOT / "scripts" / script), *args, "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )


def helm_lines(output: str, verb: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(f"helm {verb}")]


@pytest.mark.parametrize("script", sorted(INSTALLS))
@pytest.mark.parametrize("env", ENVS)
def test_deploy_dry_run_shows_the_helm_commands(script, env):
    done = dry_run(script, env)
    assert done.returncode == 0, done.stderr
    lines = helm_lines(done.stdout, "upgrade --install")
    assert [line.split()[3] for line in lines] == INSTALLS[script]
    for line, chart in zip(lines, INSTALLS[script], strict=True):
        assert f"{ROOT}/infrastructure/{chart} " in line
        assert f"--namespace {namespace(env)} " in line
        assert f"--values {ROOT}/infrastructure/{chart}/values-{env}.yaml" in line
        assert "--wait" in line
    assert f"kubectl create namespace {namespace(env)}" in done.stdout
    assert "pod-security.kubernetes.io/enforce=restricted" in done.stdout


@pytest.mark.parametrize("script", sorted(REMOVES))
@pytest.mark.parametrize("env", ENVS)
def test_stop_dry_run_shows_the_helm_commands(script, env):
    done = dry_run(script, env)
    assert done.returncode == 0, done.stderr
    lines = helm_lines(done.stdout, "uninstall")
    assert [line.split()[2] for line in lines] == REMOVES[script]
    assert all(f"--namespace {namespace(env)}" in line for line in lines)


def test_stop_full_suspends_the_job_before_removing_it():
    out = dry_run("stop-full.sh", "dev").stdout.splitlines()
    suspend = next(i for i, line in enumerate(out) if "kubectl patch flinkdeployment" in line)
    uninstall = next(i for i, line in enumerate(out) if line.startswith("helm uninstall flink"))
    assert suspend < uninstall
    assert "suspended" in out[suspend]


def test_image_of_the_monitor_can_be_chosen():
    done = dry_run(
        "deploy-monitor.sh",
        "prod",
        env={
            "MONITOR_IMAGE_REPOSITORY": "registry.example.com/iot-monitor",
            "MONITOR_IMAGE_TAG": "1.2.3",
        },
    )
    assert "--set image.repository=registry.example.com/iot-monitor" in done.stdout
    assert "--set image.tag=1.2.3" in done.stdout


def test_prerequisites_dry_run_installs_cert_manager_then_the_operator():
    done = dry_run("deploy-prerequisites.sh")
    assert done.returncode == 0, done.stderr
    installs = helm_lines(done.stdout, "upgrade --install")
    assert [line.split()[3] for line in installs] == ["cert-manager", "flink-kubernetes-operator"]


@pytest.mark.parametrize("args", [[], ["staging"], ["dev", "--force"]])
def test_deploy_scripts_refuse_bad_arguments(args):
    done = subprocess.run(
        [str(ROOT / "scripts/deploy-full.sh"), *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "usage:" in done.stderr


def fake_tool(folder: Path, name: str, exit_code: int) -> None:
    tool = folder / name
    tool.write_text(f"#!/bin/sh\nexit {exit_code}\n")
    tool.chmod(0o755)


def test_clear_error_without_helm(tmp_path):
    fake_tool(tmp_path, "kubectl", 0)
    done = subprocess.run(
        [str(ROOT / "scripts/deploy-full.sh"), "dev"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": f"{tmp_path}:/usr/bin:/bin", "GOBIN": str(tmp_path)},
    )
    assert done.returncode == 1
    assert "helm not found" in done.stderr


def test_clear_error_without_a_cluster(tmp_path):
    fake_tool(tmp_path, "helm", 0)
    fake_tool(tmp_path, "kubectl", 1)
    done = subprocess.run(
        [str(ROOT / "scripts/deploy-monitoring.sh"), "qa"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": f"{tmp_path}:/usr/bin:/bin"},
    )
    assert done.returncode == 1
    assert "no Kubernetes cluster answers" in done.stderr


GROUPS = (
    "deploy",
    "deploy-all",
    "deploy-monitoring",
    "deploy-full",
    "stop-monitoring",
    "stop-full",
)
MAKE_TARGETS = [f"{group}-{env}" for group in GROUPS for env in ENVS] + [
    "package",
    "docker-up",
    "docker-down",
]


def test_make_help_lists_every_target_once():
    done = subprocess.run(["make", "help"], capture_output=True, text=True, check=True, cwd=ROOT)
    names = [line.split()[0] for line in done.stdout.splitlines() if line.strip()]
    clean = [name.replace("\x1b[36m", "").replace("\x1b[0m", "") for name in names]
    for target in MAKE_TARGETS:
        assert clean.count(target) == 1, target


@pytest.mark.parametrize("env", ENVS)
def test_make_targets_call_the_scripts(env):
    expected = {
        f"deploy-{env}": f"scripts/deploy-monitor.sh {env}",
        f"deploy-all-{env}": f"scripts/deploy-all.sh {env}",
        f"deploy-monitoring-{env}": f"scripts/deploy-monitoring.sh {env}",
        f"deploy-full-{env}": f"scripts/deploy-full.sh {env}",
        f"stop-monitoring-{env}": f"scripts/stop-monitoring.sh {env}",
        f"stop-full-{env}": f"scripts/stop-full.sh {env}",
    }
    for target, command in expected.items():
        done = subprocess.run(
            ["make", "-n", target, "DRY_RUN=1"], capture_output=True, text=True, cwd=ROOT
        )
        assert done.returncode == 0, done.stderr
        assert f"{command} --dry-run" in done.stdout, target


def test_every_chart_is_deployed_by_deploy_full():
    assert sorted(INSTALLS["deploy-full.sh"]) == sorted(CHARTS)

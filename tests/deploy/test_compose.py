"""docker-compose.yaml: valid against the compose specification, every mounted file
there, services started in order of health, and the same storage files as the charts."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.support import INFRA, ROOT, literal_secrets

pytestmark = pytest.mark.deploy

COMPOSE_FILE = ROOT / "docker-compose.yaml"
COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text())
SERVICES = COMPOSE["services"]
CHECK_JSONSCHEMA = ROOT / ".venv" / "bin" / "check-jsonschema"
PYTHON_DRIVER = "org.apache.flink.client.python.PythonDriver"


def check_compose_schema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_compose_file_follows_the_compose_specification():
    done = check_compose_schema(COMPOSE_FILE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_schema_check_rejects_a_broken_compose_file(tmp_path):
    broken = dict(COMPOSE)
    broken["services"] = {**SERVICES, "kafka": {**SERVICES["kafka"], "depends_on": 3}}
    path = tmp_path / "docker-compose.yaml"
    path.write_text(yaml.safe_dump(broken))
    assert check_compose_schema(path).returncode != 0


def bind_mounts():
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                yield name, source, volume.split(":")[1]


def test_every_mounted_file_exists():
    mounts = list(bind_mounts())
    assert mounts
    missing = [(name, source) for name, source, _ in mounts if not (ROOT / source).exists()]
    assert missing == []


def test_mounts_are_the_chart_files():
    """The storage files live in the chart folders; compose mounts exactly those."""
    sources = {source.removeprefix("./") for _, source, _ in bind_mounts()}
    assert {
        "infrastructure/timescaledb/init.sql",
        "infrastructure/timescaledb/init-roles.sh",
        "infrastructure/vector/vector.yaml",
        "infrastructure/grafana/provisioning/datasources",
        "infrastructure/grafana/provisioning/dashboards",
        "infrastructure/grafana/dashboards",
    } <= sources


def test_dashboards_are_mounted_where_the_provider_looks():
    provider = yaml.safe_load(
        (INFRA / "grafana/provisioning/dashboards/dashboards.yaml").read_text()
    )
    (path,) = {p["options"]["path"] for p in provider["providers"]}
    targets = {t for name, s, t in bind_mounts() if s.endswith("grafana/dashboards")}
    assert targets == {path}
    values = yaml.safe_load((INFRA / "grafana/values.yaml").read_text())
    assert values["dashboardsPath"] == path


def test_services_wait_for_healthy_dependencies():
    for name, service in SERVICES.items():
        for dependency, rule in service.get("depends_on", {}).items():
            condition = rule["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in SERVICES[dependency], f"{name} waits on {dependency}"
            else:
                assert condition == "service_completed_successfully", (name, dependency)
                assert SERVICES[dependency].get("restart") == "no"
    long_running = {"kafka", "jobmanager", "taskmanager", "timescaledb", "vector", "grafana"}
    assert all("healthcheck" in SERVICES[name] for name in long_running)


def test_long_running_services_come_back_by_themselves():
    for name in ("kafka", "jobmanager", "taskmanager", "timescaledb", "vector", "grafana"):
        assert SERVICES[name].get("restart") == "unless-stopped", name


def test_ports_published_for_the_workstation():
    published = {p.rsplit(":", 1)[-1] for s in SERVICES.values() for p in s.get("ports", [])}
    assert {"8081", "3000", "9094"} <= published
    env = SERVICES["kafka"]["environment"]
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "EXTERNAL://localhost:9094" in env["KAFKA_ADVERTISED_LISTENERS"]
    # One broker: the transaction state log can have one replica only.
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == 1


def test_topics_created_by_the_init_service(tmp_path):
    script = "\n".join(SERVICES["kafka-init"]["command"])
    assert "--if-not-exists" in script
    # The script run with kafka-topics.sh standing in, Compose's $$ unescaped.
    stub = tmp_path / "kafka-topics.sh"
    stub.write_text('#!/bin/bash\necho "$*" >> "${0%.sh}.calls"\n')
    stub.chmod(0o755)
    script = script.replace("/opt/kafka/bin/kafka-topics.sh", str(stub)).replace("$$", "$")
    subprocess.run(["bash", "-c", script], check=True)
    calls = (tmp_path / "kafka-topics.calls").read_text()
    created = re.findall(
        r"--create .*--topic (\S+) --partitions (\d+) --replication-factor 1(.*)", calls
    )
    # the settings topic is compacted: the newest record of each key counts
    assert created == [
        ("events", "3", ""),
        ("alerts", "1", ""),
        ("events-dlq", "1", ""),
        ("device-status", "1", ""),
        ("device-settings", "1", " --config cleanup.policy=compact"),
    ]


def test_monitor_runs_in_application_mode():
    command = SERVICES["jobmanager"]["command"]
    assert command[:3] == ["standalone-job", "--job-classname", PYTHON_DRIVER]
    assert command[3:6] == ["-pym", "iot_monitor", "run"]
    assert SERVICES["taskmanager"]["command"] == ["taskmanager"]
    assert SERVICES["event-generator"]["profiles"] == ["generator"]


def variables_without_default() -> set[str]:
    text = COMPOSE_FILE.read_text()
    names = set()
    for match in re.finditer(r"\$\{([A-Z0-9_]+)(:?[-?][^}]*)?\}", text):
        if not (match.group(2) or "").lstrip(":").startswith("-"):
            names.add(match.group(1))
    return names


def test_env_example_lists_every_required_variable():
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", example, re.M))
    required = variables_without_default()
    assert {"POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD"} <= required
    assert required <= listed


def test_no_literal_password_in_compose():
    assert literal_secrets(COMPOSE) == []


def placeholders(path: Path) -> set[str]:
    """Variables a config file takes from the environment without a default."""
    text = path.read_text()
    found = re.finditer(r"\$\{([A-Z0-9_]+)(:?[-?])?", text)
    return {m.group(1) for m in found if m.group(2) in (None, "?", ":?")}


@pytest.mark.parametrize(
    ("service", "config"),
    [
        ("vector", "vector/vector.yaml"),
        ("grafana", "grafana/provisioning/datasources/datasource.yaml"),
        ("timescaledb", "timescaledb/init-roles.sh"),
    ],
)
def test_services_get_the_variables_their_config_needs(service, config):
    needed = placeholders(INFRA / config)
    if config.endswith(".sh"):
        needed |= set(re.findall(r"\$\{([A-Z_]+):\?", (INFRA / config).read_text()))
    given = set(SERVICES[service].get("environment", {}))
    assert needed <= given, needed - given


@pytest.mark.parametrize(
    ("chart", "config"),
    [
        ("vector", "vector/vector.yaml"),
        ("grafana", "grafana/provisioning/datasources/datasource.yaml"),
        ("timescaledb", "timescaledb/init-roles.sh"),
    ],
)
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_charts_give_the_variables_the_config_needs(render, chart, config, env):
    needed = placeholders(INFRA / config)
    if config.endswith(".sh"):
        needed |= set(re.findall(r"\$\{([A-Z_]+):\?", (INFRA / config).read_text()))
    (workload,) = [d for d in render(chart, env) if d["kind"] in ("Deployment", "StatefulSet")]
    given = {e["name"] for e in workload["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert needed <= given, needed - given


@pytest.mark.parametrize(
    ("service", "chart"),
    [
        ("kafka", "kafka"),
        ("timescaledb", "timescaledb"),
        ("vector", "vector"),
        ("grafana", "grafana"),
    ],
)
def test_compose_and_charts_run_the_same_images(service, chart):
    values = yaml.safe_load((INFRA / chart / "values.yaml").read_text())
    image = values["image"]
    assert SERVICES[service]["image"] == f"{image['repository']}:{image['tag']}"

"""How compose and the charts run the store: readiness over TCP, Vector restarted,
the writer's password outside every URL, TLS to the database in qa and prod."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infrastructure"
SERVICES = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())["services"]


def values(chart: str, env: str) -> dict[str, Any]:
    base: dict[str, Any] = yaml.safe_load((INFRA / chart / "values.yaml").read_text())
    override = yaml.safe_load((INFRA / chart / f"values-{env}.yaml").read_text()) or {}
    for key, value in override.items():
        base[key] = base[key] | value if isinstance(value, dict) else value
    return base


def test_the_database_is_ready_only_once_it_answers_over_tcp() -> None:
    [check] = SERVICES["timescaledb"]["healthcheck"]["test"][1:]
    statefulset = (INFRA / "timescaledb/templates/statefulset.yaml").read_text()

    assert "pg_isready -h 127.0.0.1" in check
    assert statefulset.count('"pg_isready", "-h", "127.0.0.1"') == 2


@pytest.mark.parametrize("service", ["timescaledb", "vector", "store-reconcile", "grafana"])
def test_long_running_services_come_back_after_an_exit(service: str) -> None:
    assert SERVICES[service]["restart"] == "unless-stopped"


@pytest.mark.parametrize("service", ["vector", "store-reconcile"])
def test_the_writer_password_travels_as_pgpassword_only(service: str) -> None:
    environment = SERVICES[service]["environment"]

    assert environment["PGPASSWORD"].startswith("${ALERTS_WRITER_PASSWORD:?")
    assert "ALERTS_WRITER_PASSWORD" not in environment
    assert "alerts_writer@timescaledb" in str(SERVICES["store-reconcile"]["command"])


def test_the_reconciler_reads_both_topics_of_the_last_two_hours() -> None:
    [script] = SERVICES["store-reconcile"]["command"]

    assert "iot-monitor store reconcile" in script
    assert "--status.topic device-status --since 2h" in script
    assert "sleep 1800" in script


@pytest.mark.parametrize("env", ["dev", "qa", "prod"])
def test_tls_to_the_database_in_qa_and_prod(env: str) -> None:
    secured = env != "dev"

    assert (values("grafana", env)["database"]["sslMode"] == "require") is secured
    assert (values("vector", env)["database"]["sslMode"] == "require") is secured
    assert bool(values("timescaledb", env)["tls"]["secret"]) is secured


def test_compose_runs_the_datasource_without_tls() -> None:
    assert SERVICES["grafana"]["environment"]["ALERTS_DB_SSLMODE"] == "disable"

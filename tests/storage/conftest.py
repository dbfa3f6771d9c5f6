"""Fixtures of the storage tests: a database with the alert store's schema and roles,
on plain PostgreSQL and on TimescaleDB (the same init.sql serves both)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.storage.store import AlertStore, apply_schema, init_roles, timescaledb_usable
from testsupport.postgres import fresh_database

WRITER_PASSWORD = "writer-secret-1"
READER_PASSWORD = "reader-secret-2"
SERVERS = {"postgresql": "postgres_url", "timescaledb": "timescaledb_url"}


@pytest.fixture(params=sorted(SERVERS))
def store_server(request: pytest.FixtureRequest) -> str:
    """A superuser URL of plain PostgreSQL, then of TimescaleDB (skipped without one)."""
    url: str = request.getfixturevalue(SERVERS[request.param])
    if request.param == "timescaledb":
        # The TimescaleDB variant must really run on TimescaleDB, or it proves nothing.
        assert timescaledb_usable(url), f"{url} does not preload timescaledb"
    return url


@pytest.fixture
def store_server_kind(request: pytest.FixtureRequest, store_server: str) -> str:
    """Which variant this test runs on: "postgresql" or "timescaledb"."""
    kind: str = request.node.callspec.params["store_server"]
    return kind


@pytest.fixture
def store_database(store_server: str) -> Iterator[str]:
    """An empty database of this test's own on the server of this variant."""
    with fresh_database(store_server) as url:
        yield url


@pytest.fixture
def alert_store(store_database: str) -> AlertStore:
    applied = apply_schema(store_database)
    assert applied.returncode == 0, applied.stderr
    passwords = {
        "ALERTS_WRITER_PASSWORD": WRITER_PASSWORD,
        "ALERTS_READER_PASSWORD": READER_PASSWORD,
    }
    roles = init_roles(store_database, passwords)
    assert roles.returncode == 0, roles.stderr
    return AlertStore(store_database, WRITER_PASSWORD, READER_PASSWORD)


@pytest.fixture
def alerts_topic(topic_factory: Callable[[str, int], str]) -> str:
    """A one-partition topic like `alerts`, of this test's own."""
    return topic_factory("alerts-store-test", 1)


@pytest.fixture
def status_topic(topic_factory: Callable[[str, int], str]) -> str:
    """A one-partition topic like `device-status`, of this test's own."""
    return topic_factory("status-store-test", 1)

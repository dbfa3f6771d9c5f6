"""Fixtures of the storage tests: a database with the alert store's schema and roles."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.storage.store import AlertStore, apply_schema, init_roles

WRITER_PASSWORD = "writer-secret-1"
READER_PASSWORD = "reader-secret-2"


@pytest.fixture
def alert_store(postgres_database: str) -> AlertStore:
    applied = apply_schema(postgres_database)
    assert applied.returncode == 0, applied.stderr
    passwords = {
        "ALERTS_WRITER_PASSWORD": WRITER_PASSWORD,
        "ALERTS_READER_PASSWORD": READER_PASSWORD,
    }
    roles = init_roles(postgres_database, passwords)
    assert roles.returncode == 0, roles.stderr
    return AlertStore(postgres_database, WRITER_PASSWORD, READER_PASSWORD)


@pytest.fixture
def alerts_topic(topic_factory: Callable[[str, int], str]) -> str:
    """A one-partition topic like `alerts`, of this test's own."""
    return topic_factory("alerts-store-test", 1)

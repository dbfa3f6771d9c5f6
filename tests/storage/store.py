"""The alert store as the tests use it: apply the schema the way the deployments
do (psql -f init.sql, then init-roles.sh) and connect as each role."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb

from testsupport.postgres import find_bindir

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "infrastructure" / "timescaledb"
INIT_SQL = SCHEMA_DIR / "init.sql"
INIT_ROLES = SCHEMA_DIR / "init-roles.sh"
WRITER = "alerts_writer"
READER = "alerts_reader"
INGEST_TABLE = "alerts_ingest"
STATUS_INGEST_TABLE = "device_status_ingest"
MONITOR_INGEST_TABLE = "monitor_input_ingest"


def libpq_env(url: str) -> dict[str, str]:
    """PG* environment variables that make psql connect where `url` points."""
    names = {
        "host": "PGHOST",
        "port": "PGPORT",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "dbname": "PGDATABASE",
    }
    params = conninfo_to_dict(url)
    return {env: str(params[key]) for key, env in names.items() if params.get(key)}


def psql_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PATH"] = f"{find_bindir()}:{env.get('PATH', '')}"
    return env | libpq_env(url)


def apply_schema(url: str) -> subprocess.CompletedProcess[str]:
    """Run init.sql with psql, stopping at the first error."""
    command = ["psql", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-f", str(INIT_SQL)]
    return subprocess.run(command, env=psql_env(url), capture_output=True, text=True, check=False)


def init_roles(url: str, passwords: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run init-roles.sh with the given ALERTS_*_PASSWORD variables."""
    env = psql_env(url) | passwords
    return subprocess.run([str(INIT_ROLES)], env=env, capture_output=True, text=True, check=False)


@dataclass(frozen=True)
class AlertStore:
    """A database holding the schema, and how to reach it as each role."""

    admin_url: str
    writer_password: str
    reader_password: str

    def as_role(self, role: str, password: str) -> str:
        return make_conninfo(self.admin_url, user=role, password=password)

    @property
    def writer_url(self) -> str:
        return self.as_role(WRITER, self.writer_password)

    @property
    def reader_url(self) -> str:
        return self.as_role(READER, self.reader_password)

    @property
    def dbname(self) -> str:
        return str(conninfo_to_dict(self.admin_url)["dbname"])


def vector_insert_statement(table: str = INGEST_TABLE) -> str:
    """The statement Vector's postgres sink sends for a batch (one JSON array of rows)."""
    return f"INSERT INTO {table} SELECT * FROM jsonb_populate_recordset(NULL::{table}, %s)"


def insert_batch(url: str, rows: list[dict[str, str]], table: str = INGEST_TABLE) -> int:
    """Insert one batch the way Vector's sink does; returns the rows actually stored."""
    with psycopg.connect(url) as conn:
        return conn.execute(vector_insert_statement(table), [Jsonb(rows)]).rowcount


def insert_alerts(url: str, rows: list[dict[str, str]]) -> int:
    return insert_batch(url, rows)


def insert_status(url: str, rows: list[dict[str, str]]) -> int:
    return insert_batch(url, rows, STATUS_INGEST_TABLE)


def insert_monitor_input(url: str, rows: list[dict[str, str]]) -> int:
    return insert_batch(url, rows, MONITOR_INGEST_TABLE)


def has_timescaledb(url: str) -> bool:
    with psycopg.connect(url) as conn:
        found = conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'")
        return found.fetchone() == (1,)


def timescaledb_usable(url: str) -> bool:
    """Whether init.sql would create the extension here (available and preloaded)."""
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'timescaledb')"
            " AND current_setting('shared_preload_libraries') LIKE '%timescaledb%'"
        )
        return found.fetchone() == (True,)

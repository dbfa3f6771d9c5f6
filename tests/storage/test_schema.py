"""init.sql and init-roles.sh on a real PostgreSQL: idempotent, duplicates absorbed,
each role limited to its one job."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.storage.store import (
    INIT_ROLES,
    READER,
    WRITER,
    AlertStore,
    apply_schema,
    init_roles,
    psql_env,
    timescaledb_usable,
    vector_insert_statement,
)

pytestmark = pytest.mark.postgres

CHECK = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def alert_row(device_id: str, checks_after: int) -> dict[str, str]:
    """One alert as Vector's sink serialises it (timestamps as RFC 3339 text)."""
    check = CHECK + timedelta(seconds=30 * checks_after)
    latest = CHECK - timedelta(seconds=75)
    return {
        "time": check.isoformat(),
        "device_id": device_id,
        "latest_event_time": latest.isoformat(),
    }


def insert_batch(url: str, rows: list[dict[str, str]]) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(vector_insert_statement(), [Jsonb(rows)]).rowcount


def stored(store: AlertStore) -> list[tuple[datetime, str]]:
    with psycopg.connect(store.admin_url) as conn:
        rows = conn.execute("SELECT time, device_id FROM alerts ORDER BY time, device_id")
        return list(rows)


def test_init_sql_runs_twice_without_error(store_database: str) -> None:
    first = apply_schema(store_database)
    second = apply_schema(store_database)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "ERROR" not in first.stderr + second.stderr


def test_table_has_the_documented_columns(alert_store: AlertStore) -> None:
    query = """SELECT column_name, data_type FROM information_schema.columns
               WHERE table_name = 'alerts' ORDER BY ordinal_position"""
    with psycopg.connect(alert_store.admin_url) as conn:
        columns: dict[str, str] = dict(conn.execute(query).fetchall())

    assert columns == {
        "time": "timestamp with time zone",
        "device_id": "text",
        "latest_event_time": "timestamp with time zone",
        "ingested_at": "timestamp with time zone",
    }


def scalar(url: str, query: str) -> object:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


HYPERTABLES = ["alerts", "device_status", "monitor_input"]


def test_hypertable_with_retention_exactly_where_timescaledb_can_run(
    alert_store: AlertStore, store_server_kind: str
) -> None:
    url = alert_store.admin_url
    installed = scalar(
        url, "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'timescaledb')"
    )

    assert installed == timescaledb_usable(url) == (store_server_kind == "timescaledb")
    if installed:
        with psycopg.connect(url) as conn:
            hypertables = conn.execute(
                "SELECT hypertable_name FROM timescaledb_information.hypertables ORDER BY 1"
            ).fetchall()
            retention = conn.execute(
                "SELECT hypertable_name, config->>'drop_after' FROM timescaledb_information.jobs"
                " WHERE proc_name = 'policy_retention' ORDER BY 1"
            ).fetchall()
        assert [name for (name,) in hypertables] == HYPERTABLES
        assert retention == [(name, "30 days") for name in HYPERTABLES]


def test_the_retention_policy_drops_old_rows_and_keeps_recent_ones(
    alert_store: AlertStore, store_server_kind: str
) -> None:
    if store_server_kind != "timescaledb":
        pytest.skip("retention policies exist on TimescaleDB only (docs/storage.md)")
    now = datetime.now(UTC).replace(microsecond=0)
    old, recent = now - timedelta(days=40), now - timedelta(days=2)
    with psycopg.connect(alert_store.admin_url, autocommit=True) as conn:
        for moment in (old, recent):
            conn.execute(
                "INSERT INTO alerts (time, device_id, latest_event_time) VALUES (%s, 'd', %s)",
                (moment, moment),
            )
            conn.execute(
                "INSERT INTO device_status (time, device_id, status, since)"
                " VALUES (%s, 'd', 'silent', %s)",
                (moment, moment),
            )
            conn.execute(
                "INSERT INTO monitor_input (time, monitor, status) VALUES (%s, 'm', 'input-idle')",
                (moment,),
            )
        jobs = conn.execute(
            "SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention'"
        ).fetchall()
        for (job,) in jobs:
            conn.execute("CALL run_job(%s)", (job,))
        kept = {
            table: conn.execute(f"SELECT time FROM {table}").fetchall() for table in HYPERTABLES
        }

    assert kept == {table: [(recent,)] for table in HYPERTABLES}


def test_same_alerts_twice_are_stored_once_without_error(alert_store: AlertStore) -> None:
    batch = [alert_row("d1", 0), alert_row("d2", 0), alert_row("d1", 1)]

    first = insert_batch(alert_store.writer_url, batch)
    second = insert_batch(alert_store.writer_url, batch)

    assert (first, second) == (3, 0)
    assert len(stored(alert_store)) == 3


def test_a_duplicate_inside_a_batch_does_not_cost_its_neighbours(
    alert_store: AlertStore,
) -> None:
    insert_batch(alert_store.writer_url, [alert_row("d1", 0)])

    inserted = insert_batch(
        alert_store.writer_url,
        [
            alert_row("d0", 0),
            alert_row("d1", 0),
            alert_row("d1", 0),
            alert_row("d2", 0),
        ],
    )

    assert inserted == 2
    assert [device for _, device in stored(alert_store)] == ["d0", "d1", "d2"]


def test_rows_get_their_ingestion_time(alert_store: AlertStore) -> None:
    insert_batch(alert_store.writer_url, [alert_row("d1", 0)])

    with psycopg.connect(alert_store.admin_url) as conn:
        lag = conn.execute("SELECT now() - ingested_at FROM alerts").fetchone()

    assert lag is not None
    assert timedelta(0) <= lag[0] < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("role", "statement"),
    [
        (WRITER, "SELECT * FROM alerts"),
        (WRITER, "SELECT * FROM alerts_ingest"),
        (WRITER, "DELETE FROM alerts"),
        (WRITER, "UPDATE alerts SET device_id = 'x'"),
        (WRITER, "TRUNCATE alerts"),
        (
            WRITER,
            "INSERT INTO alerts (time, device_id, latest_event_time) VALUES (now(), 'd', now())",
        ),
        (
            READER,
            "INSERT INTO alerts (time, device_id, latest_event_time) VALUES (now(), 'd', now())",
        ),
        (READER, "INSERT INTO alerts_ingest VALUES (now(), 'd', now())"),
        (READER, "DELETE FROM alerts"),
        (READER, "UPDATE alerts SET device_id = 'x'"),
        (READER, "CREATE TABLE intruder (x int)"),
    ],
)
def test_roles_are_refused_what_is_not_their_job(
    alert_store: AlertStore, role: str, statement: str
) -> None:
    url = alert_store.writer_url if role == WRITER else alert_store.reader_url

    with psycopg.connect(url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


def test_reader_reads_what_the_writer_wrote(alert_store: AlertStore) -> None:
    insert_batch(alert_store.writer_url, [alert_row("d7", 0)])

    with psycopg.connect(alert_store.reader_url) as conn:
        rows = conn.execute("SELECT device_id FROM alerts").fetchall()

    assert rows == [("d7",)]


def test_a_wrong_password_is_refused(alert_store: AlertStore) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(alert_store.as_role(WRITER, "not-the-password")).close()


def test_init_roles_rotates_passwords(alert_store: AlertStore) -> None:
    rotated = {"ALERTS_WRITER_PASSWORD": "new-writer", "ALERTS_READER_PASSWORD": "it's $new"}

    result = init_roles(alert_store.admin_url, rotated)

    assert result.returncode == 0, result.stderr
    psycopg.connect(alert_store.as_role(WRITER, "new-writer")).close()
    psycopg.connect(alert_store.as_role(READER, "it's $new")).close()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(alert_store.writer_url).close()


def test_init_roles_refuses_to_run_without_passwords(store_database: str) -> None:
    result = init_roles(store_database, {"ALERTS_READER_PASSWORD": "x"})

    assert result.returncode != 0
    assert "ALERTS_WRITER_PASSWORD must be set" in result.stderr


def test_roles_created_by_init_sql_alone_cannot_log_in(store_database: str) -> None:
    with psycopg.connect(store_database, autocommit=True) as admin:
        try:
            admin.execute("DROP ROLE IF EXISTS alerts_writer, alerts_reader")
        except psycopg.errors.DependentObjectsStillExist:
            pytest.skip("another database of this server uses the roles")
    applied = apply_schema(store_database)
    assert applied.returncode == 0, applied.stderr

    with psycopg.connect(store_database) as conn:
        can_login = conn.execute(
            "SELECT rolname, rolcanlogin, rolpassword IS NULL FROM pg_authid"
            " WHERE rolname IN ('alerts_writer', 'alerts_reader') ORDER BY 1"
        ).fetchall()

    assert can_login == [("alerts_reader", False, True), ("alerts_writer", False, True)]


def source_init_roles(url: str, passwords: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Source the script the way the PostgreSQL image's entrypoint does (set -e)."""
    script = f'set -Eeo pipefail; . "{INIT_ROLES}"; echo "options=$-"'
    env = psql_env(url) | passwords
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True)


def test_init_roles_sourced_by_an_entrypoint_leaves_its_shell_alone(
    alert_store: AlertStore,
) -> None:
    passwords = {"ALERTS_WRITER_PASSWORD": "w2", "ALERTS_READER_PASSWORD": "r2"}

    result = source_init_roles(alert_store.admin_url, passwords)

    assert result.returncode == 0, result.stderr
    assert "u" not in result.stdout.split("options=")[1]
    psycopg.connect(alert_store.as_role(WRITER, "w2")).close()


def test_init_roles_sourced_without_passwords_stops_the_entrypoint(
    store_database: str,
) -> None:
    result = source_init_roles(store_database, {})

    assert result.returncode != 0
    assert "options=" not in result.stdout

"""device_status and monitor_input on a real PostgreSQL and TimescaleDB: duplicates
absorbed, the downtime episodes right whatever order the changes arrive in, each
role limited to its one job."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.storage.store import (
    READER,
    WRITER,
    AlertStore,
    apply_schema,
    insert_monitor_input,
    insert_status,
)

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def change(device: str, status: str, since: float, when: float) -> dict[str, str]:
    """A status change as Vector's sink serialises it."""
    return {
        "time": at(when).isoformat(),
        "device_id": device,
        "status": status,
        "since": at(since).isoformat(),
    }


# d1: silent at 90 (last event 5), back at 130; silent again at 300 (since 200), still open.
# d2: silent at 90 (since 20); its event at 60 came late, after the report: back at 60.
# d3: silent at 120 (since 40), forgotten at 3640 (expiry 1 h).
# d4: expected, registered at 10, never sent: never-seen at 90; its first event at 400.
CHANGES = [
    change("d1", "silent", 5, 90),
    change("d1", "back", 5, 130),
    change("d1", "silent", 200, 300),
    change("d2", "silent", 20, 90),
    change("d2", "back", 20, 60),
    change("d3", "silent", 40, 120),
    change("d3", "forgotten", 40, 3640),
    change("d4", "never-seen", 10, 90),
    change("d4", "back", 10, 400),
]
EPISODES = [
    ("d1", at(5), at(90), at(130), False, at(130)),
    ("d1", at(200), at(300), None, False, None),
    ("d2", at(20), at(90), at(60), False, at(60)),
    ("d3", at(40), at(120), None, True, at(3640)),
    ("d4", at(10), at(90), at(400), False, at(400)),
]


def episodes(store: AlertStore) -> list[tuple[Any, ...]]:
    with psycopg.connect(store.reader_url) as conn:
        return conn.execute(
            "SELECT device_id, silent_since, reported_at, back_at, forgotten, ended_at"
            " FROM device_downtime ORDER BY device_id, silent_since"
        ).fetchall()


def test_changes_make_the_episodes(alert_store: AlertStore) -> None:
    assert insert_status(alert_store.writer_url, CHANGES) == len(CHANGES)

    assert episodes(alert_store) == EPISODES


def test_any_order_and_any_repetition_gives_the_same_episodes(alert_store: AlertStore) -> None:
    shuffled = random.Random(7).sample(CHANGES * 3, len(CHANGES) * 3)
    stored = sum(
        insert_status(alert_store.writer_url, shuffled[start : start + 4])
        for start in range(0, len(shuffled), 4)
    )

    assert stored == len(CHANGES)
    assert episodes(alert_store) == EPISODES


def test_back_stored_before_silent_is_one_episode(alert_store: AlertStore) -> None:
    insert_status(alert_store.writer_url, [change("d1", "back", 5, 130)])
    half = episodes(alert_store)
    insert_status(alert_store.writer_url, [change("d1", "silent", 5, 90)])

    assert half == [("d1", at(5), None, at(130), False, at(130))]
    assert episodes(alert_store) == [EPISODES[0]]


def test_a_lost_return_is_closed_by_the_next_silence(alert_store: AlertStore) -> None:
    insert_status(
        alert_store.writer_url, [change("d1", "silent", 5, 90), change("d1", "silent", 200, 300)]
    )

    [first, second] = episodes(alert_store)

    assert first[-1] == at(200)
    assert second[-1] is None


def test_durations_and_open_episodes(alert_store: AlertStore) -> None:
    insert_status(alert_store.writer_url, CHANGES)

    with psycopg.connect(alert_store.reader_url) as conn:
        rows = conn.execute(
            "SELECT device_id, open, duration, now() - silent_since FROM device_downtime"
            " ORDER BY device_id, silent_since"
        ).fetchall()

    closed = [(d, o, dur) for d, o, dur, _ in rows if not o]
    assert closed == [
        ("d1", False, timedelta(seconds=125)),
        ("d2", False, timedelta(seconds=40)),
        ("d3", False, timedelta(seconds=3600)),
        ("d4", False, timedelta(seconds=390)),
    ]
    [(device, _, duration, so_far)] = [row for row in rows if row[1]]
    assert (device, duration) == ("d1", so_far)


def kinds(store: AlertStore) -> list[tuple[Any, ...]]:
    with psycopg.connect(store.reader_url) as conn:
        return conn.execute(
            "SELECT device_id, silent_since, never_seen, open, duration FROM device_downtime"
            " ORDER BY device_id, silent_since"
        ).fetchall()


def test_a_never_seen_device_is_down_from_its_registration_until_it_sends(
    alert_store: AlertStore,
) -> None:
    insert_status(alert_store.writer_url, [change("d4", "never-seen", 10, 90)])
    [(_, since, never_seen, still_open, so_far)] = kinds(alert_store)
    insert_status(alert_store.writer_url, [change("d4", "back", 10, 400)])

    assert (since, never_seen, still_open) == (at(10), True, True)
    assert so_far > timedelta(seconds=390)
    assert episodes(alert_store) == [("d4", at(10), at(90), at(400), False, at(400))]
    assert kinds(alert_store) == [("d4", at(10), True, False, timedelta(seconds=390))]


def test_a_never_seen_device_withdrawn_or_expired_is_forgotten(alert_store: AlertStore) -> None:
    insert_status(
        alert_store.writer_url,
        [change("d5", "never-seen", 10, 90), change("d5", "forgotten", 10, 3610)],
    )

    assert episodes(alert_store) == [("d5", at(10), at(90), None, True, at(3610))]
    assert kinds(alert_store) == [("d5", at(10), True, False, timedelta(seconds=3600))]


def test_only_a_never_seen_change_marks_an_episode_never_seen(alert_store: AlertStore) -> None:
    insert_status(alert_store.writer_url, CHANGES)

    marked = [(device, since) for device, since, never_seen, *_ in kinds(alert_store) if never_seen]

    assert marked == [("d4", at(10))]


def test_monitor_input_changes_make_gaps(alert_store: AlertStore) -> None:
    rows = [
        {"time": at(t).isoformat(), "monitor": "m", "status": s}
        for t, s in [(0, "input-idle"), (50, "input-resumed"), (80, "input-unavailable")]
    ]

    stored = insert_monitor_input(alert_store.writer_url, rows + rows[:1])

    with psycopg.connect(alert_store.reader_url) as conn:
        gaps = conn.execute(
            "SELECT monitor, status, started_at, ended_at FROM monitor_input_gaps ORDER BY 3"
        ).fetchall()
    assert stored == 3
    assert gaps == [("m", "input-idle", at(0), at(50)), ("m", "input-unavailable", at(80), None)]


@pytest.mark.parametrize(
    ("role", "statement"),
    [
        (WRITER, "SELECT * FROM device_status"),
        (WRITER, "SELECT * FROM device_downtime"),
        (WRITER, "SELECT * FROM monitor_input"),
        (WRITER, "DELETE FROM device_status"),
        (WRITER, "INSERT INTO device_status VALUES (now(), 'd', 'back', now())"),
        (WRITER, "INSERT INTO monitor_input VALUES (now(), 'm', 'input-idle')"),
        (READER, "INSERT INTO device_status_ingest VALUES (now(), 'd', 'back', now())"),
        (READER, "INSERT INTO monitor_input_ingest VALUES (now(), 'm', 'input-idle')"),
        (READER, "DELETE FROM device_status"),
        (READER, "UPDATE monitor_input SET monitor = 'x'"),
    ],
)
def test_roles_are_refused_what_is_not_their_job(
    alert_store: AlertStore, role: str, statement: str
) -> None:
    url = alert_store.writer_url if role == WRITER else alert_store.reader_url

    with psycopg.connect(url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


def test_an_unknown_status_is_refused_by_the_table(alert_store: AlertStore) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        insert_status(alert_store.writer_url, [change("d1", "asleep", 5, 90)])


def constraint(store: AlertStore) -> tuple[Any, ...] | None:
    with psycopg.connect(store.admin_url) as conn:
        return conn.execute(
            "SELECT oid, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'device_status'::regclass AND contype = 'c'"
        ).fetchone()


def test_a_store_made_before_never_seen_takes_it_when_init_sql_runs_again(
    alert_store: AlertStore,
) -> None:
    """The table's check and the episodes view as they were before never-seen, with
    rows in them (chunks, on TimescaleDB): init.sql widens the check, adds the view's
    column and keeps the rows; a third run changes nothing."""
    with psycopg.connect(alert_store.admin_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE device_status DROP CONSTRAINT device_status_status_check")
        conn.execute(
            "ALTER TABLE device_status ADD CHECK (status IN ('silent', 'back', 'forgotten'))"
        )
        [(definition,)] = conn.execute("SELECT pg_get_viewdef('device_downtime')").fetchall()
        conn.execute("DROP VIEW device_downtime")
        conn.execute(
            "CREATE VIEW device_downtime AS SELECT device_id, silent_since, reported_at, back_at,"
            " forgotten, forgotten_at, ended_at, open, duration"
            f" FROM ({definition.rstrip().rstrip(';')}) AS previous"
        )
    insert_status(alert_store.writer_url, CHANGES[:3])
    with pytest.raises(psycopg.errors.CheckViolation):
        insert_status(alert_store.writer_url, [change("d4", "never-seen", 10, 90)])

    again = apply_schema(alert_store.admin_url)
    widened = constraint(alert_store)
    insert_status(alert_store.writer_url, CHANGES[3:])
    third = apply_schema(alert_store.admin_url)

    assert again.returncode == 0, again.stderr
    assert third.returncode == 0, third.stderr
    assert widened is not None
    assert "'never-seen'" in widened[1]
    assert constraint(alert_store) == widened
    assert episodes(alert_store) == EPISODES
    assert [never_seen for _, _, never_seen, *_ in kinds(alert_store)] == [False] * 4 + [True]

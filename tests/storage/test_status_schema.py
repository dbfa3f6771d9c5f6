"""device_status and monitor_input on a real PostgreSQL and TimescaleDB: duplicates
absorbed, the downtime episodes right whatever order the changes arrive in, each
role limited to its one job."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.storage.store import READER, WRITER, AlertStore, insert_monitor_input, insert_status

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
CHANGES = [
    change("d1", "silent", 5, 90),
    change("d1", "back", 5, 130),
    change("d1", "silent", 200, 300),
    change("d2", "silent", 20, 90),
    change("d2", "back", 20, 60),
    change("d3", "silent", 40, 120),
    change("d3", "forgotten", 40, 3640),
]
EPISODES = [
    ("d1", at(5), at(90), at(130), False, at(130)),
    ("d1", at(200), at(300), None, False, None),
    ("d2", at(20), at(90), at(60), False, at(60)),
    ("d3", at(40), at(120), None, True, at(3640)),
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
    ]
    [(device, _, duration, so_far)] = [row for row in rows if row[1]]
    assert (device, duration) == ("d1", so_far)


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

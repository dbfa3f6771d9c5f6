"""The dashboard's rows "Now" and "History" and its input-idle annotations: their
SQL, expanded as Grafana expands it, gives the right answers from known status
changes, on PostgreSQL and on TimescaleDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.storage.grafana_macros import Expansion, multi_value
from tests.storage.store import AlertStore, has_timescaledb, insert_monitor_input, insert_status
from tests.storage.test_dashboard import ALL_DEVICES, END, START, dashboard, panel, panel_sql

H = timedelta(hours=1)
NOW_PANELS = {
    "Now": "row",
    "Devices silent now": "stat",
    "Silent now": "table",
    "Back in the last hour": "table",
}
HISTORY_PANELS = {
    "History": "row",
    "Silences of the devices with the most downtime": "state-timeline",
    "Availability by device": "bargauge",
    "Mean time to recovery": "stat",
    "Longest outages": "table",
    "Downtime episodes": "table",
}


def change(device: str, status: str, since: datetime, when: datetime) -> dict[str, str]:
    return {
        "time": when.isoformat(),
        "device_id": device,
        "status": status,
        "since": since.isoformat(),
    }


def silence(device: str, since: datetime, end: datetime | None, how: str = "back") -> list[Any]:
    changes = [change(device, "silent", since, since + timedelta(seconds=90))]
    if end is not None:
        changes.append(change(device, how, since, end))
    return changes


def never_seen(device: str, registered: datetime, end: datetime | None) -> list[Any]:
    """An expected device that never sent: never-seen from its registration, reported
    at the first check after registration + timeout; `end` its first event."""
    changes = [change(device, "never-seen", registered, registered + timedelta(seconds=90))]
    if end is not None:
        changes.append(change(device, "back", registered, end))
    return changes


# Inside START..END (48 h): d1 down 3 h across START (2 h inside) and 3 h; d2 1 h, then
# forgotten; d3 silent from +30 h on; d4 twice 30 min, the second silence starting at
# the event that ended the first; d5 after the range; d6 registered at +44 h and never
# seen until its first event at +46 h, silent again from +47 h for 30 min.
HISTORY = (
    silence("d1", START - H, START + 2 * H)
    + silence("d1", START + 10 * H, START + 13 * H)
    + silence("d2", START + 20 * H, START + 21 * H, how="forgotten")
    + silence("d3", START + 30 * H, None)
    + silence("d4", START + 40 * H, START + 40.5 * H)
    + silence("d4", START + 40.5 * H, START + 41 * H)
    + silence("d5", END + H, END + 2 * H)
    + never_seen("d6", START + 44 * H, START + 46 * H)
    + silence("d6", START + 47 * H, START + 47.5 * H)
)


@pytest.fixture
def history(alert_store: AlertStore) -> AlertStore:
    insert_status(alert_store.writer_url, HISTORY)
    return alert_store


@pytest.fixture
def now_store(alert_store: AlertStore) -> tuple[AlertStore, datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    changes = (
        silence("n1", now - 2 * H, None)
        + silence("n2", now - 0.5 * H, None)
        + silence("n3", now - 1.5 * H, now - timedelta(minutes=20))
        + silence("n4", now - 5 * H, now - 2 * H)
        + silence("n5", now - 9 * H, now - 8 * H, how="forgotten")
        + never_seen("n6", now - 3 * H, None)
        + never_seen("n7", now - 4 * H, now - timedelta(minutes=10))
    )
    insert_status(alert_store.writer_url, changes)
    return alert_store, now


def run(store: AlertStore, sql: str, devices: str = ALL_DEVICES) -> list[tuple[Any, ...]]:
    expansion = Expansion(
        START, END, "1h", has_timescaledb(store.admin_url), {"device_id": devices}
    )
    with psycopg.connect(store.reader_url) as conn:
        return conn.execute(expansion.expand(sql)).fetchall()


def run_panel(store: AlertStore, title: str, devices: str = ALL_DEVICES) -> list[tuple[Any, ...]]:
    return run(store, panel_sql(title), devices)


def test_the_status_rows_follow_the_alert_panels() -> None:
    titles = [(p["title"], p["type"]) for p in dashboard()["panels"][6:]]

    assert titles == list(NOW_PANELS.items()) + list(HISTORY_PANELS.items())


def test_status_panels_narrow_to_the_chosen_devices_and_history_to_the_range() -> None:
    for title, kind in (NOW_PANELS | HISTORY_PANELS).items():
        if kind == "row":
            continue
        sql = panel_sql(title)
        assert "$device_id" in sql, title
        if title in HISTORY_PANELS:
            assert "$__timeFrom()" in sql or "$__timeFilter(" in sql, title


@pytest.mark.postgres
def test_devices_silent_now(now_store: tuple[AlertStore, datetime]) -> None:
    store, _ = now_store

    assert run_panel(store, "Devices silent now") == [(3,)]
    assert run_panel(store, "Devices silent now", multi_value(["n2", "n3"])) == [(1,)]
    assert run_panel(store, "Devices silent now", multi_value(["n6", "n7"])) == [(1,)]


@pytest.mark.postgres
def test_silent_now_longest_first(now_store: tuple[AlertStore, datetime]) -> None:
    store, now = now_store

    rows = run_panel(store, "Silent now")

    assert [(d, since, never) for d, since, _, _, never in rows] == [
        ("n6", now - 3 * H, True),
        ("n1", now - 2 * H, False),
        ("n2", now - 0.5 * H, False),
    ]
    assert all(silent_for >= (now - since).total_seconds() for _, since, silent_for, *_ in rows)
    assert rows[0][3] == now - 3 * H + timedelta(seconds=90)


@pytest.mark.postgres
def test_back_in_the_last_hour(now_store: tuple[AlertStore, datetime]) -> None:
    store, now = now_store

    rows = run_panel(store, "Back in the last hour")

    assert rows == [
        ("n7", now - timedelta(minutes=10), now - 4 * H, 230 * 60),
        ("n3", now - timedelta(minutes=20), now - 1.5 * H, 70 * 60),
    ]


@pytest.mark.postgres
def test_state_timeline_of_the_devices_with_most_downtime(history: AlertStore) -> None:
    rows = run_panel(history, "Silences of the devices with the most downtime")

    points = {(device, t - START): silent for t, device, silent in rows}
    assert points == {
        ("d1", 0 * H): 1,
        ("d1", 2 * H): 0,
        ("d1", 10 * H): 1,
        ("d1", 13 * H): 0,
        ("d2", 0 * H): 0,
        ("d2", 20 * H): 1,
        ("d2", 21 * H): 0,
        ("d3", 0 * H): 0,
        ("d3", 30 * H): 1,
        ("d4", 0 * H): 0,
        ("d4", 40 * H): 1,
        ("d4", 40.5 * H): 1,
        ("d4", 41 * H): 0,
        ("d6", 0 * H): 0,
        ("d6", 44 * H): 2,
        ("d6", 46 * H): 0,
        ("d6", 47 * H): 1,
        ("d6", 47.5 * H): 0,
    }
    assert [t for t, _, _ in rows] == sorted(t for t, _, _ in rows)


@pytest.mark.postgres
def test_availability_by_device_lowest_first(history: AlertStore) -> None:
    rows = run_panel(history, "Availability by device")

    expected = [("d3", 18), ("d1", 5), ("d6", 2.5), ("d2", 1), ("d4", 1)]
    assert [d for d, _ in rows] == [d for d, _ in expected]
    for (_, availability), (_, hours_down) in zip(rows, expected, strict=True):
        assert float(availability) == pytest.approx(100 * (1 - hours_down / 48))


@pytest.mark.postgres
def test_mean_time_to_recovery_of_the_returns_in_the_range(history: AlertStore) -> None:
    [(seconds,)] = run_panel(history, "Mean time to recovery")

    # Returns in the range: d1 after 3 h twice, d4 after 30 min twice, d6 2 h after its
    # registration and 30 min after its silence; d2 was forgotten.
    assert float(seconds) == (3 + 3 + 0.5 + 0.5 + 2 + 0.5) / 6 * 3600


@pytest.mark.postgres
def test_longest_outages(history: AlertStore) -> None:
    rows = run_panel(history, "Longest outages")

    assert [(d, since - START) for d, since, *_ in rows] == [
        ("d3", 30 * H),
        ("d1", -H),
        ("d1", 10 * H),
        ("d6", 44 * H),
        ("d2", 20 * H),
        ("d4", 40 * H),
        ("d4", 40.5 * H),
        ("d6", 47 * H),
    ]
    assert [duration for *_, duration, _, _ in rows[1:]] == [
        10800,
        10800,
        7200,
        3600,
        1800,
        1800,
        1800,
    ]
    assert [forgotten for *_, forgotten, _ in rows] == [False] * 4 + [True] + [False] * 3
    assert [never for *_, never in rows] == [False] * 3 + [True] + [False] * 4


@pytest.mark.postgres
def test_downtime_episodes_of_the_range_newest_first(history: AlertStore) -> None:
    rows = run_panel(history, "Downtime episodes", multi_value(["d1", "d2", "d5", "d6"]))

    reported = timedelta(seconds=90)
    assert rows == [
        ("d6", START + 47 * H, START + 47 * H + reported, START + 47.5 * H, None, 1800, False),
        ("d6", START + 44 * H, START + 44 * H + reported, START + 46 * H, None, 7200, True),
        ("d2", START + 20 * H, START + 20 * H + reported, None, START + 21 * H, 3600, False),
        ("d1", START + 10 * H, START + 10 * H + reported, START + 13 * H, None, 10800, False),
        ("d1", START - H, START - H + reported, START + 2 * H, None, 10800, False),
    ]


@pytest.mark.postgres
def test_input_idle_periods_are_annotations(alert_store: AlertStore) -> None:
    changes = [
        (START - 2 * H, "input-idle"),
        (START + H, "input-resumed"),
        (START + 5 * H, "input-unavailable"),
        (START + 6 * H, "input-resumed"),
        (END + H, "input-idle"),
    ]
    rows = [{"time": t.isoformat(), "monitor": "m", "status": s} for t, s in changes]
    insert_monitor_input(alert_store.writer_url, rows)
    [annotation] = dashboard()["annotations"]["list"]

    found = run(alert_store, annotation["target"]["rawSql"])

    assert found == [
        (START - 2 * H, START + H, "m: input-idle"),
        (START + 5 * H, START + 6 * H, "m: input-unavailable"),
    ]
    assert annotation["enable"] is True
    assert panel("Downtime episodes")["datasource"] == annotation["datasource"]

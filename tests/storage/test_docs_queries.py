"""The example queries of docs/storage.md run as written and return what they say."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.storage.store import ROOT, AlertStore, insert_alerts, insert_status

pytestmark = pytest.mark.postgres

DOC = ROOT / "docs" / "storage.md"
SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)
CHECK = timedelta(seconds=30)


def example_queries(doc: Path = DOC) -> dict[str, str]:
    """The SQL blocks of the "Example queries" section, by their leading comment."""
    section = doc.read_text().split("## Example queries", 1)[1].split("\n## ", 1)[0]
    blocks = SQL_BLOCK.findall(section)
    return {block.splitlines()[0].removeprefix("-- "): block for block in blocks}


def recent_alerts() -> list[tuple[datetime, str]]:
    """Alerts of the last hour plus some older than 6 and 24 hours, at 30 s checks."""
    now = datetime.now(UTC)
    last_check = datetime.fromtimestamp(now.timestamp() // 30 * 30, UTC) - 20 * CHECK
    alerts = [(last_check - k * CHECK, "d1") for k in range(40)]
    alerts += [(last_check - k * 7 * CHECK, "d2") for k in range(9)]
    alerts += [(last_check, "d3"), (last_check - timedelta(hours=7), "d3")]
    alerts += [(last_check - timedelta(hours=30), "d4")]
    return alerts


def load(store: AlertStore, alerts: list[tuple[datetime, str]]) -> None:
    rows = [
        {"time": t.isoformat(), "device_id": d, "latest_event_time": (t - 3 * CHECK).isoformat()}
        for t, d in alerts
    ]
    insert_alerts(store.writer_url, rows)


def run(store: AlertStore, title: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(store.reader_url) as conn:
        return conn.execute(example_queries()[title]).fetchall()


def within(alerts: list[tuple[datetime, str]], age: timedelta) -> list[tuple[datetime, str]]:
    cutoff = datetime.now(UTC) - age
    return [(t, d) for t, d in alerts if t > cutoff]


def five_minute_buckets(alerts: list[tuple[datetime, str]]) -> list[tuple[int, int, int]]:
    buckets: dict[int, list[str]] = {}
    for t, d in alerts:
        buckets.setdefault(int(t.timestamp()) // 300 * 300, []).append(d)
    return [(b, len(ds), len(set(ds))) for b, ds in sorted(buckets.items())]


@pytest.fixture
def alerts(alert_store: AlertStore) -> list[tuple[datetime, str]]:
    loaded = recent_alerts()
    load(alert_store, loaded)
    return loaded


def test_the_readme_shows_the_same_tested_queries() -> None:
    assert example_queries(ROOT / "README.md") == example_queries()


def test_the_section_has_the_promised_queries() -> None:
    assert set(example_queries()) == {
        "latest alerts",
        "count per device",
        "silent at the latest check",
        "per 5 minutes (TimescaleDB)",
        "per 5 minutes (plain PostgreSQL)",
        "who is down now",
        "availability of one device last week",
        "mean time to recovery",
    }


def test_latest_alerts(alert_store: AlertStore, alerts: list[tuple[datetime, str]]) -> None:
    expected = sorted(alerts, key=lambda a: (-a[0].timestamp(), a[1]))[:20]

    rows = run(alert_store, "latest alerts")

    assert [(t, d) for t, d, _, _ in rows] == expected
    assert {silent for *_, silent in rows} == {3 * CHECK}


def test_count_per_device(alert_store: AlertStore, alerts: list[tuple[datetime, str]]) -> None:
    counts = Counter(d for _, d in within(alerts, timedelta(hours=24)))
    expected = sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    rows = run(alert_store, "count per device")

    assert [(d, n) for d, n, _, _ in rows] == expected


def test_silent_at_the_latest_check(
    alert_store: AlertStore, alerts: list[tuple[datetime, str]]
) -> None:
    latest = max(t for t, _ in alerts)

    rows = run(alert_store, "silent at the latest check")

    assert [d for d, _, _ in rows] == sorted(d for t, d in alerts if t == latest)


def test_per_five_minutes_on_plain_postgresql(
    alert_store: AlertStore, alerts: list[tuple[datetime, str]]
) -> None:
    rows = run(alert_store, "per 5 minutes (plain PostgreSQL)")

    got = [(int(b.timestamp()), n, devices) for b, n, devices in rows]
    assert got == five_minute_buckets(within(alerts, timedelta(hours=6)))


def test_per_five_minutes_on_timescaledb(
    alert_store: AlertStore, alerts: list[tuple[datetime, str]], store_server_kind: str
) -> None:
    if store_server_kind == "postgresql":
        # What the doc says: time_bucket is TimescaleDB's; plain PostgreSQL has date_bin.
        with pytest.raises(psycopg.errors.UndefinedFunction, match="time_bucket"):
            run(alert_store, "per 5 minutes (TimescaleDB)")
        return

    assert run(alert_store, "per 5 minutes (TimescaleDB)") == run(
        alert_store, "per 5 minutes (plain PostgreSQL)"
    )


def status_change(device: str, status: str, since: datetime, when: datetime) -> dict[str, str]:
    return {
        "time": when.isoformat(),
        "device_id": device,
        "status": status,
        "since": since.isoformat(),
    }


@pytest.fixture
def downtime(alert_store: AlertStore) -> datetime:
    """d1: down 2 h ten days ago (outside the week), 3 h and 1 h within it, back each
    time; d2 silent since 30 min ago; d3 silent since 2 h ago; d4 forgotten; d5
    expected, registered 3 h ago and never seen. Returns the instant the data is
    relative to."""
    now = datetime.now(UTC).replace(microsecond=0)
    hours = timedelta(hours=1)
    changes = []
    for since, down in [(now - 240 * hours, 2), (now - 100 * hours, 3), (now - 5 * hours, 1)]:
        changes += [
            status_change("d1", "silent", since, since + timedelta(seconds=90)),
            status_change("d1", "back", since, since + down * hours),
        ]
    changes += [status_change("d2", "silent", now - 0.5 * hours, now - 0.4 * hours)]
    changes += [status_change("d3", "silent", now - 2 * hours, now - 1.9 * hours)]
    changes += [
        status_change("d4", "silent", now - 9 * hours, now - 8.9 * hours),
        status_change("d4", "forgotten", now - 9 * hours, now - 8 * hours),
    ]
    changes += [status_change("d5", "never-seen", now - 3 * hours, now - 2.9 * hours)]
    insert_status(alert_store.writer_url, changes)
    return now


def test_who_is_down_now(alert_store: AlertStore, downtime: datetime) -> None:
    rows = run(alert_store, "who is down now")

    assert [(d, since) for d, since, _, _ in rows] == [
        ("d5", downtime - timedelta(hours=3)),
        ("d3", downtime - timedelta(hours=2)),
        ("d2", downtime - timedelta(minutes=30)),
    ]
    assert all(silent_for >= downtime - since for _, since, _, silent_for in rows)


def test_availability_of_one_device_last_week(alert_store: AlertStore, downtime: datetime) -> None:
    [(percent, episodes)] = run(alert_store, "availability of one device last week")

    assert episodes == 2
    assert float(percent) == pytest.approx(100 * (1 - 4 / (7 * 24)), abs=0.001)


def test_mean_time_to_recovery(alert_store: AlertStore, downtime: datetime) -> None:
    rows = run(alert_store, "mean time to recovery")

    assert rows == [("d1", 1, timedelta(hours=1))]

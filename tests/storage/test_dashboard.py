"""The Grafana dashboard: a raw dashboard model with the six alert panels, whose
SQL, expanded as Grafana expands it, returns the right numbers from known alerts.
The status rows: test_dashboard_status.py."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml  # type: ignore[import-untyped]

from tests.storage.grafana_macros import Expansion, multi_value
from tests.storage.store import ROOT, AlertStore, has_timescaledb, insert_alerts

GRAFANA = ROOT / "infrastructure" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "device-alerts.json"
START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 3, 3, tzinfo=UTC)
ALL_DEVICES = "'__all__'"
ALERT_COUNTS = {
    "d01": 3,
    "d02": 14,
    "d03": 7,
    "d04": 9,
    "d05": 1,
    "d06": 12,
    "d07": 5,
    "d08": 9,
    "d09": 2,
    "d10": 11,
    "d11": 4,
    "d12": 8,
    "d13": 6,
}
SILENT_FOR = timedelta(seconds=90)


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


ALERT_PANELS = {
    "Total alerts": "stat",
    "Devices with alerts": "stat",
    "Alerts over time": "timeseries",
    "Top 10 devices by alert count": "bargauge",
    "Recent alerts": "table",
    "Alerts by hour of day (UTC)": "heatmap",
}


def panel(title: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [p for p in dashboard()["panels"] if p["title"] == title]
    [only] = found
    return only


def panel_sql(title: str) -> str:
    [target] = panel(title)["targets"]
    return str(target["rawSql"])


def known_alerts() -> list[tuple[datetime, str]]:
    """(check instant, device) of alerts inside the range, boundaries included."""
    inside: list[tuple[datetime, str]] = [(START, "d09"), (END, "d09")]
    for number, (device, count) in enumerate(ALERT_COUNTS.items(), start=1):
        if device == "d09":
            continue
        for k in range(count):
            inside.append((START + timedelta(minutes=199 * k + 7 * number), device))
    return inside


OUTSIDE = [(START - timedelta(seconds=30), "d01"), (END + timedelta(seconds=30), "d14")]


def as_rows(alerts: list[tuple[datetime, str]]) -> list[dict[str, str]]:
    return [
        {"time": t.isoformat(), "device_id": d, "latest_event_time": (t - SILENT_FOR).isoformat()}
        for t, d in alerts
    ]


@pytest.fixture
def loaded_store(alert_store: AlertStore) -> AlertStore:
    insert_alerts(alert_store.writer_url, as_rows(known_alerts() + OUTSIDE))
    return alert_store


def run_panel(store: AlertStore, title: str, devices: str = ALL_DEVICES) -> list[tuple[Any, ...]]:
    expansion = Expansion(
        START, END, "1h", has_timescaledb(store.admin_url), {"device_id": devices}
    )
    with psycopg.connect(store.reader_url) as conn:
        return conn.execute(expansion.expand(panel_sql(title))).fetchall()


def epoch(value: datetime | Decimal | float) -> int:
    return int(value.timestamp()) if isinstance(value, datetime) else int(value)


def test_the_file_is_a_raw_dashboard_model_not_an_api_envelope() -> None:
    model = dashboard()

    assert "dashboard" not in model
    assert model["title"] == "IoT Device Alerts"
    assert model["uid"]


def test_it_has_the_six_alert_panels_first() -> None:
    titles = {panel["title"]: panel["type"] for panel in dashboard()["panels"][:6]}

    assert titles == ALERT_PANELS


def test_every_alert_panel_filters_by_the_time_range_and_the_device_variable() -> None:
    for title in ALERT_PANELS:
        sql = panel_sql(title)
        assert re.search(r"\$__timeFilter\((a\.)?time\)", sql), title
        assert "$device_id" in sql, title


def test_panels_use_the_provisioned_datasource() -> None:
    provisioned = yaml.safe_load((GRAFANA / "provisioning/datasources/datasource.yaml").read_text())
    [source] = provisioned["datasources"]
    used = {
        json.dumps(target["datasource"])
        for panel in dashboard()["panels"]
        for target in panel.get("targets", [])
    } | {json.dumps(a["datasource"]) for a in dashboard()["annotations"]["list"]}

    assert used == {json.dumps({"type": source["type"], "uid": source["uid"]})}
    assert source["jsonData"]["timescaledb"] is True
    assert source["jsonData"]["sslmode"] == "${ALERTS_DB_SSLMODE}"
    assert source["jsonData"]["database"] == "${ALERTS_DB_NAME}"
    assert source["user"] == "alerts_reader"
    assert source["secureJsonData"]["password"] == "${ALERTS_READER_PASSWORD}"


def test_the_dashboard_provider_loads_files_from_one_folder() -> None:
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/dashboards.yaml").read_text())
    [entry] = provider["providers"]

    assert entry["type"] == "file"
    assert Path(entry["options"]["path"]).is_absolute()


@pytest.mark.postgres
def test_total_alerts(loaded_store: AlertStore) -> None:
    assert run_panel(loaded_store, "Total alerts") == [(len(known_alerts()),)]


@pytest.mark.postgres
def test_unique_devices(loaded_store: AlertStore) -> None:
    expected = len({device for _, device in known_alerts()})

    assert run_panel(loaded_store, "Devices with alerts") == [(expected,)]


@pytest.mark.postgres
def test_top_ten_devices_in_order(loaded_store: AlertStore) -> None:
    counts = Counter(device for _, device in known_alerts())
    expected = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:10]

    assert run_panel(loaded_store, "Top 10 devices by alert count") == expected


@pytest.mark.postgres
def test_alerts_over_time_per_hour(loaded_store: AlertStore) -> None:
    expected = Counter(epoch(t) // 3600 * 3600 for t, _ in known_alerts())

    rows = run_panel(loaded_store, "Alerts over time")

    assert {epoch(bucket): count for bucket, count in rows} == dict(expected)
    assert [epoch(bucket) for bucket, _ in rows] == sorted(expected)


@pytest.mark.postgres
def test_heatmap_counts_per_day_and_hour_each_labelled_with_the_end_of_its_day(
    loaded_store: AlertStore,
) -> None:
    cells = Counter((epoch(t) // 86400 * 86400, t.hour) for t, _ in known_alerts())
    days = range(epoch(START), epoch(END) + 1, 86400)
    expected = [(day + 86400, *(cells[(day, hour)] for hour in range(24))) for day in days]

    rows = run_panel(loaded_store, "Alerts by hour of day (UTC)")

    assert [(epoch(row[0]), *row[1:]) for row in rows] == expected


@pytest.mark.postgres
def test_heatmap_fills_days_without_alerts(alert_store: AlertStore) -> None:
    """A range with alerts on one day only still has a column per day: one column
    alone would have no width, and the heatmap would draw nothing."""
    insert_alerts(alert_store.writer_url, as_rows([(START + timedelta(hours=30), "d1")]))

    rows = run_panel(alert_store, "Alerts by hour of day (UTC)")

    assert [(epoch(row[0]) - epoch(START)) // 86400 for row in rows] == [1, 2, 3]
    assert [sum(row[1:]) for row in rows] == [0, 1, 0]


def test_heatmap_has_its_own_range_of_days() -> None:
    assert panel("Alerts by hour of day (UTC)")["timeFrom"] == "7d"


@pytest.mark.postgres
def test_recent_alerts_newest_first(loaded_store: AlertStore) -> None:
    newest = sorted(known_alerts(), key=lambda alert: (-epoch(alert[0]), alert[1]))

    rows = run_panel(loaded_store, "Recent alerts")

    assert [(row[0], row[1]) for row in rows] == newest[:200]
    assert {row[3] for row in rows} == {SILENT_FOR.total_seconds()}


@pytest.mark.postgres
def test_the_device_variable_narrows_every_number(loaded_store: AlertStore) -> None:
    chosen = ["d02", "d05", "d14"]
    expected = sum(1 for _, device in known_alerts() if device in chosen)

    total = run_panel(loaded_store, "Total alerts", multi_value(chosen))
    devices = run_panel(loaded_store, "Devices with alerts", multi_value(chosen))

    assert (total, devices) == ([(expected,)], [(2,)])


@pytest.mark.postgres
def test_the_device_variable_lists_devices_of_the_range(loaded_store: AlertStore) -> None:
    [variable] = dashboard()["templating"]["list"]
    expansion = Expansion(START, END, "1h", has_timescaledb(loaded_store.admin_url), {})

    with psycopg.connect(loaded_store.reader_url) as conn:
        rows = conn.execute(expansion.expand(variable["query"])).fetchall()

    assert [device for (device,) in rows] == sorted({d for _, d in known_alerts()})
    assert variable["allValue"] == ALL_DEVICES

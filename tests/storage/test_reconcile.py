"""iot_monitor.store.reconcile: what the pipeline dropped comes back from Kafka, and
its mapping is vector.yaml's, record for record."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from confluent_kafka import Producer
from hypothesis import given, settings
from hypothesis import strategies as st
from iot_monitor.store.reconcile import reconcile
from iot_monitor.store.rows import Unmappable, alert_row, status_row
from iot_monitor.timeunit import TimeUnit

from tests.storage.alert_loader import AlertLoader, StatusLoader, loader_env
from tests.storage.store import AlertStore
from tests.storage.vector_config import (
    STATUS_REMAP,
    Dropped,
    compile_remap,
    kafka_event,
    run_remap,
)

CHECK = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
UNITS = {TimeUnit.SECONDS: {}, TimeUnit.MILLISECONDS: {"ALERTS_TIME_UNIT": "ms"}}
ALERT_PROGRAMS = {unit: compile_remap(env) for unit, env in UNITS.items()}
STATUS_PROGRAMS = {unit: compile_remap(env, remap=STATUS_REMAP) for unit, env in UNITS.items()}

numbers = st.one_of(
    st.integers(min_value=-10, max_value=10**15),
    st.floats(min_value=-10, max_value=1e15, allow_nan=False),
    st.sampled_from([1_772_366_400, 1_772_366_400_000, 1_772_366_400.25, 0, True, "12", None]),
)
names = st.one_of(
    st.sampled_from(["d1", "", "d\n", "d\x7f", "é-ü"]), st.text(max_size=5), st.none()
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "device-id": names,
        "monitor": names,
        "status": st.sampled_from(
            [
                "silent",
                "never-seen",
                "back",
                "forgotten",
                "input-idle",
                "input-unavailable",
                "input-resumed",
                3,
            ]
        ),
        "since": numbers,
        "at": numbers,
        "latest-event-time": numbers,
    },
)


def vrl_row(program: Any, value: bytes) -> dict[str, Any] | None:
    try:
        return run_remap(program, kafka_event(value, CHECK))
    except Dropped:
        return None


def python_row(mapping: Any, *args: Any) -> dict[str, Any] | None:
    try:
        _, row = mapping(*args)
    except Unmappable:
        return None
    return dict(row)


@st.composite
def near_valid(draw: st.DrawFn) -> tuple[dict[str, Any], TimeUnit]:
    """A valid alert, device change or monitor change in a unit, maybe with one field
    replaced by anything or removed, maybe read in the other unit."""
    unit = draw(st.sampled_from(list(TimeUnit)))
    seconds = st.one_of(
        st.integers(1_000_000_000, 2_000_000_000), st.floats(1e9, 2e9).map(lambda x: round(x, 3))
    )
    time = seconds.map(lambda t: t * unit.ms_per_unit)
    record = draw(
        st.one_of(
            st.fixed_dictionaries({"device-id": st.text(min_size=1), "latest-event-time": time}),
            st.fixed_dictionaries(
                {
                    "device-id": st.text(min_size=1),
                    "status": st.sampled_from(["silent", "never-seen", "back", "forgotten"]),
                    "since": time,
                    "at": time,
                }
            ),
            st.fixed_dictionaries(
                {
                    "monitor": st.text(min_size=1),
                    "status": st.sampled_from(["input-idle", "input-unavailable", "input-resumed"]),
                    "at": time,
                }
            ),
        )
    )
    changed = draw(st.sampled_from([None, *record]))
    if changed is not None:
        replacement = draw(st.one_of(st.none(), numbers, names))
        if replacement is None:
            del record[changed]
        else:
            record[changed] = replacement
    read_as = draw(st.sampled_from([unit, unit, *TimeUnit]))
    return record, read_as


@settings(max_examples=400, deadline=None)
@given(record=st.one_of(fields.map(lambda f: (f, TimeUnit.SECONDS)), near_valid()))
def test_the_mapping_is_vector_yamls(record: tuple[dict[str, Any], TimeUnit]) -> None:
    fields_of, unit = record
    value = json.dumps(fields_of).encode()
    check_ms = int(CHECK.timestamp() * 1000)

    assert python_row(alert_row, value, check_ms, unit) == vrl_row(ALERT_PROGRAMS[unit], value)
    assert python_row(status_row, value, unit) == vrl_row(STATUS_PROGRAMS[unit], value)


@pytest.mark.parametrize(
    "value", [b"not json", b"", b"[1]", b"\xef\xbb\xbf{}", b'{"at": NaN}', b'{"x": "\xff"}']
)
def test_records_that_are_no_json_object_are_refused_by_both(value: bytes) -> None:
    for unit in TimeUnit:
        assert python_row(status_row, value, unit) is None
        assert vrl_row(STATUS_PROGRAMS[unit], value) is None


def produce(bootstrap: str, records: list[tuple[str, datetime, str, dict[str, Any]]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"r-{uuid.uuid4()}"})
    producer.init_transactions(30)
    producer.begin_transaction()
    for topic, when, key, body in records:
        producer.produce(
            topic, json.dumps(body).encode(), key.encode(), timestamp=int(when.timestamp() * 1000)
        )
    producer.commit_transaction()


def alert(topic: str, k: int, device: str) -> tuple[str, datetime, str, dict[str, Any]]:
    check = CHECK + timedelta(seconds=30 * k)
    body = {"device-id": device, "latest-event-time": int(CHECK.timestamp()) - 75}
    return topic, check, device, body


def change(
    topic: str, k: int, device: str, status: str
) -> tuple[str, datetime, str, dict[str, Any]]:
    at = CHECK + timedelta(seconds=30 * k)
    body = {"device-id": device, "status": status, "since": int(CHECK.timestamp()) - 75}
    return topic, at, device, body | {"at": int(at.timestamp())}


def stored(store: AlertStore) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    with psycopg.connect(store.reader_url) as conn:
        alerts = set(conn.execute("SELECT time, device_id FROM alerts").fetchall())
        changes = set(conn.execute("SELECT time, device_id, status FROM device_status").fetchall())
    return alerts, changes


def writer_may_insert(store: AlertStore, allowed: bool) -> None:
    verb = "GRANT INSERT ON {} TO" if allowed else "REVOKE INSERT ON {} FROM"
    with psycopg.connect(store.admin_url, autocommit=True) as conn:
        for view in ("alerts_ingest", "device_status_ingest"):
            conn.execute(verb.format(view) + " alerts_writer")


@pytest.mark.kafka
@pytest.mark.postgres
def test_rows_a_rejected_batch_lost_come_back(
    alert_store: AlertStore, kafka_bootstrap: str, alerts_topic: str, status_topic: str
) -> None:
    env = loader_env(alert_store, kafka_bootstrap, alerts_topic, "s", status_topic)
    before = [alert(alerts_topic, 0, "d1"), change(status_topic, 0, "d1", "silent")]
    during = [alert(alerts_topic, 1, "d1"), alert(alerts_topic, 1, "d2")]
    during += [change(status_topic, 1, "d2", "silent"), change(status_topic, 2, "d1", "back")]
    after = [alert(alerts_topic, 3, "d2")]

    produce(kafka_bootstrap, before)
    first = (AlertLoader(env).run(expect=1), StatusLoader(env).run(expect=1))
    writer_may_insert(alert_store, False)  # a failover to a read-only server, say
    produce(kafka_bootstrap, during)
    lost = (AlertLoader(env).run(expect=2), StatusLoader(env).run(expect=2))
    writer_may_insert(alert_store, True)
    produce(kafka_bootstrap, after)
    last = AlertLoader(env).run(expect=1)
    missing = stored(alert_store)

    since_ms = int((CHECK - timedelta(hours=2)).timestamp() * 1000)
    no_properties: dict[str, str] = {}
    args = (
        kafka_bootstrap,
        no_properties,
        alert_store.writer_url,
        alerts_topic,
        status_topic,
        since_ms,
    )
    report = reconcile(*args, TimeUnit.SECONDS)
    again = reconcile(*args, TimeUnit.SECONDS)

    assert [r.stored for r in first] == [1, 1]
    assert [(r.stored, r.rejected) for r in lost] == [(0, 2), (0, 2)]
    assert last.stored == 1
    assert len(missing[0]) + len(missing[1]) == 3
    assert (report.read, report.inserted_total, report.unmappable, report.refused) == (7, 4, [], [])
    assert (again.read, again.inserted_total) == (7, 0)
    alerts, changes = stored(alert_store)
    assert alerts == {(when, device) for _, when, device, _ in before[:1] + during[:2] + after}
    assert changes == {
        (when, device, body["status"]) for _, when, device, body in [before[1], *during[2:]]
    }


@pytest.mark.kafka
@pytest.mark.postgres
def test_a_row_the_database_refuses_costs_only_itself(
    alert_store: AlertStore, kafka_bootstrap: str, alerts_topic: str
) -> None:
    with psycopg.connect(alert_store.admin_url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN IF NEW.device_id = 'poison' THEN RAISE EXCEPTION 'poisoned row'; END IF;"
            " RETURN NEW; END $$"
        )
        conn.execute(
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON alerts"
            " FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
        )
    produce(
        kafka_bootstrap, [alert(alerts_topic, k, d) for k in range(3) for d in ("d1", "poison")]
    )
    produce(kafka_bootstrap, [(alerts_topic, CHECK, "bad", {"device-id": ""})])

    since_ms = int(CHECK.timestamp() * 1000)
    report = reconcile(
        kafka_bootstrap, {}, alert_store.writer_url, alerts_topic, "", since_ms, TimeUnit.SECONDS
    )

    assert report.inserted == {"alerts_ingest": 3}
    assert [(view, row["device_id"]) for view, row, _ in report.refused] == [
        ("alerts_ingest", "poison")
    ] * 3
    assert all("poisoned row" in error for *_, error in report.refused)
    [(topic, _, _, reason)] = report.unmappable
    assert (topic, reason) == (alerts_topic, "device-id is empty")

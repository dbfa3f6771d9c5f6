"""vector.yaml: the pipeline's settings, and its remap program run through pyvrl on
alert records shaped like those of Vector's kafka source."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.storage.vector_config import (
    STATUS_REMAP,
    TIMESTAMP_PRELUDE,
    Dropped,
    MissingVariable,
    compile_remap,
    kafka_event,
    load_config,
    route_of,
    run_remap,
    substitute,
)

ENV: dict[str, str] = {}
ROOT = Path(__file__).resolve().parents[2]
CHECK = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
SECONDS = compile_remap(ENV)
MILLIS = compile_remap(ENV | {"ALERTS_TIME_UNIT": "ms"})


def alert(device_id: Any = "d456", latest: Any = 1_772_366_340) -> bytes:
    return json.dumps({"device-id": device_id, "latest-event-time": latest}).encode()


def remap(program: Any, value: bytes | str) -> dict[str, Any]:
    return run_remap(program, kafka_event(value, CHECK, key="d456", offset=7))


@pytest.mark.parametrize(
    ("source", "topic", "group"),
    [
        ("alerts_topic", "alerts", "vector-alerts"),
        ("status_topic", "device-status", "vector-device-status"),
    ],
)
def test_kafka_sources_read_committed_transactions_only(
    source: str, topic: str, group: str
) -> None:
    found = load_config(ENV)["sources"][source]

    assert found["type"] == "kafka"
    assert found["librdkafka_options"]["isolation.level"] == "read_committed"
    assert found["auto_offset_reset"] == "earliest"
    assert (found["topics"], found["group_id"]) == ([topic], group)
    assert found["decoding"]["codec"] == "bytes"


def test_both_sources_share_the_kafka_security_settings() -> None:
    sources = load_config(ENV)["sources"]

    assert (
        sources["alerts_topic"]["librdkafka_options"]
        == (sources["status_topic"]["librdkafka_options"])
    )


def test_kafka_security_is_plain_text_unless_the_environment_says_otherwise() -> None:
    plain = load_config(ENV)["sources"]["alerts_topic"]["librdkafka_options"]
    assert plain["security.protocol"] == "plaintext"
    secured_env = ENV | {
        "KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": "vector",
        "KAFKA_SASL_PASSWORD": "s3cret",
        "KAFKA_SSL_CA_LOCATION": "/etc/kafka-client/tls/ca.crt",
    }
    secured = load_config(secured_env)["sources"]["alerts_topic"]["librdkafka_options"]
    assert secured["security.protocol"] == "sasl_ssl"
    assert secured["sasl.mechanism"] == "SCRAM-SHA-512"
    assert (secured["sasl.username"], secured["sasl.password"]) == ("vector", "s3cret")
    assert secured["ssl.ca.location"] == "/etc/kafka-client/tls/ca.crt"


def test_defaults_and_environment_reach_the_settings() -> None:
    env = ENV | {"KAFKA_BOOTSTRAP_SERVERS": "broker:29092", "ALERTS_TOPIC": "alerts-prod"}

    default = load_config(ENV)["sources"]["alerts_topic"]
    chosen = load_config(env)["sources"]["alerts_topic"]

    assert default["bootstrap_servers"] == "kafka:9092"
    assert (chosen["bootstrap_servers"], chosen["topics"]) == ("broker:29092", ["alerts-prod"])


@pytest.mark.parametrize(
    ("sink", "inputs", "table"),
    [
        ("alert_store", ["alert_rows"], "alerts_ingest"),
        ("status_store", ["status_tables.device_status"], "device_status_ingest"),
        ("monitor_input_store", ["status_tables.monitor_input"], "monitor_input_ingest"),
    ],
)
def test_sinks_write_to_the_insert_views_as_the_writer_with_acknowledgements(
    sink: str, inputs: list[str], table: str
) -> None:
    found = load_config(ENV | {"ALERTS_DB_HOST": "db"})["sinks"][sink]

    assert found["type"] == "postgres"
    assert found["inputs"] == inputs
    assert found["table"] == table
    assert found["acknowledgements"] == {"enabled": True}
    assert found["endpoint"] == "postgresql://alerts_writer@db:5432/monitoring"


def test_no_password_in_the_configuration() -> None:
    """The sink's driver reads PGPASSWORD: a password with URL-special characters
    cannot break the endpoint, and the endpoint (a metrics tag) holds none."""
    text = (ROOT / "infrastructure" / "vector" / "vector.yaml").read_text()

    assert "PASSWORD}" not in text.replace("KAFKA_SASL_PASSWORD}", "")
    endpoints = [s["endpoint"] for s in load_config(ENV)["sinks"].values() if "endpoint" in s]
    assert len(endpoints) == 3
    for endpoint in endpoints:
        parts = urlsplit(endpoint)
        assert (parts.username, parts.password) == ("alerts_writer", None)


def test_an_unset_variable_with_a_message_stops_the_load() -> None:
    with pytest.raises(MissingVariable, match="must be set"):
        substitute("${X:?X must be set}", {})


def test_unmappable_alerts_go_to_a_dead_letter_sink() -> None:
    config = load_config(ENV)
    for remap in ("alert_rows", "status_rows"):
        transform = config["transforms"][remap]
        consumers = [
            sink for sink in config["sinks"].values() if f"{remap}.dropped" in sink["inputs"]
        ]

        assert transform["drop_on_error"] is True
        assert transform["reroute_dropped"] is True
        assert len(consumers) == 1


def test_substitution_follows_vector_rules() -> None:
    text = "$$A ${A} ${B:-b} ${C-c} ${E:-e} ${E-e} $A"

    assert substitute(text, {"A": "1", "E": ""}) == "$A 1 b c e  1"


@pytest.mark.parametrize(
    "prelude",
    [
        pytest.param("", id="field-types-unknown"),
        pytest.param(
            TIMESTAMP_PRELUDE + ".message = string!(.message)\n.partition = int!(.partition)\n"
            ".offset = int!(.offset)\n.topic = string!(.topic)\n",
            id="field-types-known",
        ),
    ],
)
@pytest.mark.parametrize("remap", ["alert_rows", "status_rows"])
def test_program_compiles_whatever_vector_knows_of_the_field_types(
    prelude: str, remap: str
) -> None:
    compile_remap(ENV, prelude, remap)


def test_alert_in_seconds_becomes_a_row() -> None:
    row = remap(SECONDS, alert("d456", 1_772_366_340))

    assert row == {
        "time": CHECK,
        "device_id": "d456",
        "latest_event_time": datetime(2026, 3, 1, 11, 59, tzinfo=UTC),
    }


def test_alert_in_milliseconds_becomes_the_same_row() -> None:
    assert remap(MILLIS, alert("d456", 1_772_366_340_000)) == remap(SECONDS, alert())


def test_fractional_seconds_keep_their_milliseconds() -> None:
    row = remap(SECONDS, alert("d1", 1_772_366_340.25))

    assert row["latest_event_time"] == datetime(2026, 3, 1, 11, 59, 0, 250_000, tzinfo=UTC)


@given(
    device_id=st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), min_size=1),
    latest_ms=st.integers(min_value=100_000_000_000, max_value=99_999_999_999_999),
)
def test_any_valid_alert_maps_to_its_exact_values(device_id: str, latest_ms: int) -> None:
    row = remap(MILLIS, alert(device_id, latest_ms))

    expected = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=latest_ms)
    assert (row["device_id"], row["latest_event_time"]) == (device_id, expected)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"not json", "parse_json"),
        (b'{"device-id": "d1", "latest-event-time": 1} trailing', "parse_json"),
        (b"\xef\xbb\xbf" + alert(), "parse_json"),
        (b'{"device-id": "d\xff", "latest-event-time": 1772366340}', "parse_json"),
        (b"", "parse_json"),
        (b"[" + alert() + b"]", "object"),
        (b'{"latest-event-time": 1772366340}', "device-id is missing or not a string"),
        (alert(None), "device-id is missing or not a string"),
        (alert(456), "device-id is missing or not a string"),
        (alert(""), "device-id is empty"),
        (alert("d\u0000"), "control characters"),
        (alert("d\n1"), "control characters"),
        (b'{"device-id": "d1"}', "latest-event-time is missing or not a number"),
        (alert("d1", "1772366340"), "latest-event-time is missing or not a number"),
        (alert("d1", True), "latest-event-time is missing or not a number"),
        (alert("d1", None), "latest-event-time is missing or not a number"),
        (alert("d1", 0), "not positive"),
        (alert("d1", -5), "not positive"),
        (alert("d1", 1_772_366_340_000), "looks like milliseconds"),
        (alert("d1", 1e300), "looks like milliseconds"),
    ],
)
def test_unmappable_alerts_are_dropped_with_a_reason(value: bytes, reason: str) -> None:
    with pytest.raises(Dropped, match=reason):
        remap(SECONDS, value)


def test_seconds_sent_to_a_millisecond_pipeline_are_dropped() -> None:
    with pytest.raises(Dropped, match="looks like seconds"):
        remap(MILLIS, alert("d1", 1_772_366_340))


def test_an_unknown_time_unit_drops_everything_with_a_clear_reason() -> None:
    program = compile_remap(ENV | {"ALERTS_TIME_UNIT": "minutes"})

    with pytest.raises(Dropped, match="ALERTS_TIME_UNIT must be seconds or milliseconds"):
        remap(program, alert())


def test_extra_fields_and_the_key_do_not_reach_the_row() -> None:
    value = json.dumps({"device-id": "d9", "latest-event-time": 1_772_366_340, "x": 1})

    row = run_remap(SECONDS, kafka_event(value, CHECK, key="another-key"))

    assert set(row) == {"time", "device_id", "latest_event_time"}
    assert row["device_id"] == "d9"


STATUS_SECONDS = compile_remap(ENV, remap=STATUS_REMAP)
STATUS_MILLIS = compile_remap(ENV | {"ALERTS_TIME_UNIT": "ms"}, remap=STATUS_REMAP)
AT = datetime(2026, 3, 1, 12, 1, tzinfo=UTC)


def status(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


def remap_status(program: Any, value: bytes) -> dict[str, Any]:
    return run_remap(program, kafka_event(value, AT, key="d1", topic="device-status"))


@pytest.mark.parametrize("kind", ["silent", "never-seen", "back", "forgotten"])
def test_a_device_change_becomes_a_device_status_row(kind: str) -> None:
    value = status(
        **{"device-id": "d1", "status": kind, "since": 1_772_366_340.25, "at": 1_772_366_460}
    )

    row = remap_status(STATUS_SECONDS, value)

    assert row == {
        "time": AT,
        "device_id": "d1",
        "status": kind,
        "since": datetime(2026, 3, 1, 11, 59, 0, 250_000, tzinfo=UTC),
    }
    assert route_of(ENV, row) == ["device_status"]


def test_a_never_seen_device_is_stored_from_its_registration() -> None:
    """An expected device that never sent: since is its registration, at the check
    that raised its first alert; its return is a back of the same since."""
    registered, first_event = 1_772_366_000, 1_772_366_500
    reported = status(
        **{"device-id": "m1", "status": "never-seen", "since": registered, "at": 1_772_366_460}
    )
    returned = status(
        **{"device-id": "m1", "status": "back", "since": registered, "at": first_event}
    )

    rows = [remap_status(STATUS_SECONDS, value) for value in (reported, returned)]

    since = datetime.fromtimestamp(registered, UTC)
    assert [(r["status"], r["since"], r["time"]) for r in rows] == [
        ("never-seen", since, AT),
        ("back", since, datetime.fromtimestamp(first_event, UTC)),
    ]
    assert [route_of(ENV, row) for row in rows] == [["device_status"]] * 2


def test_a_change_in_milliseconds_becomes_the_same_row() -> None:
    seconds = status(
        **{"device-id": "d1", "status": "back", "since": 1_772_366_340, "at": 1_772_366_460}
    )
    millis = status(
        **{"device-id": "d1", "status": "back", "since": 1_772_366_340_000, "at": 1_772_366_460_000}
    )

    assert remap_status(STATUS_MILLIS, millis) == remap_status(STATUS_SECONDS, seconds)


@pytest.mark.parametrize("kind", ["input-idle", "input-unavailable", "input-resumed"])
def test_a_monitor_change_becomes_a_monitor_input_row(kind: str) -> None:
    row = remap_status(STATUS_SECONDS, status(monitor="iot-monitor", status=kind, at=1_772_366_460))

    assert row == {"time": AT, "monitor": "iot-monitor", "status": kind}
    assert route_of(ENV, row) == ["monitor_input"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"not json", "parse_json"),
        (b"[]", "object"),
        (status(**{"device-id": "d1", "since": 1, "at": 1_772_366_460}), "status is missing"),
        (status(**{"device-id": "d1", "status": "asleep", "since": 1, "at": 1}), "must be silent"),
        (
            status(**{"device-id": "d1", "status": "input-idle", "since": 1, "at": 1}),
            "must be silent",
        ),
        (
            status(**{"device-id": "d1", "status": "never_seen", "since": 1, "at": 1}),
            "must be silent, back, forgotten or never-seen",
        ),
        (status(monitor="m", status="never-seen", at=1_772_366_460), "must be input-idle"),
        (status(**{"device-id": "", "status": "back", "since": 1, "at": 1}), "device-id is empty"),
        (status(**{"device-id": 7, "status": "back", "since": 1, "at": 1}), "not a string"),
        (status(**{"device-id": "d\n", "status": "back", "since": 1, "at": 1}), "control"),
        (status(**{"device-id": "d1", "status": "back", "at": 1_772_366_460}), "since is missing"),
        (
            status(**{"device-id": "d1", "status": "back", "since": "1", "at": 1}),
            "since is missing",
        ),
        (
            status(**{"device-id": "d1", "status": "back", "since": 0, "at": 1}),
            "since is not positive",
        ),
        (
            status(**{"device-id": "d1", "status": "back", "since": 1_772_366_340_000, "at": 1}),
            "since is too large",
        ),
        (status(**{"device-id": "d1", "status": "back", "since": 1}), "at is missing"),
        (
            status(**{"device-id": "d1", "status": "back", "since": 1, "at": -1}),
            "at is not positive",
        ),
        (status(status="input-idle", at=1_772_366_460), "neither device-id nor monitor"),
        (status(monitor="", status="input-idle", at=1_772_366_460), "monitor is empty"),
        (status(monitor="m", status="silent", at=1_772_366_460), "must be input-idle"),
    ],
)
def test_unmappable_changes_are_dropped_with_a_reason(value: bytes, reason: str) -> None:
    with pytest.raises(Dropped, match=reason):
        remap_status(STATUS_SECONDS, value)


def test_seconds_sent_to_a_millisecond_pipeline_are_dropped_from_status_too() -> None:
    value = status(
        **{"device-id": "d1", "status": "back", "since": 1_772_366_340, "at": 1_772_366_460}
    )

    with pytest.raises(Dropped, match="at is too small"):
        remap_status(STATUS_MILLIS, value)

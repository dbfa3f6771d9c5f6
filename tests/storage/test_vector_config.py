"""vector.yaml: the pipeline's settings, and its remap program run through pyvrl on
alert records shaped like those of Vector's kafka source."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.storage.vector_config import (
    TIMESTAMP_PRELUDE,
    Dropped,
    MissingVariable,
    compile_remap,
    kafka_event,
    load_config,
    run_remap,
    substitute,
)

ENV = {"ALERTS_WRITER_PASSWORD": "pw"}
CHECK = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
SECONDS = compile_remap(ENV)
MILLIS = compile_remap(ENV | {"ALERTS_TIME_UNIT": "ms"})


def alert(device_id: Any = "d456", latest: Any = 1_772_366_340) -> bytes:
    return json.dumps({"device-id": device_id, "latest-event-time": latest}).encode()


def remap(program: Any, value: bytes | str) -> dict[str, Any]:
    return run_remap(program, kafka_event(value, CHECK, key="d456", offset=7))


def test_kafka_source_reads_committed_transactions_only() -> None:
    source = load_config(ENV)["sources"]["alerts_topic"]

    assert source["type"] == "kafka"
    assert source["librdkafka_options"]["isolation.level"] == "read_committed"
    assert source["auto_offset_reset"] == "earliest"
    assert source["topics"] == ["alerts"]
    assert source["decoding"]["codec"] == "bytes"


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


def test_sink_writes_to_the_insert_view_as_the_writer_with_acknowledgements() -> None:
    env = ENV | {"ALERTS_DB_HOST": "db", "ALERTS_WRITER_PASSWORD": "s3cret"}
    sink = load_config(env)["sinks"]["alert_store"]

    assert sink["type"] == "postgres"
    assert sink["inputs"] == ["alert_rows"]
    assert sink["table"] == "alerts_ingest"
    assert sink["acknowledgements"] == {"enabled": True}
    assert sink["endpoint"] == "postgresql://alerts_writer:s3cret@db:5432/monitoring"


def test_the_password_is_required() -> None:
    with pytest.raises(MissingVariable, match="ALERTS_WRITER_PASSWORD must be set"):
        load_config({})


def test_unmappable_alerts_go_to_a_dead_letter_sink() -> None:
    config = load_config(ENV)
    transform = config["transforms"]["alert_rows"]
    consumers = [
        sink for sink in config["sinks"].values() if "alert_rows.dropped" in sink["inputs"]
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
def test_program_compiles_whatever_vector_knows_of_the_field_types(prelude: str) -> None:
    compile_remap(ENV, prelude)


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

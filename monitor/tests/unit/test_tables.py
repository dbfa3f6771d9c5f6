from __future__ import annotations

from iot_monitor.settings import DeliveryGuarantee, MonitorSettings
from iot_monitor.tables import (
    alerts_sink_table,
    interval_sql,
    kafka_events_table,
    wall_clock_ticks_table,
)
from iot_monitor.timeunit import TimeUnit
from iot_monitor.validation import SECONDS_THAT_LOOK_LIKE_MS


def test_intervals_do_not_overflow_past_a_hundred_seconds() -> None:
    assert interval_sql(5_000) == "INTERVAL '0 00:00:05.000' DAY TO SECOND(3)"
    assert interval_sql(300_000) == "INTERVAL '0 00:05:00.000' DAY TO SECOND(3)"
    assert interval_sql(90_061_001) == "INTERVAL '1 01:01:01.001' DAY TO SECOND(3)"


def test_the_events_table_reads_per_partition_with_a_bounded_watermark() -> None:
    ddl = kafka_events_table("src", MonitorSettings(max_out_of_orderness_ms=7_000))
    assert "WATERMARK FOR rowtime AS CASE WHEN" in ddl
    assert "THEN rowtime - INTERVAL '0 00:00:07.000' DAY TO SECOND(3) END" in ddl
    assert "'scan.startup.mode' = 'group-offsets'" in ddl
    assert "'properties.auto.offset.reset' = 'earliest'" in ddl
    assert "METADATA FROM 'offset'" in ddl
    assert "kafka_timestamp + INTERVAL '0 00:05:00.000'" in ddl
    # the watermark ignores exactly what validation rejects as milliseconds-in-seconds
    assert f"rowtime < TO_TIMESTAMP_LTZ({SECONDS_THAT_LOOK_LIKE_MS * 1000}, 3)" in ddl


def test_milliseconds_are_not_scaled() -> None:
    ddl = kafka_events_table("src", MonitorSettings(time_unit=TimeUnit.MILLISECONDS))
    assert "AS DOUBLE) * 1 AS BIGINT" in ddl
    assert "100000000000" not in ddl


def test_starting_offsets_map_to_the_connector() -> None:
    assert "'latest-offset'" in kafka_events_table("s", MonitorSettings(starting_offsets="latest"))
    ddl = kafka_events_table("s", MonitorSettings(starting_offsets="2023-11-14T22:13:20Z"))
    assert "'scan.startup.timestamp-millis' = '1700000000000'" in ddl


def test_kafka_security_settings_reach_the_clients() -> None:
    settings = MonitorSettings(kafka_properties={"security.protocol": "SASL_SSL"})
    for ddl in (kafka_events_table("s", settings), alerts_sink_table("a", settings)):
        assert "'properties.security.protocol' = 'SASL_SSL'" in ddl


def test_alerts_are_transactional_unless_asked_otherwise() -> None:
    ddl = alerts_sink_table("a", MonitorSettings(transactional_id_prefix="mon-prod"))
    assert "'sink.delivery-guarantee' = 'exactly-once'" in ddl
    assert "'sink.transactional-id-prefix' = 'mon-prod'" in ddl
    assert "'properties.transaction.timeout.ms' = '600000'" in ddl
    relaxed = MonitorSettings(delivery_guarantee=DeliveryGuarantee.AT_LEAST_ONCE)
    assert "'sink.delivery-guarantee' = 'at-least-once'" in alerts_sink_table("a", relaxed)


def test_quotes_in_values_are_escaped() -> None:
    ddl = kafka_events_table("s", MonitorSettings(events_topic="it's"))
    assert "'topic' = 'it''s'" in ddl


def test_the_wall_clock_watermark_lags_by_the_out_of_orderness() -> None:
    ddl = wall_clock_ticks_table("t", MonitorSettings(max_out_of_orderness_ms=2_000))
    assert "CURRENT_TIMESTAMP" in ddl
    assert "rowtime - INTERVAL '0 00:00:02.000'" in ddl

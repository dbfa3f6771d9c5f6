from __future__ import annotations

from iot_monitor.kafka_source import consumer_properties
from iot_monitor.settings import DeliveryGuarantee, MonitorSettings
from iot_monitor.tables import alerts_sink_table, interval_sql, wall_clock_ticks_table


def test_intervals_do_not_overflow_past_a_hundred_seconds() -> None:
    assert interval_sql(5_000) == "INTERVAL '0 00:00:05.000' DAY TO SECOND(3)"
    assert interval_sql(300_000) == "INTERVAL '0 00:05:00.000' DAY TO SECOND(3)"
    assert interval_sql(90_061_001) == "INTERVAL '1 01:01:01.001' DAY TO SECOND(3)"


def test_kafka_security_settings_reach_the_clients() -> None:
    settings = MonitorSettings(kafka_properties={"security.protocol": "SASL_SSL"})
    assert "'properties.security.protocol' = 'SASL_SSL'" in alerts_sink_table("a", settings)
    assert consumer_properties(settings)["security.protocol"] == "SASL_SSL"


def test_the_events_are_read_committed_and_their_offsets_committed_on_checkpoint() -> None:
    properties = consumer_properties(MonitorSettings())
    assert properties["isolation.level"] == "read_committed"
    assert properties["commit.offsets.on.checkpoint"] == "true"


def test_alerts_are_transactional_unless_asked_otherwise() -> None:
    ddl = alerts_sink_table("a", MonitorSettings(transactional_id_prefix="mon-prod"))
    assert "'sink.delivery-guarantee' = 'exactly-once'" in ddl
    assert "'sink.transactional-id-prefix' = 'mon-prod'" in ddl
    assert "'properties.transaction.timeout.ms' = '600000'" in ddl
    relaxed = MonitorSettings(delivery_guarantee=DeliveryGuarantee.AT_LEAST_ONCE)
    assert "'sink.delivery-guarantee' = 'at-least-once'" in alerts_sink_table("a", relaxed)


def test_quotes_in_values_are_escaped() -> None:
    ddl = alerts_sink_table("s", MonitorSettings(alerts_topic="it's"))
    assert "'topic' = 'it''s'" in ddl


def test_the_wall_clock_watermark_lags_by_the_out_of_orderness() -> None:
    ddl = wall_clock_ticks_table("t", MonitorSettings(max_out_of_orderness_ms=2_000))
    assert "CURRENT_TIMESTAMP" in ddl
    assert "rowtime - INTERVAL '0 00:00:02.000'" in ddl

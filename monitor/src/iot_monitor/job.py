"""`iot-monitor run`: the streaming job from the events topic to the alerts topic."""

from __future__ import annotations

import logging

from pyflink.datastream import DataStream, StreamExecutionEnvironment
from pyflink.table import DataTypes, Schema, StreamTableEnvironment
from pyflink.table.expressions import col

from iot_monitor.flink_env import streaming_environment
from iot_monitor.functions import DEAD_LETTERS, EVENT_TYPE, ValidateEvents
from iot_monitor.kafka_source import read_events
from iot_monitor.pipeline import alert_stream, device_ids, split_by_layout
from iot_monitor.preflight import check_kafka
from iot_monitor.settings import MonitorSettings
from iot_monitor.tables import alerts_sink_table, dead_letter_sink_table, wall_clock_ticks_table

log = logging.getLogger(__name__)

_DEAD_LETTER_HEADERS = """MAP[
  'dlq.reason', ENCODE(reason, 'UTF-8'),
  'dlq.source.topic', ENCODE(source_topic, 'UTF-8'),
  'dlq.source.partition', ENCODE(CAST(source_partition AS STRING), 'UTF-8'),
  'dlq.source.offset', ENCODE(CAST(source_offset AS STRING), 'UTF-8')]"""


def attach_kafka_job(
    env: StreamExecutionEnvironment, t_env: StreamTableEnvironment, settings: MonitorSettings
) -> None:
    """Add the whole job to `env` and `t_env`; the caller executes it."""
    t_env.execute_sql(wall_clock_ticks_table("wall_clock", settings))
    t_env.execute_sql(alerts_sink_table("alerts_sink", settings))
    t_env.execute_sql(dead_letter_sink_table("dead_letter_sink", settings))
    events, dead_letters = kafka_events(env, t_env, settings)
    alerts = alert_stream(events, settings, settings.rules)
    t_env.create_temporary_view("alerts_out", t_env.from_data_stream(alerts))
    t_env.create_temporary_view("dead_letters_out", t_env.from_data_stream(dead_letters))
    statements = t_env.create_statement_set()
    statements.add_insert_sql(
        "INSERT INTO alerts_sink "
        "SELECT device_id, body, TO_TIMESTAMP_LTZ(check_ms, 3) FROM alerts_out"
    )
    statements.add_insert_sql(
        f"INSERT INTO dead_letter_sink SELECT payload, {_DEAD_LETTER_HEADERS} FROM dead_letters_out"
    )
    statements.attach_as_datastream()


def kafka_events(
    env: StreamExecutionEnvironment, t_env: StreamTableEnvironment, settings: MonitorSettings
) -> tuple[DataStream, DataStream]:
    """The good events of the events topic as device ids (`pipeline.device_ids`), the
    wall clock's watermark included, and the dead letters.

    A record in the canonical layout is taken apart in the Kafka source and never
    reaches Python; any other goes through `validation` in Python, which sends it to
    the dead letters or back among the events (its watermarks go along, so it is never
    late for it)."""
    canonical, others = split_by_layout(read_events(env, settings))
    validated = (
        others.process(
            ValidateEvents(settings.time_unit, settings.max_future_skew_ms),
            output_type=EVENT_TYPE,
        )
        .name("validate other layouts")
        .uid("validate-events")
    )
    checked = t_env.from_data_stream(
        validated,
        Schema.new_builder()
        .column("device_id", DataTypes.STRING())
        .column("time_ms", DataTypes.BIGINT())
        .column_by_expression("rowtime", "TO_TIMESTAMP_LTZ(time_ms, 3)")
        .watermark("rowtime", "SOURCE_WATERMARK()")
        .build(),
    )
    # Never a row (see `wall_clock_ticks_table`), only the wall clock's watermark.
    ticks = t_env.sql_query("SELECT device_id, rowtime FROM wall_clock WHERE device_id IS NOT NULL")
    events = canonical.union(
        device_ids(t_env.to_data_stream(checked.select(col("device_id"), col("rowtime")))),
        device_ids(t_env.to_data_stream(ticks)),
    )
    return events, validated.get_side_output(DEAD_LETTERS)


def run_job(settings: MonitorSettings) -> None:
    check_kafka(settings)
    env, t_env = streaming_environment(settings)
    attach_kafka_job(env, t_env, settings)
    log.info(
        "monitoring %s on %s: alerts to %s (%s), bad events to %s; a device silent for "
        "more than %d s is reported at every %d s check",
        settings.events_topic,
        settings.kafka_bootstrap_servers,
        settings.alerts_topic,
        settings.delivery_guarantee.value,
        settings.dlq_topic,
        settings.inactivity_timeout_ms // 1000,
        settings.check_interval_ms // 1000,
    )
    env.execute("iot-monitor")

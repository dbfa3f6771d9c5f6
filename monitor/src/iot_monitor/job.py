"""`iot-monitor run`: the streaming job from the events topic to the alerts topic."""

from __future__ import annotations

import logging

from pyflink.table import StreamTableEnvironment

from iot_monitor.flink_env import streaming_environment
from iot_monitor.pipeline import build_alert_streams
from iot_monitor.preflight import check_kafka
from iot_monitor.settings import MonitorSettings
from iot_monitor.tables import (
    alerts_sink_table,
    dead_letter_sink_table,
    kafka_events_table,
    wall_clock_ticks_table,
)

log = logging.getLogger(__name__)

_DEAD_LETTER_HEADERS = """MAP[
  'dlq.reason', ENCODE(reason, 'UTF-8'),
  'dlq.source.topic', ENCODE(source_topic, 'UTF-8'),
  'dlq.source.partition', ENCODE(CAST(source_partition AS STRING), 'UTF-8'),
  'dlq.source.offset', ENCODE(CAST(source_offset AS STRING), 'UTF-8')]"""


def attach_kafka_job(t_env: StreamTableEnvironment, settings: MonitorSettings) -> None:
    """Add the whole job to `t_env`; the caller executes it."""
    t_env.execute_sql(kafka_events_table("events_source", settings))
    t_env.execute_sql(wall_clock_ticks_table("wall_clock", settings))
    t_env.execute_sql(alerts_sink_table("alerts_sink", settings))
    t_env.execute_sql(dead_letter_sink_table("dead_letter_sink", settings))
    raw = t_env.to_data_stream(
        t_env.sql_query(
            "SELECT payload, source_topic, source_partition, source_offset FROM events_source"
        )
    )
    clock = t_env.to_data_stream(t_env.sql_query("SELECT tick FROM wall_clock"))
    streams = build_alert_streams(raw, settings, settings.rules, clock)
    t_env.create_temporary_view("alerts_out", t_env.from_data_stream(streams.alerts))
    t_env.create_temporary_view("dead_letters_out", t_env.from_data_stream(streams.dead_letters))
    statements = t_env.create_statement_set()
    statements.add_insert_sql(
        "INSERT INTO alerts_sink "
        "SELECT device_id, body, TO_TIMESTAMP_LTZ(check_ms, 3) FROM alerts_out"
    )
    statements.add_insert_sql(
        f"INSERT INTO dead_letter_sink SELECT payload, {_DEAD_LETTER_HEADERS} FROM dead_letters_out"
    )
    statements.attach_as_datastream()


def run_job(settings: MonitorSettings) -> None:
    check_kafka(settings)
    env, t_env = streaming_environment(settings)
    attach_kafka_job(t_env, settings)
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

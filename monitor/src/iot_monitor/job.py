"""`iot-monitor run`: the streaming job from the events topic to the alerts topic."""

from __future__ import annotations

import logging
from typing import Any

from pyflink.datastream import StreamExecutionEnvironment
from pyflink.java_gateway import get_gateway

from iot_monitor.flink_env import streaming_environment
from iot_monitor.kafka_source import consumer_properties, read_events
from iot_monitor.pipeline import java_class, monitor, split_events
from iot_monitor.preflight import check_kafka
from iot_monitor.settings import MonitorSettings

log = logging.getLogger(__name__)


def producer_config(settings: MonitorSettings) -> dict[str, str]:
    """The Kafka producers' settings, the user's own (`--kafka.*`) last."""
    return {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "transaction.timeout.ms": str(settings.transaction_timeout_ms),
        **settings.kafka_properties,
    }


def _device_settings(
    env: StreamExecutionEnvironment, settings: MonitorSettings, rejected: Any
) -> tuple[Any, Any]:
    """The settings topic's good records (None when it is off), and `rejected` with its
    bad ones."""
    if not settings.settings_topic:
        return None, rejected
    j_env = env._j_stream_execution_environment
    kafka_settings = java_class("KafkaSettings")
    good = kafka_settings.kafka(
        j_env,
        {**consumer_properties(settings), "group.id": f"{settings.group_id}-settings"},
        settings.settings_topic,
        settings.time_unit.ms_per_unit,
    )
    return good, kafka_settings.withBadSettings(rejected, good)


def attach_kafka_job(env: StreamExecutionEnvironment, settings: MonitorSettings) -> None:
    """Add the whole job to `env`; the caller executes it."""
    events = split_events(read_events(env, settings))
    clock_class = java_class("InputClock")
    clock = clock_class.clock(
        events.device_ids,
        consumer_properties(settings),
        settings.events_topic,
        settings.group_id,
        settings.idle_timeout_ms,
        settings.max_out_of_orderness_ms,
    )
    clocked = clock_class.withClock(events.device_ids, clock)
    device_settings, rejected = _device_settings(env, settings, events.rejected)
    monitored = monitor(
        clocked,
        device_settings,
        get_gateway().jvm.java.util.ArrayList(),
        settings,
    )
    outputs = java_class("KafkaOutputs")
    target = java_class("KafkaTarget")(
        producer_config(settings),
        settings.delivery_guarantee.value,
        settings.transactional_id_prefix,
    )
    ms_per_unit = settings.time_unit.ms_per_unit
    outputs.alerts(monitored.alerts, target, settings.alerts_topic, ms_per_unit)
    outputs.deadLetters(rejected, target, settings.dlq_topic)
    if settings.status_topic:
        outputs.statusChanges(monitored.status_changes, target, settings.status_topic, ms_per_unit)
        health = clock_class.healthChanges(clock)
        outputs.inputHealth(health, target, settings.status_topic, ms_per_unit)


def run_job(settings: MonitorSettings) -> None:
    check_kafka(settings)
    env = streaming_environment(settings)
    attach_kafka_job(env, settings)
    log.info(
        "monitoring %s on %s: alerts to %s (%s), status changes to %s, bad events to %s; "
        "a device silent for more than %d s is reported at every %d s check",
        settings.events_topic,
        settings.kafka_bootstrap_servers,
        settings.alerts_topic,
        settings.delivery_guarantee.value,
        settings.status_topic or "nowhere (--status.topic is empty)",
        settings.dlq_topic,
        settings.inactivity_timeout_ms // 1000,
        settings.check_interval_ms // 1000,
    )
    env.execute("iot-monitor")

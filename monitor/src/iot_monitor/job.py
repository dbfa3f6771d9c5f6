"""`iot-monitor run`: the streaming job from the events topic to the alerts topic."""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from pyflink.common.completable_future import CompletableFuture
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.java_gateway import get_gateway

from iot_monitor.flink_env import streaming_environment
from iot_monitor.kafka_source import consumer_properties, read_events
from iot_monitor.pipeline import java_class, monitor, split_events
from iot_monitor.preflight import check_kafka
from iot_monitor.settings import MonitorSettings
from iot_monitor.submit import JOB_NAME, flink_error

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
    client = env.execute_async(JOB_NAME)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # A shell runs a background job with SIGINT ignored: its Ctrl-C is not for it.
        if signal.getsignal(signum) != signal.SIG_IGN:
            signal.signal(signum, lambda _signum, _frame: stopping.set())
    result = client.get_job_execution_result()
    while not result.done():
        if stopping.wait(1):
            _stop(client, result, settings)
            return
    result.result()  # a failed job raises here, as env.execute does


# Within the 30 s that compose and Kubernetes leave a process between SIGTERM and SIGKILL.
STOP_TIMEOUT_S = 20


def _stop(client: Any, result: Any, settings: MonitorSettings) -> None:
    """Stop the job with a savepoint below the checkpoint folder, so that what it wrote
    is committed and --resume-latest goes on from there; cancel it if that fails.

    A process that just exits leaves its writers' transactions open, and every
    read_committed reader of its topics (watch, Vector) waits behind them until the
    transaction timeout. Cancelling does not help: the writers are interrupted before
    their abort reaches the broker."""
    if signal.getsignal(signal.SIGINT) != signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a second Ctrl-C stops at once
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # what a supervisor repeats while it waits
    folder = settings.checkpoint_dir.rstrip("/") + "/savepoints"
    log.info("stopping: taking a savepoint in %s and committing what was written", folder)
    # PyFlink's stop_with_savepoint predates the format argument Flink's method now takes.
    canonical = get_gateway().jvm.org.apache.flink.core.execution.SavepointFormatType.CANONICAL
    try:
        savepoint = CompletableFuture(
            client._j_job_client.stopWithSavepoint(False, folder, canonical), str
        ).result()
    except Exception as exc:  # py4j's error, carrying Flink's
        log.warning("no savepoint (%s): cancelling the job", flink_error(exc))
        try:
            client.cancel().result()
        except Exception as cancel_error:  # it ended meanwhile
            log.warning("could not cancel the job: %s", flink_error(cancel_error))
    else:
        log.info("savepoint %s taken", savepoint)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while not result.done():
        if time.monotonic() > deadline:
            log.warning("the job did not stop within %d s", STOP_TIMEOUT_S)
            return
        time.sleep(0.2)
    log.info("stopped")

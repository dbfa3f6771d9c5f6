"""Before starting Flink: can the broker be reached, and do the topics exist?

Flink's Kafka clients retry an unreachable broker or a missing topic for ever and
say so only in their own logs; an operator starting the job wants one clear line.
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from iot_kafka_clients.config import (
    ClientErrors,
    KafkaConnectionError,
    KafkaSettingsError,
    cluster_metadata,
    librdkafka_config,
)

from iot_monitor.settings import MonitorSettings


class PreflightError(RuntimeError):
    pass


def check_kafka(settings: MonitorSettings, timeout_s: float = 15) -> None:
    # The job's --kafka.property items are the Java clients'; this client takes
    # librdkafka's translation of them (iot_kafka_clients.config).
    try:
        client_config = librdkafka_config(settings.kafka_properties)
    except KafkaSettingsError as exc:
        raise PreflightError(f"--kafka.property: {exc}") from None
    errors = ClientErrors()
    config: dict[str, Any] = {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        # the one-line error below says it all; no librdkafka connection log
        "log_level": 0,
        "error_cb": errors,
        **client_config,
    }
    try:
        admin = AdminClient(config)
        metadata = cluster_metadata(admin, settings.kafka_bootstrap_servers, errors, timeout_s)
    except KafkaException as exc:
        raise PreflightError(f"invalid Kafka client settings: {exc.args[0].str()}") from None
    except KafkaConnectionError as exc:
        hint = "" if exc.refused else "; check --kafka.bootstrap.servers and --kafka.property"
        raise PreflightError(f"{exc}{hint}") from None
    topics = metadata.topics
    wanted = {
        "--events.topic": settings.events_topic,
        "--alerts.topic": settings.alerts_topic,
        "--dlq.topic": settings.dlq_topic,
        "--status.topic": settings.status_topic,
        "--settings.topic": settings.settings_topic,
    }
    missing = [f"{name} ({flag})" for flag, name in wanted.items() if name and name not in topics]
    if missing:
        raise PreflightError(
            f"missing Kafka topics on {settings.kafka_bootstrap_servers}: {', '.join(missing)}; "
            "create them first (scripts/local-kafka.sh topics does it for the local broker)"
        )

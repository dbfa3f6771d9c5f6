"""Before starting Flink: can the broker be reached, and do the topics exist?

Flink's Kafka clients retry an unreachable broker or a missing topic for ever and
say so only in their own logs; an operator starting the job wants one clear line.
"""

from __future__ import annotations

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from iot_monitor.settings import MonitorSettings


class PreflightError(RuntimeError):
    pass


def check_kafka(settings: MonitorSettings, timeout_s: float = 15) -> None:
    config: dict[str, str | int | float | bool] = {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        # the one-line error below says it all; no librdkafka connection log
        "log_level": 0,
        **settings.kafka_properties,
    }
    try:
        admin = AdminClient(config)
        topics = admin.list_topics(timeout=timeout_s).topics
    except KafkaException as exc:
        raise PreflightError(
            f"cannot reach Kafka at {settings.kafka_bootstrap_servers} within "
            f"{timeout_s:.0f} s ({exc.args[0].str() if exc.args else exc}); "
            "check --kafka.bootstrap.servers and --kafka.property"
        ) from None
    wanted = {
        "--events.topic": settings.events_topic,
        "--alerts.topic": settings.alerts_topic,
        "--dlq.topic": settings.dlq_topic,
        "--status.topic": settings.status_topic,
    }
    missing = [f"{name} ({flag})" for flag, name in wanted.items() if name and name not in topics]
    if missing:
        raise PreflightError(
            f"missing Kafka topics on {settings.kafka_bootstrap_servers}: {', '.join(missing)}; "
            "create them first (scripts/local-kafka.sh topics does it for the local broker)"
        )

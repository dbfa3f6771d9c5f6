"""The events topic as a Flink Kafka source whose records are decoded, given their
event time and watermarked in Java (`jvm/monitor-functions`: `EventDecoder`,
`EventWatermarks`), in the source itself.

The source keeps one watermark per partition, so a partition read ahead of the
others, or an idle one, never runs time ahead or holds it back.
"""

from __future__ import annotations

from typing import Any

from pyflink.common import WatermarkStrategy
from pyflink.datastream import DataStream, StreamExecutionEnvironment
from pyflink.datastream.connectors.kafka import (
    KafkaOffsetResetStrategy,
    KafkaOffsetsInitializer,
    KafkaSource,
)

from iot_monitor.canonical import canonical_line_regex
from iot_monitor.pipeline import java_class
from iot_monitor.settings import MonitorSettings, starting_timestamp_ms
from iot_monitor.timeunit import TimeUnit
from iot_monitor.validation import SECONDS_THAT_LOOK_LIKE_MS

# The source's operator id: a savepoint hands its offsets to the next version by it.
SOURCE_UID = "kafka-events"


def consumer_properties(settings: MonitorSettings) -> dict[str, str]:
    """The Kafka consumer's properties, the user's own (`--kafka.*`) last."""
    return {
        # Offsets are committed with each checkpoint; monitoring tools see the lag.
        "commit.offsets.on.checkpoint": "true",
        "isolation.level": "read_committed",
        "partition.discovery.interval.ms": str(5 * 60_000),
        **settings.kafka_properties,
    }


def _starting_offsets(settings: MonitorSettings) -> KafkaOffsetsInitializer:
    mode = settings.starting_offsets
    if mode == "group-offsets":
        return KafkaOffsetsInitializer.committed_offsets(KafkaOffsetResetStrategy.EARLIEST)
    if mode == "earliest":
        return KafkaOffsetsInitializer.earliest()
    if mode == "latest":
        return KafkaOffsetsInitializer.latest()
    return KafkaOffsetsInitializer.timestamp(starting_timestamp_ms(mode))


def event_decoder(settings: MonitorSettings) -> Any:
    """The Java `EventDecoder` for these settings."""
    unit = settings.time_unit
    # In seconds, a time validation takes for milliseconds never moves the watermark.
    limit_ms = SECONDS_THAT_LOOK_LIKE_MS * 1000 if unit is TimeUnit.SECONDS else 2**63 - 1
    return java_class("EventDecoder")(
        canonical_line_regex(unit), unit.ms_per_unit, settings.max_future_skew_ms, limit_ms
    )


def events_source(settings: MonitorSettings) -> KafkaSource:
    builder = (
        KafkaSource.builder()
        .set_bootstrap_servers(settings.kafka_bootstrap_servers)
        .set_topics(settings.events_topic)
        .set_group_id(settings.group_id)
        .set_starting_offsets(_starting_offsets(settings))
        .set_properties(consumer_properties(settings))
    )
    # PyFlink's builder only takes deserializers written for Python; the decoder is Java.
    builder._j_builder.setDeserializer(event_decoder(settings))
    return builder.build()


def read_events(env: StreamExecutionEnvironment, settings: MonitorSettings) -> DataStream:
    """The events topic as `KafkaEvent` records (see `EventDecoder`), each with its event
    time as its timestamp, and the watermarks."""
    watermarks = WatermarkStrategy(
        java_class("EventWatermarks").of(settings.max_out_of_orderness_ms, settings.idle_timeout_ms)
    )
    return (
        env.from_source(events_source(settings), watermarks, "kafka events")
        .uid(SOURCE_UID)
        .name("read and decode events")
    )

"""The events topic as a Flink Kafka source whose records are decoded, given their
event time and watermarked in Java (`jvm/monitor-functions`: `EventDecoder`,
`EventWatermarks`), in the source itself.

The source keeps one watermark per partition, so a partition read ahead of the
others, or an idle one, never runs time ahead or holds it back; a partition counts
idle only once it has been read to its end for the idle timeout, never while the
broker cannot be reached.
"""

from __future__ import annotations

from typing import Any

from pyflink.common import WatermarkStrategy
from pyflink.datastream import StreamExecutionEnvironment
from pyflink.datastream.connectors import Source
from pyflink.datastream.connectors.kafka import (
    KafkaOffsetResetStrategy,
    KafkaOffsetsInitializer,
    KafkaSource,
)

from iot_monitor.pipeline import event_validation, java_class
from iot_monitor.settings import MonitorSettings, starting_timestamp_ms

# The source's operator id: a savepoint hands its offsets to the next version by it.
SOURCE_UID = "kafka-events"


def consumer_properties(settings: MonitorSettings) -> dict[str, str]:
    """What every consumer of the monitor sets, the user's own (`--kafka.*`) last: the
    events source, and the input clock that watches the topic's ends."""
    return {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "isolation.level": "read_committed",
        **settings.kafka_properties,
    }


def source_properties(settings: MonitorSettings) -> dict[str, str]:
    return {
        # Offsets are committed with each checkpoint; monitoring tools see the lag.
        "commit.offsets.on.checkpoint": "true",
        "partition.discovery.interval.ms": str(5 * 60_000),
        **consumer_properties(settings),
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


def events_source(settings: MonitorSettings) -> KafkaSource:
    builder = (
        KafkaSource.builder()
        .set_bootstrap_servers(settings.kafka_bootstrap_servers)
        .set_topics(settings.events_topic)
        .set_group_id(settings.group_id)
        .set_starting_offsets(_starting_offsets(settings))
        .set_properties(source_properties(settings))
    )
    # PyFlink's builder only takes deserializers written for Python; the decoder is Java.
    decoder = java_class("EventDecoder")(event_validation(settings), settings.max_future_skew_ms)
    builder._j_builder.setDeserializer(decoder)
    return builder.build()


def read_events(env: StreamExecutionEnvironment, settings: MonitorSettings) -> Any:
    """The events topic as a Java stream of `DecodedEvent`s, each good one with its
    event time as its timestamp, and the watermarks."""
    watermarks = WatermarkStrategy(
        java_class("EventWatermarks").of(
            settings.max_out_of_orderness_ms,
            settings.idle_timeout_ms,
            consumer_properties(settings),
            settings.events_topic,
        )
    )
    # Each partition's watermark from the moment it is assigned, not from its first
    # records: after a restart the first partition to deliver must not drive time alone.
    kafka = events_source(settings).get_java_function()
    source = Source(java_class("EveryPartitionWatermarked").of(kafka))
    stream = (
        env.from_source(source, watermarks, "kafka events")
        .uid(SOURCE_UID)
        .name("read and decode events")
    )
    return stream._j_data_stream

package io.iotmonitor.flink;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.kafka.shaded.org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.flink.kafka.shaded.org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * The Kafka topics the monitor writes: alerts (key = device id, record timestamp = the
 * check instant), status changes and the input's health (record timestamp = the
 * change's time), and dead letters (the original bytes, with the reason and the source
 * in headers). Each goes in the transactions of the checkpoints when exactly-once.
 */
public final class KafkaOutputs {
    private KafkaOutputs() {}

    /** What of a record a Kafka record takes: serialisable, as the sinks travel to the tasks. */
    interface Part<T, R> extends Function<T, R>, Serializable {}

    /** A record keyed by {@code key}, stamped {@code timestampMs}, with {@code value} as its value. */
    private static <T> KafkaRecordSerializationSchema<T> keyed(
            String topic, Part<T, String> key, Part<T, Long> timestampMs, Part<T, String> value) {
        return (record, context, timestamp) ->
                new ProducerRecord<>(
                        topic,
                        null,
                        timestampMs.apply(record),
                        utf8(key.apply(record)),
                        utf8(value.apply(record)));
    }

    public static void alerts(DataStream<Alert> alerts, KafkaTarget target, String topic, long msPerUnit) {
        KafkaRecordSerializationSchema<Alert> records =
                keyed(topic, a -> a.deviceId, a -> a.checkMs, a -> WireFormat.alertBody(a, msPerUnit));
        alerts.sinkTo(target.sink(records, "")).name("alerts to " + topic).uid("alerts-sink");
    }

    public static void statusChanges(
            DataStream<StatusChange> changes, KafkaTarget target, String topic, long msPerUnit) {
        KafkaRecordSerializationSchema<StatusChange> records =
                keyed(topic, c -> c.deviceId, c -> c.atMs, c -> WireFormat.statusBody(c, msPerUnit));
        changes.sinkTo(target.sink(records, "status"))
                .name("status changes to " + topic)
                .uid("status-sink");
    }

    public static void inputHealth(
            DataStream<InputClock.Health> changes, KafkaTarget target, String topic, long msPerUnit) {
        KafkaRecordSerializationSchema<InputClock.Health> records =
                keyed(topic, h -> h.monitor, h -> h.atMs, h -> WireFormat.healthBody(h, msPerUnit));
        changes.sinkTo(target.sink(records, "input-health"))
                .setParallelism(1)
                .name("input health to " + topic)
                .uid("input-health-sink");
    }

    public static void deadLetters(DataStream<DecodedEvent> rejected, KafkaTarget target, String topic) {
        KafkaRecordSerializationSchema<DecodedEvent> records =
                (event, context, timestamp) -> {
                    RecordHeaders headers = new RecordHeaders();
                    headers.add("dlq.reason", utf8(event.reason));
                    headers.add("dlq.source.topic", utf8(event.source));
                    headers.add("dlq.source.partition", utf8(Integer.toString(event.partition)));
                    headers.add("dlq.source.offset", utf8(Long.toString(event.offset)));
                    return new ProducerRecord<>(topic, null, null, null, event.payload, headers);
                };
        rejected.sinkTo(target.sink(records, "dead-letters"))
                .name("dead letters to " + topic)
                .uid("dead-letters-sink");
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}

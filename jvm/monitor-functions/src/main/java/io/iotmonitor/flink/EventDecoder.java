package io.iotmonitor.flink;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.kafka.shaded.org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.flink.util.Collector;

/**
 * Decodes the records of the events topic in the Kafka source itself, one pass over
 * each, with {@link EventValidation}: a good event, or a bad one with its reason and
 * its place in the topic, for the dead letters.
 *
 * <p>The watermark follows a good event's time only when that time is at most the
 * allowed skew ahead of the record's Kafka timestamp, set when it was produced: one
 * event from the far future cannot drag the whole fleet's time along.
 */
public class EventDecoder implements KafkaRecordDeserializationSchema<DecodedEvent> {
    private static final long serialVersionUID = 1L;

    private final EventValidation validation;
    private final long maxFutureSkewMs;

    public EventDecoder(EventValidation validation, long maxFutureSkewMs) {
        this.validation = validation;
        this.maxFutureSkewMs = maxFutureSkewMs;
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<DecodedEvent> out) {
        DecodedEvent event = new DecodedEvent();
        event.payload = record.value();
        event.source = record.topic();
        event.partition = record.partition();
        event.offset = record.offset();
        validation.decode(event.payload, System.currentTimeMillis(), event);
        // A record without a timestamp (a producer older than Kafka 0.10) has no bound.
        long stampedMs = record.timestamp() < 0 ? Long.MAX_VALUE - maxFutureSkewMs : record.timestamp();
        event.watermarked = event.isGood() && event.timeMs <= stampedMs + maxFutureSkewMs;
        out.collect(event);
    }

    @Override
    public TypeInformation<DecodedEvent> getProducedType() {
        return TypeInformation.of(DecodedEvent.class);
    }
}

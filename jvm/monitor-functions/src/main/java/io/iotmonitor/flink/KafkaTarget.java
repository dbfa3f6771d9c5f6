package io.iotmonitor.flink;

import java.io.Serializable;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;

/** Where and how the monitor writes to Kafka: shared by every sink of one job. */
public final class KafkaTarget implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Properties producer = new Properties();
    private final DeliveryGuarantee guarantee;
    private final String transactionalIdPrefix;

    /**
     * @param producer the Kafka producer's settings (bootstrap.servers among them)
     * @param guarantee "exactly-once" or "at-least-once"
     */
    public KafkaTarget(Map<String, String> producer, String guarantee, String transactionalIdPrefix) {
        this.producer.putAll(producer);
        this.guarantee = DeliveryGuarantee.valueOf(guarantee.toUpperCase().replace('-', '_'));
        this.transactionalIdPrefix = transactionalIdPrefix;
    }

    /** A sink of {@code records}; {@code name} tells its transactional ids from the others'. */
    <T> KafkaSink<T> sink(KafkaRecordSerializationSchema<T> records, String name) {
        return KafkaSink.<T>builder()
                .setKafkaProducerConfig(producer)
                .setRecordSerializer(records)
                .setDeliveryGuarantee(guarantee)
                // The alerts keep the deployment's own prefix, as in earlier versions.
                .setTransactionalIdPrefix(
                        name.isEmpty() ? transactionalIdPrefix : transactionalIdPrefix + "-" + name)
                .build();
    }
}

package io.iotmonitor.flink;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.TimestampAssignerSupplier;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Event time and watermarks of the records {@link EventDecoder} reads. The Kafka source
 * keeps one generator per partition, so a partition read ahead of the others, or an
 * idle one, never runs time ahead or holds it back.
 *
 * <p>The watermark is the newest time the decoder let it follow, minus the allowed
 * out-of-orderness. Every record carries its time as its timestamp; one without a
 * readable time carries 0, far behind any watermark.
 */
public class EventWatermarks implements WatermarkStrategy<KafkaEvent> {
    private static final long serialVersionUID = 1L;
    private final long outOfOrdernessMs;

    private EventWatermarks(long outOfOrdernessMs) {
        this.outOfOrdernessMs = outOfOrdernessMs;
    }

    /** The strategy; a partition without records for {@code idleTimeoutMs} stops counting. */
    public static WatermarkStrategy<KafkaEvent> of(long outOfOrdernessMs, long idleTimeoutMs) {
        return new EventWatermarks(outOfOrdernessMs).withIdleness(Duration.ofMillis(idleTimeoutMs));
    }

    @Override
    public TimestampAssigner<KafkaEvent> createTimestampAssigner(
            TimestampAssignerSupplier.Context context) {
        return (event, kafkaTimestamp) -> event.timeMs;
    }

    @Override
    public WatermarkGenerator<KafkaEvent> createWatermarkGenerator(
            WatermarkGeneratorSupplier.Context context) {
        return new LaggingWatermark<>(outOfOrdernessMs, event -> event.watermarked, false);
    }
}

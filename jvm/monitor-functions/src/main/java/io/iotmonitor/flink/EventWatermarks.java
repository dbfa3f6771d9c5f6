package io.iotmonitor.flink;

import java.time.Duration;
import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.TimestampAssignerSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Event time and watermarks of the records {@link EventDecoder} reads. The Kafka source
 * keeps one generator per partition, so a partition read ahead of the others, or an
 * idle one, never runs time ahead or holds it back.
 *
 * <p>The watermark is the newest time the decoder let it follow, minus the allowed
 * out-of-orderness, emitted periodically. A good event carries its time as its
 * timestamp; a bad one carries 0, far behind any watermark.
 */
public class EventWatermarks implements WatermarkStrategy<DecodedEvent> {
    private static final long serialVersionUID = 1L;
    private final long outOfOrdernessMs;

    private EventWatermarks(long outOfOrdernessMs) {
        this.outOfOrdernessMs = outOfOrdernessMs;
    }

    /** The strategy; a partition without records for {@code idleTimeoutMs} stops counting. */
    public static WatermarkStrategy<DecodedEvent> of(long outOfOrdernessMs, long idleTimeoutMs) {
        return new EventWatermarks(outOfOrdernessMs).withIdleness(Duration.ofMillis(idleTimeoutMs));
    }

    @Override
    public TimestampAssigner<DecodedEvent> createTimestampAssigner(
            TimestampAssignerSupplier.Context context) {
        return (event, kafkaTimestamp) -> event.isGood() ? event.timeMs : 0;
    }

    @Override
    public WatermarkGenerator<DecodedEvent> createWatermarkGenerator(
            WatermarkGeneratorSupplier.Context context) {
        return new WatermarkGenerator<>() {
            private long newestMs = Long.MIN_VALUE;

            @Override
            public void onEvent(DecodedEvent event, long timestamp, WatermarkOutput output) {
                if (event.watermarked && timestamp > newestMs) {
                    newestMs = timestamp;
                }
            }

            @Override
            public void onPeriodicEmit(WatermarkOutput output) {
                if (newestMs != Long.MIN_VALUE) {
                    output.emitWatermark(new Watermark(newestMs - outOfOrdernessMs));
                }
            }
        };
    }
}

package io.iotmonitor.flink;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.TimestampAssignerSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.util.clock.RelativeClock;

/**
 * Event time and watermarks of the records {@link EventDecoder} reads. The Kafka source
 * keeps one generator per partition, so a partition read ahead of the others, or an
 * idle one, never runs time ahead or holds it back.
 *
 * <p>The watermark is the newest time the decoder let it follow, minus the allowed
 * out-of-orderness, emitted periodically. A good event carries its time as its
 * timestamp; a bad one carries 0, far behind any watermark.
 *
 * <p>A partition is idle, and leaves the others to drive time, once it has been read
 * to its end for the idle timeout: nothing read for that long, while the broker could
 * be asked and the partition's end did not move ({@link PartitionEnds}). A partition
 * the broker cannot serve is not idle, however long nothing comes: otherwise, when the
 * broker returns, the first partition to deliver what its producers buffered would
 * drive time alone, past the events the others have not delivered yet.
 */
public class EventWatermarks implements WatermarkStrategy<DecodedEvent> {
    private static final long serialVersionUID = 1L;
    private final long outOfOrdernessMs;
    private final long idleTimeoutMs;
    private final HashMap<String, String> consumer;
    private final String topic;

    private EventWatermarks(
            long outOfOrdernessMs, long idleTimeoutMs, Map<String, String> consumer, String topic) {
        this.outOfOrdernessMs = outOfOrdernessMs;
        this.idleTimeoutMs = idleTimeoutMs;
        this.consumer = new HashMap<>(consumer);
        this.topic = topic;
    }

    /** The strategy for the partitions of {@code topic}, whose ends {@code consumer} asks. */
    public static WatermarkStrategy<DecodedEvent> of(
            long outOfOrdernessMs, long idleTimeoutMs, Map<String, String> consumer, String topic) {
        return new EventWatermarks(outOfOrdernessMs, idleTimeoutMs, consumer, topic);
    }

    @Override
    public TimestampAssigner<DecodedEvent> createTimestampAssigner(
            TimestampAssignerSupplier.Context context) {
        return (event, kafkaTimestamp) -> event.isGood() ? event.timeMs : 0;
    }

    /** The partition of a Kafka split, whose id is topic-partition; -1 if not known. */
    static int partitionOf(String splitId) {
        if (splitId == null) {
            return -1;
        }
        try {
            return Integer.parseInt(splitId.substring(splitId.lastIndexOf('-') + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public WatermarkGenerator<DecodedEvent> createWatermarkGenerator(
            WatermarkGeneratorSupplier.Context context) {
        // Paused while the source is held back, so that backpressure never looks like idleness.
        RelativeClock reading = context.getInputActivityClock();
        return new WatermarkGenerator<>() {
            private long newestMs = Long.MIN_VALUE;
            // Known at once when the source is EveryPartitionWatermarked, else from the
            // first record.
            private int partition = partitionOf(EveryPartitionWatermarked.splitBeingMade());
            private long readAtMs = reading.relativeTimeMillis();

            @Override
            public void onEvent(DecodedEvent event, long timestamp, WatermarkOutput output) {
                partition = event.partition;
                readAtMs = reading.relativeTimeMillis();
                if (event.watermarked && timestamp > newestMs) {
                    newestMs = timestamp;
                }
            }

            @Override
            public void onPeriodicEmit(WatermarkOutput output) {
                if (idle()) {
                    output.markIdle();
                } else if (newestMs != Long.MIN_VALUE) {
                    output.emitWatermark(new Watermark(newestMs - outOfOrdernessMs));
                }
            }

            private boolean idle() {
                if (reading.relativeTimeMillis() - readAtMs < idleTimeoutMs) {
                    return false;
                }
                long quietSinceMs = PartitionEnds.quietSinceMs(consumer, topic, partition);
                return quietSinceMs != Long.MAX_VALUE
                        && System.currentTimeMillis() - quietSinceMs >= idleTimeoutMs;
            }
        };
    }
}

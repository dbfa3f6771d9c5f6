package io.iotmonitor.flink;

import java.io.Serializable;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;

/**
 * The newest timestamp among the records that count, minus the allowed
 * out-of-orderness: emitted periodically, or after every record that moves it.
 */
final class LaggingWatermark<T> implements WatermarkGenerator<T> {
    /** Whether a record may move the watermark. */
    interface Counts<T> extends Serializable {
        boolean test(T record);
    }

    private final long outOfOrdernessMs;
    private final Counts<T> counts;
    private final boolean afterEveryRecord;
    private long newestMs = Long.MIN_VALUE;

    LaggingWatermark(long outOfOrdernessMs, Counts<T> counts, boolean afterEveryRecord) {
        this.outOfOrdernessMs = outOfOrdernessMs;
        this.counts = counts;
        this.afterEveryRecord = afterEveryRecord;
    }

    @Override
    public void onEvent(T record, long timestamp, WatermarkOutput output) {
        if (timestamp > newestMs && counts.test(record)) {
            newestMs = timestamp;
            if (afterEveryRecord) {
                output.emitWatermark(new Watermark(newestMs - outOfOrdernessMs));
            }
        }
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        if (!afterEveryRecord && newestMs != Long.MIN_VALUE) {
            output.emitWatermark(new Watermark(newestMs - outOfOrdernessMs));
        }
    }
}

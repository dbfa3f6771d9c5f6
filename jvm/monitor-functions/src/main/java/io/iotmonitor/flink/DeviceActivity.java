package io.iotmonitor.flink;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;

/**
 * Per device, what the Python silence check has to hear of its events: that the device
 * fell quiet, and an event that ends a quiet spell or comes too late to end one. Every
 * other event is absorbed here, in one keyed operator with one state value and at most
 * one pending timer per device.
 *
 * <p>A device falls quiet when the watermark reaches its newest event plus the
 * inactivity timeout minus 1 ms: from then on a check may find it silent. The rows are
 * those of {@code iot_monitor.activity.Change}, (device_id, time_ms, kind, stage_ms);
 * {@code iot_monitor.activity.DeviceActivity} is this class in Python, for the tests
 * and the docs, and the two must change together.
 */
public class DeviceActivity extends KeyedProcessFunction<String, String, Row> {
    private static final long serialVersionUID = 1L;
    public static final String HEARD = "heard";
    public static final String LATE = "late";
    public static final String WENT_QUIET = "quiet";
    private static final long NO_WATERMARK = Long.MIN_VALUE;

    private final long gapMs;
    private final long forgetAfterMs;
    private final long lastQuietMs;
    // The device's newest event time, doubled, plus 1 while it is quiet: one value per
    // device keeps the checkpoint small.
    private transient ValueState<Long> device;

    /**
     * @param gapMs the inactivity timeout
     * @param forgetAfterMs how long after its newest event a quiet device is forgotten,
     *     when the check has forgotten it for sure; 0 keeps it for ever
     * @param lastQuietMs no quiet spell is reported whose newest event is at or after
     *     this (a bounded input: its first check would come after the last one)
     */
    public DeviceActivity(long gapMs, long forgetAfterMs, long lastQuietMs) {
        this.gapMs = gapMs;
        this.forgetAfterMs = forgetAfterMs;
        this.lastQuietMs = lastQuietMs;
    }

    @Override
    public void open(OpenContext context) {
        device = getRuntimeContext().getState(new ValueStateDescriptor<>("device", Types.LONG));
    }

    @Override
    public void processElement(String deviceId, Context ctx, Collector<Row> out)
            throws Exception {
        long time = ctx.timestamp();
        Long stored = device.value();
        if (stored != null && time <= newest(stored)) {
            return;
        }
        if (stored != null && !isQuiet(stored)) {
            // Still sending as far as the check knows: the pending timer moves on when
            // it fires, instead of once per event.
            device.update(encode(time, false));
            return;
        }
        long watermark = ctx.timerService().currentWatermark();
        boolean late = watermark != NO_WATERMARK && watermark >= time + gapMs - 1;
        if (stored != null || late) {
            long stage = watermark == NO_WATERMARK ? 0 : watermark + 1;
            out.collect(Row.of(ctx.getCurrentKey(), time, late ? LATE : HEARD, stage));
        }
        device.update(encode(time, late));
        if (late) {
            forgetLater(ctx, time);
        } else {
            ctx.timerService().registerEventTimeTimer(time + gapMs - 1);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Row> out) throws Exception {
        Long stored = device.value();
        if (stored == null) {
            return;
        }
        long newest = newest(stored);
        if (isQuiet(stored)) {
            // Any other timer of a quiet device is a stale one.
            if (forgetAfterMs > 0 && timestamp == newest + forgetAfterMs) {
                device.clear();
            }
            return;
        }
        long closes = newest + gapMs - 1;
        if (closes > timestamp) {
            // Registering a time that is already pending is a no-op for Flink.
            ctx.timerService().registerEventTimeTimer(closes);
            return;
        }
        device.update(encode(newest, true));
        if (newest < lastQuietMs) {
            out.collect(Row.of(ctx.getCurrentKey(), newest, WENT_QUIET, closes));
        }
        forgetLater(ctx, newest);
    }

    private void forgetLater(Context ctx, long newest) {
        if (forgetAfterMs > 0) {
            ctx.timerService().registerEventTimeTimer(newest + forgetAfterMs);
        }
    }

    private static long encode(long newest, boolean quiet) {
        return newest * 2 + (quiet ? 1 : 0);
    }

    private static long newest(long stored) {
        return Math.floorDiv(stored, 2);
    }

    private static boolean isQuiet(long stored) {
        return Math.floorMod(stored, 2) == 1;
    }

    /**
     * The device ids of {@code events}, rows whose field 0 is the device id; each record
     * keeps its timestamp, the event time. Only the id crosses the exchange into the
     * function: a string is cheaper to serialise than a row with an Instant in it.
     */
    public static DataStream<String> deviceIds(DataStream<Row> events) {
        return events.map(new DeviceId(), Types.STRING).name("device id");
    }

    /** The changes of {@code deviceIds}, with the event time as the record timestamp. */
    public static DataStream<Row> changes(
            DataStream<String> deviceIds, long gapMs, long forgetAfterMs, long lastQuietMs) {
        TypeInformation<Row> type =
                Types.ROW_NAMED(
                        new String[] {"device_id", "time_ms", "kind", "stage_ms"},
                        Types.STRING,
                        Types.LONG,
                        Types.STRING,
                        Types.LONG);
        return deviceIds
                .keyBy(id -> id, Types.STRING)
                .process(new DeviceActivity(gapMs, forgetAfterMs, lastQuietMs), type)
                .name("device activity")
                .uid("device-activity");
    }

    /** The device id of an event row; the record keeps its timestamp. */
    public static class DeviceId implements MapFunction<Row, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String map(Row event) {
            return (String) event.getField(0);
        }
    }
}

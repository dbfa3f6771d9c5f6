package io.iotmonitor.flink;

import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The one keyed operator of the job: per device, its whole state (one {@link
 * DeviceState}) and its one event-time timer. Events come in as device ids whose record
 * timestamps are their event times; alerts go out, and status changes to {@link
 * #STATUS}. What to do is {@link SilenceSchedule}'s to say; this class reads and writes
 * the state and sets the timers.
 */
public class DeviceMonitor extends KeyedProcessFunction<String, String, Alert>
        implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    /** The operator's id: a savepoint hands the device state to the next version by it. */
    public static final String UID = "device-monitor";

    public static final OutputTag<StatusChange> STATUS =
            new OutputTag<>("status-changes", TypeInformation.of(StatusChange.class));

    private final SilenceSchedule schedule;
    private transient ValueState<DeviceState> device;
    private transient Reporter reporter;
    // After a restore the watermark is unknown until the first one arrives; the checks
    // up to the one of the snapshot were made, and must not be made again.
    private transient ListState<Long> watermarkAtSnapshot;
    private transient long restoredWatermarkMs;
    private transient long watermarkSeenMs;
    // The gauges' counts, kept in operator state: their sum over the subtasks survives
    // a restore and a change of parallelism.
    private transient ListState<Long> trackedAtSnapshot;
    private transient ListState<Long> silentAtSnapshot;
    private transient long devicesTracked;
    private transient long devicesSilent;
    private transient Counter alertsRaised;
    private transient Counter statusChanges;

    public DeviceMonitor(SilenceSchedule schedule) {
        this.schedule = schedule;
    }

    @Override
    public void open(OpenContext context) {
        device =
                getRuntimeContext()
                        .getState(
                                new ValueStateDescriptor<>(
                                        "device", TypeInformation.of(DeviceState.class)));
        reporter = new Reporter();
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        metrics.gauge("devicesTracked", (Gauge<Long>) () -> devicesTracked);
        metrics.gauge("devicesSilent", (Gauge<Long>) () -> devicesSilent);
        // How far event time is behind the wall clock: the slowest partition's lag.
        metrics.gauge(
                "eventTimeLagMs",
                (Gauge<Long>)
                        () ->
                                watermarkSeenMs == Long.MIN_VALUE
                                        ? 0L
                                        : System.currentTimeMillis() - watermarkSeenMs);
        alertsRaised = metrics.counter("alertsRaised");
        statusChanges = metrics.counter("statusChanges");
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        watermarkAtSnapshot =
                context.getOperatorStateStore()
                        .getUnionListState(
                                new ListStateDescriptor<>("watermark-at-snapshot", Types.LONG));
        restoredWatermarkMs = Long.MIN_VALUE;
        if (context.isRestored()) {
            // Rescaled, a subtask may take devices of any other: the smallest is safe.
            long smallest = Long.MAX_VALUE;
            for (Long watermark : watermarkAtSnapshot.get()) {
                smallest = Math.min(smallest, watermark);
            }
            restoredWatermarkMs = smallest == Long.MAX_VALUE ? Long.MIN_VALUE : smallest;
        }
        watermarkSeenMs = restoredWatermarkMs;
        trackedAtSnapshot =
                context.getOperatorStateStore()
                        .getListState(new ListStateDescriptor<>("devices-tracked", Types.LONG));
        silentAtSnapshot =
                context.getOperatorStateStore()
                        .getListState(new ListStateDescriptor<>("devices-silent", Types.LONG));
        devicesTracked = sum(trackedAtSnapshot.get());
        devicesSilent = sum(silentAtSnapshot.get());
    }

    private static long sum(Iterable<Long> values) throws Exception {
        long total = 0;
        for (Long value : values) {
            total += value;
        }
        return total;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        watermarkAtSnapshot.update(List.of(watermarkSeenMs));
        trackedAtSnapshot.update(List.of(devicesTracked));
        silentAtSnapshot.update(List.of(devicesSilent));
    }

    /** The watermark, or the one of the snapshot while none has arrived since a restore. */
    private long watermark(Context ctx) {
        long watermarkMs = Math.max(ctx.timerService().currentWatermark(), restoredWatermarkMs);
        watermarkSeenMs = Math.max(watermarkSeenMs, watermarkMs);
        return watermarkMs;
    }

    @Override
    public void processElement(String deviceId, Context ctx, Collector<Alert> out)
            throws Exception {
        long timeMs = ctx.timestamp();
        long watermarkMs = watermark(ctx);
        DeviceState state = device.value();
        if (state == null) {
            state = schedule.firstEvent(timeMs, watermarkMs);
            devicesTracked++;
            device.update(state);
            ctx.timerService().registerEventTimeTimer(state.nextCheckMs);
            return;
        }
        int outcome = schedule.onEvent(state, timeMs, watermarkMs, reporter.to(deviceId, ctx, out));
        store(state, outcome, ctx);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Alert> out)
            throws Exception {
        long watermarkMs = watermark(ctx);
        if (watermarkMs == Long.MAX_VALUE) {
            // The end of a bounded input: its last check was at the watermark before this.
            return;
        }
        DeviceState state = device.value();
        if (state == null) {
            return;
        }
        Reporter reports = reporter.to(ctx.getCurrentKey(), ctx, out);
        store(state, schedule.onCheck(state, timestamp, reports), ctx);
    }

    private void store(DeviceState state, int outcome, Context ctx) throws Exception {
        switch (outcome) {
            case SilenceSchedule.FORGET:
                devicesTracked--;
                device.clear();
                break;
            case SilenceSchedule.NEW_CHECK:
                ctx.timerService().registerEventTimeTimer(state.nextCheckMs);
                device.update(state);
                break;
            case SilenceSchedule.CHANGED:
                device.update(state);
                break;
            default:
                break;
        }
    }

    /** Turns the schedule's reports into records of the current device. */
    private final class Reporter implements SilenceSchedule.Reports {
        private String deviceId;
        private Context ctx;
        private Collector<Alert> out;

        Reporter to(String deviceId, Context ctx, Collector<Alert> out) {
            this.deviceId = deviceId;
            this.ctx = ctx;
            this.out = out;
            return this;
        }

        @Override
        public void alert(long checkMs, long latestEventMs) {
            alertsRaised.inc();
            out.collect(new Alert(deviceId, latestEventMs, checkMs));
        }

        @Override
        public void status(String status, long sinceMs, long atMs) {
            statusChanges.inc();
            devicesSilent += SilenceSchedule.SILENT.equals(status) ? 1 : -1;
            ctx.output(STATUS, new StatusChange(deviceId, status, sinceMs, atMs));
        }
    }

    /** Events arrive as their device ids: the key is the record itself. */
    public static final class ByDevice implements KeySelector<String, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getKey(String deviceId) {
            return deviceId;
        }
    }

    /** The alerts of {@code deviceIds}; {@code getSideOutput(STATUS)} gives the status changes. */
    public static SingleOutputStreamOperator<Alert> monitor(
            DataStream<String> deviceIds,
            long checkIntervalMs,
            long inactivityTimeoutMs,
            long deviceExpiryMs) {
        SilenceSchedule schedule =
                new SilenceSchedule(checkIntervalMs, inactivityTimeoutMs, deviceExpiryMs);
        return deviceIds
                .keyBy(new ByDevice(), Types.STRING)
                .process(new DeviceMonitor(schedule), TypeInformation.of(Alert.class))
                .name("device monitor")
                .uid(UID);
    }
}

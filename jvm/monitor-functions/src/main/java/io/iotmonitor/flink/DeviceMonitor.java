package io.iotmonitor.flink;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * The one keyed operator of the job: per device, its whole state (one {@link
 * DeviceState}) and its one event-time timer. Events come in on the first input as
 * device ids whose record timestamps are their event times; the device settings
 * ({@link SettingRecord}) on the second, broadcast to every subtask. Alerts go out, and
 * status changes to {@link #STATUS}. What to do is {@link SilenceSchedule}'s to say;
 * this class reads and writes the state and sets the timers.
 *
 * <p>A device's own settings live in its state, on the subtask that owns the device
 * (the others pass them by); the patterns' settings in broadcast state, the same on
 * every subtask. A new setting plans the next check of every device it touches anew,
 * which is why this is an operator and not a function: only an operator can set a timer
 * for a device other than the one of the record at hand.
 */
public class DeviceMonitor extends AbstractStreamOperator<Alert>
        implements TwoInputStreamOperator<String, SettingRecord, Alert>,
                OneInputStreamOperator<String, Alert>,
                Triggerable<String, VoidNamespace> {
    private static final long serialVersionUID = 1L;
    /** The operator's id: a savepoint hands the device state to the next version by it. */
    public static final String UID = "device-monitor";

    public static final OutputTag<StatusChange> STATUS =
            new OutputTag<>("status-changes", TypeInformation.of(StatusChange.class));

    private static final String DEVICE_STATE = "device";
    /** What {@link #changedPatterns} holds for each glob: only the globs count. */
    private static final long[] CHANGED_PATTERN = new long[0];
    private static final MapStateDescriptor<String, long[]> PATTERNS =
            new MapStateDescriptor<>(
                    "setting-patterns", Types.STRING, PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO);

    private final SilenceSchedule schedule;
    /** A replay's settings, in its file's order: in force before the first event is read. */
    private final List<SettingRecord> initialSettings;

    private transient ValueState<DeviceState> device;
    private transient InternalTimerService<VoidNamespace> timers;
    private transient Reporter reporter;
    private transient LazyPlan plan;
    private transient Patterns patterns;
    /** The globs of the patterns read since the devices were last planned anew. */
    private transient Patterns changedPatterns;
    private transient BroadcastState<String, long[]> patternState;
    private transient long prunedAtMs;
    // After a restore the watermark is unknown until the first one arrives; the checks
    // up to the one of the snapshot were made, and must not be made again.
    private transient ListState<Long> watermarkAtSnapshot;
    private transient long restoredWatermarkMs;
    private transient long watermarkSeenMs;
    private transient boolean restored;
    // The gauges' counts, kept in operator state: their sum over the subtasks survives
    // a restore and a change of parallelism.
    private transient ListState<Long> trackedAtSnapshot;
    private transient ListState<Long> silentAtSnapshot;
    private transient long devicesTracked;
    private transient long devicesSilent;
    private transient Counter alertsRaised;
    private transient Counter statusChanges;

    public DeviceMonitor(SilenceSchedule schedule, List<SettingRecord> initialSettings) {
        this.schedule = schedule;
        this.initialSettings = new ArrayList<>(initialSettings);
    }

    public DeviceMonitor(SilenceSchedule schedule) {
        this(schedule, List.of());
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        restored = context.isRestored();
        watermarkAtSnapshot =
                context.getOperatorStateStore()
                        .getUnionListState(new ListStateDescriptor<>("watermark-at-snapshot", Types.LONG));
        restoredWatermarkMs = Long.MIN_VALUE;
        if (restored) {
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
        patternState = context.getOperatorStateStore().getBroadcastState(PATTERNS);
        patterns = new Patterns();
        changedPatterns = new Patterns();
        for (Map.Entry<String, long[]> pattern : patternState.entries()) {
            patterns.put(pattern.getKey(), pattern.getValue());
        }
    }

    private static long sum(Iterable<Long> values) throws Exception {
        long total = 0;
        for (Long value : values) {
            total += value;
        }
        return total;
    }

    @Override
    public void open() throws Exception {
        super.open();
        device =
                getPartitionedState(
                        VoidNamespace.INSTANCE,
                        VoidNamespaceSerializer.INSTANCE,
                        new ValueStateDescriptor<>(DEVICE_STATE, TypeInformation.of(DeviceState.class)));
        // The name of the timers of the versions before this one (a function's): their
        // savepoints' timers fire here.
        timers = getInternalTimerService("user-timers", VoidNamespaceSerializer.INSTANCE, this);
        reporter = new Reporter();
        plan = new LazyPlan();
        MetricGroup metrics = getMetricGroup();
        metrics.gauge("devicesTracked", (Gauge<Long>) () -> devicesTracked);
        metrics.gauge("devicesSilent", (Gauge<Long>) () -> devicesSilent);
        // How far event time is behind the wall clock: the slowest partition's lag.
        metrics.gauge(
                "eventTimeLagMs",
                (Gauge<Long>)
                        () -> watermarkSeenMs == Long.MIN_VALUE ? 0L : System.currentTimeMillis() - watermarkSeenMs);
        alertsRaised = metrics.counter("alertsRaised");
        statusChanges = metrics.counter("statusChanges");
        if (!restored) {
            // The patterns first, without a look at the devices: none has times yet but
            // those a device key registers, which are then planned under every pattern.
            for (SettingRecord setting : initialSettings) {
                if (setting.isPattern()) {
                    putPattern(setting, fromOf(setting, Long.MIN_VALUE));
                }
            }
            for (SettingRecord setting : initialSettings) {
                if (!setting.isPattern()) {
                    apply(setting, Long.MIN_VALUE);
                }
            }
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        // The watermark itself, not the last one an event or a timer saw here: every
        // subtask has the same at a checkpoint, and the smallest of them is the restore's.
        // A subtask with nothing due at the last check would otherwise hold it back for
        // the others, which then make that check again for the backlog read after a crash.
        watermarkAtSnapshot.update(List.of(watermark()));
        trackedAtSnapshot.update(List.of(devicesTracked));
        silentAtSnapshot.update(List.of(devicesSilent));
    }

    /** The watermark, or the one of the snapshot while none has arrived since a restore. */
    private long watermark() {
        long watermarkMs = Math.max(timers.currentWatermark(), restoredWatermarkMs);
        watermarkSeenMs = Math.max(watermarkSeenMs, watermarkMs);
        return watermarkMs;
    }

    private String currentDevice() {
        return (String) getCurrentKey();
    }

    private SilenceSchedule.Plan planOf(String deviceId, DeviceState state) {
        return patterns.planOf(deviceId, state == null ? null : state.timeline(), schedule.flags());
    }

    /**
     * A device's settings, looked up only if the schedule asks: most events extend the
     * device's run without a look at its timeout, and matching the patterns costs.
     */
    private final class LazyPlan implements SilenceSchedule.Plan {
        private String deviceId;
        private DeviceState state;
        private SilenceSchedule.Plan resolved;

        LazyPlan of(String deviceId, DeviceState state) {
            this.deviceId = deviceId;
            this.state = state;
            this.resolved = null;
            return this;
        }

        private SilenceSchedule.Plan get() {
            if (resolved == null) {
                resolved = planOf(deviceId, state);
            }
            return resolved;
        }

        @Override
        public long timeoutAt(long checkMs) {
            return get().timeoutAt(checkMs);
        }

        @Override
        public boolean pausedAt(long checkMs) {
            return get().pausedAt(checkMs);
        }

        @Override
        public long changeAfter(long checkMs) {
            return get().changeAfter(checkMs);
        }
    }

    /** Without a settings stream (a replay, or no settings topic): events only. */
    @Override
    public void processElement(StreamRecord<String> element) throws Exception {
        processElement1(element);
    }

    @Override
    public void processElement1(StreamRecord<String> element) throws Exception {
        String deviceId = element.getValue();
        long timeMs = element.getTimestamp();
        long watermarkMs = watermark();
        DeviceState state = device.value();
        if (state == null || !state.hasTimes()) {
            state = schedule.firstEvent(state, timeMs, watermarkMs, planOf(deviceId, state));
            devicesTracked++;
            device.update(state);
            setTimer(state);
            return;
        }
        int outcome =
                schedule.onEvent(state, timeMs, watermarkMs, plan.of(deviceId, state), reporter.to(deviceId, timeMs));
        store(state, outcome);
    }

    @Override
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        long watermarkMs = watermark();
        if (watermarkMs == Long.MAX_VALUE) {
            // The end of a bounded input: its last check was at the watermark before this.
            return;
        }
        DeviceState state = device.value();
        if (state == null || !state.hasTimes()) {
            return;
        }
        long checkMs = timer.getTimestamp();
        String deviceId = timer.getKey();
        int outcome;
        if (checkMs == state.nextCheckMs && endWatchIfWithdrawn(deviceId, state, checkMs)) {
            outcome = SilenceSchedule.FORGET;
        } else {
            outcome = schedule.onCheck(state, checkMs, planOf(deviceId, state), reporter.to(deviceId, checkMs));
            if (outcome == SilenceSchedule.NEW_CHECK) {
                checkAtWithdrawal(state, checkMs);
            }
        }
        if (outcome != SilenceSchedule.UNCHANGED && state.settings != null) {
            long[] timeline = state.timeline();
            long[] pruned = DeviceSettings.prune(timeline, checkMs);
            if (pruned != timeline) {
                state.timeline(pruned);
            }
        }
        store(state, outcome);
    }

    @Override
    public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) {}

    @Override
    public void processElement2(StreamRecord<SettingRecord> element) throws Exception {
        long watermarkMs = watermark();
        apply(element.getValue(), watermarkMs);
    }

    /** A setting, read while the watermark stands at {@code watermarkMs}. */
    private void apply(SettingRecord setting, long watermarkMs) throws Exception {
        long fromMs = fromOf(setting, watermarkMs);
        if (setting.isPattern()) {
            // Its devices are planned anew before time moves on (or a checkpoint is taken),
            // with those of the other patterns read meanwhile: one look at every device for
            // a thousand patterns read at the start, not a thousand.
            changedPatterns.put(putPattern(setting, fromMs), CHANGED_PATTERN);
            return;
        }
        if (!owns(setting.key)) {
            return;
        }
        setCurrentKey(setting.key);
        DeviceState state = device.value();
        if (state == null) {
            state = new DeviceState();
            state.clearTimes();
        }
        long[] timeline = DeviceSettings.put(state.timeline(), fromMs, setting);
        boolean expected = DeviceSettings.expectedLast(timeline);
        long lastFromMs = timeline[timeline.length - DeviceSettings.ENTRY];
        boolean settled = lastFromMs <= schedule.firstCheckAfter(watermarkMs);
        // Only deletions, none still to come (a setting read later starts later): none;
        // but a registration's withdrawal is kept until a check ends the watch by it.
        boolean watched = onlyRegistered(state);
        boolean registers = expected && !state.hasTimes();
        if (registers && watermarkMs != Long.MIN_VALUE) {
            // What no check still to come needs goes, the withdrawals of an older
            // registration read late among them: they would end this one.
            timeline = DeviceSettings.prune(timeline, schedule.firstCheckAfter(watermarkMs));
        }
        state.timeline(DeviceSettings.setsNothing(timeline) && settled && !watched ? null : timeline);
        SilenceSchedule.Plan plan = planOf(setting.key, state);
        if (registers) {
            // Registered: as if it had sent at the record's time (read late, as a late
            // event), and never since.
            schedule.firstEvent(state, setting.timeMs, watermarkMs, plan);
            state.registeredMs = setting.timeMs;
            checkAtWithdrawal(state, schedule.lastCheckMade(watermarkMs));
            devicesTracked++;
            device.update(state);
            setTimer(state);
            return;
        }
        if (!state.hasTimes() && state.settings == null) {
            device.clear();
            return;
        }
        replan(state, watermarkMs, plan);
    }

    /**
     * A device registered and not seen since, whose registration was withdrawn as of the
     * check at {@code checkMs} (a withdrawal applies to the checks at or after its time,
     * as any setting): its watch ends, {@code forgotten} as of the withdrawal if its
     * silence was reported. Returns whether it ended (its state then has no times). Only
     * its own checks ask ({@link #checkAtWithdrawal} plans one at each withdrawal), so
     * the registration in force is the one of its watch, not an older one.
     */
    private boolean endWatchIfWithdrawn(String deviceId, DeviceState state, long checkMs) {
        if (!onlyRegistered(state)) {
            return false;
        }
        long withdrawnMs = DeviceSettings.withdrawnAt(state.timeline(), checkMs);
        if (withdrawnMs == DeviceSettings.UNSET) {
            return false;
        }
        if (state.silent) {
            reporter.to(deviceId, withdrawnMs).status(SilenceSchedule.FORGOTTEN, state.registeredMs, withdrawnMs);
        }
        state.clearTimes();
        return true;
    }

    /**
     * A registered device, not seen yet, is checked at the first check at or after a
     * withdrawal of its registration still to come (after the check at {@code madeMs}),
     * however much later its silence would next be looked at (a pause, a long timeout):
     * that check ends its watch.
     */
    private void checkAtWithdrawal(DeviceState state, long madeMs) {
        if (!onlyRegistered(state)) {
            return;
        }
        // Not one of an older registration: those come before this one's time.
        long withdrawalMs = DeviceSettings.withdrawalAfter(state.timeline(), Math.max(madeMs, state.registeredMs));
        if (withdrawalMs != DeviceSettings.UNSET) {
            state.nextCheckMs = Math.min(state.nextCheckMs, schedule.checkFrom(withdrawalMs));
        }
    }

    /** Whether the device is registered and has sent nothing since: all it has is its registration. */
    private static boolean onlyRegistered(DeviceState state) {
        return state.registeredMs != SilenceSchedule.NONE
                && state.later == null
                && state.firstEventMs == state.registeredMs
                && state.latestEventMs == state.registeredMs;
    }

    /**
     * When {@code setting}, read while the watermark stands at {@code watermarkMs}, is in
     * force: read after its time, from the first check not made yet (and so it wins over
     * one read earlier that starts before that check).
     */
    private long fromOf(SettingRecord setting, long watermarkMs) {
        return Math.max(setting.timeMs, schedule.firstCheckAfter(watermarkMs));
    }

    /** The pattern {@code setting} sets, in force from {@code fromMs}; returns its glob. */
    private String putPattern(SettingRecord setting, long fromMs) throws Exception {
        String glob = setting.key.substring(DeviceSettings.PATTERN_PREFIX.length());
        storePattern(glob, DeviceSettings.put(patternState.get(glob), fromMs, setting));
        return glob;
    }

    private void storePattern(String glob, long[] timeline) throws Exception {
        if (timeline == null) {
            patternState.remove(glob);
        } else {
            patternState.put(glob, timeline);
        }
        patterns.put(glob, timeline);
    }

    /** Whether the device {@code deviceId} is this subtask's. */
    private boolean owns(String deviceId) {
        var task = getRuntimeContext().getTaskInfo();
        int owner =
                KeyGroupRangeAssignment.assignKeyToParallelOperator(
                        deviceId, task.getMaxNumberOfParallelSubtasks(), task.getNumberOfParallelSubtasks());
        return owner == task.getIndexOfThisSubtask();
    }

    /** The devices the patterns changed since the last time match, planned anew. */
    private void replanChangedPatterns() throws Exception {
        if (changedPatterns.isEmpty()) {
            return;
        }
        Patterns changed = changedPatterns;
        changedPatterns = new Patterns();
        // Time has not moved since they were read: it moves only after this.
        long watermarkMs = watermark();
        List<String> touched;
        try (Stream<String> keys =
                this.<String>getKeyedStateBackend().getKeys(DEVICE_STATE, VoidNamespace.INSTANCE)) {
            touched = keys.filter(deviceId -> !changed.matching(deviceId).isEmpty()).collect(Collectors.toList());
        }
        for (String deviceId : touched) {
            setCurrentKey(deviceId);
            DeviceState state = device.value();
            if (state != null) {
                replan(state, watermarkMs, planOf(deviceId, state));
            }
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        replanChangedPatterns();
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        replanChangedPatterns();
        super.processWatermark(mark);
        long watermarkMs = mark.getTimestamp();
        if (!patterns.isEmpty() && watermarkMs != Long.MAX_VALUE && watermarkMs - prunedAtMs >= 60_000) {
            // What no check to come needs, once a minute of event time.
            prunedAtMs = watermarkMs;
            long next = schedule.firstCheckAfter(watermarkMs);
            for (Map.Entry<String, long[]> pattern : List.copyOf(patterns.timelines().entrySet())) {
                long[] pruned = DeviceSettings.prune(pattern.getValue(), next);
                if (pruned != pattern.getValue()) {
                    storePattern(pattern.getKey(), pruned);
                }
            }
        }
    }

    private void setTimer(DeviceState state) {
        if (state.nextCheckMs != Long.MAX_VALUE) {
            timers.registerEventTimeTimer(VoidNamespace.INSTANCE, state.nextCheckMs);
        }
    }

    /**
     * The device planned anew under changed settings. Its old timer goes: settings
     * change seldom, and a stale timer would sit in every checkpoint until it fired.
     */
    private void replan(DeviceState state, long watermarkMs, SilenceSchedule.Plan plan)
            throws Exception {
        long plannedMs = state.nextCheckMs;
        schedule.replan(state, watermarkMs, plan);
        checkAtWithdrawal(state, schedule.lastCheckMade(watermarkMs));
        int outcome = state.nextCheckMs == plannedMs ? SilenceSchedule.CHANGED : SilenceSchedule.NEW_CHECK;
        if (outcome == SilenceSchedule.NEW_CHECK && plannedMs != Long.MAX_VALUE) {
            timers.deleteEventTimeTimer(VoidNamespace.INSTANCE, plannedMs);
        }
        store(state, outcome);
    }

    private void store(DeviceState state, int outcome) throws Exception {
        switch (outcome) {
            case SilenceSchedule.FORGET:
                devicesTracked--;
                if (state.settings == null) {
                    device.clear();
                } else {
                    // Its settings stay: only its times are forgotten.
                    state.clearTimes();
                    device.update(state);
                }
                break;
            case SilenceSchedule.NEW_CHECK:
                setTimer(state);
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
        private long timestampMs;

        Reporter to(String deviceId, long timestampMs) {
            this.deviceId = deviceId;
            this.timestampMs = timestampMs;
            return this;
        }

        @Override
        public void alert(long checkMs, long latestEventMs) {
            alertsRaised.inc();
            output.collect(new StreamRecord<>(new Alert(deviceId, latestEventMs, checkMs), checkMs));
        }

        @Override
        public void status(String status, long sinceMs, long atMs) {
            statusChanges.inc();
            boolean down = SilenceSchedule.SILENT.equals(status) || SilenceSchedule.NEVER_SEEN.equals(status);
            devicesSilent += down ? 1 : -1;
            output.collect(STATUS, new StreamRecord<>(new StatusChange(deviceId, status, sinceMs, atMs), timestampMs));
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

    /**
     * The alerts of {@code deviceIds} under the settings of {@code settings} (null: none,
     * a settings topic is off) and, before them, {@code initialSettings} (a replay's);
     * {@code getSideOutput(STATUS)} gives the status changes. Without a settings stream
     * the operator has one input, whose watermark alone drives the checks.
     */
    public static SingleOutputStreamOperator<Alert> monitor(
            DataStream<String> deviceIds,
            DataStream<SettingRecord> settings,
            List<SettingRecord> initialSettings,
            long checkIntervalMs,
            long inactivityTimeoutMs,
            long deviceExpiryMs) {
        SilenceSchedule flags = new SilenceSchedule(checkIntervalMs, inactivityTimeoutMs, deviceExpiryMs);
        var byDevice = deviceIds.keyBy(new ByDevice(), Types.STRING);
        TypeInformation<Alert> alerts = TypeInformation.of(Alert.class);
        SingleOutputStreamOperator<Alert> monitored =
                settings == null
                        ? byDevice.transform("device monitor", alerts, new DeviceMonitor(flags, initialSettings))
                        : byDevice.connect(settings.broadcast())
                                .transform(
                                        "device monitor",
                                        alerts,
                                        new DeviceMonitor(flags.whereSettingsMayChange(), initialSettings));
        return monitored.uid(UID);
    }
}

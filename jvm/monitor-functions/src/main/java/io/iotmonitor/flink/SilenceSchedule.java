package io.iotmonitor.flink;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The alert rule, over plain values (milliseconds since the epoch): when a device is
 * checked, whether a check raises an alert, and which changes of state it reports.
 * {@link DeviceMonitor} only stores the state this returns and sets the timers it asks
 * for; the reference model in the tests ({@code monitor/tests/reference_model.py}) is
 * its specification.
 *
 * <p>Checks happen at every multiple of the check interval. At check T a device is
 * silent when T minus its newest event time not after T is more than the inactivity
 * timeout, counting the events read before the watermark passed T. An event stamped
 * after T never counts for T, however early it is read (after a restart, or while one
 * partition is read ahead of another), so what is reported depends on the events, not
 * on when they were read; and an event read after a check cannot undo it.
 *
 * <p>So a device's times are kept as runs ({@link DeviceState}): two times belong to
 * one run when no check still to be made lies between them at which the device would
 * be silent. Almost always a device has one run, whose newest time is all that
 * matters, and one timer, at the first check that can find it silent. An event that
 * extends the run leaves the timer alone: the check then finds the device active and
 * plans the next one, which costs a timer per timeout instead of one per event.
 */
public final class SilenceSchedule implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * A device's settings over time, as the checks see them (its own, its patterns',
     * the flags'; see {@link DeviceSettings}).
     */
    public interface Plan {
        /** The inactivity timeout at the check at {@code checkMs}. */
        long timeoutAt(long checkMs);

        /** Whether the check at {@code checkMs} is in a pause: it reports nothing new. */
        boolean pausedAt(long checkMs);

        /** The first instant after {@code checkMs} at which the two above may change, or MAX. */
        long changeAfter(long checkMs);
    }

    /** What a device's state changes tell the outside. */
    public interface Reports {
        void alert(long checkMs, long latestEventMs);

        void status(String status, long sinceMs, long atMs);
    }

    public static final String SILENT = "silent";
    public static final String BACK = "back";
    public static final String FORGOTTEN = "forgotten";
    public static final String NEVER_SEEN = "never-seen";

    /** A time a device does not have (no event, or no registration). */
    public static final long NONE = Long.MIN_VALUE;

    /** Nothing to store. */
    public static final int UNCHANGED = 0;
    /** The state changed; store it. */
    public static final int CHANGED = 1;
    /** The state changed and its next check needs a timer. */
    public static final int NEW_CHECK = 2;
    /** The device is forgotten; free its state. */
    public static final int FORGET = 3;

    private static final long NO_WATERMARK = Long.MIN_VALUE;

    private final long checkIntervalMs;
    private final long deviceExpiryMs;
    private final Plan flags;
    private final boolean settingsMayChange;

    /**
     * @param deviceExpiryMs a device silent for longer is forgotten; 0 keeps it for ever
     */
    public SilenceSchedule(long checkIntervalMs, long inactivityTimeoutMs, long deviceExpiryMs) {
        this(checkIntervalMs, new Flags(inactivityTimeoutMs), deviceExpiryMs, false);
    }

    private SilenceSchedule(long checkIntervalMs, Plan flags, long deviceExpiryMs, boolean settingsMayChange) {
        this.checkIntervalMs = checkIntervalMs;
        this.deviceExpiryMs = deviceExpiryMs;
        this.flags = flags;
        this.settingsMayChange = settingsMayChange;
    }

    /**
     * The same rule for a job whose settings may change while it runs (a settings
     * topic): times read ahead of the checks are kept apart wherever a check lies
     * between them, since a setting still to come may make the device silent there.
     */
    public SilenceSchedule whereSettingsMayChange() {
        return new SilenceSchedule(checkIntervalMs, flags, deviceExpiryMs, true);
    }

    /** The settings of every device without settings of its own: the flags'. */
    public Plan flags() {
        return flags;
    }

    private static final class Flags implements Plan, Serializable {
        private static final long serialVersionUID = 1L;
        private final long timeoutMs;

        Flags(long timeoutMs) {
            this.timeoutMs = timeoutMs;
        }

        @Override
        public long timeoutAt(long checkMs) {
            return timeoutMs;
        }

        @Override
        public boolean pausedAt(long checkMs) {
            return false;
        }

        @Override
        public long changeAfter(long checkMs) {
            return Long.MAX_VALUE;
        }
    }

    /** The first check after {@code ms}. */
    private long checkAfter(long ms) {
        return (Math.floorDiv(ms, checkIntervalMs) + 1) * checkIntervalMs;
    }

    /** The first check at or after {@code ms}. */
    long checkFrom(long ms) {
        return -Math.floorDiv(-ms, checkIntervalMs) * checkIntervalMs;
    }

    /** The first check not made yet while the watermark stands at {@code watermarkMs}. */
    public long firstCheckAfter(long watermarkMs) {
        if (watermarkMs == Long.MAX_VALUE) {
            return Long.MAX_VALUE; // the end of a bounded input: no check is left
        }
        return watermarkMs == NO_WATERMARK ? Long.MIN_VALUE : checkAfter(watermarkMs);
    }

    /** The last check made while the watermark stands at {@code watermarkMs}; MIN if none. */
    public long lastCheckMade(long watermarkMs) {
        long next = firstCheckAfter(watermarkMs);
        return next == Long.MIN_VALUE || next == Long.MAX_VALUE ? next : next - checkIntervalMs;
    }

    /**
     * The first check still to be made, from {@code nextCheckMs} on, at which a device
     * whose newest time is {@code latestMs} would be silent (or, in a pause, forgotten);
     * MAX if none. Each stretch of time with the same settings is looked at once.
     */
    private long silentFrom(long latestMs, long nextCheckMs, Plan plan) {
        long check = Math.max(nextCheckMs, checkFrom(latestMs));
        while (check != Long.MAX_VALUE) {
            long changeMs = plan.changeAfter(check);
            long quietMs = plan.timeoutAt(check);
            boolean reports = true;
            if (plan.pausedAt(check)) {
                // A pause raises no alert; only the expiry can still end the device.
                reports = deviceExpiryMs > 0;
                quietMs = Math.max(quietMs, deviceExpiryMs);
            }
            long candidate = Math.max(check, checkAfter(latestMs + quietMs));
            if (reports && candidate < changeMs) {
                return candidate;
            }
            check = changeMs == Long.MAX_VALUE ? Long.MAX_VALUE : checkFrom(changeMs);
        }
        return Long.MAX_VALUE;
    }

    /**
     * {@code state} (new if null) from a device's first event (or its first after it was
     * forgotten, or its registration), which has no times yet.
     */
    public DeviceState firstEvent(DeviceState state, long timeMs, long watermarkMs, Plan plan) {
        DeviceState first = state == null ? new DeviceState() : state;
        first.firstEventMs = timeMs;
        first.latestEventMs = timeMs;
        first.later = null;
        first.silent = false;
        first.nextCheckMs = silentFrom(timeMs, firstCheckAfter(watermarkMs), plan);
        return first;
    }

    /**
     * The next check that has something to do, from {@code next} on: the first that finds
     * the device silent, or, for a silent device with a return read ahead, the first that
     * reaches that return (which ends the silence, also where a pause or a longer timeout
     * keeps the checks from raising alerts).
     */
    private long planned(DeviceState state, long next, Plan plan) {
        long check = silentFrom(state.latestEventMs, next, plan);
        if (state.silent && state.later != null) {
            check = Math.min(check, Math.max(next, checkFrom(state.later[0] - checkIntervalMs)));
        }
        return check;
    }

    /** The device's settings changed: its next check, planned anew. */
    public void replan(DeviceState state, long watermarkMs, Plan plan) {
        state.nextCheckMs = state.hasTimes() ? planned(state, firstCheckAfter(watermarkMs), plan) : Long.MAX_VALUE;
    }

    /**
     * An event of a device that has state, read while the watermark stands at {@code
     * watermarkMs}; returns what to do with the state.
     */
    public int onEvent(DeviceState state, long timeMs, long watermarkMs, Plan plan, Reports out) {
        long next = firstCheckAfter(watermarkMs);
        if (timeMs <= state.registeredMs) {
            // It sent before (or as) it was registered: it has been seen.
            state.registeredMs = NONE;
        }
        if (state.later == null) {
            // The usual case, in place: one run, which the event falls in or extends.
            if (timeMs >= state.firstEventMs && timeMs <= state.latestEventMs) {
                return UNCHANGED;
            }
            // No check before the planned one can find the device silent: no need to look.
            boolean planned = !settingsMayChange && timeMs <= state.nextCheckMs;
            if (timeMs > state.latestEventMs && (planned || !apart(state.latestEventMs, timeMs, next, plan))) {
                if (state.silent && isNewAfterSilence(state.latestEventMs, timeMs, state, out)) {
                    state.firstEventMs = timeMs;
                }
                state.latestEventMs = timeMs;
                return CHANGED;
            }
        }
        boolean wasSilent = state.silent;
        long latestMs = state.latestEventMs;
        store(state, insert(runsOf(state), timeMs), next, plan, out);
        if (!wasSilent && state.latestEventMs >= latestMs) {
            // Its newest time did not move back, so no check before the planned one can
            // find it silent: the plan stands, and the settings need no look (a third of
            // the events cross a check where settings may change).
            return CHANGED;
        }
        long check = planned(state, next, plan);
        if (check < state.nextCheckMs) {
            state.nextCheckMs = check;
            return NEW_CHECK;
        }
        // A later check: the timer set for the earlier one will find the device active.
        return CHANGED;
    }

    /**
     * The check at {@code checkMs}, from the device's timer. Returns {@link #UNCHANGED}
     * for a stale timer, {@link #FORGET}, or {@link #NEW_CHECK}.
     */
    public int onCheck(DeviceState state, long checkMs, Plan plan, Reports out) {
        if (checkMs != state.nextCheckMs) {
            // Made stale by a later plan; ignoring it is cheaper than deleting it.
            return UNCHANGED;
        }
        if (settingsMayChange && state.later != null) {
            // Runs kept apart for settings still to come: those this check reaches count.
            store(state, runsOf(state), checkMs, plan, out);
        }
        // A later run starts after this check: the latest time is the newest not after it.
        if (checkMs - state.latestEventMs > plan.timeoutAt(checkMs)) {
            if (deviceExpiryMs > 0 && checkMs - state.latestEventMs > deviceExpiryMs) {
                if (state.silent) {
                    out.status(FORGOTTEN, state.latestEventMs, state.latestEventMs + deviceExpiryMs);
                    state.silent = false;
                }
                if (state.later == null) {
                    return FORGET;
                }
                // Its events after this check are those of a new device.
                long[] later = state.later;
                state.firstEventMs = later[0];
                state.latestEventMs = later[1];
                state.later = later.length == 2 ? null : Arrays.copyOfRange(later, 2, later.length);
            } else if (!plan.pausedAt(checkMs)) {
                out.alert(checkMs, state.latestEventMs);
                if (!state.silent) {
                    boolean neverSeen = state.latestEventMs == state.registeredMs;
                    out.status(neverSeen ? NEVER_SEEN : SILENT, state.latestEventMs, checkMs);
                    state.silent = true;
                }
            }
        }
        long next = checkMs + checkIntervalMs;
        if (state.later != null) {
            store(state, runsOf(state), next, plan, out);
        }
        state.nextCheckMs = planned(state, next, plan);
        return NEW_CHECK;
    }

    /**
     * A silent device whose newest time was {@code latestMs} sent again, from {@code
     * returnMs} on: it is back, or, at or after its expiry, forgotten and new. Returns
     * whether it is new.
     */
    private boolean isNewAfterSilence(
            long latestMs, long returnMs, DeviceState state, Reports out) {
        state.silent = false;
        if (deviceExpiryMs > 0 && returnMs >= latestMs + deviceExpiryMs) {
            out.status(FORGOTTEN, latestMs, latestMs + deviceExpiryMs);
            return true;
        }
        out.status(BACK, latestMs, returnMs);
        return false;
    }

    /** Whether a device could be silent at a check still to be made between two times. */
    private boolean apart(long earlierMs, long laterMs, long next, Plan plan) {
        if (settingsMayChange) {
            // Whether any check still to be made lies between them.
            return laterMs > Math.max(next, checkAfter(earlierMs));
        }
        return silentFrom(earlierMs, next, plan) < laterMs;
    }

    private static long[] runsOf(DeviceState state) {
        int later = state.later == null ? 0 : state.later.length;
        long[] runs = new long[later + 2];
        runs[0] = state.firstEventMs;
        runs[1] = state.latestEventMs;
        if (later > 0) {
            System.arraycopy(state.later, 0, runs, 2, later);
        }
        return runs;
    }

    /** {@code runs} (in order) with a run of {@code timeMs} alone among them, unless one holds it. */
    private static long[] insert(long[] runs, long timeMs) {
        int at = 0;
        while (at < runs.length && runs[at + 1] < timeMs) {
            at += 2;
        }
        if (at < runs.length && runs[at] <= timeMs) {
            return runs;
        }
        long[] grown = new long[runs.length + 2];
        System.arraycopy(runs, 0, grown, 0, at);
        grown[at] = timeMs;
        grown[at + 1] = timeMs;
        System.arraycopy(runs, at, grown, at + 2, runs.length - at);
        return grown;
    }

    /**
     * Stores {@code runs} in the state, merging the neighbours that no check from {@code
     * next} on keeps apart. The first run of a silent device meeting the next is its
     * return.
     */
    private void store(DeviceState state, long[] runs, long next, Plan plan, Reports out) {
        int kept = 2;
        for (int i = 2; i < runs.length; i += 2) {
            if (apart(runs[kept - 1], runs[i], next, plan)) {
                runs[kept] = runs[i];
                runs[kept + 1] = runs[i + 1];
                kept += 2;
                continue;
            }
            // A run inserted before the first one is no return: the device's latest stays.
            boolean returns = kept == 2 && state.silent && runs[1] == state.latestEventMs;
            if (returns && isNewAfterSilence(runs[1], runs[i], state, out)) {
                runs[0] = runs[i];
            }
            runs[kept - 1] = Math.max(runs[kept - 1], runs[i + 1]);
        }
        state.firstEventMs = runs[0];
        state.latestEventMs = runs[1];
        state.later = kept == 2 ? null : Arrays.copyOfRange(runs, 2, kept);
    }
}

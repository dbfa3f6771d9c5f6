package io.iotmonitor.flink;

/**
 * What the monitor keeps per device, in one keyed state value.
 *
 * <p>The device's event times read so far, as {@link SilenceSchedule} needs them: runs
 * of times with no check between them at which the device would be silent, apart from
 * checks already made. Almost always there is one run, from {@link #firstEventMs} to
 * {@link #latestEventMs}; the others, in {@link #later}, are the device's returns that
 * were read before the checks that still find it silent.
 *
 * <p>A public class with public fields and a no-argument constructor, so that Flink
 * serialises it as a POJO, whose schema can evolve from one version to the next.
 */
public class DeviceState {
    /** The oldest time of the first run (it matters only until the checks pass it). */
    public long firstEventMs;

    /** The newest time of the first run: the device's latest event time for the checks. */
    public long latestEventMs;

    /** The check instant the device's one timer is set for; other timers are stale. */
    public long nextCheckMs;

    /** Whether the silence after the first run has been reported (its first alert raised). */
    public boolean silent;

    /** The later runs, {@code [first, latest, first, latest, ...]} in order; null if none. */
    public long[] later;

    /**
     * When the device was registered (an expected device), while that is all it has
     * sent: its silence is then reported as never-seen. {@link SilenceSchedule#NONE} else.
     */
    public long registeredMs = SilenceSchedule.NONE;

    /** The device's own settings over time ({@link DeviceSettings}), packed; null if none. */
    public byte[] settings;

    public DeviceState() {}

    /** The device's own settings over time, as {@link DeviceSettings} reads them; null if none. */
    long[] timeline() {
        return DeviceSettings.unpack(settings);
    }

    void timeline(long[] timeline) {
        settings = DeviceSettings.pack(timeline);
    }

    /** Whether it has event times (or a registration), or only settings. */
    public boolean hasTimes() {
        return latestEventMs != SilenceSchedule.NONE;
    }

    /** Without times: a device with settings only, not sent yet or forgotten. */
    public void clearTimes() {
        firstEventMs = SilenceSchedule.NONE;
        latestEventMs = SilenceSchedule.NONE;
        nextCheckMs = Long.MAX_VALUE;
        later = null;
        silent = false;
        registeredMs = SilenceSchedule.NONE;
    }
}

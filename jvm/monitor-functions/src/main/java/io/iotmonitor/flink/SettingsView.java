package io.iotmonitor.flink;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The settings of a topic (or file) as the monitor resolves them, for {@code iot-monitor
 * devices show}: the same timelines, patterns and precedence as {@link DeviceMonitor}.
 */
public final class SettingsView {
    private final Map<String, long[]> own = new HashMap<>();
    private final Map<String, String> values = new HashMap<>();
    private final Patterns patterns = new Patterns();
    private final SilenceSchedule.Plan flags;

    /** {@code records} (good ones, in the order read) over the flags' timeout. */
    public SettingsView(List<SettingRecord> records, long flagTimeoutMs) {
        flags = new SilenceSchedule(1, flagTimeoutMs, 0).flags();
        Map<String, long[]> globs = new HashMap<>();
        for (SettingRecord record : records) {
            values.put(
                    record.key,
                    record.payload == null ? "null" : new String(record.payload, java.nio.charset.StandardCharsets.UTF_8));
            if (record.isPattern()) {
                String glob = record.key.substring(DeviceSettings.PATTERN_PREFIX.length());
                globs.put(glob, DeviceSettings.put(globs.get(glob), record.timeMs, record));
            } else {
                own.put(record.key, DeviceSettings.put(own.get(record.key), record.timeMs, record));
            }
        }
        globs.forEach(patterns::put);
    }

    /**
     * What {@code deviceId} has at {@code atMs}, field by field, with where each comes
     * from: keys timeout, timeout-from, paused-until (ms, absent if not paused),
     * paused-from, expected.
     */
    public Map<String, String> effective(String deviceId, long atMs) {
        long[] timeline = own.get(deviceId);
        Patterns.Resolved plan = patterns.resolve(deviceId, timeline, flags);
        Map<String, String> view = new LinkedHashMap<>();
        view.put("timeout", Long.toString(plan.timeoutAt(atMs)));
        String timeoutKey = plan.timeoutKey(atMs);
        view.put("timeout-from", timeoutKey == null ? "flags" : timeoutKey);
        if (plan.pausedAt(atMs)) {
            view.put("paused-until", Long.toString(plan.pausedUntilAt(atMs)));
            view.put("paused-from", plan.pauseKey(atMs));
        }
        view.put("expected", Boolean.toString(DeviceSettings.expectedLast(timeline)));
        return view;
    }

    /** The newest good value of {@code key}, as written ("null": deleted). */
    public String valueOf(String key) {
        return values.get(key);
    }

    /** The device ids with settings of their own, and the patterns (as keys), sorted. */
    public List<String> settingKeys() {
        List<String> keys = new ArrayList<>(own.keySet());
        for (String glob : patterns.timelines().keySet()) {
            keys.add(DeviceSettings.PATTERN_PREFIX + glob);
        }
        keys.sort(null);
        return keys;
    }
}

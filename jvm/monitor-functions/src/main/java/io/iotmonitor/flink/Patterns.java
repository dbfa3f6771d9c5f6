package io.iotmonitor.flink;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The settings of the patterns, each with its timeline (see {@link DeviceSettings}),
 * indexed by the literal start of their globs, and the settings a device gets from them
 * and from its own key: field by field, its own key first, then the matching patterns,
 * longest first (of two as long, the first in string order), then the flags.
 */
final class Patterns {
    private static final Comparator<Glob> PRECEDENCE =
            Comparator.comparingInt((Glob glob) -> -glob.text.length()).thenComparing(glob -> glob.text);

    private final Map<String, long[]> timelines = new HashMap<>();
    private final Map<String, List<Glob>> byPrefix = new HashMap<>();
    /** The lengths of the globs' literal starts, shortest first, each once. */
    private int[] prefixLengths = new int[0];
    private final Resolved resolved = new Resolved();

    boolean isEmpty() {
        return timelines.isEmpty();
    }

    Map<String, long[]> timelines() {
        return timelines;
    }

    /** The glob {@code text}'s timeline is now {@code timeline} (null: none). */
    void put(String text, long[] timeline) {
        boolean known = timelines.containsKey(text);
        if (timeline == null) {
            if (known) {
                timelines.remove(text);
                String prefix = Glob.of(text).prefix;
                List<Glob> bucket = byPrefix.get(prefix);
                bucket.removeIf(glob -> glob.text.equals(text));
                if (bucket.isEmpty()) {
                    byPrefix.remove(prefix);
                    indexLengths();
                }
            }
            return;
        }
        timelines.put(text, timeline);
        if (!known) {
            // One glob more in the index: a thousand patterns must not cost a million.
            Glob glob = Glob.of(text);
            byPrefix.computeIfAbsent(glob.prefix, prefix -> new ArrayList<>()).add(glob);
            if (Arrays.binarySearch(prefixLengths, glob.prefix.length()) < 0) {
                indexLengths();
            }
        }
    }

    private void indexLengths() {
        prefixLengths = byPrefix.keySet().stream().mapToInt(String::length).distinct().sorted().toArray();
    }

    /** The globs matching {@code deviceId}, first in precedence first. */
    List<Glob> matching(String deviceId) {
        List<Glob> found = new ArrayList<>(4);
        for (int length : prefixLengths) {
            if (length > deviceId.length()) {
                break;
            }
            List<Glob> candidates = byPrefix.get(deviceId.substring(0, length));
            if (candidates != null) {
                for (Glob glob : candidates) {
                    if (glob.matches(deviceId)) {
                        found.add(glob);
                    }
                }
            }
        }
        if (found.size() > 1) {
            found.sort(PRECEDENCE);
        }
        return found;
    }

    /** The settings of {@code deviceId}, whose own key's timeline is {@code own}, over time. */
    SilenceSchedule.Plan planOf(String deviceId, long[] own, SilenceSchedule.Plan flags) {
        if (own == null && timelines.isEmpty()) {
            return flags;
        }
        Resolved plan = resolve(deviceId, own, flags);
        return plan.layers.isEmpty() ? flags : plan;
    }

    /** {@link #planOf}, with the keys its settings come from. */
    Resolved resolve(String deviceId, long[] own, SilenceSchedule.Plan flags) {
        resolved.layers.clear();
        resolved.keys.clear();
        resolved.own = own == null ? 0 : 1;
        if (own != null) {
            resolved.layers.add(own);
            resolved.keys.add(deviceId);
        }
        if (!timelines.isEmpty()) {
            for (Glob glob : matching(deviceId)) {
                resolved.layers.add(timelines.get(glob.text));
                resolved.keys.add(glob.text);
            }
        }
        resolved.flags = flags;
        return resolved;
    }

    /** Keys' timelines in precedence order over the flags. Reused: one device at a time. */
    static final class Resolved implements SilenceSchedule.Plan {
        final List<long[]> layers = new ArrayList<>(4);
        /** The device id (the first {@link #own} layers), then the globs of the patterns. */
        final List<String> keys = new ArrayList<>(4);
        int own;
        SilenceSchedule.Plan flags;

        /** The key the timeout at {@code checkMs} comes from; null: the flags. */
        String timeoutKey(long checkMs) {
            return keyOf(layerSetting(checkMs, true));
        }

        /** The key the pause (or its absence) at {@code checkMs} comes from; null: none sets it. */
        String pauseKey(long checkMs) {
            return keyOf(layerSetting(checkMs, false));
        }

        private String keyOf(int layer) {
            if (layer < 0) {
                return null;
            }
            return layer < own ? keys.get(layer) : DeviceSettings.PATTERN_PREFIX + keys.get(layer);
        }

        /** The first layer that sets the timeout (or the pause) at {@code checkMs}; -1 if none. */
        private int layerSetting(long checkMs, boolean timeout) {
            for (int layer = 0; layer < layers.size(); layer++) {
                long value =
                        timeout
                                ? DeviceSettings.timeoutAt(layers.get(layer), checkMs)
                                : DeviceSettings.pausedUntilAt(layers.get(layer), checkMs);
                if (value != DeviceSettings.UNSET) {
                    return layer;
                }
            }
            return -1;
        }

        @Override
        public long timeoutAt(long checkMs) {
            int layer = layerSetting(checkMs, true);
            return layer < 0 ? flags.timeoutAt(checkMs) : DeviceSettings.timeoutAt(layers.get(layer), checkMs);
        }

        /** The end of the pause in force at {@code checkMs}, or UNSET. */
        long pausedUntilAt(long checkMs) {
            int layer = layerSetting(checkMs, false);
            return layer < 0 ? DeviceSettings.UNSET : DeviceSettings.pausedUntilAt(layers.get(layer), checkMs);
        }

        @Override
        public boolean pausedAt(long checkMs) {
            long until = pausedUntilAt(checkMs);
            return until != DeviceSettings.UNSET && until > checkMs;
        }

        @Override
        public long changeAfter(long checkMs) {
            long change = Long.MAX_VALUE;
            for (long[] layer : layers) {
                change = Math.min(change, DeviceSettings.changeAfter(layer, checkMs));
            }
            long until = pausedUntilAt(checkMs);
            return until != DeviceSettings.UNSET && until > checkMs ? Math.min(change, until) : change;
        }
    }
}

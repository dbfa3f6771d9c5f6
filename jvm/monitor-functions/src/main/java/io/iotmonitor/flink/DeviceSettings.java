package io.iotmonitor.flink;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;

/**
 * The rules of the device settings: what a record of the settings topic may hold, and
 * how a key's values over time are kept.
 *
 * <p>Key: a device id, or {@code pattern:} and a {@link Glob}. Value: a JSON object with
 * any of {@code inactivity-timeout} (a duration, {@code "15m"}, or a number of seconds), {@code paused-until}
 * (an ISO-8601 instant, or a time in the input's unit; null: not paused) and {@code
 * expected} (a device is registered); no value deletes the key. A record replaces its
 * key's whole value, from its time on.
 *
 * <p>A key's values over time are one {@code long[]}, a timeline of entries of {@link
 * #ENTRY} longs: from, timeout, paused-until, expected (1 or 0), oldest first.
 */
public final class DeviceSettings {
    private DeviceSettings() {}

    public static final String PATTERN_PREFIX = "pattern:";
    public static final String TIMEOUT = "inactivity-timeout";
    public static final String PAUSED_UNTIL = "paused-until";
    public static final String EXPECTED = "expected";

    /** A field the value does not set. */
    public static final long UNSET = Long.MIN_VALUE;
    /** The longest timeout a setting may give: a longer one is a mistake. */
    public static final long MAX_TIMEOUT_MS = 366L * 86_400_000L;

    public static final int ENTRY = 4;
    private static final int FROM = 0;
    private static final int TIMEOUT_AT = 1;
    private static final int PAUSED_AT = 2;
    private static final int EXPECTED_AT = 3;

    private static final JsonFactory JSON = new JsonFactory();
    // The duration syntax of the command line's flags: 30, 30s, 500ms, 1m, 24h, 7d.
    private static final Pattern DURATION =
            Pattern.compile("^\\s*(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)?\\s*$");

    /** The record {@code key}: {@code value} (null: deletion) from {@code timeMs} on, checked. */
    public static SettingRecord parse(String key, byte[] value, long timeMs, long msPerUnit) {
        SettingRecord record = new SettingRecord();
        record.key = key;
        record.timeMs = timeMs;
        record.payload = value;
        try {
            checkKey(key);
            if (value != null) {
                readValue(record, value, msPerUnit);
            }
        } catch (IllegalArgumentException e) {
            record.reason = "bad setting for " + (key == null ? "no key" : key) + ": " + e.getMessage();
        }
        return record;
    }

    /** {@link #parse} of a value given as JSON text, or null for a deletion. */
    public static SettingRecord parseText(String key, String value, long timeMs, long msPerUnit) {
        return parse(key, value == null ? null : value.getBytes(StandardCharsets.UTF_8), timeMs, msPerUnit);
    }

    private static void checkKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("a setting's key is a device id or pattern:<glob>");
        }
        if (key.startsWith(PATTERN_PREFIX)) {
            Glob.of(key.substring(PATTERN_PREFIX.length()));
            return;
        }
        if (EventValidation.hasLoneSurrogate(key)) {
            throw new IllegalArgumentException("the device id holds a lone surrogate");
        }
        // The rule of the events' device ids: a key no event can have would never apply.
        String problem = EventValidation.deviceIdTextProblem(key);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    private static void readValue(SettingRecord record, byte[] value, long msPerUnit) {
        try (JsonParser parser = JSON.createParser(value)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("the value is not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken token = parser.nextToken();
                switch (field) {
                    case TIMEOUT:
                        record.timeoutMs = timeout(parser, token);
                        break;
                    case PAUSED_UNTIL:
                        record.pausedUntilMs = pausedUntil(parser, token, record.timeMs, msPerUnit);
                        break;
                    case EXPECTED:
                        if (token != JsonToken.VALUE_TRUE && token != JsonToken.VALUE_FALSE) {
                            throw new IllegalArgumentException("expected is true or false");
                        }
                        record.expected = token == JsonToken.VALUE_TRUE;
                        if (record.expected && record.isPattern()) {
                            throw new IllegalArgumentException(
                                    "expected registers one device: give its id, not a pattern");
                        }
                        break;
                    default:
                        throw new IllegalArgumentException(
                                "unknown field \"" + field + "\" (known: " + TIMEOUT + ", " + PAUSED_UNTIL + ", " + EXPECTED + ")");
                }
            }
            if (parser.currentToken() != JsonToken.END_OBJECT || parser.nextToken() != null) {
                throw new IllegalArgumentException("the value is not one JSON object");
            }
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            // Any failure of decoding is the record's fault, never the job's.
            throw new IllegalArgumentException("the value is not JSON (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static long timeout(JsonParser parser, JsonToken token) throws java.io.IOException {
        if (token != JsonToken.VALUE_STRING && token != JsonToken.VALUE_NUMBER_INT
                && token != JsonToken.VALUE_NUMBER_FLOAT) {
            throw new IllegalArgumentException(TIMEOUT + " is a duration such as \"15m\"");
        }
        // A bare number is seconds, as on the command line.
        String text = parser.getText();
        Matcher match = DURATION.matcher(text);
        if (!match.matches()) {
            throw new IllegalArgumentException(TIMEOUT + " \"" + text + "\" is not a duration (examples: 90s, 15m, 2h)");
        }
        String unit = match.group(2) == null ? "s" : match.group(2);
        long unitMs = switch (unit) {
            case "ms" -> 1;
            case "s" -> 1000;
            case "m" -> 60_000;
            case "h" -> 3_600_000;
            default -> 86_400_000;
        };
        double ms = Double.parseDouble(match.group(1)) * unitMs;
        if (ms < 1) {
            throw new IllegalArgumentException(TIMEOUT + " \"" + text + "\" is not positive");
        }
        if (ms > MAX_TIMEOUT_MS) {
            throw new IllegalArgumentException(TIMEOUT + " \"" + text + "\" is more than 366 days");
        }
        return Math.round(ms);
    }

    private static long pausedUntil(JsonParser parser, JsonToken token, long timeMs, long msPerUnit)
            throws java.io.IOException {
        long untilMs;
        if (token == JsonToken.VALUE_NULL) {
            return 0; // explicitly not paused: a pause that ended at the epoch
        } else if (token == JsonToken.VALUE_STRING) {
            String text = parser.getText();
            try {
                untilMs = OffsetDateTime.parse(text).toInstant().toEpochMilli();
            } catch (DateTimeParseException e) {
                try {
                    untilMs = Instant.parse(text).toEpochMilli();
                } catch (DateTimeParseException again) {
                    throw new IllegalArgumentException(
                            PAUSED_UNTIL + " \"" + text + "\" is not an ISO-8601 time with its zone (2026-12-24T00:00:00Z)");
                }
            }
        } else if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
            double units = parser.getDoubleValue();
            if (!(units > 0) || units > Long.MAX_VALUE / 2.0 / msPerUnit) {
                throw new IllegalArgumentException(PAUSED_UNTIL + " " + parser.getText() + " is not a time");
            }
            untilMs = Math.round(units * msPerUnit);
        } else {
            throw new IllegalArgumentException(PAUSED_UNTIL + " is a time, or null to end a pause");
        }
        if (untilMs <= timeMs) {
            throw new IllegalArgumentException(
                    PAUSED_UNTIL + " " + parser.getText() + " is not after the setting's own time: a pause in the past");
        }
        return untilMs;
    }

    // --- a key's timeline --------------------------------------------------------------

    /** {@code timeline} with {@code record}'s value from {@code fromMs} on; a value of the same instant is replaced. */
    public static long[] put(long[] timeline, long fromMs, SettingRecord record) {
        int length = timeline == null ? 0 : timeline.length;
        int at = 0;
        while (at < length && timeline[at + FROM] < fromMs) {
            at += ENTRY;
        }
        long[] grown;
        if (at < length && timeline[at + FROM] == fromMs) {
            grown = timeline.clone();
        } else {
            grown = new long[length + ENTRY];
            if (length > 0) {
                System.arraycopy(timeline, 0, grown, 0, at);
                System.arraycopy(timeline, at, grown, at + ENTRY, length - at);
            }
        }
        grown[at + FROM] = fromMs;
        grown[at + TIMEOUT_AT] = record.timeoutMs;
        grown[at + PAUSED_AT] = record.pausedUntilMs;
        grown[at + EXPECTED_AT] = record.expected ? 1 : 0;
        return grown;
    }

    /** Where the entry in force at {@code ms} starts, or -1 before the first. */
    static int entryAt(long[] timeline, long ms) {
        int found = -1;
        for (int at = 0; at < timeline.length && timeline[at + FROM] <= ms; at += ENTRY) {
            found = at;
        }
        return found;
    }

    /** The timeline without what no check from {@code fromMs} on needs; null if it sets nothing then. */
    public static long[] prune(long[] timeline, long fromMs) {
        if (timeline == null) {
            return null;
        }
        int first = Math.max(entryAt(timeline, fromMs), 0);
        boolean setsNothing = timeline.length - first == ENTRY && isEmpty(timeline, first) && timeline[first] <= fromMs;
        if (setsNothing) {
            return null;
        }
        return first == 0 ? timeline : Arrays.copyOfRange(timeline, first, timeline.length);
    }

    /** Whether no entry of {@code timeline} sets anything: it is as good as none. */
    public static boolean setsNothing(long[] timeline) {
        for (int at = 0; timeline != null && at < timeline.length; at += ENTRY) {
            if (!isEmpty(timeline, at)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isEmpty(long[] timeline, int at) {
        return timeline[at + TIMEOUT_AT] == UNSET && timeline[at + PAUSED_AT] == UNSET && timeline[at + EXPECTED_AT] == 0;
    }

    /** The first instant after {@code ms} at which the timeline's value changes, or MAX. */
    static long changeAfter(long[] timeline, long ms) {
        for (int at = 0; at < timeline.length; at += ENTRY) {
            if (timeline[at + FROM] > ms) {
                return timeline[at + FROM];
            }
        }
        return Long.MAX_VALUE;
    }

    static long timeoutAt(long[] timeline, long ms) {
        int at = entryAt(timeline, ms);
        return at < 0 ? UNSET : timeline[at + TIMEOUT_AT];
    }

    static long pausedUntilAt(long[] timeline, long ms) {
        int at = entryAt(timeline, ms);
        return at < 0 ? UNSET : timeline[at + PAUSED_AT];
    }

    /**
     * When a device's registration was withdrawn, as of {@code ms}: the start of the
     * values that do not register it, in force at {@code ms} and since the last that did;
     * UNSET if one registers it at {@code ms}, or none did before.
     */
    public static long withdrawnAt(long[] timeline, long ms) {
        int at = timeline == null ? -1 : entryAt(timeline, ms);
        if (at < 0 || timeline[at + EXPECTED_AT] == 1) {
            return UNSET;
        }
        while (at >= ENTRY && timeline[at - ENTRY + EXPECTED_AT] == 0) {
            at -= ENTRY;
        }
        return at == 0 ? UNSET : timeline[at + FROM];
    }

    /** The first withdrawal of a registration (see {@link #withdrawnAt}) after {@code ms}; UNSET if none. */
    public static long withdrawalAfter(long[] timeline, long ms) {
        for (int at = ENTRY; timeline != null && at < timeline.length; at += ENTRY) {
            boolean withdraws = timeline[at + EXPECTED_AT] == 0 && timeline[at - ENTRY + EXPECTED_AT] == 1;
            if (withdraws && timeline[at + FROM] > ms) {
                return timeline[at + FROM];
            }
        }
        return UNSET;
    }

    /** Whether the newest value of a device's own timeline registers it. */
    public static boolean expectedLast(long[] timeline) {
        return timeline != null && timeline[timeline.length - ENTRY + EXPECTED_AT] == 1;
    }

    // --- a device's timeline, as its state keeps it ------------------------------------

    /**
     * {@code timeline} in few bytes, for the state of every device that has settings of
     * its own (a million of them, in a checkpoint): each long as a variable-length
     * number, {@link #UNSET} as 0. One entry of a timeout takes about 11 bytes, not 32.
     */
    static byte[] pack(long[] timeline) {
        if (timeline == null) {
            return null;
        }
        byte[] packed = new byte[timeline.length * 10];
        int length = 0;
        for (long value : timeline) {
            // Zigzag, so that a negative time stays short too; 0 is kept for unset.
            long bits = value == UNSET ? 0 : ((value << 1) ^ (value >> 63)) + 1;
            while ((bits & ~0x7FL) != 0) {
                packed[length++] = (byte) ((bits & 0x7F) | 0x80);
                bits >>>= 7;
            }
            packed[length++] = (byte) bits;
        }
        return Arrays.copyOf(packed, length);
    }

    /** The timeline {@link #pack} packed. */
    static long[] unpack(byte[] packed) {
        if (packed == null) {
            return null;
        }
        long[] values = new long[packed.length];
        int count = 0;
        for (int at = 0; at < packed.length; ) {
            long bits = 0;
            int shift = 0;
            byte part;
            do {
                part = packed[at++];
                bits |= (long) (part & 0x7F) << shift;
                shift += 7;
            } while (part < 0);
            values[count++] = bits == 0 ? UNSET : ((bits - 1) >>> 1) ^ -((bits - 1) & 1);
        }
        return Arrays.copyOf(values, count);
    }
}

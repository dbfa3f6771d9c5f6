package io.iotmonitor.flink;

/**
 * What the monitor writes, as JSON: alerts, status changes and a replay's lines, with
 * times in the input's unit. The layout is that of Python's {@code json.dumps} (", " and
 * ": " between items, non-ASCII kept as it is), byte for byte what the alerts' consumers
 * have always read.
 */
public final class WireFormat {
    private WireFormat() {}

    /** The alert's Kafka value: exactly these two fields, so existing consumers keep working. */
    public static String alertBody(Alert alert, long msPerUnit) {
        return "{\"device-id\": "
                + quote(alert.deviceId)
                + ", \"latest-event-time\": "
                + time(alert.latestEventMs, msPerUnit)
                + "}";
    }

    /** A replay's line for an alert. */
    public static String replayAlert(Alert alert, long msPerUnit) {
        return "{\"check-time\": "
                + time(alert.checkMs, msPerUnit)
                + ", \"device-id\": "
                + quote(alert.deviceId)
                + ", \"latest-event-time\": "
                + time(alert.latestEventMs, msPerUnit)
                + "}";
    }

    /** A status change, on the status topic and in a replay's status file. */
    public static String statusBody(StatusChange change, long msPerUnit) {
        return "{\"device-id\": "
                + quote(change.deviceId)
                + ", \"status\": "
                + quote(change.status)
                + ", \"since\": "
                + time(change.sinceMs, msPerUnit)
                + ", \"at\": "
                + time(change.atMs, msPerUnit)
                + "}";
    }

    /** A change of the input's health, on the status topic. */
    public static String healthBody(InputClock.Health health, long msPerUnit) {
        return "{\"monitor\": "
                + quote(health.monitor)
                + ", \"status\": "
                + quote(health.status)
                + ", \"at\": "
                + time(health.atMs, msPerUnit)
                + "}";
    }

    /**
     * A time echoed in its unit: whole units stay integers, and the rest is the exact
     * decimal fraction (Python's shortest repr for every time with millisecond precision).
     */
    static String time(long ms, long msPerUnit) {
        long whole = Math.floorDiv(ms, msPerUnit);
        long rest = Math.floorMod(ms, msPerUnit);
        if (rest == 0) {
            return Long.toString(whole);
        }
        StringBuilder fraction = new StringBuilder(Long.toString(msPerUnit + rest).substring(1));
        while (fraction.charAt(fraction.length() - 1) == '0') {
            fraction.setLength(fraction.length() - 1);
        }
        return whole + "." + fraction;
    }

    /** A JSON string; validated device ids hold no control characters or lone surrogates. */
    static String quote(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}

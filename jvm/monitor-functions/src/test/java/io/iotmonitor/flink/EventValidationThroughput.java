package io.iotmonitor.flink;

import java.nio.charset.StandardCharsets;

/**
 * A rough measure of {@link EventValidation#decode} in events/s, per layout (not a
 * test: surefire runs only *Test classes). After {@code mvn test}:
 *
 * <pre>
 * java -cp target/test-classes:target/classes:$HOME/.m2/repository/org/apache/flink/flink-shaded-jackson/2.18.2-20.0/flink-shaded-jackson-2.18.2-20.0.jar \
 *     io.iotmonitor.flink.EventValidationThroughput
 * </pre>
 */
public final class EventValidationThroughput {
    private static final long NOW_MS = 1_800_000_000_000L;

    private EventValidationThroughput() {}

    public static void main(String[] args) {
        measure("canonical", "{\"event-id\": \"run-1-%d\", \"device-id\": \"device-%04d\", \"time\": 1700000000}");
        measure("compact", "{\"event-id\":\"run-1-%d\",\"device-id\":\"device-%04d\",\"time\":1700000000}");
        measure("other key order", "{\"time\": 1700000000, \"device-id\": \"device-%2$04d\", \"event-id\": \"run-1-%1$d\"}");
        measure("float time", "{\"event-id\": \"run-1-%d\", \"device-id\": \"device-%04d\", \"time\": 1700000000.5}");
        measure("extra fields", "{\"event-id\": \"run-1-%d\", \"device-id\": \"device-%04d\", \"time\": 1700000000, "
                + "\"battery\": 0.93, \"tags\": [\"a\", \"b\"], \"firmware\": {\"version\": \"1.2.3\"}}");
        measure("bad: time a string", "{\"event-id\": \"run-1-%d\", \"device-id\": \"device-%04d\", \"time\": \"soon\"}");
    }

    private static void measure(String layout, String format) {
        EventValidation validation = new EventValidation(1000, 300_000);
        byte[][] payloads = new byte[10_000][];
        for (int i = 0; i < payloads.length; i++) {
            payloads[i] = String.format(format, i, i % 5000).getBytes(StandardCharsets.UTF_8);
        }
        DecodedEvent event = new DecodedEvent();
        long good = 0;
        double best = 0;
        for (int round = 0; round < 15; round++) {
            long start = System.nanoTime();
            int count = 2_000_000;
            for (int i = 0; i < count; i++) {
                validation.decode(payloads[i % payloads.length], NOW_MS, event);
                good += event.isGood() ? 1 : 0;
            }
            best = Math.max(best, count / ((System.nanoTime() - start) / 1e9));
        }
        System.out.printf("%-20s %,12.0f events/s  (%d good)%n", layout, best, good);
    }
}

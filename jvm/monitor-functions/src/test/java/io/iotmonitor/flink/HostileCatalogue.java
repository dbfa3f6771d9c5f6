package io.iotmonitor.flink;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The shared catalogue of hostile records,
 * {@code event-generator/src/iot_event_generator/hostile_records.json}, read as the
 * generator reads it (its "placeholders" say how a payload is written).
 */
final class HostileCatalogue {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)\\}");

    record Case(String name, String reasonWord, String payload, boolean secondsOnly) {
        /** The record's value, or null for a tombstone. */
        byte[] value(String deviceId, long nowSeconds, long msPerUnit) {
            if (payload == null) {
                return null;
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Matcher placeholder = PLACEHOLDER.matcher(payload);
            int at = 0;
            while (placeholder.find()) {
                out.writeBytes(utf8(payload.substring(at, placeholder.start())));
                out.writeBytes(expand(placeholder.group(1), deviceId, nowSeconds, msPerUnit));
                at = placeholder.end();
            }
            out.writeBytes(utf8(payload.substring(at)));
            return out.toByteArray();
        }

        private byte[] expand(String key, String deviceId, long nowSeconds, long msPerUnit) {
            if (key.equals("event-id")) {
                return utf8("hostile-" + name);
            }
            if (key.equals("device-id")) {
                return utf8(jsonString(deviceId));
            }
            long unitsPerSecond = 1000 / msPerUnit;
            if (key.equals("time")) {
                return utf8(Long.toString(nowSeconds * unitsPerSecond));
            }
            if (key.startsWith("time+")) {
                return utf8(Long.toString((nowSeconds + Long.parseLong(key.substring(5))) * unitsPerSecond));
            }
            if (key.equals("time-in-ms")) {
                return utf8(Long.toString(nowSeconds * 1000));
            }
            if (key.startsWith("repeat:")) {
                String[] parts = key.split(":", 3);
                return utf8(parts[2].repeat(Integer.parseInt(parts[1])));
            }
            if (key.startsWith("byte:")) {
                return new byte[] {(byte) Integer.parseInt(key.substring(5), 16)};
            }
            throw new IllegalArgumentException("unknown placeholder ${" + key + "} in " + name);
        }
    }

    private HostileCatalogue() {}

    static List<Case> cases() throws IOException {
        String where = System.getProperty(
                "hostile.catalogue", "../../event-generator/src/iot_event_generator/hostile_records.json");
        JsonNode catalogue = new ObjectMapper().readTree(Files.readAllBytes(Path.of(where)));
        List<Case> cases = new ArrayList<>();
        for (JsonNode entry : catalogue.get("cases")) {
            JsonNode payload = entry.get("payload");
            cases.add(new Case(
                    entry.get("name").asText(),
                    entry.get("reason_word").asText(),
                    payload.isNull() ? null : payload.asText(),
                    entry.path("seconds_only").asBoolean(false)));
        }
        return cases;
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String jsonString(String text) {
        try {
            return new ObjectMapper().writeValueAsString(text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

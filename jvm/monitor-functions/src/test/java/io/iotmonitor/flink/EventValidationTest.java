package io.iotmonitor.flink;

import static io.iotmonitor.flink.HostileCatalogue.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EventValidationTest {
    private static final long NOW_S = 1_800_000_000L;
    private static final long NOW_MS = NOW_S * 1000;
    private static final long SKEW_MS = 300_000;
    private static final EventValidation SECONDS = new EventValidation(1000, SKEW_MS);
    private static final EventValidation MILLISECONDS = new EventValidation(1, SKEW_MS);

    private static DecodedEvent decode(EventValidation validation, byte[] payload) {
        DecodedEvent event = new DecodedEvent();
        validation.decode(payload, NOW_MS, event);
        return event;
    }

    private static DecodedEvent decodeFully(EventValidation validation, byte[] payload) {
        DecodedEvent event = new DecodedEvent();
        validation.decodeFully(payload, NOW_MS, event);
        return event;
    }

    private static String reason(EventValidation validation, String payload) {
        DecodedEvent event = decode(validation, utf8(payload));
        assertFalse(event.isGood(), payload);
        return event.reason;
    }

    private static void assertGood(EventValidation validation, String payload, String deviceId, long timeMs) {
        DecodedEvent event = decode(validation, utf8(payload));
        assertNull(event.reason, payload);
        assertEquals(deviceId, event.deviceId, payload);
        assertEquals(timeMs, event.timeMs, payload);
    }

    static Stream<Arguments> hostileCases() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        for (HostileCatalogue.Case hostile : HostileCatalogue.cases()) {
            cases.add(Arguments.of(hostile.name(), hostile, 1000L));
            if (!hostile.secondsOnly()) {
                cases.add(Arguments.of(hostile.name(), hostile, 1L));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}, {2} ms per unit")
    @MethodSource("hostileCases")
    void everyHostileRecordIsRejectedWithItsWord(String name, HostileCatalogue.Case hostile, long msPerUnit) {
        EventValidation validation = new EventValidation(msPerUnit, SKEW_MS);
        DecodedEvent event = decode(validation, hostile.value("device-0001", NOW_S, msPerUnit));
        assertFalse(event.isGood(), name);
        assertNotNull(event.reason, name);
        assertTrue(event.reason.toLowerCase(Locale.ROOT).contains(hostile.reasonWord().toLowerCase(Locale.ROOT)),
                name + ": " + event.reason);
    }

    @Test
    void theCatalogueHoldsEveryKindOfBadInput() throws IOException {
        assertTrue(HostileCatalogue.cases().size() >= 40);
    }

    @Test
    void goodEventsInSeveralLayouts() {
        long ms = 1_700_000_000_000L;
        assertGood(SECONDS, "{\"event-id\": \"run-1\", \"device-id\": \"device-0001\", \"time\": 1700000000}", "device-0001", ms);
        assertGood(SECONDS, "{\"event-id\":\"e0\",\"device-id\":\"d0\",\"time\":1700000000}", "d0", ms);
        assertGood(SECONDS, "{\"device-id\": \"d\", \"time\": 1700000000}", "d", ms);
        assertGood(SECONDS, "{\"time\": 1700000000, \"device-id\": \"d\", \"event-id\": \"x\"}", "d", ms);
        assertGood(SECONDS, "{\"device-id\": \"d1\", \"time\": 1700000000.25, \"battery\": 0.5, \"extra\": [1, {}]}",
                "d1", ms + 250);
        assertGood(SECONDS, "\n {\r\n\t\"device-id\" : \"d\" ,\"time\" :1700000000 }\r\n", "d", ms);
        assertGood(SECONDS, "{\"event-id\": \"x\", \"device-id\": \"crlf\", \"time\": 1700000000}\r", "crlf", ms);
        assertGood(SECONDS, "{\"device-id\": \"caf\u00e9 \u2116 7 \ud83d\ude00\", \"time\": 5}", "caf\u00e9 \u2116 7 \ud83d\ude00", 5000);
        assertGood(SECONDS, "{\"device-id\": \"caf\\u00e9\\ud83d\\ude00\", \"time\": 5}", "caf\u00e9\ud83d\ude00", 5000);
        assertGood(SECONDS, "{\"device\\u002did\": \"escaped-key\", \"time\": 5}", "escaped-key", 5000);
        assertGood(SECONDS, "{\"device-id\": 1, \"device-id\": \"last\", \"time\": null, \"time\": 5}", "last", 5000);
        assertGood(SECONDS, "{\"device-id\": \"d\", \"time\": 5e0, \"nested\": {\"time\": \"x\", \"device-id\": 1}}", "d", 5000);
        assertGood(SECONDS, "{\"device-id\": \"d\", \"time\": 1.9999999}", "d", 1999);
        assertGood(SECONDS, "{\"device-id\": \"" + "\u00e9".repeat(256) + "\", \"time\": 1}", "\u00e9".repeat(256), 1000);
        assertGood(SECONDS, "{\"device-id\": \"" + "\ud83d\ude00".repeat(256) + "\", \"time\": 1}", "\ud83d\ude00".repeat(256), 1000);
        assertGood(MILLISECONDS, "{\"event-id\": \"x\", \"device-id\": \"a b~!\", \"time\": 1700000000123}", "a b~!", ms + 123);
        assertGood(MILLISECONDS, "{\"device-id\": \"d\", \"time\": 1700000000123.9}", "d", ms + 123);
        assertGood(SECONDS, "{\"device-id\": \"d\", \"time\": 1, \"deep\": " + "[".repeat(1023) + "]".repeat(1023) + "}", "d", 1000);
        assertGood(SECONDS, "{\"device-id\": \"d\", \"time\": 1, \"big\": 1" + "0".repeat(300) + "}", "d", 1000);
        assertGood(SECONDS, "{\"device-id\": \"d\", \"time\": 1, \"tiny\": 1e-400, \"digits\": 0." + "0".repeat(2000) + "1}", "d", 1000);
    }

    @Test
    void theFastPathAndTheFullPathAgreeOnCanonicalEvents() {
        Random random = new Random(7);
        for (int n = 0; n < 20_000; n++) {
            String line = "{\"event-id\":" + (random.nextBoolean() ? " " : "") + "\"" + printable(random, 0, 256, true)
                    + "\"," + (random.nextBoolean() ? " " : "") + "\"device-id\": \"" + printable(random, 1, 260, false)
                    + "\", \"time\":" + (random.nextBoolean() ? " " : "") + (1 + random.nextLong(NOW_S + 400)) + "}";
            for (EventValidation validation : List.of(SECONDS, MILLISECONDS)) {
                DecodedEvent fast = decode(validation, utf8(line));
                DecodedEvent full = decodeFully(validation, utf8(line));
                assertEquals(full.reason, fast.reason, line);
                assertEquals(full.deviceId, fast.deviceId, line);
                assertEquals(full.timeMs, fast.timeMs, line);
            }
        }
    }

    private static String printable(Random random, int min, int max, boolean space) {
        int length = min + random.nextInt(max - min + 1);
        StringBuilder text = new StringBuilder();
        while (text.length() < length) {
            char c = (char) ((space ? ' ' : '!') + random.nextInt(space ? 95 : 94));
            if (c != '"' && c != '\\') {
                text.append(c);
            }
        }
        return text.toString();
    }

    @Test
    void theSkewBoundHoldsOnBothSidesOfIt() {
        for (String layout : List.of("{\"event-id\": \"x\", \"device-id\": \"d\", \"time\": %d}", "{\"time\": %d, \"device-id\": \"d\"}")) {
            assertGood(MILLISECONDS, String.format(layout, NOW_MS + SKEW_MS), "d", NOW_MS + SKEW_MS);
            assertEquals("time is 300 s ahead of the wall clock (more than the 300 s allowed)",
                    reason(MILLISECONDS, String.format(layout, NOW_MS + SKEW_MS + 1)));
            assertGood(SECONDS, String.format(layout, NOW_S + 300), "d", NOW_MS + SKEW_MS);
            assertEquals("time is 301 s ahead of the wall clock (more than the 300 s allowed)",
                    reason(SECONDS, String.format(layout, NOW_S + 301)));
        }
        // Python rounds half to even: 2.5 s is "2 s"
        EventValidation tight = new EventValidation(1, 2_000);
        DecodedEvent event = new DecodedEvent();
        tight.decode(utf8("{\"device-id\": \"d\", \"time\": " + (NOW_MS + 2_500) + "}"), NOW_MS, event);
        assertEquals("time is 2 s ahead of the wall clock (more than the 2 s allowed)", event.reason);
    }

    @Test
    void reasonsSayWhatIsWrongInValidationsWords() {
        assertEquals("time must be positive, got -5", reason(SECONDS, "{\"device-id\": \"d\", \"time\": -5}"));
        assertEquals("time must be positive, got 0", reason(SECONDS, "{\"device-id\": \"d\", \"time\": -0}"));
        assertEquals("time must be positive, got -0.0", reason(SECONDS, "{\"device-id\": \"d\", \"time\": -0.0}"));
        assertEquals("time must be positive, got 0.0", reason(SECONDS, "{\"device-id\": \"d\", \"time\": 1e-400}"));
        assertEquals("time must be positive, got -1e-05", reason(SECONDS, "{\"device-id\": \"d\", \"time\": -0.00001}"));
        assertEquals("time must be positive, got -9.223372036854776e+18",
                reason(SECONDS, "{\"device-id\": \"d\", \"time\": -9223372036854775809}"));
        assertEquals("time 1700000000000 looks like milliseconds but the unit is seconds (see --time-unit ms)",
                reason(SECONDS, "{\"device-id\": \"d\", \"time\": 1700000000000}"));
        assertEquals("time 100000000000.0 looks like milliseconds but the unit is seconds (see --time-unit ms)",
                reason(SECONDS, "{\"device-id\": \"d\", \"time\": 1e11}"));
        assertEquals("time 18446744073709551615 looks like milliseconds but the unit is seconds (see --time-unit ms)",
                reason(SECONDS, "{\"device-id\": \"d\", \"time\": 18446744073709551615}"));
        assertEquals("time 1.8446744073709552e+19 looks like milliseconds but the unit is seconds (see --time-unit ms)",
                reason(SECONDS, "{\"device-id\": \"d\", \"time\": 18446744073709551616}"));
        String aheadOfUnsignedMax = new BigInteger("18446744073709551615").subtract(BigInteger.valueOf(NOW_MS))
                .divide(BigInteger.valueOf(1000)).toString();
        assertTrue(reason(MILLISECONDS, "{\"device-id\": \"d\", \"time\": 18446744073709551615}")
                .startsWith("time is " + aheadOfUnsignedMax.substring(0, 10)));
        assertEquals("time must be a number, got an object", reason(SECONDS, "{\"device-id\": \"d\", \"time\": {}}"));
        assertEquals("device-id must be a string, got a boolean", reason(SECONDS, "{\"device-id\": false, \"time\": 1}"));
        assertEquals("device-id is longer than 256 characters",
                reason(SECONDS, "{\"device-id\": \"" + "\ud83d\ude00".repeat(257) + "\", \"time\": 1}"));
        assertEquals("not a JSON object, got a number", reason(SECONDS, "42"));
        assertEquals("not a JSON object, got null", reason(SECONDS, " null "));
        assertEquals("not UTF-8: invalid byte at offset 3",
                decode(SECONDS, new byte[] {'{', '"', 'd', (byte) 0xC0, (byte) 0x80}).reason);
        assertTrue(reason(SECONDS, "   ").startsWith("not JSON: "));
        assertTrue(reason(SECONDS, "{\"device-id\": \"d\", \"time\": 1}{}").startsWith("not JSON: "));
        assertTrue(reason(SECONDS, "{\"device-id\": \"d\", \"time\": 01}").startsWith("not JSON: "));
        assertTrue(reason(SECONDS, "{\"device-id\": \"d\", \"time\": 1,}").startsWith("not JSON: "));
        assertTrue(reason(SECONDS, "{\"device-id\": \"d\u0001\", \"time\": 1}").startsWith("not JSON: "));
        assertTrue(reason(SECONDS, "{\"device-id\": \"d\", \"time\": 1} \u0000").startsWith("not JSON: "));
        assertTrue(reason(SECONDS, "{\"device-id\": \"d\", \"\\udc00\": 1, \"time\": 1}").contains("surrogate"));
        assertTrue(reason(SECONDS, "{\"device-id\": \"d\", \"time\": 1, \"x\": -1e309}").startsWith("not JSON: "));
        assertTrue(reason(SECONDS, "{\"device-id\": \"d\", \"time\": 1, \"x\": 1" + "0".repeat(400) + "}").startsWith("not JSON: "));
    }

    @Test
    void floatsReadAsPythonWritesThem() {
        String[][] expected = {
            {"1e+16", "1e16"}, {"1234567890123456.0", "1234567890123456"}, {"0.0001", "0.0001"},
            {"1e-05", "0.00001"}, {"5e-324", "4.9e-324"}, {"1.7976931348623157e+308", "1.7976931348623157e308"},
            {"0.1", "0.1"}, {"100.0", "100"}, {"1.5e+300", "1.5e300"}, {"123456789.123", "123456789.123"},
            {"2e+22", "2e22"}, {"9007199254740992.0", "9007199254740992"}, {"0.30000000000000004", "0.30000000000000004"},
        };
        for (String[] pair : expected) {
            double value = Double.parseDouble(pair[1]);
            assertEquals(pair[0], EventValidation.pythonRepr(value), pair[1]);
            assertEquals("-" + pair[0], EventValidation.pythonRepr(-value), pair[1]);
        }
    }

    @Test
    void theFirstByteThatIsNotUtf8IsWherePythonSaysItIs() {
        assertEquals(-1, EventValidation.firstInvalidUtf8(utf8("caf\u00e9 \u20ac \ud83d\ude00")));
        assertEquals(1, EventValidation.firstInvalidUtf8(new byte[] {'a', (byte) 0xFF}));
        assertEquals(1, EventValidation.firstInvalidUtf8(new byte[] {'a', (byte) 0xC0, (byte) 0xAF}));
        assertEquals(0, EventValidation.firstInvalidUtf8(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}));
        assertEquals(0, EventValidation.firstInvalidUtf8(new byte[] {(byte) 0xE0, (byte) 0x9F, (byte) 0xBF}));
        assertEquals(0, EventValidation.firstInvalidUtf8(new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}));
        assertEquals(0, EventValidation.firstInvalidUtf8(new byte[] {(byte) 0xF5, (byte) 0x80, (byte) 0x80, (byte) 0x80}));
        assertEquals(2, EventValidation.firstInvalidUtf8(new byte[] {'a', 'b', (byte) 0xE2, (byte) 0x82}));
        assertEquals(0, EventValidation.firstInvalidUtf8(new byte[] {(byte) 0xE2, 'a', 'b'}));
        assertEquals(0, EventValidation.firstInvalidUtf8(new byte[] {(byte) 0x80}));
    }

    @Test
    void noRecordMakesItThrow() {
        Random random = new Random(11);
        byte[] canonical = utf8("{\"event-id\": \"e\", \"device-id\": \"device-0001\", \"time\": 1700000000}");
        byte[] alphabet = utf8("{}[]\":, \\u0dDe+-.1059truefalsnNI\t\n");
        DecodedEvent event = new DecodedEvent();
        for (int n = 0; n < 200_000; n++) {
            byte[] payload;
            if (n % 3 == 0) {
                payload = new byte[random.nextInt(40)];
                random.nextBytes(payload);
            } else if (n % 3 == 1) {
                payload = new byte[random.nextInt(40)];
                for (int i = 0; i < payload.length; i++) {
                    payload[i] = alphabet[random.nextInt(alphabet.length)];
                }
            } else {
                payload = canonical.clone();
                for (int k = 0; k < 1 + random.nextInt(3); k++) {
                    payload[random.nextInt(payload.length)] = alphabet[random.nextInt(alphabet.length)];
                }
            }
            for (EventValidation validation : List.of(SECONDS, MILLISECONDS)) {
                validation.decode(payload, NOW_MS, event);
                assertTrue(event.isGood() != (event.reason != null));
            }
        }
    }

    @Test
    void itSurvivesSerialisation() throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(SECONDS);
        }
        EventValidation copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (EventValidation) in.readObject();
        }
        assertGood(copy, "{\"time\": 1, \"device-id\": \"d\"}", "d", 1000);
    }
}

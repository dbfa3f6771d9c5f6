package io.iotmonitor.flink;

import java.io.IOException;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonLocation;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonProcessingException;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.StreamReadConstraints;

/**
 * The rules for bad input (the README's "Dead letter" paragraph), the one place the monitor applies them: a
 * record's value becomes a good event or a reason, in words for the operator who reads
 * it on the dead-letter topic. The reference model the tests hold it to is {@code
 * monitor/tests/validation_model.py}, which reads JSON with orjson: this class reads it
 * the same way, digit for digit (what is an integer, what overflows, how deep is too
 * deep, where the first byte that is not UTF-8 is).
 *
 * <p>Every known producer writes the canonical layout, {@code {"event-id": "...",
 * "device-id": "...", "time": N}}; a byte scanner takes it apart without a parser: about
 * 11 million events/s on one core, where the regular expression it replaces managed 1.6
 * million and the full path manages 1.7 million (EventValidationThroughput, in the
 * tests). It admits only what the full path accepts, with the
 * same result: printable ASCII without quotes or backslashes (nothing to unescape, no
 * control character), a device id within the length limit, an integer time below the
 * milliseconds look-alike limit in seconds. Anything else, or a time too far ahead,
 * takes the full path, which gives the reason.
 */
public class EventValidation implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final int MAX_PAYLOAD_BYTES = 64 * 1024;
    public static final int MAX_DEVICE_ID_CHARS = 256;
    /** Epoch seconds from here on are year 5138 and later: such a value is milliseconds. */
    public static final long SECONDS_THAT_LOOK_LIKE_MS = 100_000_000_000L;
    /** orjson's limit: 1024 nested arrays and objects are fine, 1025 are not. */
    static final int MAX_DEPTH = 1024;

    private static final int MAX_EVENT_ID_CHARS = 256;
    private static final byte[] EVENT_ID_KEY = ascii("{\"event-id\":");
    private static final byte[] DEVICE_ID_KEY = ascii("\"device-id\":");
    private static final byte[] TIME_KEY = ascii("\"time\":");
    private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger UNSIGNED_LONG_MAX =
            BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);
    private static final double SECONDS_THAT_LOOK_LIKE_MS_DOUBLE = SECONDS_THAT_LOOK_LIKE_MS;

    private final long msPerUnit;
    private final long maxFutureSkewMs;
    /** The canonical layout's longest time: below {@link #SECONDS_THAT_LOOK_LIKE_MS} in seconds. */
    private final int maxCanonicalTimeDigits;
    private final String maxFutureSkewSeconds;
    private transient JsonFactory jsonFactory;

    /**
     * @param msPerUnit 1000 when times are epoch seconds, 1 when they are milliseconds
     * @param maxFutureSkewMs how far ahead of the wall clock an event's time may be
     */
    public EventValidation(long msPerUnit, long maxFutureSkewMs) {
        if (msPerUnit != 1 && msPerUnit != 1000) {
            throw new IllegalArgumentException(
                    "msPerUnit must be 1000 (seconds) or 1 (ms), got " + msPerUnit);
        }
        if (maxFutureSkewMs < 0) {
            throw new IllegalArgumentException(
                    "maxFutureSkewMs must not be negative, got " + maxFutureSkewMs);
        }
        this.msPerUnit = msPerUnit;
        this.maxFutureSkewMs = maxFutureSkewMs;
        this.maxCanonicalTimeDigits =
                inSeconds() ? Long.toString(SECONDS_THAT_LOOK_LIKE_MS - 1).length() : 15;
        this.maxFutureSkewSeconds = wholeSeconds(BigInteger.valueOf(maxFutureSkewMs));
    }

    /**
     * Decodes one record's value into {@code into}: a good event calls {@code
     * into.good(deviceId, timeMs)}; a bad one calls {@code into.bad(reason)}. Never
     * throws, whatever the bytes.
     */
    public void decode(byte[] payload, long nowMs, DecodedEvent into) {
        if (payload != null && decodeCanonical(payload, nowMs, into)) {
            return;
        }
        decodeFully(payload, nowMs, into);
    }

    /** The full path alone: what {@link #decode} gives, without the fast path. */
    void decodeFully(byte[] payload, long nowMs, DecodedEvent into) {
        String reason;
        try {
            reason = check(payload, nowMs, into);
        } catch (RuntimeException | StackOverflowError e) {
            // A decoder must never take the job down, whatever it throws: one poison
            // record, one reason.
            reason = "not JSON: it could not be read (" + e.getClass().getSimpleName() + ")";
        }
        if (reason != null) {
            into.bad(reason);
        }
    }

    private boolean inSeconds() {
        return msPerUnit != 1;
    }

    // ---- the fast path: the canonical layout, scanned byte by byte ----

    private boolean decodeCanonical(byte[] p, long nowMs, DecodedEvent into) {
        int i = skipSpace(p, literal(p, 0, EVENT_ID_KEY));
        i = quotedText(p, i, 0, MAX_EVENT_ID_CHARS, ' ');
        i = skipSpace(p, literal(p, i, ','));
        i = skipSpace(p, literal(p, i, DEVICE_ID_KEY));
        int deviceIdStart = i + 1;
        i = quotedText(p, i, 1, MAX_DEVICE_ID_CHARS, '!');
        int deviceIdEnd = i - 1;
        i = skipSpace(p, literal(p, i, ','));
        i = skipSpace(p, literal(p, i, TIME_KEY));
        if (i < 0 || i >= p.length || p[i] < '1' || p[i] > '9') {
            return false;
        }
        long time = 0;
        int digitsEnd = Math.min(p.length, i + maxCanonicalTimeDigits);
        for (; i < digitsEnd && p[i] >= '0' && p[i] <= '9'; i++) {
            time = time * 10 + (p[i] - '0');
        }
        if (i != p.length - 1 || p[i] != '}') {
            return false;
        }
        long timeMs = time * msPerUnit;
        if (!withinSkew(timeMs, nowMs)) {
            return false;
        }
        // ASCII only, so Latin-1 maps each byte to its character.
        int deviceIdLength = deviceIdEnd - deviceIdStart;
        into.good(new String(p, deviceIdStart, deviceIdLength, StandardCharsets.ISO_8859_1), timeMs);
        return true;
    }

    /** Whether a positive {@code timeMs} is at most the allowed skew ahead of {@code nowMs}. */
    private boolean withinSkew(long timeMs, long nowMs) {
        long aheadMs = timeMs - nowMs;
        // When the difference overflows, it is beyond any skew.
        boolean overflows = ((timeMs ^ nowMs) & (timeMs ^ aheadMs)) < 0;
        return !overflows && aheadMs <= maxFutureSkewMs;
    }

    /** Past {@code part} at {@code i}, or -1. */
    private static int literal(byte[] p, int i, byte[] part) {
        if (i < 0 || i + part.length > p.length) {
            return -1;
        }
        for (int j = 0; j < part.length; j++) {
            if (p[i + j] != part[j]) {
                return -1;
            }
        }
        return i + part.length;
    }

    private static int literal(byte[] p, int i, char c) {
        return i >= 0 && i < p.length && p[i] == c ? i + 1 : -1;
    }

    private static int skipSpace(byte[] p, int i) {
        return i >= 0 && i < p.length && p[i] == ' ' ? i + 1 : i;
    }

    /**
     * Past a string at {@code i} of {@code min} to {@code max} characters from {@code
     * lowest} to {@code '~'}, without quotes or backslashes; or -1.
     */
    private static int quotedText(byte[] p, int i, int min, int max, char lowest) {
        if (i < 0 || i >= p.length || p[i] != '"') {
            return -1;
        }
        int start = ++i;
        int end = Math.min(p.length, start + max + 1);
        for (; i < end; i++) {
            byte b = p[i];
            if (b == '"') {
                return i - start >= min ? i + 1 : -1;
            }
            if (b < lowest || b > '~' || b == '\\') {
                return -1;
            }
        }
        return -1;
    }

    // ---- the full path ----

    /** The reason {@code payload} is bad, or null once {@code into} holds the good event. */
    private String check(byte[] payload, long nowMs, DecodedEvent into) {
        if (payload == null) {
            return "tombstone: the record has no value";
        }
        if (payload.length == 0) {
            return "empty value";
        }
        if (payload.length > MAX_PAYLOAD_BYTES) {
            return "payload of " + payload.length + " bytes is over the " + MAX_PAYLOAD_BYTES
                    + "-byte limit";
        }
        if (payload.length >= 3
                && payload[0] == (byte) 0xEF
                && payload[1] == (byte) 0xBB
                && payload[2] == (byte) 0xBF) {
            return "not JSON: starts with a UTF-8 byte-order mark";
        }
        int invalid = firstInvalidUtf8(payload);
        if (invalid >= 0) {
            return "not UTF-8: invalid byte at offset " + invalid;
        }
        Fields fields = new Fields();
        String problem = read(payload, fields);
        if (problem != null) {
            return "not JSON: " + problem;
        }
        if (fields.root != JsonToken.START_OBJECT) {
            return "not a JSON object, got " + kind(fields.root);
        }
        problem = deviceIdProblem(fields);
        if (problem != null) {
            return problem;
        }
        return checkTime(fields, nowMs, into);
    }

    /** What the document holds at its top level, as far as validation cares. */
    private static final int OTHER_FIELD = 0;
    private static final int DEVICE_ID = 1;
    private static final int TIME = 2;

    private static final class Fields {
        JsonToken root;
        JsonToken deviceIdToken;
        String deviceId;
        JsonToken timeToken;
        Number time;
    }

    /** Reads the whole document into {@code fields}: why it is not JSON, or null. */
    private String read(byte[] payload, Fields fields) {
        // Only an escape can make a lone surrogate: the bytes are valid UTF-8.
        boolean escapes = indexOf(payload, (byte) '\\') >= 0;
        try (JsonParser parser = json().createParser(payload)) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                return "there is no value, only white space";
            }
            fields.root = token;
            int depth = 0;
            int field = OTHER_FIELD; // the top-level field whose value this token is
            while (true) {
                if (field == DEVICE_ID) {
                    fields.deviceIdToken = token;
                    fields.deviceId = token == JsonToken.VALUE_STRING ? parser.getText() : null;
                } else if (field == TIME) {
                    fields.timeToken = token;
                    fields.time = null;
                }
                switch (token) {
                    case START_OBJECT:
                    case START_ARRAY:
                        if (++depth > MAX_DEPTH) {
                            return "arrays and objects nested more than " + MAX_DEPTH
                                    + " deep (the depth limit)";
                        }
                        break;
                    case END_OBJECT:
                    case END_ARRAY:
                        depth--;
                        break;
                    case FIELD_NAME:
                    case VALUE_STRING:
                        if (escapes && hasLoneSurrogate(parser)) {
                            return "a string holds a lone UTF-16 surrogate"
                                    + " (an unpaired \\ud800 to \\udfff)";
                        }
                        break;
                    case VALUE_NUMBER_INT:
                    case VALUE_NUMBER_FLOAT:
                        Number number = number(parser, token);
                        if (number == null) {
                            return "a number is too large for a double: "
                                    + abbreviated(parser.getText());
                        }
                        if (field == TIME) {
                            fields.time = number;
                        }
                        break;
                    default:
                        break;
                }
                boolean topLevelName = token == JsonToken.FIELD_NAME && depth == 1;
                field = topLevelName ? field(parser.currentName()) : OTHER_FIELD;
                if (depth == 0) {
                    break;
                }
                token = parser.nextToken();
                if (token == null) {
                    return "the document ends early";
                }
            }
            if (parser.nextToken() != null) {
                return "more data after the JSON value, at byte "
                        + byteOffset(parser.currentTokenLocation());
            }
            return null;
        } catch (JsonProcessingException e) {
            return syntaxProblem(e);
        } catch (IOException e) {
            return "it could not be read (" + e.getClass().getSimpleName() + ")";
        }
    }

    /**
     * The number as orjson reads it: an integer from -2^63 to 2^64-1 is exact (a Long,
     * or a BigInteger above Long's range), any other number a Double; null when that
     * Double would be infinite.
     */
    private static Number number(JsonParser parser, JsonToken token) throws IOException {
        if (token == JsonToken.VALUE_NUMBER_INT) {
            int length = parser.getTextLength();
            if (length <= 18) {
                return parser.getLongValue();
            }
            String text = parser.getText();
            if (length <= 21) {
                BigInteger value = new BigInteger(text);
                if (value.compareTo(LONG_MIN) >= 0 && value.compareTo(UNSIGNED_LONG_MAX) <= 0) {
                    return value.bitLength() < 64 ? (Number) value.longValue() : value;
                }
            }
            double value = Double.parseDouble(text);
            return Double.isInfinite(value) ? null : value;
        }
        double value = parser.getDoubleValue();
        return Double.isInfinite(value) ? null : value;
    }

    private static int field(String name) {
        return "device-id".equals(name) ? DEVICE_ID : "time".equals(name) ? TIME : OTHER_FIELD;
    }

    private static boolean hasLoneSurrogate(JsonParser parser) throws IOException {
        return hasLoneSurrogate(
                parser.getTextCharacters(), parser.getTextOffset(), parser.getTextOffset() + parser.getTextLength());
    }

    /** Whether {@code text} holds half a surrogate pair, which no UTF-8 can carry. */
    static boolean hasLoneSurrogate(String text) {
        return hasLoneSurrogate(text.toCharArray(), 0, text.length());
    }

    private static boolean hasLoneSurrogate(char[] text, int start, int end) {
        for (int i = start; i < end; i++) {
            char c = text[i];
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= end || !Character.isLowSurrogate(text[i + 1])) {
                    return true;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    private static String syntaxProblem(JsonProcessingException e) {
        String detail = String.valueOf(e.getOriginalMessage());
        String what;
        if (detail.startsWith("Non-standard token")
                || detail.contains("'NaN'")
                || detail.contains("Infinity")) {
            what = "NaN and Infinity are not numbers in JSON";
        } else if (detail.startsWith("Unexpected end-of-input")) {
            what = "the document ends early";
        } else if (detail.startsWith("Illegal unquoted character")) {
            what = "a control character in a string is not escaped";
        } else if (detail.startsWith("Unrecognized character escape")) {
            what = "an unknown escape in a string";
        } else if (detail.contains("Leading zeroes") || detail.startsWith("Invalid numeric value")
                || detail.startsWith("Unexpected character") && detail.contains("numeric value")) {
            what = "a malformed number";
        } else if (detail.startsWith("Illegal character")) {
            what = "a character that is not allowed between values";
        } else if (detail.startsWith("Unexpected close marker")) {
            what = "a bracket closes what was not opened";
        } else if (detail.startsWith("Unexpected character")
                || detail.startsWith("Unrecognized token")) {
            what = "an unexpected character";
        } else {
            what = "malformed JSON";
        }
        // Jackson places an error at or just after the byte at fault.
        return what + " near byte " + byteOffset(e.getLocation());
    }

    private static long byteOffset(JsonLocation location) {
        return location == null ? -1 : location.getByteOffset();
    }

    private static String abbreviated(String text) {
        return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }

    private static String deviceIdProblem(Fields fields) {
        String deviceId = fields.deviceId;
        if (fields.deviceIdToken == null || fields.deviceIdToken == JsonToken.VALUE_NULL) {
            return "device-id is missing or null";
        }
        if (deviceId == null) {
            return "device-id must be a string, got " + kind(fields.deviceIdToken);
        }
        return deviceIdTextProblem(deviceId);
    }

    /**
     * What is wrong with {@code deviceId} as a device id (an event's, or a setting's
     * key), or null: empty, too long, or holding a control character.
     */
    static String deviceIdTextProblem(String deviceId) {
        if (deviceId.isEmpty()) {
            return "device-id is empty";
        }
        // In characters as Python counts them, code points; a string has no lone
        // surrogate by now.
        if (deviceId.length() > MAX_DEVICE_ID_CHARS
                && deviceId.codePointCount(0, deviceId.length()) > MAX_DEVICE_ID_CHARS) {
            return "device-id is longer than " + MAX_DEVICE_ID_CHARS + " characters";
        }
        for (int i = 0; i < deviceId.length(); i++) {
            char c = deviceId.charAt(i);
            if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
                return "device-id contains a control character";
            }
        }
        return null;
    }

    private String checkTime(Fields fields, long nowMs, DecodedEvent into) {
        JsonToken token = fields.timeToken;
        if (token == null || token == JsonToken.VALUE_NULL) {
            return "time is missing or null";
        }
        Number time = fields.time;
        if (time == null) {
            return "time must be a number, got " + kind(token);
        }
        BigInteger timeMs;
        if (time instanceof Long) {
            long value = (Long) time;
            if (value <= 0) {
                return "time must be positive, got " + value;
            }
            if (inSeconds() && value >= SECONDS_THAT_LOOK_LIKE_MS) {
                return looksLikeMs(Long.toString(value));
            }
            long ms = value * msPerUnit; // below 10^14 in seconds: no overflow
            if (withinSkew(ms, nowMs)) {
                into.good(fields.deviceId, ms);
                return null;
            }
            timeMs = BigInteger.valueOf(ms);
        } else if (time instanceof BigInteger) {
            // above Long's range, so positive and far ahead
            if (inSeconds()) {
                return looksLikeMs(time.toString());
            }
            timeMs = (BigInteger) time;
        } else {
            double value = time.doubleValue();
            if (value <= 0) {
                return "time must be positive, got " + pythonRepr(value);
            }
            if (inSeconds() && value >= SECONDS_THAT_LOOK_LIKE_MS_DOUBLE) {
                return looksLikeMs(pythonRepr(value));
            }
            // Python's int(value * ms_per_unit): the product in double, truncated.
            double product = value * msPerUnit;
            timeMs = product < 0x1p62
                    ? BigInteger.valueOf((long) product)
                    : new BigDecimal(product).toBigInteger();
        }
        BigInteger aheadMs = timeMs.subtract(BigInteger.valueOf(nowMs));
        if (aheadMs.compareTo(BigInteger.valueOf(maxFutureSkewMs)) > 0) {
            return "time is " + wholeSeconds(aheadMs) + " s ahead of the wall clock (more than the "
                    + maxFutureSkewSeconds + " s allowed)";
        }
        into.good(fields.deviceId, timeMs.longValueExact());
        return null;
    }

    private static String looksLikeMs(String value) {
        return "time " + value
                + " looks like milliseconds but the unit is seconds (see --time-unit ms)";
    }

    /** Python's {@code f"{ms / 1000:.0f}"}: the quotient as a double, rounded half to even. */
    static String wholeSeconds(BigInteger ms) {
        double seconds = new BigDecimal(ms).divide(THOUSAND).doubleValue();
        return new BigDecimal(seconds).setScale(0, RoundingMode.HALF_EVEN).toPlainString();
    }

    /** Python's {@code repr} of a float: the shortest digits that read back as it. */
    static String pythonRepr(double value) {
        if (Double.isNaN(value)) {
            return "nan";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        String sign = value < 0 || (value == 0 && 1 / value < 0) ? "-" : "";
        if (value == 0) {
            return sign + "0.0";
        }
        BigDecimal exact = new BigDecimal(value);
        BigDecimal shortest = exact;
        // The nearest decimal of n digits is the first to read back if any of n does.
        for (int digits = 1; digits <= 17; digits++) {
            BigDecimal candidate = exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
            if (candidate.doubleValue() == value) {
                shortest = candidate;
                break;
            }
        }
        shortest = shortest.stripTrailingZeros();
        String digits = shortest.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - shortest.scale();
        StringBuilder text = new StringBuilder(sign);
        if (exponent < -4 || exponent >= 16) {
            text.append(digits.charAt(0));
            if (digits.length() > 1) {
                text.append('.').append(digits, 1, digits.length());
            }
            text.append(exponent < 0 ? "e-" : "e+");
            if (Math.abs(exponent) < 10) {
                text.append('0');
            }
            return text.append(Math.abs(exponent)).toString();
        }
        if (exponent < 0) {
            text.append("0.").append("0".repeat(-exponent - 1)).append(digits);
        } else if (digits.length() <= exponent + 1) {
            text.append(digits).append("0".repeat(exponent + 1 - digits.length())).append(".0");
        } else {
            text.append(digits, 0, exponent + 1)
                    .append('.')
                    .append(digits, exponent + 1, digits.length());
        }
        return text.toString();
    }

    private static String kind(JsonToken token) {
        switch (token) {
            case VALUE_NULL:
                return "null";
            case VALUE_TRUE:
            case VALUE_FALSE:
                return "a boolean";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return "a number";
            case VALUE_STRING:
                return "a string";
            case START_ARRAY:
                return "an array";
            default:
                return "an object";
        }
    }

    /**
     * Where the first byte that is not UTF-8 is, as Python's decoder says (the start of
     * the bad sequence), or -1. Strict: no overlong forms, no encoded surrogates, nothing
     * above U+10FFFF.
     */
    static int firstInvalidUtf8(byte[] p) {
        int i = 0;
        int n = p.length;
        while (i < n) {
            int b = p[i];
            if (b >= 0) {
                i++;
                continue;
            }
            b &= 0xFF;
            int length;
            int low = 0x80;
            int high = 0xBF;
            if (b >= 0xC2 && b <= 0xDF) {
                length = 2;
            } else if (b >= 0xE0 && b <= 0xEF) {
                length = 3;
                if (b == 0xE0) {
                    low = 0xA0;
                } else if (b == 0xED) {
                    high = 0x9F;
                }
            } else if (b >= 0xF0 && b <= 0xF4) {
                length = 4;
                if (b == 0xF0) {
                    low = 0x90;
                } else if (b == 0xF4) {
                    high = 0x8F;
                }
            } else {
                return i;
            }
            if (i + length > n) {
                return i;
            }
            int second = p[i + 1] & 0xFF;
            if (second < low || second > high) {
                return i;
            }
            for (int j = 2; j < length; j++) {
                if ((p[i + j] & 0xC0) != 0x80) {
                    return i;
                }
            }
            i += length;
        }
        return -1;
    }

    private static int indexOf(byte[] p, byte b) {
        for (int i = 0; i < p.length; i++) {
            if (p[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private JsonFactory json() {
        if (jsonFactory == null) {
            // No limits of Jackson's own below the payload's: the rules above are the
            // limits, orjson's.
            StreamReadConstraints unlimited = StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH + 1)
                    .maxNumberLength(Integer.MAX_VALUE)
                    .maxNameLength(Integer.MAX_VALUE)
                    .maxStringLength(Integer.MAX_VALUE)
                    .build();
            jsonFactory = JsonFactory.builder()
                    .streamReadConstraints(unlimited)
                    // Field names of hostile records must not fill the JVM's string table.
                    .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
                    .build();
        }
        return jsonFactory;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}

package io.iotmonitor.flink;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.kafka.shaded.org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.flink.util.Collector;

/**
 * Reads the records of the events topic in the Kafka source itself, one pass over each:
 * a record in the canonical layout becomes an event here and never reaches Python; any
 * other goes on as it is, for the validation in Python ({@code iot_monitor.validation}),
 * which decides its fate and gives the reason.
 *
 * <p>The canonical layout is the Python side's regular expression ({@code
 * iot_monitor.canonical.canonical_line_regex}), passed in, so it is defined once. It only
 * admits characters that need no unescaping and that validation accepts, so a match is
 * a good event, provided its time is not too far ahead: at most the allowed skew ahead
 * of the wall clock (validation's own bound) and of the record's Kafka timestamp (the
 * watermark's bound, below). A record that fails either bound takes the full validation.
 *
 * <p>The watermark follows a record's time only when that time is at most the allowed
 * skew ahead of the record's Kafka timestamp, set when it was produced: one event from
 * the far future cannot drag the whole fleet's time along. In seconds, a time that
 * validation takes for milliseconds does not count either.
 */
public class EventDecoder implements KafkaRecordDeserializationSchema<KafkaEvent> {
    private static final long serialVersionUID = 1L;
    private static final byte[] TIME_KEY = "\"time\"".getBytes(StandardCharsets.US_ASCII);
    private static final long NO_TIME = Long.MIN_VALUE;

    private final String canonicalRegex;
    private final long msPerUnit;
    private final long maxFutureSkewMs;
    private final long timeLimitMs;
    private transient Pattern canonical;

    /**
     * @param canonicalRegex the canonical layout, with the device id as group 1 and the
     *     time as group 2; the whole record must match
     * @param msPerUnit 1000 when times are epoch seconds, 1 for milliseconds
     * @param maxFutureSkewMs how far ahead of the wall clock and of its Kafka timestamp an
     *     event's time may be
     * @param timeLimitMs times from this on never move the watermark
     */
    public EventDecoder(
            String canonicalRegex, long msPerUnit, long maxFutureSkewMs, long timeLimitMs) {
        this.canonicalRegex = canonicalRegex;
        this.msPerUnit = msPerUnit;
        this.maxFutureSkewMs = maxFutureSkewMs;
        this.timeLimitMs = timeLimitMs;
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<KafkaEvent> out) {
        KafkaEvent event = decode(record.value(), record.timestamp(), System.currentTimeMillis());
        event.topic = record.topic();
        event.partition = record.partition();
        event.offset = record.offset();
        out.collect(event);
    }

    /** The record {@code payload}, produced at {@code kafkaTimestampMs}, read at {@code nowMs}. */
    public KafkaEvent decode(byte[] payload, long kafkaTimestampMs, long nowMs) {
        KafkaEvent event = new KafkaEvent();
        event.payload = payload;
        if (payload == null) {
            return event;
        }
        // Latin-1 maps byte to char one to one; the layout admits ASCII only, so any
        // other byte fails the match, as it would in UTF-8.
        Matcher line = pattern().matcher(new String(payload, StandardCharsets.ISO_8859_1));
        boolean canonicalLine = line.matches();
        long timeMs =
                canonicalLine ? Long.parseLong(line.group(2)) * msPerUnit : lenientTimeMs(payload);
        if (timeMs == NO_TIME) {
            return event;
        }
        event.timeMs = timeMs;
        event.watermarked = timeMs <= kafkaTimestampMs + maxFutureSkewMs && timeMs < timeLimitMs;
        if (canonicalLine && event.watermarked && timeMs <= nowMs + maxFutureSkewMs) {
            event.deviceId = line.group(1);
        }
        return event;
    }

    private Pattern pattern() {
        if (canonical == null) {
            canonical = Pattern.compile(canonicalRegex);
        }
        return canonical;
    }

    /**
     * The number after the first {@code "time"} key, in ms: exact for the usual layouts
     * (other key orders, spaces, a fraction), {@link #NO_TIME} when there is none. Only
     * the watermark uses it; validation reads the time again, strictly.
     */
    private long lenientTimeMs(byte[] payload) {
        int at = indexOf(payload, TIME_KEY);
        if (at < 0) {
            return NO_TIME;
        }
        int i = skipSpaces(payload, at + TIME_KEY.length);
        if (i >= payload.length || payload[i] != ':') {
            return NO_TIME;
        }
        int start = skipSpaces(payload, i + 1);
        int end = start;
        while (end < payload.length && isNumberByte(payload[end])) {
            end++;
        }
        int after = skipSpaces(payload, end);
        boolean ends = after == payload.length || payload[after] == ',' || payload[after] == '}';
        if (end == start || !ends) {
            return NO_TIME;
        }
        String number = new String(payload, start, end - start, StandardCharsets.US_ASCII);
        try {
            if (number.chars().allMatch(Character::isDigit) && number.length() <= 15) {
                return Long.parseLong(number) * msPerUnit;
            }
            double value = Double.parseDouble(number) * msPerUnit;
            return Double.isFinite(value) ? (long) value : NO_TIME;
        } catch (NumberFormatException e) {
            return NO_TIME;
        }
    }

    private static boolean isNumberByte(byte b) {
        return (b >= '0' && b <= '9') || b == '-' || b == '+' || b == '.' || b == 'e' || b == 'E';
    }

    private static int skipSpaces(byte[] bytes, int from) {
        int i = from;
        while (i < bytes.length
                && (bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\n' || bytes[i] == '\r')) {
            i++;
        }
        return i;
    }

    private static int indexOf(byte[] bytes, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= bytes.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (bytes[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public TypeInformation<KafkaEvent> getProducedType() {
        return TypeInformation.of(KafkaEvent.class);
    }
}

package io.iotmonitor.flink;

/**
 * One record of the events topic as {@link EventDecoder} reads it. A record in the
 * canonical layout is already an event: its device id is set and its time is exact.
 * Any other keeps its payload and place in the topic for the validation in Python.
 *
 * <p>A public class with public fields and a no-argument constructor, so that Flink
 * handles it as a POJO.
 */
public class KafkaEvent {
    /** The record's value as sent; null for a tombstone. */
    public byte[] payload;

    public String topic;
    public int partition;
    public long offset;

    /** The device id of a canonical event; null for any other record. */
    public String deviceId;

    /**
     * The event time in ms: exact for a canonical event, read leniently from the first
     * {@code "time"} key of any other record, and 0 when none can be read.
     */
    public long timeMs;

    /** Whether the watermark may follow {@link #timeMs} (see {@link EventDecoder}). */
    public boolean watermarked;

    public KafkaEvent() {}

    public boolean isCanonical() {
        return deviceId != null;
    }
}

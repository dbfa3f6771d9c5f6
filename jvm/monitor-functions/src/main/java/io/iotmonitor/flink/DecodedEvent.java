package io.iotmonitor.flink;

/**
 * One record of the input, a Kafka record of the events topic or a line of a replay
 * file, once decoded: a good event (its device id and time are set) or a bad one (its
 * reason is set, and its payload and place in the input go to the dead letters).
 *
 * <p>A public class with public fields and a no-argument constructor, so that Flink
 * handles it as a POJO.
 */
public class DecodedEvent {
    /** The record's value as sent; null for a tombstone. */
    public byte[] payload;

    /** Where it was read: the topic, or the replay's file. */
    public String source;

    public int partition;

    /** Its Kafka offset, or its line number (from 1) in a replay's file. */
    public long offset;

    /** The device id of a good event; null for a bad one. */
    public String deviceId;

    /** The event time in ms of a good event. */
    public long timeMs;

    /** Why a bad event cannot be used, in words for the operator; null for a good one. */
    public String reason;

    /** Whether the watermark may follow {@link #timeMs} (see {@link EventDecoder}). */
    public boolean watermarked;

    /**
     * Set on the one record after the last line of a replay's file, which is no event:
     * {@link #offset} is then the number of lines and {@link #timeMs} the input's last
     * check (see {@link ReplayInput}).
     */
    public boolean endOfInput;

    public DecodedEvent() {}

    public boolean isGood() {
        return deviceId != null;
    }

    public void good(String deviceId, long timeMs) {
        this.deviceId = deviceId;
        this.timeMs = timeMs;
        this.reason = null;
    }

    public void bad(String reason) {
        this.deviceId = null;
        this.reason = reason;
    }
}

package io.iotmonitor.flink;

import java.io.Serializable;

/**
 * One record of the device settings (a Kafka record of the settings topic, or a line of
 * a replay's settings file), once read by {@link DeviceSettings#parse}: a good one says
 * what its key holds from {@link #timeMs} on; a bad one has its {@link #reason}, and its
 * payload and place go to the dead letters.
 *
 * <p>A public class with public fields and a no-argument constructor, so that Flink
 * handles it as a POJO (and serialisable: a replay's settings travel with the operator).
 */
public class SettingRecord implements Serializable {
    private static final long serialVersionUID = 1L;

    /** A device id, or {@code pattern:} and a glob. */
    public String key;

    /** From when it applies: the record's timestamp, in ms. */
    public long timeMs;

    /** The key's whole value: {@link DeviceSettings#entry}; all unset for a deletion. */
    public long timeoutMs = DeviceSettings.UNSET;

    public long pausedUntilMs = DeviceSettings.UNSET;

    public boolean expected;

    /** Why it cannot be used, in words for the operator; null for a good one. */
    public String reason;

    /** The value as sent, the topic (or file), partition and offset (or line): for a dead letter. */
    public byte[] payload;

    public String source;

    public int partition;

    public long offset;

    public SettingRecord() {}

    public boolean isGood() {
        return reason == null;
    }

    public boolean isPattern() {
        return key.startsWith(DeviceSettings.PATTERN_PREFIX);
    }

    /** The record as a dead letter, in the shape of a bad event's. */
    public DecodedEvent deadLetter() {
        DecodedEvent letter = new DecodedEvent();
        letter.payload = payload;
        letter.source = source;
        letter.partition = partition;
        letter.offset = offset;
        letter.bad(reason);
        return letter;
    }
}

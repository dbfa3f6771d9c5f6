package io.iotmonitor.flink;

/** An alert: at the check {@link #checkMs} the device had been silent since {@link #latestEventMs}. */
public class Alert {
    public String deviceId;
    public long latestEventMs;
    public long checkMs;

    public Alert() {}

    public Alert(String deviceId, long latestEventMs, long checkMs) {
        this.deviceId = deviceId;
        this.latestEventMs = latestEventMs;
        this.checkMs = checkMs;
    }
}

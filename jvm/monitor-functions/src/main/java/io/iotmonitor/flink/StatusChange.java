package io.iotmonitor.flink;

/**
 * A device's change of state ({@link SilenceSchedule#SILENT}, {@link
 * SilenceSchedule#BACK}, {@link SilenceSchedule#FORGOTTEN}): since {@link #sinceMs}, its
 * latest event time then, reported at {@link #atMs}.
 */
public class StatusChange {
    public String deviceId;
    public String status;
    public long sinceMs;
    public long atMs;

    public StatusChange() {}

    public StatusChange(String deviceId, String status, long sinceMs, long atMs) {
        this.deviceId = deviceId;
        this.status = status;
        this.sinceMs = sinceMs;
        this.atMs = atMs;
    }
}

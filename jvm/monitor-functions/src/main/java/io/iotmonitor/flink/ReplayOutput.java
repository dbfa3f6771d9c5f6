package io.iotmonitor.flink;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.util.CloseableIterator;

/**
 * What a replay raises, as tab-separated lines for the replay command to sort and print:
 * {@code alert TAB check-ms TAB device-id TAB json}, {@code status TAB at-ms TAB
 * device-id TAB status TAB json}, {@code bad TAB line TAB reason}, and one {@code end TAB
 * lines TAB last-check-ms} (the last check is empty when no line was an event).
 */
public final class ReplayOutput {
    private ReplayOutput() {}

    public static DataStream<String> lines(
            DataStream<Alert> alerts,
            DataStream<StatusChange> changes,
            DataStream<DecodedEvent> rejected,
            long msPerUnit) {
        DataStream<String> alertLines =
                alerts.map(
                        alert ->
                                "alert\t" + alert.checkMs + "\t" + alert.deviceId + "\t"
                                        + WireFormat.replayAlert(alert, msPerUnit),
                        Types.STRING);
        DataStream<String> statusLines =
                changes.map(
                        change ->
                                "status\t" + change.atMs + "\t" + change.deviceId + "\t"
                                        + change.status + "\t"
                                        + WireFormat.statusBody(change, msPerUnit),
                        Types.STRING);
        DataStream<String> otherLines =
                rejected.map(
                        event ->
                                event.endOfInput
                                        ? "end\t" + event.offset + "\t"
                                                + (event.timeMs == Long.MIN_VALUE ? "" : event.timeMs)
                                        : "bad\t" + event.offset + "\t" + event.reason.replace('\n', ' '),
                        Types.STRING);
        return alertLines.union(statusLines, otherLines);
    }

    /**
     * Runs the job of {@code lines}, writes every line to {@code path}, and returns
     * Flink's net runtime of the job in ms.
     */
    public static long collect(DataStream<String> lines, String jobName, String path)
            throws Exception {
        CloseableIterator<String> collected = lines.collectAsync();
        JobClient job = lines.getExecutionEnvironment().executeAsync(jobName);
        try (BufferedWriter out = Files.newBufferedWriter(Paths.get(path), StandardCharsets.UTF_8)) {
            while (collected.hasNext()) {
                out.write(collected.next());
                out.write('\n');
            }
        } catch (IOException e) {
            throw new IOException("cannot write the replay's output to " + path, e);
        } finally {
            collected.close();
        }
        return job.getJobExecutionResult().get().getNetRuntime();
    }
}

package io.iotmonitor.flink;

import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.reader.TextLineInputFormat;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * A replay's events as its screening in Python wrote them, one {@code time-ms TAB
 * device-id} line each, read as device ids whose timestamps are their event times.
 *
 * <p>The watermark, the newest time read minus the allowed out-of-orderness, moves
 * after every record, so what a replay raises never depends on how fast the file is
 * read.
 */
public final class ScreenedEvents {
    private ScreenedEvents() {}

    /** The device ids of the screened file at {@code path}. */
    public static DataStream<String> read(
            StreamExecutionEnvironment env, String path, long outOfOrdernessMs) {
        FileSource<String> file =
                FileSource.forRecordStreamFormat(new TextLineInputFormat(), new Path(path))
                        .build();
        WatermarkGeneratorSupplier<String> afterEveryRecord =
                context -> new LaggingWatermark<>(outOfOrdernessMs, line -> true, true);
        WatermarkStrategy<String> watermarks =
                WatermarkStrategy.forGenerator(afterEveryRecord)
                        .withTimestampAssigner((line, unused) -> timeMs(line));
        return env.fromSource(file, watermarks, "screened events")
                .map(line -> line.substring(line.indexOf('\t') + 1), Types.STRING)
                .name("device id");
    }

    private static long timeMs(String line) {
        return Long.parseLong(line, 0, line.indexOf('\t'), 10);
    }
}

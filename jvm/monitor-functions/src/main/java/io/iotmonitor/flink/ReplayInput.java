package io.iotmonitor.flink;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.reader.SimpleStreamFormat;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * A replay's file of JSON lines as decoded records, in one pass: each line is decoded
 * with {@link EventValidation} and keeps its line number, and after the last line comes
 * one record marked {@link DecodedEvent#endOfInput}, which carries the number of lines
 * and the input's last check: the last multiple of the check interval not after the
 * newest good event time.
 *
 * <p>The watermark, the newest good time minus the allowed out-of-orderness, moves
 * after every record, so what a replay raises never depends on how fast the file is
 * read; at the end it moves to the last check, so that every check up to it is made,
 * and then (as for any bounded input) to the end of time, where no check is made.
 */
public final class ReplayInput {
    private ReplayInput() {}

    /** The decoded lines of the file at {@code path}. */
    public static DataStream<DecodedEvent> read(
            StreamExecutionEnvironment env,
            String path,
            EventValidation validation,
            long checkIntervalMs,
            long outOfOrdernessMs) {
        FileSource<DecodedEvent> file =
                FileSource.forRecordStreamFormat(
                                new Lines(path, validation, checkIntervalMs), new Path(path))
                        .build();
        WatermarkStrategy<DecodedEvent> watermarks =
                WatermarkStrategy.<DecodedEvent>forGenerator(
                                context -> new AfterEveryRecord(outOfOrdernessMs))
                        .withTimestampAssigner((event, unused) -> event.timeMs);
        // One reader, the file's, and no other: a second, with nothing to read, would hold
        // the watermark back until it ended, so that how many records were read before
        // the checks (which decides when a return counts) would depend on timing.
        return env.fromSource(file, watermarks, "replay file").setParallelism(1).uid("replay-file");
    }

    /** The file's lines, decoded. Not splittable: one reader numbers every line. */
    private static final class Lines extends SimpleStreamFormat<DecodedEvent> {
        private static final long serialVersionUID = 1L;
        private final String path;
        private final EventValidation validation;
        private final long checkIntervalMs;

        Lines(String path, EventValidation validation, long checkIntervalMs) {
            this.path = path;
            this.validation = validation;
            this.checkIntervalMs = checkIntervalMs;
        }

        @Override
        public StreamFormat.Reader<DecodedEvent> createReader(
                Configuration config, FSDataInputStream stream) {
            return new LineReader(stream, this);
        }

        @Override
        public TypeInformation<DecodedEvent> getProducedType() {
            return TypeInformation.of(DecodedEvent.class);
        }
    }

    private static final class LineReader implements StreamFormat.Reader<DecodedEvent> {
        private final InputStream stream;
        private final Lines format;
        private byte[] buffer = new byte[1 << 16];
        private int start;
        private int end;
        private boolean exhausted;
        private boolean ended;
        private long lineNumber;
        private long newestMs = Long.MIN_VALUE;

        LineReader(InputStream stream, Lines format) {
            this.stream = stream;
            this.format = format;
        }

        @Override
        public DecodedEvent read() throws IOException {
            byte[] line = nextLine();
            if (line == null) {
                return ended ? null : end();
            }
            DecodedEvent event = new DecodedEvent();
            event.payload = line;
            event.source = format.path;
            event.offset = ++lineNumber;
            format.validation.decode(line, System.currentTimeMillis(), event);
            if (event.isGood() && event.timeMs > newestMs) {
                newestMs = event.timeMs;
            }
            return event;
        }

        private DecodedEvent end() {
            ended = true;
            DecodedEvent end = new DecodedEvent();
            end.endOfInput = true;
            end.source = format.path;
            end.offset = lineNumber;
            long interval = format.checkIntervalMs;
            end.timeMs =
                    newestMs == Long.MIN_VALUE
                            ? Long.MIN_VALUE
                            : Math.floorDiv(newestMs, interval) * interval;
            return end;
        }

        /** The next line without its line break ("\n" or "\r\n"); null after the last. */
        private byte[] nextLine() throws IOException {
            int scanned = start;
            while (true) {
                for (int i = scanned; i < end; i++) {
                    if (buffer[i] == '\n') {
                        int stop = i > start && buffer[i - 1] == '\r' ? i - 1 : i;
                        byte[] line = Arrays.copyOfRange(buffer, start, stop);
                        start = i + 1;
                        return line;
                    }
                }
                scanned = end;
                if (exhausted) {
                    if (start == end) {
                        return null;
                    }
                    int stop = buffer[end - 1] == '\r' ? end - 1 : end;
                    byte[] line = Arrays.copyOfRange(buffer, start, stop);
                    start = end;
                    return line;
                }
                scanned -= fill();
            }
        }

        /** Reads more of the file; returns by how much the unread part moved left. */
        private int fill() throws IOException {
            int moved = start;
            if (start > 0) {
                System.arraycopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buffer.length) {
                buffer = Arrays.copyOf(buffer, buffer.length * 2);
            }
            int read = stream.read(buffer, end, buffer.length - end);
            if (read < 0) {
                exhausted = true;
            } else {
                end += read;
            }
            return moved;
        }

        @Override
        public void close() throws IOException {
            stream.close();
        }
    }

    /** The newest good time minus the out-of-orderness after every record; the last check at the end. */
    private static final class AfterEveryRecord implements WatermarkGenerator<DecodedEvent> {
        private final long outOfOrdernessMs;
        private long watermarkMs = Long.MIN_VALUE;

        AfterEveryRecord(long outOfOrdernessMs) {
            this.outOfOrdernessMs = outOfOrdernessMs;
        }

        @Override
        public void onEvent(DecodedEvent event, long timestamp, WatermarkOutput output) {
            long next =
                    event.endOfInput ? timestamp : event.isGood() ? timestamp - outOfOrdernessMs : Long.MIN_VALUE;
            if (next > watermarkMs) {
                watermarkMs = next;
                output.emitWatermark(new Watermark(watermarkMs));
            }
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {}
    }
}

package io.iotmonitor.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.core.io.InputStatus;
import org.junit.jupiter.api.Test;

class EveryPartitionWatermarkedTest {
    /** The outputs made, in order, each with the split the reader said it was making. */
    private final List<String> made = new ArrayList<>();
    private final List<String> saidMaking = new ArrayList<>();
    /** How many outputs existed when the wrapped reader was first asked for records. */
    private int madeBeforeRead = -1;
    private final CompletableFuture<Void> nothingYet = new CompletableFuture<>();

    @Test
    void everyNewSplitHasItsOutputBeforeAnyRecordIsRead() throws Exception {
        var reader = new EveryPartitionWatermarked.Reader<>(new Wrapped());
        reader.addSplits(List.of(split("events-0"), split("events-2")));
        // Nothing to read yet, but the outputs are made at once.
        assertTrue(reader.isAvailable().isDone());
        reader.pollNext(new Output());
        assertEquals(List.of("events-0", "events-2"), made);
        assertEquals(2, madeBeforeRead);
        // Its watermark generator learns which split it is while it is made, and only then.
        assertEquals(made, saidMaking);
        assertNull(EveryPartitionWatermarked.splitBeingMade());
        // Once made, they are not made again, and availability is the reader's again.
        reader.pollNext(new Output());
        assertEquals(2, made.size());
        assertFalse(reader.isAvailable().isDone());
        reader.addSplits(List.of(split("events-1")));
        reader.pollNext(new Output());
        assertEquals(List.of("events-0", "events-2", "events-1"), made);
    }

    @Test
    void theGeneratorTakesThePartitionFromTheSplitId() {
        assertEquals(12, EventWatermarks.partitionOf("events-12"));
        assertEquals(0, EventWatermarks.partitionOf("my-events-0"));
        assertEquals(-1, EventWatermarks.partitionOf("events"));
        assertEquals(-1, EventWatermarks.partitionOf(null));
    }

    private static SourceSplit split(String id) {
        return () -> id;
    }

    private final class Wrapped implements SourceReader<String, SourceSplit> {
        @Override
        public void start() {}

        @Override
        public InputStatus pollNext(ReaderOutput<String> output) {
            if (madeBeforeRead < 0) {
                madeBeforeRead = made.size();
            }
            return InputStatus.NOTHING_AVAILABLE;
        }

        @Override
        public List<SourceSplit> snapshotState(long checkpointId) {
            return List.of();
        }

        @Override
        public CompletableFuture<Void> isAvailable() {
            return nothingYet;
        }

        @Override
        public void addSplits(List<SourceSplit> splits) {}

        @Override
        public void notifyNoMoreSplits() {}

        @Override
        public void close() {}
    }

    private final class Output implements ReaderOutput<String> {
        @Override
        public void collect(String record) {}

        @Override
        public void collect(String record, long timestamp) {}

        @Override
        public void emitWatermark(Watermark watermark) {}

        @Override
        public void markIdle() {}

        @Override
        public void markActive() {}

        @Override
        public SourceOutput<String> createOutputForSplit(String splitId) {
            made.add(splitId);
            saidMaking.add(EveryPartitionWatermarked.splitBeingMade());
            return this;
        }

        @Override
        public void releaseOutputForSplit(String splitId) {}
    }
}

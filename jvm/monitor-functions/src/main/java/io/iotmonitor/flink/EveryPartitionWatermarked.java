package io.iotmonitor.flink;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * A source whose readers give each split (each partition) its watermark output as soon
 * as the split is theirs, not when its first records are read.
 *
 * <p>Flink's readers make a split's output, and with it the split's watermark, at its
 * first records: until then the split does not hold time back. After a restart the
 * first partition to deliver would then drive time alone, and checks would be made
 * before the other partitions' backlog is read (false alerts, as after a broker outage
 * that the job restarted through). Made at once, the output of a partition with nothing
 * read yet holds time back until its events come, or until it counts as idle ({@link
 * EventWatermarks}): read to its end for the idle timeout.
 */
public final class EveryPartitionWatermarked<T, S extends SourceSplit, E>
        implements Source<T, S, E>, ResultTypeQueryable<T> {
    private static final long serialVersionUID = 1L;
    /** The split whose output is being made, while it is: its watermark generator asks. */
    private static final ThreadLocal<String> MAKING = new ThreadLocal<>();

    private final Source<T, S, E> source;

    private EveryPartitionWatermarked(Source<T, S, E> source) {
        this.source = source;
    }

    public static <T, S extends SourceSplit, E> EveryPartitionWatermarked<T, S, E> of(
            Source<T, S, E> source) {
        return new EveryPartitionWatermarked<>(source);
    }

    /** The id of the split whose output this thread is making now; null if none. */
    static String splitBeingMade() {
        return MAKING.get();
    }

    @Override
    public Boundedness getBoundedness() {
        return source.getBoundedness();
    }

    @Override
    public SourceReader<T, S> createReader(SourceReaderContext context) throws Exception {
        return new Reader<>(source.createReader(context));
    }

    @Override
    public SplitEnumerator<S, E> createEnumerator(SplitEnumeratorContext<S> context)
            throws Exception {
        return source.createEnumerator(context);
    }

    @Override
    public SplitEnumerator<S, E> restoreEnumerator(SplitEnumeratorContext<S> context, E checkpoint)
            throws Exception {
        return source.restoreEnumerator(context, checkpoint);
    }

    @Override
    public SimpleVersionedSerializer<S> getSplitSerializer() {
        return source.getSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<E> getEnumeratorCheckpointSerializer() {
        return source.getEnumeratorCheckpointSerializer();
    }

    @Override
    @SuppressWarnings("unchecked")
    public TypeInformation<T> getProducedType() {
        return ((ResultTypeQueryable<T>) source).getProducedType();
    }

    /** The reader, making the outputs of its new splits before it reads on. */
    @SuppressWarnings("try") // close() throws what the reader it wraps throws
    static final class Reader<T, S extends SourceSplit> implements SourceReader<T, S> {
        private final SourceReader<T, S> reader;
        /** Splits added since the last poll; only the task's thread touches it. */
        private final List<String> added = new ArrayList<>();

        Reader(SourceReader<T, S> reader) {
            this.reader = reader;
        }

        @Override
        public void start() {
            reader.start();
        }

        @Override
        public InputStatus pollNext(ReaderOutput<T> output) throws Exception {
            for (String splitId : added) {
                MAKING.set(splitId);
                try {
                    output.createOutputForSplit(splitId); // the reader later gets this one
                } finally {
                    MAKING.remove();
                }
            }
            added.clear();
            return reader.pollNext(output);
        }

        @Override
        public CompletableFuture<Void> isAvailable() {
            // New splits get their outputs at once, whether or not records wait.
            return added.isEmpty() ? reader.isAvailable() : CompletableFuture.completedFuture(null);
        }

        @Override
        public void addSplits(List<S> splits) {
            for (S split : splits) {
                added.add(split.splitId());
            }
            reader.addSplits(splits);
        }

        @Override
        public List<S> snapshotState(long checkpointId) {
            return reader.snapshotState(checkpointId);
        }

        @Override
        public void notifyNoMoreSplits() {
            reader.notifyNoMoreSplits();
        }

        @Override
        public void handleSourceEvents(SourceEvent event) {
            reader.handleSourceEvents(event);
        }

        @Override
        public void pauseOrResumeSplits(Collection<String> toPause, Collection<String> toResume) {
            reader.pauseOrResumeSplits(toPause, toResume);
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) throws Exception {
            reader.notifyCheckpointComplete(checkpointId);
        }

        @Override
        public void notifyCheckpointAborted(long checkpointId) throws Exception {
            reader.notifyCheckpointAborted(checkpointId);
        }

        @Override
        public void close() throws Exception {
            reader.close();
        }
    }
}

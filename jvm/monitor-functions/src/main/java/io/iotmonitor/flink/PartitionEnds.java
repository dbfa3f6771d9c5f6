package io.iotmonitor.flink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.kafka.shaded.org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.flink.kafka.shaded.org.apache.kafka.common.PartitionInfo;
import org.apache.flink.kafka.shaded.org.apache.kafka.common.TopicPartition;
import org.apache.flink.kafka.shaded.org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The ends of a topic's partitions, as the broker tells them: since when each partition
 * has been readable with nothing new written to it. Only from then on can finding
 * nothing to read mean a silent partition; while the broker cannot be reached, or its
 * partition's end moves, it does not.
 *
 * <p>One thread per TaskManager asks once a second, for all the partitions that its
 * event sources read; it stops when nobody has asked for a minute (the job ended).
 */
final class PartitionEnds {
    static final Duration ASK_TIMEOUT = Duration.ofSeconds(2);
    private static final long ASK_EVERY_MS = 1000;
    private static final long UNWATCHED_AFTER_MS = 60_000;
    /** An answer older than this is no answer: the asking thread is stuck on the broker. */
    private static final long STALE_AFTER_MS = 2 * ASK_EVERY_MS + ASK_TIMEOUT.toMillis();
    private static final long UNREADABLE = -1;
    private static final Map<List<Object>, PartitionEnds> WATCHED = new HashMap<>();

    private final List<Object> key;
    private final Map<Integer, Long> ends = new ConcurrentHashMap<>();
    private final Map<Integer, Long> endMovedAtMs = new ConcurrentHashMap<>();
    private volatile long readableSinceMs = UNREADABLE;
    private volatile long answeredAtMs;
    private long askedAtMs; // guarded by WATCHED

    private PartitionEnds(List<Object> key) {
        this.key = key;
    }

    /**
     * Since when (wall clock ms) {@code partition} of {@code topic} has been readable and
     * its end has not moved; {@link Long#MAX_VALUE} while the broker cannot be reached.
     * For a partition not known yet ({@code partition < 0}), since when the topic has
     * been readable.
     */
    static long quietSinceMs(Map<String, String> consumer, String topic, int partition) {
        long nowMs = System.currentTimeMillis();
        PartitionEnds watched;
        synchronized (WATCHED) {
            List<Object> key = List.of(new HashMap<>(consumer), topic);
            watched = WATCHED.get(key);
            if (watched == null) {
                watched = new PartitionEnds(key);
                watched.answeredAtMs = nowMs;
                WATCHED.put(key, watched);
                Thread thread = new Thread(watched::watch, "partition ends of " + topic);
                thread.setDaemon(true);
                thread.start();
            }
            watched.askedAtMs = nowMs;
        }
        long readableMs = watched.readableSinceMs;
        if (readableMs == UNREADABLE || nowMs - watched.answeredAtMs > STALE_AFTER_MS) {
            return Long.MAX_VALUE;
        }
        Long movedMs = partition < 0 ? null : watched.endMovedAtMs.get(partition);
        return movedMs == null ? readableMs : Math.max(readableMs, movedMs);
    }

    @SuppressWarnings("unchecked")
    private void watch() {
        try (KafkaConsumer<byte[], byte[]> consumer =
                consumer((Map<String, String>) key.get(0))) {
            String topic = (String) key.get(1);
            while (true) {
                long nowMs = System.currentTimeMillis();
                synchronized (WATCHED) {
                    if (nowMs - askedAtMs >= UNWATCHED_AFTER_MS) {
                        return;
                    }
                }
                try {
                    endOffsets(consumer, topic).forEach((partition, end) -> {
                        Long before = ends.put(partition.partition(), end);
                        if (!end.equals(before)) {
                            endMovedAtMs.put(partition.partition(), nowMs);
                        }
                    });
                    if (readableSinceMs == UNREADABLE) {
                        readableSinceMs = nowMs;
                    }
                    answeredAtMs = System.currentTimeMillis();
                } catch (RuntimeException e) {
                    readableSinceMs = UNREADABLE; // InputClock says so in the log
                }
                Thread.sleep(ASK_EVERY_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (WATCHED) {
                WATCHED.remove(key, this); // the next to ask starts another
            }
        }
    }

    static KafkaConsumer<byte[], byte[]> consumer(Map<String, String> config) {
        Properties properties = new Properties();
        properties.putAll(config);
        properties.put("key.deserializer", ByteArrayDeserializer.class.getName());
        properties.put("value.deserializer", ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(properties);
    }

    /** The end offsets of every partition of {@code topic}; throws when it cannot tell. */
    static Map<TopicPartition, Long> endOffsets(KafkaConsumer<?, ?> consumer, String topic) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo partition : consumer.partitionsFor(topic, ASK_TIMEOUT)) {
            partitions.add(new TopicPartition(topic, partition.partition()));
        }
        return new HashMap<>(consumer.endOffsets(partitions, ASK_TIMEOUT));
    }
}

package io.iotmonitor.flink;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.kafka.shaded.org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.kafka.shaded.org.apache.kafka.common.TopicPartition;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wall clock, for when the whole input goes silent, and the input's health.
 *
 * <p>Once a second it asks the broker for the end offsets of the events topic. While
 * they do not move for the idle timeout, nothing new is there to read: the input is
 * idle, and this stream's watermark, the wall clock minus the out-of-orderness, drives
 * the checks (Flink leaves the idle partitions of the events out of the smallest
 * watermark). While the ends move, or the broker cannot be reached, this stream is
 * idle itself: the events' own time drives the checks, or time waits; an unreachable
 * broker or unread records are not a silent fleet.
 *
 * <p>Each change of the input's health is a record: {@code input-idle}, {@code
 * input-unavailable}, {@code input-resumed}.
 */
public final class InputClock {
    private InputClock() {}

    public static final String IDLE = "input-idle";
    public static final String UNAVAILABLE = "input-unavailable";
    public static final String RESUMED = "input-resumed";
    private static final String FLOWING = "flowing";

    /** The input's health, each second; {@link #changed} when it differs from the last. */
    public static class Health {
        public String monitor;
        public String status;
        public long atMs;
        public boolean changed;

        public Health() {}
    }

    /**
     * {@code deviceIds} joined by the wall clock's watermark; {@link #healthChanges} gives
     * the input's changes of health.
     */
    public static DataStream<Health> clock(
            DataStream<String> deviceIds,
            Map<String, String> consumer,
            String topic,
            String monitorName,
            long idleTimeoutMs,
            long outOfOrdernessMs) {
        DataGeneratorSource<Health> ticks =
                new DataGeneratorSource<>(
                        new EndOffsets(consumer, topic, monitorName, idleTimeoutMs),
                        Long.MAX_VALUE,
                        RateLimiterStrategy.perSecond(1),
                        TypeInformation.of(Health.class));
        WatermarkStrategy<Health> clock =
                WatermarkStrategy.forGenerator(context -> new WhileIdle(outOfOrdernessMs));
        return deviceIds
                .getExecutionEnvironment()
                .fromSource(ticks, clock, "input clock")
                .setParallelism(1)
                .uid("input-clock");
    }

    /** {@code deviceIds} with the clock's watermark and no record of it. */
    public static DataStream<String> withClock(
            DataStream<String> deviceIds, DataStream<Health> clock) {
        DataStream<String> none =
                clock.flatMap((Health health, Collector<String> out) -> {}, Types.STRING)
                        .setParallelism(1)
                        .name("input clock watermark");
        return deviceIds.union(none);
    }

    public static DataStream<Health> healthChanges(DataStream<Health> clock) {
        // A task of its own, apart from the clock: while the broker is down, a restarted
        // job's sinks wait for it as they start, and the clock must still tick and say so.
        return clock.filter(health -> health.changed)
                .setParallelism(1)
                .name("input health changes")
                .startNewChain();
    }

    /** Asks for the topic's end offsets and says what they tell. */
    private static final class EndOffsets implements GeneratorFunction<Long, Health> {
        private static final long serialVersionUID = 1L;
        private static final Logger LOG = LoggerFactory.getLogger(InputClock.class);
        private final Map<String, String> consumerConfig;
        private final String topic;
        private final String monitorName;
        private final long idleTimeoutMs;
        private transient KafkaConsumer<byte[], byte[]> consumer;
        private transient Map<TopicPartition, Long> ends;
        private transient long endsMovedAtMs;
        private transient volatile String status;

        EndOffsets(Map<String, String> consumer, String topic, String monitorName, long idleTimeoutMs) {
            this.consumerConfig = new HashMap<>(consumer);
            this.topic = topic;
            this.monitorName = monitorName;
            this.idleTimeoutMs = idleTimeoutMs;
        }

        @Override
        public void open(SourceReaderContext readerContext) {
            consumer = PartitionEnds.consumer(consumerConfig);
            status = FLOWING;
            endsMovedAtMs = System.currentTimeMillis();
            readerContext.metricGroup().gauge("inputIdle", (Gauge<Integer>) () -> IDLE.equals(status) ? 1 : 0);
            readerContext
                    .metricGroup()
                    .gauge("inputUnavailable", (Gauge<Integer>) () -> UNAVAILABLE.equals(status) ? 1 : 0);
        }

        @Override
        public Health map(Long tick) {
            long nowMs = System.currentTimeMillis();
            String next = status;
            try {
                Map<TopicPartition, Long> latest = PartitionEnds.endOffsets(consumer, topic);
                if (!latest.equals(ends)) {
                    ends = latest;
                    endsMovedAtMs = nowMs;
                    next = FLOWING;
                } else if (nowMs - endsMovedAtMs >= idleTimeoutMs) {
                    next = IDLE;
                } else if (UNAVAILABLE.equals(status)) {
                    next = FLOWING;
                }
            } catch (RuntimeException e) {
                if (!UNAVAILABLE.equals(status)) {
                    LOG.warn("cannot read the end of {}: time waits until it can ({})", topic, e.toString());
                }
                next = UNAVAILABLE;
                ends = null; // what is written meanwhile is not known: flowing when it returns
            }
            Health health = new Health();
            health.monitor = monitorName;
            health.atMs = nowMs;
            health.changed = !next.equals(status);
            health.status = FLOWING.equals(next) ? RESUMED : next;
            if (health.changed) {
                LOG.info("the input of {} is now {}", topic, FLOWING.equals(next) ? "flowing" : next);
            }
            status = next;
            return health;
        }

        @Override
        public void close() {
            if (consumer != null) {
                consumer.close();
            }
        }
    }

    /** The wall clock minus the out-of-orderness while the input is idle; idle otherwise. */
    private static final class WhileIdle implements WatermarkGenerator<Health> {
        private final long outOfOrdernessMs;
        private boolean idle;

        WhileIdle(long outOfOrdernessMs) {
            this.outOfOrdernessMs = outOfOrdernessMs;
        }

        @Override
        public void onEvent(Health health, long timestamp, WatermarkOutput output) {
            idle = IDLE.equals(health.status);
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            if (idle) {
                output.emitWatermark(new Watermark(System.currentTimeMillis() - outOfOrdernessMs));
            } else {
                output.markIdle();
            }
        }
    }
}

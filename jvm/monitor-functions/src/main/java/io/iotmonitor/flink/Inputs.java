package io.iotmonitor.flink;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What reaches {@link DeviceMonitor}: the device ids of the good events (each with its
 * event time as its timestamp), and, from Kafka, the wall clock's watermark.
 */
public final class Inputs {
    private Inputs() {}

    /** The records that are no events: the bad ones, and a replay's end. */
    public static final OutputTag<DecodedEvent> REJECTED =
            new OutputTag<>("rejected", TypeInformation.of(DecodedEvent.class));

    /** The device ids of the good events of {@code decoded}; {@link #rejected} gives the rest. */
    public static SingleOutputStreamOperator<String> deviceIds(DataStream<DecodedEvent> decoded) {
        return decoded.process(new Split(), Types.STRING).name("split good events from bad");
    }

    public static DataStream<DecodedEvent> rejected(SingleOutputStreamOperator<String> deviceIds) {
        return deviceIds.getSideOutput(REJECTED);
    }

    /** Good events go on as their device ids; the others aside, counted and sampled in the log. */
    static final class Split extends ProcessFunction<DecodedEvent, String> {
        private static final long serialVersionUID = 1L;
        private static final Logger LOG = LoggerFactory.getLogger(Inputs.class);
        private transient Counter deadLetters;

        @Override
        public void open(OpenContext context) {
            deadLetters = getRuntimeContext().getMetricGroup().counter("deadLetters");
        }

        @Override
        public void processElement(DecodedEvent event, Context ctx, Collector<String> out) {
            if (event.isGood()) {
                out.collect(event.deviceId);
                return;
            }
            ctx.output(REJECTED, event);
            if (event.endOfInput) {
                return;
            }
            deadLetters.inc();
            long count = deadLetters.getCount();
            // Every bad record reaches the dead letters; the log samples them.
            if (count <= 20 || count % 1000 == 0) {
                LOG.warn(
                        "bad event #{} at {}/{}@{} sent to the dead letters: {}",
                        count,
                        event.source,
                        event.partition,
                        event.offset,
                        event.reason);
            }
        }
    }

    /**
     * {@code deviceIds} joined by a stream of no records whose watermark is the wall
     * clock minus {@code outOfOrdernessMs}. Flink leaves an idle input out of the
     * smallest watermark, so the wall clock only counts while every partition of the
     * events is idle: then the checks keep running when the whole fleet goes silent.
     */
    public static DataStream<String> withWallClock(
            DataStream<String> deviceIds, long outOfOrdernessMs) {
        DataGeneratorSource<Long> ticks =
                new DataGeneratorSource<>(
                        index -> index, Long.MAX_VALUE, RateLimiterStrategy.perSecond(1), Types.LONG);
        WatermarkStrategy<Long> clock =
                WatermarkStrategy.forGenerator(context -> new WallClock(outOfOrdernessMs));
        DataStream<String> none =
                deviceIds
                        .getExecutionEnvironment()
                        .fromSource(ticks, clock, "wall clock")
                        .setParallelism(1)
                        .uid("wall-clock")
                        .flatMap((Long tick, Collector<String> out) -> {}, Types.STRING)
                        .setParallelism(1)
                        .name("wall clock watermark");
        return deviceIds.union(none);
    }

    private static final class WallClock implements WatermarkGenerator<Long> {
        private final long outOfOrdernessMs;

        WallClock(long outOfOrdernessMs) {
            this.outOfOrdernessMs = outOfOrdernessMs;
        }

        @Override
        public void onEvent(Long tick, long timestamp, WatermarkOutput output) {}

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            output.emitWatermark(new Watermark(System.currentTimeMillis() - outOfOrdernessMs));
        }
    }
}

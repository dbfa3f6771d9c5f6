package io.iotmonitor.flink;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What reaches {@link DeviceMonitor}: the device ids of the good events, each with its
 * event time as its timestamp (from Kafka, joined by {@link InputClock}'s watermark).
 */
public final class Inputs {
    private Inputs() {}

    /** The records that are no events: the bad ones, and a replay's end. */
    public static final OutputTag<DecodedEvent> REJECTED =
            new OutputTag<>("rejected", TypeInformation.of(DecodedEvent.class));

    /** The device ids of the good events of {@code decoded}; {@link #rejected} gives the rest. */
    public static SingleOutputStreamOperator<String> deviceIds(DataStream<DecodedEvent> decoded) {
        // In the source's task, each partition's (or the file's) records in their order.
        return decoded.process(new Split(), Types.STRING)
                .setParallelism(decoded.getParallelism())
                .name("split good events from bad");
    }

    /** The records a split (of events, or of settings) set aside, as dead letters. */
    public static DataStream<DecodedEvent> rejected(SingleOutputStreamOperator<?> split) {
        return split.getSideOutput(REJECTED);
    }

    /** Good events go on as their device ids; the others aside, counted and sampled in the log. */
    static final class Split extends ProcessFunction<DecodedEvent, String> {
        private static final long serialVersionUID = 1L;
        private static final Logger LOG = LoggerFactory.getLogger(Inputs.class);
        private transient Counter deadLetters;
        private transient Map<String, Counter> byReason;

        @Override
        public void open(OpenContext context) {
            deadLetters = getRuntimeContext().getMetricGroup().counter("deadLetters");
            byReason = new HashMap<>();
        }

        /** The kind of a reason, for a metric label: its words, without numbers and details. */
        static String kindOf(String reason) {
            int colon = reason.indexOf(':');
            String words = colon < 0 ? reason : reason.substring(0, colon);
            return words.replaceAll("-?[0-9][0-9.e+E-]*", "N");
        }

        private void count(String reason) {
            deadLetters.inc();
            byReason.computeIfAbsent(
                            kindOf(reason),
                            kind ->
                                    getRuntimeContext()
                                            .getMetricGroup()
                                            .addGroup("reason", kind)
                                            .counter("deadLetters"))
                    .inc();
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
            count(event.reason);
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
}

package io.iotmonitor.flink;

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
}

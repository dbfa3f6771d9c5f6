package io.iotmonitor.flink;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Splits the records {@link EventDecoder} read: a canonical event goes on as its device
 * id (its event time is the record timestamp); any other record goes to the side output
 * as a row (payload, source_topic, source_partition, source_offset), for the full
 * validation in Python.
 */
public class CanonicalEvents extends ProcessFunction<KafkaEvent, String> {
    private static final long serialVersionUID = 1L;
    public static final TypeInformation<Row> OTHER_TYPE =
            Types.ROW_NAMED(
                    new String[] {"payload", "source_topic", "source_partition", "source_offset"},
                    Types.PRIMITIVE_ARRAY(Types.BYTE),
                    Types.STRING,
                    Types.INT,
                    Types.LONG);
    public static final OutputTag<Row> OTHERS = new OutputTag<>("other-layouts", OTHER_TYPE);

    @Override
    public void processElement(KafkaEvent record, Context ctx, Collector<String> out) {
        if (record.isCanonical()) {
            out.collect(record.deviceId);
        } else {
            ctx.output(
                    OTHERS, Row.of(record.payload, record.topic, record.partition, record.offset));
        }
    }

    /** The device ids of the canonical records; {@link #others} gives the rest. */
    public static SingleOutputStreamOperator<String> split(DataStream<KafkaEvent> records) {
        return records.process(new CanonicalEvents(), Types.STRING).name("split by layout");
    }

    public static DataStream<Row> others(SingleOutputStreamOperator<String> split) {
        return split.getSideOutput(OTHERS);
    }
}

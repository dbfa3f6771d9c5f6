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
 * Splits the Kafka records that SQL classified: a record in the canonical layout goes on
 * as its device id (its event time is the record timestamp); any other goes to the side
 * output, for the full validation in Python. One pass over the records, so Flink reads
 * the topic once and each record is classified once.
 *
 * <p>Input rows: (payload, source_topic, source_partition, source_offset, canonical,
 * device_id), with the event time as the record timestamp.
 */
public class CanonicalEvents extends ProcessFunction<Row, String> {
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
    public void processElement(Row record, Context ctx, Collector<String> out) {
        if (Boolean.TRUE.equals(record.getField(4))) {
            out.collect((String) record.getField(5));
        } else {
            Row other =
                    Row.of(
                            record.getField(0),
                            record.getField(1),
                            record.getField(2),
                            record.getField(3));
            ctx.output(OTHERS, other);
        }
    }

    /** The device ids of the canonical records; {@link #others} gives the rest. */
    public static SingleOutputStreamOperator<String> split(DataStream<Row> classified) {
        return classified.process(new CanonicalEvents(), Types.STRING).name("split by layout");
    }

    public static DataStream<Row> others(SingleOutputStreamOperator<String> split) {
        return split.getSideOutput(OTHERS);
    }
}

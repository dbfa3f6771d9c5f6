package io.iotmonitor.flink;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.kafka.shaded.org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

/**
 * The compacted settings topic as a source, read from its start so that every key's
 * newest value is there (a restore resumes at its checkpointed offsets). A record's
 * timestamp is when its setting applies from; bad records go to the dead letters with
 * their reason, and the key's value before them stays in force.
 */
public final class KafkaSettings {
    private KafkaSettings() {}

    /** The source's operator id: a savepoint hands its offsets to the next version by it. */
    public static final String UID = "kafka-settings";

    /** The good settings of the topic {@code topic}; {@link Inputs#rejected} of it, the bad. */
    public static SingleOutputStreamOperator<SettingRecord> kafka(
            StreamExecutionEnvironment env, Map<String, String> consumer, String topic, long msPerUnit) {
        Properties properties = new Properties();
        properties.putAll(consumer);
        KafkaSource<SettingRecord> source =
                KafkaSource.<SettingRecord>builder()
                        .setProperties(properties)
                        .setTopics(topic)
                        .setStartingOffsets(OffsetsInitializer.earliest())
                        .setDeserializer(new Decoder(msPerUnit))
                        .build();
        // Settings hold no watermark back: the events' time drives the checks.
        WatermarkStrategy<SettingRecord> idle = WatermarkStrategy.forGenerator(context -> new Idle());
        return env.fromSource(source, idle, "kafka settings")
                .uid(UID)
                .setParallelism(1)
                .process(new SettingsInput.Split(), TypeInformation.of(SettingRecord.class))
                .setParallelism(1)
                .name("split good settings from bad");
    }

    /** The events' dead letters {@code rejected}, joined by those of the settings {@code good} set aside. */
    public static DataStream<DecodedEvent> withBadSettings(
            DataStream<DecodedEvent> rejected, SingleOutputStreamOperator<SettingRecord> good) {
        return rejected.union(Inputs.rejected(good));
    }

    /** A record of the settings topic, read: its key, its value, its timestamp. */
    static final class Decoder implements KafkaRecordDeserializationSchema<SettingRecord> {
        private static final long serialVersionUID = 1L;
        private final long msPerUnit;

        Decoder(long msPerUnit) {
            this.msPerUnit = msPerUnit;
        }

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<SettingRecord> out) {
            String key = null;
            String keyProblem = null;
            if (record.key() != null) {
                try {
                    key =
                            StandardCharsets.UTF_8
                                    .newDecoder()
                                    .onMalformedInput(CodingErrorAction.REPORT)
                                    .decode(java.nio.ByteBuffer.wrap(record.key()))
                                    .toString();
                } catch (CharacterCodingException e) {
                    keyProblem = "bad setting: its key is not UTF-8";
                }
            }
            SettingRecord setting;
            if (keyProblem != null) {
                setting = SettingsInput.failed(null, "", keyProblem);
                setting.payload = record.value();
            } else {
                setting = DeviceSettings.parse(key, record.value(), record.timestamp(), msPerUnit);
            }
            setting.source = record.topic();
            setting.partition = record.partition();
            setting.offset = record.offset();
            out.collect(setting);
        }

        @Override
        public TypeInformation<SettingRecord> getProducedType() {
            return TypeInformation.of(SettingRecord.class);
        }
    }

    /** Always idle: the settings never hold the events' watermark back. */
    private static final class Idle implements WatermarkGenerator<SettingRecord> {
        @Override
        public void onEvent(SettingRecord event, long eventTimestamp, WatermarkOutput output) {}

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            output.markIdle();
        }
    }
}

package io.iotmonitor.flink;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the device settings come from, apart from Kafka ({@link KafkaSettings}): a
 * replay's settings file, read before the job starts. Bad records go to the dead letters with their reason, as bad
 * events do; the key's value before them stays in force.
 */
public final class SettingsInput {
    private SettingsInput() {}

    private static final Logger LOG = LoggerFactory.getLogger(SettingsInput.class);

    /** A replay's settings file, read: its good records in file order, and its problems. */
    public static final class FileSettings {
        public final List<SettingRecord> good = new ArrayList<>();
        /** "LINE: reason", in file order. */
        public final List<String> problems = new ArrayList<>();

        public List<SettingRecord> good() {
            return good;
        }

        public List<String> problems() {
            return problems;
        }
    }

    /**
     * The settings file {@code path}: JSON lines {@code {"key": K, "time": T, "value":
     * {...} | null}}, T in the input's unit.
     */
    public static FileSettings readFile(String path, long msPerUnit) throws IOException {
        FileSettings read = new FileSettings();
        ObjectMapper json = new ObjectMapper();
        var decoder =
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (BufferedReader lines =
                new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(Paths.get(path)), decoder))) {
            long number = 0;
            while (true) {
                String line;
                try {
                    line = lines.readLine();
                } catch (CharacterCodingException e) {
                    read.problems.add((number + 1) + ": the file is not UTF-8 from here on");
                    break;
                }
                if (line == null) {
                    break;
                }
                number++;
                if (line.isBlank()) {
                    continue;
                }
                SettingRecord record = fileLine(json, line, msPerUnit);
                record.source = path;
                record.offset = number;
                if (record.isGood()) {
                    read.good.add(record);
                } else {
                    read.problems.add(number + ": " + record.reason);
                }
            }
        }
        return read;
    }

    private static SettingRecord fileLine(ObjectMapper json, String line, long msPerUnit) {
        JsonNode node;
        try {
            node = json.readTree(line);
        } catch (Exception e) {
            return failed(null, line, "the line is not JSON");
        }
        if (node == null || !node.isObject()) {
            return failed(null, line, "the line is not a JSON object");
        }
        JsonNode key = node.get("key");
        JsonNode time = node.get("time");
        if (key == null || !key.isTextual()) {
            return failed(null, line, "the line needs \"key\": a device id or pattern:<glob>");
        }
        if (time == null || !time.isNumber() || !(time.asDouble() > 0)) {
            return failed(key.asText(), line, "the line needs \"time\": a positive time in the input's unit");
        }
        if (!node.has("value")) {
            return failed(key.asText(), line, "the line needs \"value\": an object, or null to delete");
        }
        JsonNode value = node.get("value");
        byte[] bytes = value.isNull() ? null : value.toString().getBytes(StandardCharsets.UTF_8);
        return DeviceSettings.parse(key.asText(), bytes, Math.round(time.asDouble() * msPerUnit), msPerUnit);
    }

    static SettingRecord failed(String key, String line, String reason) {
        SettingRecord record = new SettingRecord();
        record.key = key;
        record.payload = line.getBytes(StandardCharsets.UTF_8);
        record.reason = reason;
        return record;
    }

    /** Good settings go on; bad ones to {@link Inputs#REJECTED}, each in the log. */
    static final class Split extends ProcessFunction<SettingRecord, SettingRecord> {
        private static final long serialVersionUID = 1L;

        @Override
        public void processElement(SettingRecord setting, Context ctx, Collector<SettingRecord> out) {
            if (setting.isGood()) {
                out.collect(setting);
                return;
            }
            LOG.warn(
                    "bad setting at {}/{}@{} sent to the dead letters, the key's value before it stays: {}",
                    setting.source,
                    setting.partition,
                    setting.offset,
                    setting.reason);
            ctx.output(Inputs.REJECTED, setting.deadLetter());
        }
    }

}

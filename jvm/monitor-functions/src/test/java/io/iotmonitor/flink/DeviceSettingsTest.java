package io.iotmonitor.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class DeviceSettingsTest {
    private static final long[] EDGES = {
        DeviceSettings.UNSET, Long.MIN_VALUE + 1, -1, 0, 1, 63, 64, 127, 128, 1_800_000_000_000L,
        DeviceSettings.MAX_TIMEOUT_MS, Long.MAX_VALUE - 1, Long.MAX_VALUE,
    };

    @Test
    void aPackedTimelineUnpacksToItselfWhateverItsValues() {
        Random random = new Random(7);
        for (int run = 0; run < 10_000; run++) {
            long[] timeline = new long[DeviceSettings.ENTRY * (1 + random.nextInt(4))];
            for (int at = 0; at < timeline.length; at++) {
                timeline[at] = random.nextBoolean() ? EDGES[random.nextInt(EDGES.length)] : random.nextLong() >> random.nextInt(64);
            }
            assertArrayEquals(timeline, DeviceSettings.unpack(DeviceSettings.pack(timeline)));
        }
        assertNull(DeviceSettings.unpack(DeviceSettings.pack(null)));
    }

    @Test
    void aTimeoutFromNowTakesAThirdOfItsLongs() {
        long[] timeline = {1_800_000_000_000L, 90_000, DeviceSettings.UNSET, 0};
        byte[] packed = DeviceSettings.pack(timeline);
        assertTrue(packed.length <= 11, packed.length + " bytes");
    }

    @Test
    void aDeviceKeyWithHalfASurrogatePairIsRefusedAndAWholePairIsNot() {
        for (String key : new String[] {"meter-\uD800", "\uDC00meter", "me\uDC00\uD800ter"}) {
            SettingRecord record = DeviceSettings.parseText(key, "{\"expected\": true}", 0, 1);
            assertEquals("bad setting for " + key + ": the device id holds a lone surrogate", record.reason);
        }
        assertNull(DeviceSettings.parseText("meter-\uD83D\uDE00", "{\"expected\": true}", 0, 1).reason);
    }
}

package io.iotmonitor.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link DeviceMonitor} with its real keyed state and timer service, through Flink's
 * operator test harness: the rules of docs/design.md as hand-written scenarios, with the
 * product's defaults (checks every 30 s, 60 s timeout). The Python property tests
 * compare the same operator with {@code monitor/tests/reference_model.py} on random
 * inputs; these pin down the cases by name, and add what the model cannot see: timers,
 * freed state and a restore from a snapshot.
 */
class DeviceMonitorTest {
    private static final long INTERVAL_MS = 30_000;
    private static final long TIMEOUT_MS = 60_000;
    private static final long NEVER_EXPIRES = 0;
    private static final long EXPIRY_MS = 150_000;
    private static final int MAX_PARALLELISM = 128;

    private final List<Monitor> started = new ArrayList<>();

    @AfterEach
    void closeHarnesses() throws Exception {
        for (Monitor monitor : started) {
            monitor.harness.close();
        }
    }

    // --- silence and the timeout -------------------------------------------------

    @Test
    void silentLongerThanTheTimeoutAlertsAtTheFirstCheckAfterAndAtEveryCheck() throws Exception {
        Monitor monitor = monitor(NEVER_EXPIRES).event("d", 10_000).watermark(10_000);

        // 60 000 - 10 000 is within the timeout; the first check past 70 000 is 90 000.
        monitor.watermark(89_999);
        assertEquals(List.of(), monitor.alerts());

        monitor.watermark(150_000);
        assertEquals(
                List.of(
                        alert(90_000, "d", 10_000),
                        alert(120_000, "d", 10_000),
                        alert(150_000, "d", 10_000)),
                monitor.alerts());
        // A level for the alerts, one change for the status.
        assertEquals(List.of(silent("d", 10_000, 90_000)), monitor.changes());
    }

    @Test
    void exactlyTheTimeoutIsNotSilent() throws Exception {
        Monitor monitor = monitor(NEVER_EXPIRES).event("d", 0).watermark(0);

        monitor.watermark(60_000);
        assertEquals(List.of(), monitor.alerts());
        assertEquals(List.of(), monitor.changes());

        monitor.watermark(90_000);
        assertEquals(List.of(alert(90_000, "d", 0)), monitor.alerts());
    }

    @Test
    void aBusyDeviceNeverAlertsAndKeepsOneTimer() throws Exception {
        Monitor monitor = monitor(NEVER_EXPIRES);
        int mostTimers = 0;
        // An event a second for over an hour, the watermark 5 s behind as in a replay.
        for (long timeMs = 0; timeMs < 5_000_000; timeMs += 1_000) {
            monitor.event("d", timeMs).watermark(timeMs - 5_000);
            mostTimers = Math.max(mostTimers, monitor.harness.numEventTimeTimers());
        }
        assertEquals(List.of(), monitor.alerts());
        assertEquals(List.of(), monitor.changes());
        // A timer at every event's deadline would leave several pending (4 here): an event
        // that extends the run leaves the one timer alone.
        assertTrue(mostTimers <= 2, "pending timers reached " + mostTimers);
    }

    // --- read timing: the revised rule and late events ---------------------------

    @Test
    void anEventStampedAfterACheckButReadBeforeItDoesNotSuppressIt() throws Exception {
        Monitor monitor = monitor(NEVER_EXPIRES).event("d", 0).watermark(85_000);

        // Read before the watermark reaches 90 000, as in a burst after a restart.
        monitor.event("d", 95_000).watermark(100_000);
        assertEquals(List.of(alert(90_000, "d", 0)), monitor.alerts());
        assertEquals(List.of(silent("d", 0, 90_000), back("d", 0, 95_000)), monitor.changes());

        // From then on the latest is 95 000: silent again from the first check past 155 000.
        monitor.watermark(180_000);
        assertEquals(List.of(alert(90_000, "d", 0), alert(180_000, "d", 95_000)), monitor.alerts());
        assertEquals(
                List.of(silent("d", 0, 90_000), back("d", 0, 95_000), silent("d", 95_000, 180_000)),
                monitor.changes());
    }

    @Test
    void anEventReadEarlyCountsOnlyFromTheFirstCheckAtOrAfterIt() throws Exception {
        Monitor monitor = monitor(NEVER_EXPIRES).event("d", 0).watermark(85_000);

        // Two checks (90 000 and 120 000) come before the event stamped 125 000.
        monitor.event("d", 125_000).watermark(150_000);
        assertEquals(List.of(alert(90_000, "d", 0), alert(120_000, "d", 0)), monitor.alerts());
        assertEquals(List.of(silent("d", 0, 90_000), back("d", 0, 125_000)), monitor.changes());
    }

    @Test
    void anEventReadAheadOfAnOlderOneDoesNotHideTheOlderOnesSilence() throws Exception {
        // As when one partition is read ahead of another: 200 000 first, then 10 000.
        Monitor monitor = monitor(NEVER_EXPIRES).event("d", 200_000).event("d", 10_000);

        monitor.watermark(210_000);
        assertEquals(
                List.of(
                        alert(90_000, "d", 10_000),
                        alert(120_000, "d", 10_000),
                        alert(150_000, "d", 10_000),
                        alert(180_000, "d", 10_000)),
                monitor.alerts());
        assertEquals(
                List.of(silent("d", 10_000, 90_000), back("d", 10_000, 200_000)),
                monitor.changes());
    }

    @Test
    void aLateEventMovesTheLatestTimeForwardForLaterChecks() throws Exception {
        Monitor monitor = monitor(NEVER_EXPIRES).event("d", 0).watermark(50_000);

        // Stamped before the watermark (late), yet after every check made so far.
        monitor.event("d", 40_000);
        monitor.watermark(119_999);
        assertEquals(List.of(), monitor.alerts());

        monitor.watermark(120_000);
        assertEquals(List.of(alert(120_000, "d", 40_000)), monitor.alerts());
    }

    @Test
    void aLateEventOlderThanTheLatestChangesNothing() throws Exception {
        Monitor monitor = monitor(NEVER_EXPIRES).event("d", 50_000).watermark(55_000);

        monitor.event("d", 10_000).watermark(150_000);
        assertEquals(
                List.of(alert(120_000, "d", 50_000), alert(150_000, "d", 50_000)),
                monitor.alerts());
        assertEquals(List.of(silent("d", 50_000, 120_000)), monitor.changes());
    }

    @Test
    void aLateEventAfterAReportedSilenceCannotUndoTheCheckAndIsBackWithItsOwnTime()
            throws Exception {
        Monitor monitor = monitor(NEVER_EXPIRES).event("d", 0).watermark(95_000);
        assertEquals(List.of(alert(90_000, "d", 0)), monitor.alerts());

        // Stamped 80 000, read after the check at 90 000 found the device silent.
        monitor.event("d", 80_000);
        assertEquals(List.of(silent("d", 0, 90_000), back("d", 0, 80_000)), monitor.changes());

        // Its time counts for the later checks: 120 000 - 80 000 is within the timeout.
        monitor.watermark(150_000);
        assertEquals(List.of(alert(90_000, "d", 0), alert(150_000, "d", 80_000)), monitor.alerts());
        assertEquals(
                List.of(silent("d", 0, 90_000), back("d", 0, 80_000), silent("d", 80_000, 150_000)),
                monitor.changes());
    }

    // --- expiry ------------------------------------------------------------------

    @Test
    void anExpiredDeviceAlertsUpToItsExpiryThenIsForgottenAndFreed() throws Exception {
        Monitor monitor = monitor(EXPIRY_MS).event("d", 0).watermark(150_000);
        assertEquals(1, monitor.harness.numKeyedStateEntries());

        // 180 000 - 0 is past the expiry: no alert, the device is forgotten at 0 + expiry.
        monitor.watermark(400_000);
        assertEquals(
                List.of(alert(90_000, "d", 0), alert(120_000, "d", 0), alert(150_000, "d", 0)),
                monitor.alerts());
        assertEquals(
                List.of(silent("d", 0, 90_000), forgotten("d", 0, 150_000)),
                monitor.changes());
        assertEquals(0, monitor.harness.numKeyedStateEntries());
        assertEquals(0, monitor.harness.numEventTimeTimers());
    }

    @Test
    void anEventAfterTheStateWasFreedIsAFirstEvent() throws Exception {
        Monitor monitor = monitor(EXPIRY_MS).event("d", 0).watermark(200_000);
        assertEquals(0, monitor.harness.numKeyedStateEntries());

        monitor.event("d", 250_000).watermark(330_000);
        // No "back": the device starts anew, silent from the first check past 310 000.
        assertEquals(
                List.of(
                        silent("d", 0, 90_000),
                        forgotten("d", 0, 150_000),
                        silent("d", 250_000, 330_000)),
                monitor.changes());
        assertEquals(
                List.of(
                        alert(90_000, "d", 0),
                        alert(120_000, "d", 0),
                        alert(150_000, "d", 0),
                        alert(330_000, "d", 250_000)),
                monitor.alerts());
    }

    @Test
    void anEventAtOrAfterTheExpiryOfASilentDeviceIsAFirstEventNotAReturn() throws Exception {
        Monitor monitor = monitor(EXPIRY_MS).event("d", 0).watermark(155_000);

        // Read before the check at 180 000 would free the state; stamped at or after 0 + expiry.
        monitor.event("d", 160_000).watermark(240_000);
        assertEquals(
                List.of(
                        alert(90_000, "d", 0),
                        alert(120_000, "d", 0),
                        alert(150_000, "d", 0),
                        alert(240_000, "d", 160_000)),
                monitor.alerts());
        assertEquals(
                List.of(
                        silent("d", 0, 90_000),
                        forgotten("d", 0, 150_000),
                        silent("d", 160_000, 240_000)),
                monitor.changes());
    }

    @Test
    void anEventJustAtTheExpiryCountsForTheCheckItIsStampedAt() throws Exception {
        Monitor monitor = monitor(EXPIRY_MS).event("d", 0).watermark(100_000);

        // Stamped exactly 0 + expiry, read early: the check at 150 000 finds it.
        monitor.event("d", 150_000).watermark(240_000);
        assertEquals(
                List.of(
                        alert(90_000, "d", 0),
                        alert(120_000, "d", 0),
                        alert(240_000, "d", 150_000)),
                monitor.alerts());
        assertEquals(
                List.of(
                        silent("d", 0, 90_000),
                        forgotten("d", 0, 150_000),
                        silent("d", 150_000, 240_000)),
                monitor.changes());
    }

    // --- the end of a bounded input ----------------------------------------------

    @Test
    void theEndOfABoundedInputMakesNoCheckAndArmsNoTimer() throws Exception {
        Monitor monitor = monitor(NEVER_EXPIRES).event("quiet", 0).event("recent", 60_000);
        // The replay's last check, then the end of time.
        monitor.watermark(90_000).watermark(Long.MAX_VALUE);

        assertEquals(List.of(alert(90_000, "quiet", 0)), monitor.alerts());
        assertEquals(List.of(silent("quiet", 0, 90_000)), monitor.changes());
        assertEquals(0, monitor.harness.numEventTimeTimers());
    }

    // --- per-device settings --------------------------------------------------------

    @Test
    void aPatternReplansTheChecksOfDevicesAlreadyWatched() throws Exception {
        Monitor monitor = monitor(NEVER_EXPIRES).event("d1", 0).event("x", 0).watermark(10_000);
        monitor.setting("pattern:d*", "{\"inactivity-timeout\": \"20s\"}", 10_000).watermark(60_000);
        // 20 s for d1 from 10 000 on: silent at 30 000, not 90 000 as with the flags.
        assertEquals(List.of(alert(30_000, "d1", 0), alert(60_000, "d1", 0)), monitor.alerts());
        assertEquals(List.of(silent("d1", 0, 30_000)), monitor.changes());
    }

    @Test
    void aSettingThatMovesADevicesCheckLeavesItOneTimer() throws Exception {
        // A stale timer would sit in every checkpoint until it fired.
        Monitor monitor = monitor(NEVER_EXPIRES).event("d1", 0).event("d2", 0).watermark(10_000);
        assertEquals(2, monitor.harness.numEventTimeTimers());
        monitor.setting("d1", "{\"inactivity-timeout\": \"10m\"}", 10_000);
        monitor.setting("pattern:d*", "{\"inactivity-timeout\": \"20s\"}", 10_000).watermark(15_000);
        assertEquals(2, monitor.harness.numEventTimeTimers());
    }

    @Test
    void theDevicesOwnKeyWinsThenTheLongestPatternThenTheFlags() throws Exception {
        Monitor monitor = monitor(NEVER_EXPIRES);
        monitor.setting("pattern:d*", "{\"inactivity-timeout\": \"20s\"}", 0);
        monitor.setting("pattern:dev*", "{\"inactivity-timeout\": \"45s\"}", 0);
        monitor.setting("dev1", "{\"inactivity-timeout\": \"90s\"}", 0);
        monitor.event("dev1", 0).event("dev2", 0).event("dx", 0).event("other", 0).watermark(120_000);
        assertEquals(List.of(alert(30_000, "dx", 0)), monitor.alertsOf("dx").subList(0, 1));
        assertEquals(List.of(alert(60_000, "dev2", 0)), monitor.alertsOf("dev2").subList(0, 1));
        assertEquals(List.of(alert(120_000, "dev1", 0)), monitor.alertsOf("dev1"));
        assertEquals(List.of(alert(90_000, "other", 0)), monitor.alertsOf("other").subList(0, 1));
    }

    @Test
    void aPauseRaisesNothingAndEndingOnACheckReportsTheSilenceAtThatCheck() throws Exception {
        Monitor monitor = monitor(NEVER_EXPIRES).event("d", 0).watermark(0);
        monitor.setting("d", "{\"paused-until\": 120}", 0).watermark(119_999);
        assertEquals(List.of(), monitor.alerts());
        assertEquals(List.of(), monitor.changes());
        monitor.watermark(120_000);
        assertEquals(List.of(alert(120_000, "d", 0)), monitor.alerts());
        assertEquals(List.of(silent("d", 0, 120_000)), monitor.changes());
    }

    @Test
    void anExpectedDeviceThatNeverSendsIsNeverSeenFromItsRegistration() throws Exception {
        Monitor monitor = monitor(NEVER_EXPIRES).watermark(0);
        monitor.setting("g", "{\"expected\": true}", 10_000).watermark(90_000);
        assertEquals(List.of(alert(90_000, "g", 10_000)), monitor.alerts());
        monitor.event("g", 100_000).watermark(150_000);
        assertEquals(
                List.of(new Changed("g", SilenceSchedule.NEVER_SEEN, 10_000, 90_000), back("g", 10_000, 100_000)),
                monitor.changes());
    }

    @Test
    void aDeletionGivesTheDeviceBackToThePatternsAndFlags() throws Exception {
        Monitor monitor = monitor(NEVER_EXPIRES).event("d", 0).watermark(0);
        monitor.setting("d", "{\"inactivity-timeout\": \"10m\"}", 0);
        monitor.setting("d", null, 100_000).watermark(120_000);
        // The 10 minutes hold until 100 000; from then on the flags' 60 s.
        assertEquals(List.of(alert(120_000, "d", 0)), monitor.alerts());
    }

    @Test
    void settingsAndRegistrationsSurviveARestore() throws Exception {
        Monitor before = monitor(NEVER_EXPIRES).watermark(0);
        before.setting("pattern:m-*", "{\"inactivity-timeout\": \"5m\"}", 0);
        before.setting("g", "{\"expected\": true}", 0);
        before.event("m-1", 0).event("d", 0).watermark(30_000);
        Monitor after = restore(before.harness.snapshot(1L, 30_000L), NEVER_EXPIRES);
        after.watermark(330_000);
        List<Alerted> alerts = concat(before.alerts(), after.alerts());
        assertEquals(alert(330_000, "m-1", 0), alerts.stream().filter(a -> a.deviceId().equals("m-1")).findFirst().orElseThrow());
        assertEquals(alert(90_000, "g", 0), alerts.stream().filter(a -> a.deviceId().equals("g")).findFirst().orElseThrow());
        assertEquals(alert(90_000, "d", 0), alerts.stream().filter(a -> a.deviceId().equals("d")).findFirst().orElseThrow());
    }

    @Test
    void badSettingsSayWhy() {
        assertTrue(DeviceSettings.parseText("d", "{\"inactivity-timeout\": \"-1s\"}", 1000, 1000).reason.contains("not a duration"));
        assertTrue(DeviceSettings.parseText("d", "{\"inactivity-timeout\": \"0s\"}", 1000, 1000).reason.contains("not positive"));
        assertTrue(DeviceSettings.parseText("d", "{\"paused-until\": 1}", 1000_000, 1000).reason.contains("a pause in the past"));
        assertTrue(DeviceSettings.parseText("d", "{\"mute\": true}", 1000, 1000).reason.contains("unknown field"));
        assertTrue(DeviceSettings.parseText("d", "[1]", 1000, 1000).reason.contains("not a JSON object"));
        assertTrue(DeviceSettings.parseText("d", "{", 1000, 1000).reason.contains("not JSON"));
        assertTrue(DeviceSettings.parseText("pattern:[a", "{}", 1000, 1000).reason.contains("never closed"));
        assertTrue(DeviceSettings.parseText("pattern:" + "?".repeat(300), "{}", 1000, 1000).reason.contains("no device has"));
        assertTrue(DeviceSettings.parseText("d\u0000", "{}", 1000, 1000).reason.contains("control character"));
        assertTrue(DeviceSettings.parseText("d", "{\"paused-until\": \"2026-12-24T00:00:00Z\"}", 1000, 1000).isGood());
        assertTrue(Glob.of("m-[!0-4]?").matches("m-7x") && !Glob.of("m-[!0-4]?").matches("m-3x"));
        assertEquals(90_000, DeviceSettings.parseText("d", "{\"inactivity-timeout\": 90}", 1000, 1000).timeoutMs);
        assertTrue(DeviceSettings.parseText("d", "{\"inactivity-timeout\": -90}", 1000, 1000).reason.contains("not a duration"));
    }

    // --- restore from a snapshot -------------------------------------------------

    /** Mid-silence: alerted at 90 000, the next check at 120 000 still to come. */
    private static Monitor silentAtTheSnapshot(Monitor monitor) throws Exception {
        return monitor.event("d", 0).watermark(100_000);
    }

    private static void afterTheSnapshot(Monitor monitor) throws Exception {
        monitor.watermark(130_000).event("d", 140_000).watermark(300_000);
    }

    private static final List<Alerted> ALERTS_ACROSS_THE_SNAPSHOT =
            List.of(
                    alert(90_000, "d", 0),
                    alert(120_000, "d", 0),
                    alert(210_000, "d", 140_000),
                    alert(240_000, "d", 140_000),
                    alert(270_000, "d", 140_000),
                    alert(300_000, "d", 140_000));
    private static final List<Changed> CHANGES_ACROSS_THE_SNAPSHOT =
            List.of(silent("d", 0, 90_000), back("d", 0, 140_000), silent("d", 140_000, 210_000));

    @Test
    void withoutARestore() throws Exception {
        Monitor monitor = silentAtTheSnapshot(monitor(NEVER_EXPIRES));
        afterTheSnapshot(monitor);
        assertEquals(ALERTS_ACROSS_THE_SNAPSHOT, monitor.alerts());
        assertEquals(CHANGES_ACROSS_THE_SNAPSHOT, monitor.changes());
    }

    @Test
    void aRestoreFromASnapshotContinuesExactlyAsWithout() throws Exception {
        Monitor before = silentAtTheSnapshot(monitor(NEVER_EXPIRES));
        Monitor after = restore(before.harness.snapshot(1L, 100_000L), NEVER_EXPIRES);
        afterTheSnapshot(after);

        // The restored state knows the silence was reported: no second "silent".
        assertEquals(ALERTS_ACROSS_THE_SNAPSHOT, concat(before.alerts(), after.alerts()));
        assertEquals(CHANGES_ACROSS_THE_SNAPSHOT, concat(before.changes(), after.changes()));
    }

    /**
     * After a restart the watermark starts unknown, so the events of the backlog are read
     * before it: the restored device must still treat the checks it made as made.
     */
    @Test
    void aRestoreThenAnEventReadBeforeTheFirstWatermarkRepeatsNoCheck() throws Exception {
        List<Alerted> expectedAlerts =
                List.of(
                        alert(90_000, "d", 0),
                        alert(120_000, "d", 0),
                        alert(210_000, "d", 125_000));
        List<Changed> expectedChanges =
                List.of(
                        silent("d", 0, 90_000),
                        back("d", 0, 125_000),
                        silent("d", 125_000, 210_000));

        Monitor straight = silentAtTheSnapshot(monitor(NEVER_EXPIRES));
        straight.event("d", 125_000).watermark(210_000);
        assertEquals(expectedAlerts, straight.alerts());
        assertEquals(expectedChanges, straight.changes());

        Monitor before = silentAtTheSnapshot(monitor(NEVER_EXPIRES));
        Monitor after = restore(before.harness.snapshot(1L, 100_000L), NEVER_EXPIRES);
        after.event("d", 125_000).watermark(210_000);
        assertEquals(
                expectedAlerts,
                concat(before.alerts(), after.alerts()),
                "after the restore, a check made before the snapshot was made again");
        assertEquals(expectedChanges, concat(before.changes(), after.changes()));
    }

    /**
     * Two subtasks, where only the one of "d" had something due at the last check before
     * the snapshot. Restored, "d" returns in the backlog read before the first watermark:
     * the check the other subtask had nothing to do at was made all the same.
     */
    @Test
    void aRestoreOfTwoSubtasksRepeatsNoCheckOfEither() throws Exception {
        String d = keyOf(0);
        String e = keyOf(1);
        Monitor[] before = {subtask(0, null), subtask(1, null)};
        for (Monitor monitor : before) {
            monitor.watermark(85_000);
        }
        before[0].event(d, 0);
        before[1].event(e, 84_000);
        // At 90 000 "d" is due (and alerts), "e" is not.
        for (Monitor monitor : before) {
            monitor.watermark(95_000);
        }
        assertEquals(List.of(alert(90_000, d, 0)), before[0].alerts());
        OperatorSubtaskState snapshot =
                AbstractStreamOperatorTestHarness.repackageState(
                        before[0].harness.snapshot(1L, 95_000L), before[1].harness.snapshot(1L, 95_000L));

        Monitor after = subtask(0, snapshot);
        after.event(d, 100_000).watermark(130_000);
        assertEquals(List.of(), after.alerts(), "after the restore, the check at 90 000 was made again");
        assertEquals(List.of(back(d, 0, 100_000)), after.changes());
    }

    /** A device id that subtask {@code index} of two owns. */
    private static String keyOf(int index) {
        for (int n = 0; ; n++) {
            String key = "device-" + n;
            if (KeyGroupRangeAssignment.assignKeyToParallelOperator(key, MAX_PARALLELISM, 2) == index) {
                return key;
            }
        }
    }

    /** Subtask {@code index} of two, with a settings input (as the job with a topic), new or restored. */
    private Monitor subtask(int index, OperatorSubtaskState restored) throws Exception {
        SilenceSchedule schedule =
                new SilenceSchedule(INTERVAL_MS, TIMEOUT_MS, NEVER_EXPIRES).whereSettingsMayChange();
        Monitor monitor =
                new Monitor(
                        new KeyedTwoInputStreamOperatorTestHarness<>(
                                new DeviceMonitor(schedule),
                                new DeviceMonitor.ByDevice(),
                                null,
                                Types.STRING,
                                MAX_PARALLELISM,
                                2,
                                index));
        monitor.harness.setup();
        if (restored != null) {
            monitor.harness.initializeState(
                    AbstractStreamOperatorTestHarness.repartitionOperatorState(
                            restored, MAX_PARALLELISM, 2, 2, index));
        }
        monitor.harness.open();
        monitor.settingsIdle();
        started.add(monitor);
        return monitor;
    }

    // --- several devices -----------------------------------------------------------

    @Test
    void twoDevicesAreIndependent() throws Exception {
        Monitor monitor = monitor(NEVER_EXPIRES).event("a", 0).event("b", 50_000).watermark(95_000);
        monitor.event("a", 100_000).watermark(150_000);

        assertEquals(List.of(alert(90_000, "a", 0)), monitor.alertsOf("a"));
        assertEquals(
                List.of(alert(120_000, "b", 50_000), alert(150_000, "b", 50_000)),
                monitor.alertsOf("b"));
        assertEquals(
                List.of(silent("a", 0, 90_000), back("a", 0, 100_000)),
                monitor.changesOf("a"));
        assertEquals(List.of(silent("b", 50_000, 120_000)), monitor.changesOf("b"));
    }

    // --- the harness -------------------------------------------------------------

    /** What an alert says, comparable: (check, device, latest event time). */
    record Alerted(long checkMs, String deviceId, long latestEventMs) {
        static Alerted of(Alert alert) {
            return new Alerted(alert.checkMs, alert.deviceId, alert.latestEventMs);
        }
    }

    /** What a status change says, comparable: (device, status, since, at). */
    record Changed(String deviceId, String status, long sinceMs, long atMs) {
        static Changed of(StatusChange change) {
            return new Changed(change.deviceId, change.status, change.sinceMs, change.atMs);
        }
    }

    private static Alerted alert(long checkMs, String deviceId, long latestEventMs) {
        return new Alerted(checkMs, deviceId, latestEventMs);
    }

    private static Changed silent(String deviceId, long sinceMs, long atMs) {
        return new Changed(deviceId, SilenceSchedule.SILENT, sinceMs, atMs);
    }

    private static Changed back(String deviceId, long sinceMs, long atMs) {
        return new Changed(deviceId, SilenceSchedule.BACK, sinceMs, atMs);
    }

    private static Changed forgotten(String deviceId, long sinceMs, long atMs) {
        return new Changed(deviceId, SilenceSchedule.FORGOTTEN, sinceMs, atMs);
    }

    private static <T> List<T> concat(List<T> first, List<T> second) {
        List<T> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    private Monitor monitor(long expiryMs) throws Exception {
        Monitor monitor = new Monitor(expiryMs);
        monitor.harness.open();
        monitor.settingsIdle();
        started.add(monitor);
        return monitor;
    }

    /** A new operator from {@code snapshot}, as after a crash: only the snapshot carries over. */
    private Monitor restore(OperatorSubtaskState snapshot, long expiryMs) throws Exception {
        Monitor monitor = new Monitor(expiryMs);
        monitor.harness.setup();
        monitor.harness.initializeState(snapshot);
        monitor.harness.open();
        monitor.settingsIdle();
        started.add(monitor);
        return monitor;
    }

    /** One subtask of the operator; outputs in the order it emitted them. */
    private static final class Monitor {
        final KeyedTwoInputStreamOperatorTestHarness<String, String, SettingRecord, Alert> harness;

        Monitor(long expiryMs) throws Exception {
            this(
                    new KeyedTwoInputStreamOperatorTestHarness<>(
                            new DeviceMonitor(new SilenceSchedule(INTERVAL_MS, TIMEOUT_MS, expiryMs)),
                            new DeviceMonitor.ByDevice(),
                            null,
                            Types.STRING));
        }

        Monitor(KeyedTwoInputStreamOperatorTestHarness<String, String, SettingRecord, Alert> harness) {
            this.harness = harness;
        }

        /** As in the job: the settings hold no watermark back. */
        void settingsIdle() throws Exception {
            harness.processWatermarkStatus2(WatermarkStatus.IDLE);
        }

        Monitor event(String deviceId, long timeMs) throws Exception {
            harness.processElement1(new StreamRecord<>(deviceId, timeMs));
            return this;
        }

        /** {@code key} holds {@code value} (JSON, or null to delete) from {@code timeMs} on. */
        Monitor setting(String key, String value, long timeMs) throws Exception {
            SettingRecord record = DeviceSettings.parseText(key, value, timeMs, 1000);
            assertTrue(record.isGood(), record.reason);
            harness.processElement2(new StreamRecord<>(record, timeMs));
            return this;
        }

        Monitor watermark(long timeMs) throws Exception {
            harness.processWatermark1(new org.apache.flink.streaming.api.watermark.Watermark(timeMs));
            return this;
        }

        List<Alerted> alerts() {
            List<Alerted> alerts = new ArrayList<>();
            for (Alert alert : harness.extractOutputValues()) {
                alerts.add(Alerted.of(alert));
            }
            return alerts;
        }

        List<Changed> changes() {
            List<Changed> changes = new ArrayList<>();
            var records = harness.getSideOutput(DeviceMonitor.STATUS);
            if (records != null) {
                for (StreamRecord<StatusChange> record : records) {
                    changes.add(Changed.of(record.getValue()));
                }
            }
            return changes;
        }

        List<Alerted> alertsOf(String deviceId) {
            return alerts().stream().filter(alert -> alert.deviceId().equals(deviceId)).toList();
        }

        List<Changed> changesOf(String deviceId) {
            return changes().stream().filter(change -> change.deviceId().equals(deviceId)).toList();
        }
    }
}

package dev.handoff.streams;

import dev.handoff.avro.AlertLevel;
import dev.handoff.avro.CommandKind;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.ResponsibleSide;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SlaBreach;
import dev.handoff.avro.SlaKind;
import dev.handoff.avro.LifecycleCommand;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import dev.handoff.streams.sla.ReminderSchedule;
import dev.handoff.streams.stages.LifecycleSettings;
import dev.handoff.streams.stages.StoreNames;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

import static dev.handoff.streams.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SLA timers on both clocks. Default policy: UTC, Monday to Friday 09:00-17:00; a CRITICAL captured
 * Monday 09:00 has a 4 business hour handoff SLA (deadline 13:00, warning at 75 % = 12:00).
 */
class SlaAlertsTopologyTest {

    private static final String IMAGE = "registry.example.com/payments/api";
    private static final Instant WARNING = T0.plus(Duration.ofHours(3));
    private static final Instant DEADLINE = T0.plus(Duration.ofHours(4));

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private Topics topics;

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
    }

    @Test
    void streamClockRaisesWarningBreachAndRemindersOnceEachAtTheirOwnTimes() {
        start(LifecycleSettings.Clock.STREAM);
        FindingReported f = capture(Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.CRITICAL, T0));
        TestOutputTopic<String, SlaBreach> alerts = output(Topics.ALERTS_SLA_BREACH);
        assertTrue(alerts.isEmpty());

        advanceStreamTimeTo(T0.plus(Duration.ofMinutes(150)));
        assertTrue(alerts.isEmpty(), "nothing is due at 11:30");

        advanceStreamTimeTo(T0.plus(Duration.ofMinutes(230)));
        SlaBreach warning = alerts.readValue();
        assertEquals(AlertLevel.WARNING, warning.getLevel());
        assertEquals(SlaKind.HANDOFF, warning.getSla());
        assertEquals(WARNING, warning.getEventTime(), "stamped with the time the condition was reached");
        assertEquals(DEADLINE, warning.getDeadline());
        assertTrue(alerts.isEmpty());

        advanceStreamTimeTo(T0.plus(Duration.ofMinutes(245)));
        SlaBreach breach = alerts.readValue();
        assertEquals(AlertLevel.BREACH, breach.getLevel());
        assertEquals(DEADLINE, breach.getEventTime());
        assertEquals(ResponsibleSide.SECURITY_OPERATIONS, breach.getResponsible());
        assertEquals(List.of(FailureMode.UNCLASSIFIED), breach.getFailureModes());
        assertEquals(f.getFindingId(), breach.getFindingId());
        assertEquals("u-ana", breach.getOwnerId());

        // Later records of the same instant or older do not repeat anything.
        advanceStreamTimeTo(T0.plus(Duration.ofMinutes(246)));
        assertTrue(alerts.isEmpty());

        // Reminders back off: +1 h, then +2 h after that.
        advanceStreamTimeTo(DEADLINE.plus(Duration.ofHours(3)).plusSeconds(1));
        List<SlaBreach> reminders = alerts.readValuesToList();
        assertEquals(List.of(1, 2), reminders.stream().map(SlaBreach::getReminderNumber).toList());
        assertEquals(List.of(DEADLINE.plus(Duration.ofHours(1)), DEADLINE.plus(Duration.ofHours(3))),
                reminders.stream().map(SlaBreach::getEventTime).toList());
    }

    @Test
    void aLateCaptureWhoseDeadlineStreamTimeHasPassedBreachesAtOnceAfterEarlierScansFoundNothing() {
        start(LifecycleSettings.Clock.STREAM);
        // Stream time runs ahead to 14:00 with nothing due: the timer scans after each record find nothing.
        for (int minutes : new int[] {60, 120, 240, 300}) {
            advanceStreamTimeTo(T0.plus(Duration.ofMinutes(minutes)));
        }
        TestOutputTopic<String, SlaBreach> alerts = output(Topics.ALERTS_SLA_BREACH);
        assertTrue(alerts.isEmpty());
        // A capture arrives late, stamped 09:00: its warning (12:00), breach (13:00) and first reminder (14:00) are
        // already behind stream time.
        FindingReported late = capture(Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.CRITICAL, T0));
        List<SlaBreach> raised = alerts.readValuesToList();
        assertEquals(List.of(AlertLevel.WARNING, AlertLevel.BREACH, AlertLevel.REMINDER), raised.stream().map(SlaBreach::getLevel).toList(),
                "timers scheduled before the point the scan had reached fire on the same record");
        assertEquals(late.getFindingId(), raised.get(1).getFindingId());
        assertEquals(DEADLINE, raised.get(1).getEventTime());
    }

    @Test
    void anAcknowledgementBeforeTheDeadlineCancelsTheHandoffAlerts() {
        start(LifecycleSettings.Clock.STREAM);
        FindingReported f = capture(Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.CRITICAL, T0));
        command(Fixtures.command(f.getFindingId(), CommandKind.ACKNOWLEDGE, "u-ana", T0.plus(Duration.ofHours(1))));
        advanceStreamTimeTo(T0.plus(Duration.ofDays(2)));
        List<SlaBreach> alerts = output(Topics.ALERTS_SLA_BREACH).readValuesToList();
        assertTrue(alerts.stream().noneMatch(a -> a.getSla() != SlaKind.REMEDIATION), alerts.toString());
    }

    @Test
    void theRemediationSlaRunsUntilVerificationNotJustResolution() {
        start(LifecycleSettings.Clock.STREAM);
        FindingReported resolvedOnly = capture(Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.CRITICAL, T0));
        FindingReported verified = capture(Fixtures.finding(IMAGE, "CVE-2022-22965", SeverityBand.CRITICAL, T0));
        for (FindingReported f : List.of(resolvedOnly, verified)) {
            command(Fixtures.command(f.getFindingId(), CommandKind.ACKNOWLEDGE, "u-ana", T0.plusSeconds(600)));
            command(Fixtures.command(f.getFindingId(), CommandKind.RESOLVE, "u-ana", T0.plus(Duration.ofDays(2))));
        }
        command(Fixtures.command(verified.getFindingId(), CommandKind.VERIFY, "u-soc", T0.plus(Duration.ofDays(3))));
        advanceStreamTimeTo(T0.plus(Duration.ofDays(8)));

        List<SlaBreach> remediation = output(Topics.ALERTS_SLA_BREACH).readValuesToList().stream()
                .filter(a -> a.getSla() == SlaKind.REMEDIATION && a.getLevel() == AlertLevel.BREACH).toList();
        assertEquals(List.of(resolvedOnly.getFindingId()), remediation.stream().map(SlaBreach::getFindingId).toList(),
                "critical remediation is 7 days from the ack to verified closure");
        assertEquals(ResponsibleSide.ENGINEERING, remediation.get(0).getResponsible());
        assertEquals(T0.plusSeconds(600).plus(Duration.ofDays(7)), remediation.get(0).getDeadline());
    }

    @Test
    void firedAlertsOfAnSlaThatCanNoLongerFireAreForgottenAndNothingFiresTwice() {
        start(LifecycleSettings.Clock.STREAM);
        FindingReported f = capture(Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.CRITICAL, T0));
        TestOutputTopic<String, SlaBreach> alerts = output(Topics.ALERTS_SLA_BREACH);
        advanceStreamTimeTo(DEADLINE.plusSeconds(1));
        assertEquals(List.of(AlertLevel.WARNING, AlertLevel.BREACH), levels(alerts.readValuesToList()));
        assertEquals(List.of("HANDOFF|BREACH", "HANDOFF|WARNING"), firedOf(f));

        Instant ack = DEADLINE.plusSeconds(60);
        command(Fixtures.command(f.getFindingId(), CommandKind.ACKNOWLEDGE, "u-ana", ack));
        assertEquals(List.of(), firedOf(f), "acknowledged: its handoff alerts can no longer fire");
        command(Fixtures.command(f.getFindingId(), CommandKind.COMMENT, "u-ana", ack.plusSeconds(60)));
        advanceStreamTimeTo(ack.plus(Duration.ofDays(8)));
        List<SlaBreach> remediation = alerts.readValuesToList();
        assertTrue(remediation.stream().allMatch(a -> a.getSla() == SlaKind.REMEDIATION), "no handoff alert again: " + remediation);
        assertEquals(List.of(AlertLevel.WARNING, AlertLevel.BREACH, AlertLevel.REMINDER), levels(remediation).subList(0, 3));
        assertTrue(firedOf(f).stream().allMatch(k -> k.startsWith("REMEDIATION|")), firedOf(f).toString());

        Instant verified = ack.plus(Duration.ofDays(9));
        command(Fixtures.command(f.getFindingId(), CommandKind.RESOLVE, "u-ana", verified.minusSeconds(60)));
        command(Fixtures.command(f.getFindingId(), CommandKind.VERIFY, "u-soc", verified));
        assertEquals(List.of(), firedOf(f), "closed: none of its alerts can fire");
        alerts.readValuesToList(); // reminders due before the resolution, raised as stream time reached them
        advanceStreamTimeTo(verified.plus(Duration.ofDays(10)));
        assertEquals(List.of(), alerts.readValuesToList(), "nothing fires after closure");

        // Captured again, it reopens with deadlines from the reopening: their alerts fire, once each. (Every time here
        // stays before the day this test was written: the service dead-letters events dated ahead of the machine clock.)
        Instant reopened = verified.plus(Duration.ofDays(11));
        capture(FindingReported.newBuilder(f).setEventId("again").setEventTime(reopened).build());
        advanceStreamTimeTo(reopened.plus(Duration.ofDays(5)));
        List<SlaBreach> again = alerts.readValuesToList().stream()
                .filter(a -> a.getSla() == SlaKind.HANDOFF && a.getLevel() != AlertLevel.REMINDER).toList();
        assertEquals(List.of(AlertLevel.WARNING, AlertLevel.BREACH), levels(again));
        assertTrue(again.get(1).getDeadline().isAfter(reopened), again.toString());
    }

    private static List<AlertLevel> levels(List<SlaBreach> alerts) {
        return alerts.stream().map(SlaBreach::getLevel).toList();
    }

    /** The finding's fired alerts as SLA|LEVEL, sorted. */
    private List<String> firedOf(FindingReported f) {
        List<String> keys = new java.util.ArrayList<>();
        org.apache.kafka.streams.state.KeyValueStore<String, Long> fired = driver.getKeyValueStore(StoreNames.SLA_FIRED);
        try (var it = fired.all()) {
            it.forEachRemaining(kv -> {
                if (kv.key.startsWith(f.getFindingId() + "|")) {
                    String[] p = kv.key.split("\\|");
                    keys.add(p[1] + "|" + p[2]);
                }
            });
        }
        return keys.stream().sorted().toList();
    }

    @Test
    void aSeverityRaiseMovesTheDeadlineAndTheOldOneNeverFires() {
        start(LifecycleSettings.Clock.STREAM);
        FindingReported f = capture(Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.LOW, T0));
        command(LifecycleCommand.newBuilder(Fixtures.command(f.getFindingId(), CommandKind.CHANGE_SEVERITY, "u-soc", T0.plusSeconds(60)))
                .setDetails(new dev.handoff.avro.SeverityChange(SeverityBand.CRITICAL, null)).build());
        advanceStreamTimeTo(DEADLINE.plusSeconds(1));
        List<SlaBreach> alerts = output(Topics.ALERTS_SLA_BREACH).readValuesToList();
        SlaBreach breach = alerts.stream().filter(a -> a.getLevel() == AlertLevel.BREACH).findFirst().orElseThrow();
        assertEquals(DEADLINE, breach.getDeadline(), "the critical deadline, recomputed from t0");
        assertEquals(SeverityBand.CRITICAL, breach.getBand());
        assertTrue(breach.getFailureModes().contains(FailureMode.SEVERITY_MISMATCH));
    }

    @Test
    void wallClockFiresOnTheMachineClockAndARestartFromTheSameStateDoesNotRepeatAlerts() {
        start(LifecycleSettings.Clock.WALL);
        capture(Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.CRITICAL, T0));
        TestOutputTopic<String, SlaBreach> alerts = output(Topics.ALERTS_SLA_BREACH);
        driver.advanceWallClockTime(Duration.between(T0.minusSeconds(7200), DEADLINE).plusSeconds(1));
        assertEquals(List.of(AlertLevel.WARNING, AlertLevel.BREACH), alerts.readValuesToList().stream().map(SlaBreach::getLevel).toList());

        // The test driver deletes its state directory on close, so the restart starts from a copy of it.
        Path copy = copyState();
        driver.close();
        startAt(LifecycleSettings.Clock.WALL, DEADLINE.plusSeconds(2), copy);
        assertEquals(1, driver.getKeyValueStore(dev.handoff.streams.stages.StoreNames.FINDING_STATE).approximateNumEntries() > 0 ? 1 : 0,
                "the restarted driver sees the finding it had before");
        driver.advanceWallClockTime(Duration.ofSeconds(5));
        assertTrue(output(Topics.ALERTS_SLA_BREACH).isEmpty(), "restarted from the same state: nothing is repeated");
        driver.advanceWallClockTime(Duration.ofHours(1));
        List<SlaBreach> after = output(Topics.ALERTS_SLA_BREACH).readValuesToList();
        assertEquals(List.of(AlertLevel.REMINDER), after.stream().map(SlaBreach::getLevel).toList());
    }

    @Test
    void aNewVersionOfThePolicyMovesTheDeadlinesOfOpenFindings() {
        start(LifecycleSettings.Clock.STREAM);
        FindingReported f = capture(Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.CRITICAL, T0));
        dev.handoff.avro.SlaPolicy defaults = dev.handoff.streams.sla.SlaPolicies.defaultPolicy();
        List<dev.handoff.avro.SeverityTarget> targets = defaults.getTargets().stream().map(t -> t.getBand() != SeverityBand.CRITICAL ? t
                : dev.handoff.avro.SeverityTarget.newBuilder(t).setHandoff(new dev.handoff.avro.SlaSpan(2, dev.handoff.avro.SpanUnit.HOURS,
                        dev.handoff.avro.SpanClock.BUSINESS)).build()).toList();
        dev.handoff.avro.SlaPolicy v2 = dev.handoff.avro.SlaPolicy.newBuilder(defaults).setVersion(2).setTargets(targets)
                .setEventId("policy-v2").setEventTime(T0.plusSeconds(60)).build();
        pipe(Topics.SLA_POLICY, "default", v2);

        dev.handoff.avro.FindingState s = driver.<String, dev.handoff.avro.FindingState>getKeyValueStore(
                dev.handoff.streams.stages.StoreNames.FINDING_STATE).get(f.getFindingId());
        assertEquals(T0.plus(Duration.ofHours(2)), s.getHandoffDeadline());
        assertEquals(2, s.getSlaPolicyVersion());
        advanceStreamTimeTo(T0.plus(Duration.ofHours(5)));
        List<SlaBreach> breaches = output(Topics.ALERTS_SLA_BREACH).readValuesToList().stream()
                .filter(a -> a.getLevel() == AlertLevel.BREACH).toList();
        assertEquals(List.of(T0.plus(Duration.ofHours(2))), breaches.stream().map(SlaBreach::getDeadline).toList(),
                "only the new deadline breaches; the old 13:00 timer was replaced");
    }

    @Test
    void anInvalidPolicyIsDeadLetteredAndThePreviousOneStaysInForce() {
        start(LifecycleSettings.Clock.STREAM);
        FindingReported f = capture(Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.CRITICAL, T0));
        dev.handoff.avro.SlaPolicy broken = dev.handoff.avro.SlaPolicy.newBuilder(dev.handoff.streams.sla.SlaPolicies.defaultPolicy())
                .setVersion(3).setWarningFraction(1.5).setEventTime(T0.plusSeconds(60)).build();
        pipe(Topics.SLA_POLICY, "default", broken);
        dev.handoff.avro.DeadLetter dl = output(Topics.DEADLETTER).readValue();
        assertTrue(dl.getReason().contains("warning_fraction"), dl.getReason());
        assertEquals(DEADLINE, driver.<String, dev.handoff.avro.FindingState>getKeyValueStore(
                dev.handoff.streams.stages.StoreNames.FINDING_STATE).get(f.getFindingId()).getHandoffDeadline());
    }

    @Test
    void unroutedQueueReportsItsDepthAndCrossesTheDepthAndAgeLimitsOnce() {
        start(LifecycleSettings.Clock.STREAM); // limits here: depth 2, age 2 h, snapshot every 30 min
        FindingReported a = capture(Fixtures.finding("registry.example.com/nobody/a", "CVE-2024-1", SeverityBand.HIGH, T0));
        FindingReported b = capture(Fixtures.finding("registry.example.com/nobody/b", "CVE-2024-2", SeverityBand.HIGH, T0.plusSeconds(60)));
        // Stream time moves with captures of a bound finding, which never enter the queue.
        for (int minutes : new int[] {40, 90, 125, 180}) {
            capture(Fixtures.finding(IMAGE, "CVE-2025-" + minutes, SeverityBand.LOW, T0.plus(Duration.ofMinutes(minutes))));
        }
        List<dev.handoff.avro.UnroutedEvent> events = output(Topics.ALERTS_UNROUTED).readValuesToList();
        List<dev.handoff.avro.UnroutedEvent> crossings = events.stream()
                .filter(e -> e.getKind() == dev.handoff.avro.UnroutedEventKind.THRESHOLD_CROSSED).toList();
        assertEquals(1, crossings.stream().filter(e -> e.getThreshold() == dev.handoff.avro.UnroutedThreshold.DEPTH).count(),
                "depth limit crossed once: " + crossings);
        List<String> aged = crossings.stream().filter(e -> e.getThreshold() == dev.handoff.avro.UnroutedThreshold.AGE)
                .map(dev.handoff.avro.UnroutedEvent::getFindingId).sorted().toList();
        assertEquals(List.of(a.getFindingId(), b.getFindingId()).stream().sorted().toList(), aged, "each finding aged out once");
        dev.handoff.avro.UnroutedEvent last = events.stream()
                .filter(e -> e.getKind() == dev.handoff.avro.UnroutedEventKind.DEPTH_SNAPSHOT).reduce((x, y) -> y).orElseThrow();
        assertEquals(2, last.getDepth());
        assertEquals(T0, last.getOldestEnteredAt());
    }

    @Test
    void aReplayTakesAtMostOneSnapshotPerWallClockGapAndTheHeldBackOneWhenTheGapHasPassed() {
        startAt(LifecycleSettings.Clock.STREAM, T0.minusSeconds(7200), stateDir, Duration.ofSeconds(1));
        pipe(Topics.OWNERS, "u-ana", Fixtures.person("u-ana", true, "payments"));
        pipe(Topics.TEAMS, "payments", Fixtures.team("payments", "u-ana", List.of()));
        pipe(Topics.ASSETS, "api", Fixtures.asset("api", IMAGE, "u-ana", "payments"));
        driver.advanceWallClockTime(Duration.ofSeconds(1));
        snapshots(); // the directory's records took the first ones
        capture(Fixtures.finding("registry.example.com/nobody/a", "CVE-2024-1", SeverityBand.HIGH, T0));
        List<dev.handoff.avro.UnroutedEvent> first = snapshots();
        assertEquals(1, first.size(), "a second has passed since the last snapshot: " + first);
        assertEquals(1, first.get(0).getDepth());
        // Three more snapshot intervals of event time pass within the same wall-clock second: no snapshot each.
        capture(Fixtures.finding("registry.example.com/nobody/b", "CVE-2024-2", SeverityBand.HIGH, T0.plus(Duration.ofMinutes(40))));
        for (int minutes : new int[] {90, 125}) {
            capture(Fixtures.finding(IMAGE, "CVE-2025-" + minutes, SeverityBand.LOW, T0.plus(Duration.ofMinutes(minutes))));
        }
        assertEquals(List.of(), snapshots(), "held back until a second of wall-clock time has passed");

        driver.advanceWallClockTime(Duration.ofSeconds(1));
        List<dev.handoff.avro.UnroutedEvent> after = snapshots();
        assertEquals(1, after.size(), "the held-back snapshot once the gap has passed, with no record to trigger it: " + after);
        assertEquals(2, after.get(0).getDepth());
        assertEquals(T0, after.get(0).getOldestEnteredAt());
        assertEquals(T0.plus(Duration.ofMinutes(125)), after.get(0).getEventTime(), "taken as of the stream time");

        driver.advanceWallClockTime(Duration.ofSeconds(5));
        assertEquals(List.of(), snapshots(), "nothing held back, nothing taken");
    }

    @Test
    void onTheWallClockAnUnroutedFindingCrossesTheAgeLimitWithinAScanNotAtTheNextSnapshot() {
        start(LifecycleSettings.Clock.WALL); // wall clock starts at T0 - 2 h; snapshots every 30 min, timer scans every second
        FindingReported a = capture(Fixtures.finding("registry.example.com/nobody/a", "CVE-2024-1", SeverityBand.HIGH, T0.plusSeconds(100)));
        driver.advanceWallClockTime(Duration.between(T0.minusSeconds(7200), T0.plusSeconds(100 + 7190)));
        assertEquals(List.of(), ageCrossings(), "ten seconds before the 2 h limit");
        driver.advanceWallClockTime(Duration.ofSeconds(20));
        List<dev.handoff.avro.UnroutedEvent> crossed = ageCrossings();
        assertEquals(List.of(a.getFindingId()), crossed.stream().map(dev.handoff.avro.UnroutedEvent::getFindingId).toList());
        assertEquals(T0.plusSeconds(100), crossed.get(0).getEnteredAt());
        driver.advanceWallClockTime(Duration.ofHours(3));
        assertEquals(List.of(), ageCrossings(), "raised once");
    }

    private List<dev.handoff.avro.UnroutedEvent> snapshots() {
        return output(Topics.ALERTS_UNROUTED).readValuesToList().stream()
                .filter(e -> e.getKind() == dev.handoff.avro.UnroutedEventKind.DEPTH_SNAPSHOT).toList();
    }

    private List<dev.handoff.avro.UnroutedEvent> ageCrossings() {
        return output(Topics.ALERTS_UNROUTED).readValuesToList().stream()
                .filter(e -> e.getKind() == dev.handoff.avro.UnroutedEventKind.THRESHOLD_CROSSED
                        && e.getThreshold() == dev.handoff.avro.UnroutedThreshold.AGE).toList();
    }

    // ------------------------------------------------------------------ helpers

    private void start(LifecycleSettings.Clock clock) {
        startAt(clock, T0.minusSeconds(7200));
        pipe(Topics.OWNERS, "u-ana", Fixtures.person("u-ana", true, "payments"));
        pipe(Topics.TEAMS, "payments", Fixtures.team("payments", "u-ana", List.of()));
        pipe(Topics.ASSETS, "api", Fixtures.asset("api", IMAGE, "u-ana", "payments"));
    }

    private void startAt(LifecycleSettings.Clock clock, Instant wallClock) {
        startAt(clock, wallClock, stateDir);
    }

    /** A copy of the state directory; the driver flushes its stores on every commit, so the copy is whole. */
    private Path copyState() {
        Path copy = stateDir.resolve("../" + stateDir.getFileName() + "-copy").normalize();
        try (var paths = java.nio.file.Files.walk(stateDir)) {
            for (Path p : paths.toList()) {
                Path target = copy.resolve(stateDir.relativize(p).toString());
                if (java.nio.file.Files.isDirectory(p)) {
                    java.nio.file.Files.createDirectories(target);
                } else if (!p.getFileName().toString().equals("LOCK") && !p.getFileName().toString().endsWith(".lock")) {
                    java.nio.file.Files.copy(p, target);
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return copy;
    }

    private void startAt(LifecycleSettings.Clock clock, Instant wallClock, Path dir) {
        startAt(clock, wallClock, dir, Duration.ZERO);
    }

    private void startAt(LifecycleSettings.Clock clock, Instant wallClock, Path dir, Duration replayGap) {
        topics = new Topics("handoff.", 1, new EmbeddedSchemaRegistry());
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "sla-alerts-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        LifecycleSettings settings = new LifecycleSettings(clock, Duration.ofSeconds(1), 500,
                new ReminderSchedule(Duration.ofHours(1), 2.0, Duration.ofHours(24), 10), dev.handoff.streams.noise.NoiseSettings.defaults(),
                new LifecycleSettings.UnroutedLimits(Duration.ofMinutes(30), 2, Duration.ofHours(2), replayGap));
        driver = new TopologyTestDriver(HandoffTopology.build(topics, settings), props, wallClock);
    }

    /** Stream time moves with event time: a capture of an unrelated, unbound finding at {@code t}. */
    private void advanceStreamTimeTo(Instant t) {
        capture(Fixtures.finding("registry.example.com/other/" + t.toEpochMilli(), "CVE-2020-0001", SeverityBand.INFO, t));
    }

    private FindingReported capture(FindingReported f) {
        pipe(Topics.FINDINGS_REPORTED, f.getFindingId(), f);
        return f;
    }

    private void command(LifecycleCommand c) {
        pipe(Topics.FINDINGS_COMMANDS, c.getFindingId(), c);
    }

    private <V extends SpecificRecord> void pipe(TopicDef<V> topic, String key, V value) {
        driver.createInputTopic(topics.name(topic), new StringSerializer(), topics.valueSerde(topic).serializer()).pipeInput(key, value);
    }

    private <V extends SpecificRecord> TestOutputTopic<String, V> output(TopicDef<V> topic) {
        return driver.createOutputTopic(topics.name(topic), new StringDeserializer(), topics.valueSerde(topic).deserializer());
    }
}

package dev.handoff.streams;

import dev.handoff.avro.CommandKind;
import dev.handoff.avro.CycleWindow;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.FailureModeCount;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.avro.LifecycleCommand;
import dev.handoff.avro.MetricDimension;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SeverityChange;
import dev.handoff.avro.Stage;
import dev.handoff.avro.StageLatency;
import dev.handoff.avro.WindowGranularity;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import dev.handoff.streams.metrics.CohortMetricsProcessor;
import dev.handoff.streams.metrics.LatencySketches;
import dev.handoff.streams.metrics.MetricsNames;
import dev.handoff.streams.metrics.MetricsSettings;
import dev.handoff.streams.noise.NoiseSettings;
import dev.handoff.streams.sla.ReminderSchedule;
import dev.handoff.streams.stages.LifecycleSettings;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static dev.handoff.streams.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * From lifecycle events to {@code metrics.handoff} and {@code metrics.cycle} rows: cohort days per band
 * and dimension, weeks and months merged from days, rows that refresh by themselves when a window
 * elapses, findings that move between cohorts, and the now-gauges on the workspace rows.
 */
class MetricsTopologyTest {

    private static final String PAYMENTS_IMAGE = "registry.example.com/payments/api";
    private static final String IDENTITY_IMAGE = "registry.example.com/identity/login";
    private static final Duration REFRESH = Duration.ofSeconds(10);

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private Topics topics;
    private TestOutputTopic<String, HandoffWindow> handoff;
    private TestOutputTopic<String, CycleWindow> cycle;
    private final Map<String, HandoffWindow> latest = new HashMap<>();
    private final Map<String, CycleWindow> latestCycle = new HashMap<>();
    private Instant wall = T0;

    @BeforeEach
    void start() {
        topics = new Topics("handoff.", 1, new EmbeddedSchemaRegistry());
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "metrics-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        LifecycleSettings lifecycle = new LifecycleSettings(LifecycleSettings.Clock.WALL, Duration.ofSeconds(1), 500,
                ReminderSchedule.defaults(), NoiseSettings.defaults(), LifecycleSettings.UnroutedLimits.defaults());
        MetricsSettings metrics = new MetricsSettings(ZoneId.of("UTC"), REFRESH, Duration.ofDays(90), Duration.ofMinutes(1));
        driver = new TopologyTestDriver(HandoffTopology.build(topics, lifecycle, metrics), props, T0);
        handoff = driver.createOutputTopic(topics.name(Topics.METRICS_HANDOFF), new StringDeserializer(),
                topics.valueSerde(Topics.METRICS_HANDOFF).deserializer());
        cycle = driver.createOutputTopic(topics.name(Topics.METRICS_CYCLE), new StringDeserializer(),
                topics.valueSerde(Topics.METRICS_CYCLE).deserializer());
        pipe(Topics.OWNERS, "u-ana", Fixtures.person("u-ana", true, "payments"));
        pipe(Topics.OWNERS, "u-ivo", Fixtures.person("u-ivo", true, "identity"));
        pipe(Topics.TEAMS, "payments", Fixtures.team("payments", "u-ana", List.of()));
        pipe(Topics.TEAMS, "identity", Fixtures.team("identity", "u-ivo", List.of()));
        pipe(Topics.ASSETS, "api", Fixtures.asset("api", PAYMENTS_IMAGE, "u-ana", "payments"));
        pipe(Topics.ASSETS, "login", Fixtures.asset("login", IDENTITY_IMAGE, "u-ivo", "identity"));
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void dayRowsCountTheCohortAndMeasureTheBodyOfExplicitAcks() {
        FindingReported a = capture(PAYMENTS_IMAGE, "CVE-2026-0001", SeverityBand.HIGH, T0);
        FindingReported b = capture(PAYMENTS_IMAGE, "CVE-2026-0002", SeverityBand.HIGH, T0.plusSeconds(60));
        FindingReported c = capture(IDENTITY_IMAGE, "CVE-2026-0003", SeverityBand.HIGH, T0.plusSeconds(120));
        command(a, CommandKind.ACKNOWLEDGE, "u-ana", T0.plus(Duration.ofHours(1)));
        command(b, CommandKind.ACKNOWLEDGE, "u-ana", T0.plusSeconds(60).plus(Duration.ofHours(3)));
        command(c, CommandKind.ENTER_TRIAGE, "u-ivo", T0.plusSeconds(120).plus(Duration.ofHours(2))); // inferred ack
        capture(PAYMENTS_IMAGE, "CVE-2026-0001", SeverityBand.HIGH, T0.plus(Duration.ofHours(5))); // a duplicate of a

        clockTo(T0.plus(Duration.ofHours(6)));
        refresh();
        HandoffWindow all = day(SeverityBand.HIGH, MetricDimension.ALL, "all");
        assertEquals(3, all.getCaptured());
        assertEquals(2, all.getAcknowledged(), "the body holds explicit acks only");
        assertEquals(1, all.getInferredAcks());
        assertEquals(1.0 / 3, all.getAckAmbiguityRate(), 1e-9, "inferred acks over all acks: 1 / (2 + 1)");
        assertWithinOnePercent(Duration.ofHours(1).toMillis(), all.getMedianMs(), "lower median of {1h, 3h}");
        assertWithinOnePercent(Duration.ofHours(1).toMillis(), all.getP90Ms(), "lower p90 of two values is the first");
        assertWithinOnePercent(Duration.ofHours(3).toMillis(), all.getMaxMs(), "max");
        assertEquals(0, all.getNoAckNumerator());
        assertEquals(3, all.getNoAckDenominator(), "the inferred ack completes the handoff for the no-ack rate");
        assertEquals(0, all.getPending());
        assertEquals(1, all.getDuplicates());
        assertEquals(3, all.getHandoffWithinSla(), "all three were acknowledged within one business day");
        assertEquals(0, all.getHandoffBreachCount());
        assertEquals(2, LatencySketches.fromAvro(all.getSketch()).getCount(), 0.0, "the sketch holds the body");

        HandoffWindow payments = day(SeverityBand.HIGH, MetricDimension.TEAM, "payments");
        assertEquals(2, payments.getCaptured());
        assertEquals(2, payments.getAcknowledged());
        HandoffWindow identity = day(SeverityBand.HIGH, MetricDimension.TEAM, "identity");
        assertEquals(1, identity.getCaptured());
        assertEquals(0, identity.getAcknowledged());
        assertNull(identity.getMedianMs(), "no explicit ack: no median rather than a made-up one");
        assertEquals(3, day(SeverityBand.HIGH, MetricDimension.SOURCE_TOOL, "Trivy").getCaptured());
        assertEquals(3, day(SeverityBand.HIGH, MetricDimension.BUSINESS_UNIT, "retail").getCaptured());
        assertEquals(3, day(SeverityBand.HIGH, MetricDimension.CAPTURE_ORIGIN, "FIRST_TIME").getCaptured());

        StageLatency ack = all.getStages().stream().filter(s -> s.getStage() == Stage.ACKNOWLEDGEMENT).findFirst().orElseThrow();
        assertEquals(0, ack.getStats().getCount(), "no receipt, so no notification time and no notification->ack duration");
        StageLatency enrichment = all.getStages().stream().filter(s -> s.getStage() == Stage.ENRICHMENT).findFirst().orElseThrow();
        assertEquals(3, enrichment.getStats().getCount());

        CycleWindow cycleAll = latestCycle.get(rowKey(WindowGranularity.DAY, "2026-11-02", SeverityBand.HIGH, MetricDimension.ALL, "all"));
        assertEquals(3, cycleAll.getHandoff().getCount(), "the cycle's handoff segment includes the inferred ack");
        assertEquals(1, cycleAll.getTriage().getCount());
    }

    @Test
    void weeksAndMonthsAreMergesOfTheirDays() {
        FindingReported monday = capture(PAYMENTS_IMAGE, "CVE-2026-0101", SeverityBand.MEDIUM, T0);
        FindingReported tuesday = capture(PAYMENTS_IMAGE, "CVE-2026-0102", SeverityBand.MEDIUM, T0.plus(Duration.ofDays(1)));
        command(monday, CommandKind.ACKNOWLEDGE, "u-ana", T0.plus(Duration.ofHours(2)));
        command(tuesday, CommandKind.ACKNOWLEDGE, "u-ana", T0.plus(Duration.ofDays(1)).plus(Duration.ofHours(6)));
        clockTo(T0.plus(Duration.ofDays(2)));
        refresh();

        HandoffWindow week = latest.get(rowKey(WindowGranularity.WEEK, "2026-11-02", SeverityBand.MEDIUM, MetricDimension.ALL, "all"));
        assertNotNull(week, "a week row keyed by its Monday");
        assertEquals(2, week.getCaptured());
        assertEquals(2, week.getAcknowledged());
        assertEquals(Instant.parse("2026-11-02T00:00:00Z"), week.getWindowStart());
        assertEquals(Instant.parse("2026-11-09T00:00:00Z"), week.getWindowEnd());
        assertWithinOnePercent(Duration.ofHours(2).toMillis(), week.getMedianMs(), "lower median of {2h, 6h}");
        assertWithinOnePercent(Duration.ofHours(6).toMillis(), week.getMaxMs(), "max over both days");
        assertEquals(2, LatencySketches.fromAvro(week.getSketch()).getCount(), 0.0);

        // A range query over the whole week reads the stored WEEK row; over two days it reads the DAY rows: same answer.
        org.apache.kafka.streams.state.KeyValueStore<String, HandoffWindow> days = driver.getKeyValueStore(
                dev.handoff.streams.metrics.MetricsNames.HANDOFF_DAYS_STORE);
        org.apache.kafka.streams.state.KeyValueStore<String, CycleWindow> cycles = driver.getKeyValueStore(
                dev.handoff.streams.metrics.MetricsNames.CYCLE_DAYS_STORE);
        for (String to : List.of("2026-11-08", "2026-11-03")) {
            List<dev.handoff.streams.metrics.MetricRows.Row> rows = dev.handoff.streams.metrics.MetricRows.read(days, cycles,
                    new dev.handoff.streams.metrics.MetricRows.Selection(java.time.LocalDate.parse("2026-11-02"), java.time.LocalDate.parse(to),
                            java.util.EnumSet.of(SeverityBand.MEDIUM), MetricDimension.ALL, "all", null),
                    ZoneId.of("UTC"), wall, dev.handoff.streams.metrics.MetricRows.Parts.BOTH);
            assertEquals(1, rows.size(), "to " + to);
            assertEquals(2, rows.get(0).handoff().getCaptured(), "to " + to);
            assertEquals(week.getMedianMs(), rows.get(0).handoff().getMedianMs(), "to " + to);
            assertEquals(2, rows.get(0).cycle().getHandoff().getCount(), "to " + to);
        }

        HandoffWindow month = latest.get(rowKey(WindowGranularity.MONTH, "2026-11-01", SeverityBand.MEDIUM, MetricDimension.ALL, "all"));
        assertNotNull(month, "a month row keyed by its first day");
        assertEquals(2, month.getCaptured());
        assertEquals(Instant.parse("2026-12-01T00:00:00Z"), month.getWindowEnd());
    }

    @Test
    void aRowRefreshesByItselfWhenAWindowElapsesWithNoEvent() {
        FindingReported silent = capture(PAYMENTS_IMAGE, "CVE-2026-0201", SeverityBand.CRITICAL, T0);
        refresh();
        HandoffWindow before = day(SeverityBand.CRITICAL, MetricDimension.ALL, "all");
        assertEquals(1, before.getPending(), "inside its 24 h window: pending, in neither A nor N");
        assertEquals(0, before.getNoAckDenominator());
        assertNull(before.getNoAckRate());
        assertEquals(0, before.getHandoffBreachCount());

        // No event at all: the 4-business-hour deadline and then the 24 h window pass on the clock.
        advance(Duration.ofHours(25));
        refresh();
        HandoffWindow after = day(SeverityBand.CRITICAL, MetricDimension.ALL, "all");
        assertEquals(0, after.getPending());
        assertEquals(1, after.getNoAckNumerator());
        assertEquals(1, after.getNoAckDenominator());
        assertEquals(1.0, after.getNoAckRate(), 1e-9);
        assertEquals(1, after.getHandoffBreachCount());
        assertEquals(List.of(new FailureModeCount(FailureMode.UNCLASSIFIED, 1L)), after.getNoAcks());
        assertTrue(after.getAsOf().isAfter(before.getAsOf()));

        // A late acknowledgement stays in N and in the breaches, but joins the body.
        command(silent, CommandKind.ACKNOWLEDGE, "u-ana", T0.plus(Duration.ofHours(26)));
        clockTo(T0.plus(Duration.ofHours(26)).plusSeconds(1));
        refresh();
        HandoffWindow late = day(SeverityBand.CRITICAL, MetricDimension.ALL, "all");
        assertEquals(1, late.getNoAckNumerator());
        assertEquals(1, late.getHandoffBreachCount());
        assertEquals(1, late.getAcknowledged());
    }

    @Test
    void aFindingWhoseBandIsRaisedMovesToTheNewBandsCohort() {
        FindingReported f = capture(PAYMENTS_IMAGE, "CVE-2026-0301", SeverityBand.HIGH, T0);
        capture(PAYMENTS_IMAGE, "CVE-2026-0302", SeverityBand.HIGH, T0.plusSeconds(30));
        refresh();
        assertEquals(2, day(SeverityBand.HIGH, MetricDimension.ALL, "all").getCaptured());

        LifecycleCommand raise = LifecycleCommand.newBuilder(Fixtures.command(f.getFindingId(), CommandKind.CHANGE_SEVERITY, "u-soc",
                T0.plusSeconds(600))).setDetails(new SeverityChange(SeverityBand.CRITICAL, null)).build();
        pipe(Topics.FINDINGS_COMMANDS, f.getFindingId(), raise);
        clockTo(T0.plusSeconds(601));
        refresh();
        assertEquals(1, day(SeverityBand.HIGH, MetricDimension.ALL, "all").getCaptured(), "it left the HIGH cohort");
        assertEquals(1, day(SeverityBand.CRITICAL, MetricDimension.ALL, "all").getCaptured(), "and joined the CRITICAL one");
        assertEquals(1, day(SeverityBand.HIGH, MetricDimension.TEAM, "payments").getCaptured());
    }

    @Test
    void aReopenedFindingCountsInTheReopenDaysCohortUnderOriginReopen() {
        FindingReported f = capture(PAYMENTS_IMAGE, "CVE-2026-0401", SeverityBand.LOW, T0);
        command(f, CommandKind.ACKNOWLEDGE, "u-ana", T0.plus(Duration.ofHours(1)));
        command(f, CommandKind.RESOLVE, "u-ana", T0.plus(Duration.ofHours(2)));
        command(f, CommandKind.VERIFY, "u-soc", T0.plus(Duration.ofHours(3)));
        clockTo(T0.plus(Duration.ofHours(3)).plusSeconds(1));
        refresh();
        assertEquals(1, day(SeverityBand.LOW, MetricDimension.ALL, "all").getCaptured());
        capture(PAYMENTS_IMAGE, "CVE-2026-0401", SeverityBand.LOW, T0.plus(Duration.ofDays(2))); // it is back
        clockTo(T0.plus(Duration.ofDays(2)).plusSeconds(1));
        refresh();

        HandoffWindow reopened = latest.get(rowKey(WindowGranularity.DAY, "2026-11-04", SeverityBand.LOW, MetricDimension.CAPTURE_ORIGIN, "REOPEN"));
        assertNotNull(reopened);
        assertEquals(1, reopened.getCaptured());
        assertEquals(1, reopened.getReopened());
        HandoffWindow firstDay = latest.get(rowKey(WindowGranularity.DAY, "2026-11-02", SeverityBand.LOW, MetricDimension.ALL, "all"));
        assertEquals(0, firstDay.getCaptured(), "its first handoff's cohort published it leaving");
    }

    @Test
    void workspaceRowsOfTheCurrentWindowCarryTheNowGauges() {
        capture("registry.example.com/nobody/owns-this", "CVE-2026-0501", SeverityBand.HIGH, T0); // binding gap: unrouted
        capture(PAYMENTS_IMAGE, "CVE-2026-0502", SeverityBand.HIGH, T0.plusSeconds(5));
        advance(Duration.ofMinutes(1)); // the unrouted-depth snapshot
        refresh();
        refresh(); // the snapshot may land after this minute's refresh: the next one carries it
        HandoffWindow all = day(SeverityBand.HIGH, MetricDimension.ALL, "all");
        assertEquals(1, all.getUnroutedDepth());
        assertEquals(T0, all.getOldestUnroutedAt());
        assertEquals(2, all.getOpenFindings());
        assertEquals(1, all.getOpenWithCurrentOwner());
        assertEquals(0.5, all.getOwnershipCurrency(), 1e-9);
        assertNull(day(SeverityBand.HIGH, MetricDimension.TEAM, "payments").getUnroutedDepth(), "gauges are workspace-wide");
    }

    @Test
    void aDayIsMarkedDirtyOnceUntilItsRefreshAndThePartialsHaveNoChangelogButTheirTopic() {
        String dirty = "dirty|2026-11-02";
        TestOutputTopic<String, String> refreshLog = driver.createOutputTopic(
                "metrics-test-" + MetricsNames.PARTIALS_REFRESH_STORE + "-changelog", new StringDeserializer(), new StringDeserializer());
        for (int i = 0; i < 3; i++) {
            capture(PAYMENTS_IMAGE, "CVE-2026-060" + i, SeverityBand.HIGH, T0.plusSeconds(i));
        }
        assertEquals(1, marks(refreshLog.readKeyValuesToList(), dirty),
                "three members joined between two refreshes, each in its own commit: the mark is written once");
        refresh();
        assertEquals(3, day(SeverityBand.HIGH, MetricDimension.TEAM, "payments").getCaptured());
        capture(PAYMENTS_IMAGE, "CVE-2026-0609", SeverityBand.HIGH, T0.plusSeconds(9));
        List<KeyValue<String, String>> after = refreshLog.readKeyValuesToList();
        assertTrue(after.stream().anyMatch(kv -> kv.key.equals(dirty) && kv.value == null), "the refresh removed the mark");
        assertEquals(1, marks(after, dirty), "a member after the refresh marks the day again");
        refresh();
        assertEquals(4, day(SeverityBand.HIGH, MetricDimension.TEAM, "payments").getCaptured());

        assertTrue(driver.producedTopicNames().contains(topics.prefix() + MetricsNames.COHORT_PARTIALS_TOPIC_SUFFIX));
        assertFalse(driver.producedTopicNames().contains("metrics-test-" + MetricsNames.PARTIALS_STORE + "-changelog"),
                "the partials topic is the partials store's changelog (decision 0010): " + driver.producedTopicNames());
    }

    @Test
    void aRefreshLeftBehindCatchesUpOnceNoMemberCameForASecondNotAWholeIntervalLater() {
        int days = 41; // 205 cohorts: more than one batch (200) of shares on the finding side and of merges on the metrics side
        for (int i = 0; i < days; i++) {
            capture(PAYMENTS_IMAGE, String.format("CVE-2026-%04d", 1000 + i), SeverityBand.HIGH, T0.minus(Duration.ofDays(i)));
        }
        advance(REFRESH);
        readRows();
        assertEquals(0, teamDayRows(), "members arrived since the last tick: one batch of days, nothing merged yet");
        Duration waited = Duration.ZERO;
        while (teamDayRows() < days && waited.compareTo(REFRESH) < 0) {
            advance(CohortMetricsProcessor.CATCH_UP_TICK);
            waited = waited.plus(CohortMetricsProcessor.CATCH_UP_TICK);
            readRows();
        }
        assertEquals(days, teamDayRows(), "nothing arrived for a second: both halves catch up at the next ticks, not intervals later");
        assertTrue(waited.compareTo(CohortMetricsProcessor.QUIET_AFTER) > 0, "not before the input was quiet for a second: " + waited);
    }

    private long teamDayRows() {
        return latest.keySet().stream().filter(k -> k.startsWith("DAY|") && k.endsWith("|HIGH|TEAM|payments")).count();
    }

    private static long marks(List<KeyValue<String, String>> changelog, String key) {
        return changelog.stream().filter(kv -> kv.key.equals(key) && kv.value != null).count();
    }

    // ------------------------------------------------------------------ helpers

    /** The wall clock (as_of) moves to {@code at}: rows computed earlier must not see later events. */
    private void clockTo(Instant at) {
        if (at.isAfter(wall)) {
            driver.advanceWallClockTime(Duration.between(wall, at));
            wall = at;
        }
    }

    private void refresh() {
        refresh(REFRESH);
    }

    /**
     * Moves the wall clock on by {@code by}, then by one refresh interval more, and takes the rows published: the finding
     * partition sends its partials at one refresh, the metrics partition merges them at its next (decision 0014).
     */
    private void refresh(Duration by) {
        advance(by);
        advance(REFRESH);
        readRows();
    }

    private void readRows() {
        for (KeyValue<String, HandoffWindow> kv : handoff.readKeyValuesToList()) {
            latest.put(kv.key, kv.value);
        }
        for (KeyValue<String, CycleWindow> kv : cycle.readKeyValuesToList()) {
            latestCycle.put(kv.key, kv.value);
        }
    }

    private void advance(Duration d) {
        driver.advanceWallClockTime(d);
        wall = wall.plus(d);
    }

    private HandoffWindow day(SeverityBand band, MetricDimension dimension, String key) {
        HandoffWindow row = latest.get(rowKey(WindowGranularity.DAY, "2026-11-02", band, dimension, key));
        assertNotNull(row, "no DAY row for " + band + "/" + dimension + "/" + key + " among " + latest.keySet());
        assertFalse(row.getAsOf().isBefore(T0));
        return row;
    }

    private static String rowKey(WindowGranularity g, String day, SeverityBand band, MetricDimension dimension, String key) {
        return g + "|" + day + "|" + band + "|" + dimension + "|" + key;
    }

    private static void assertWithinOnePercent(long expected, Long actual, String what) {
        assertNotNull(actual, what);
        assertTrue(Math.abs(actual - expected) <= expected * 0.01 + 1, what + ": expected " + expected + " within 1 %, got " + actual);
    }

    private FindingReported capture(String image, String cve, SeverityBand band, Instant at) {
        FindingReported f = Fixtures.finding(image, cve, band, at);
        pipe(Topics.FINDINGS_REPORTED, f.getFindingId(), f);
        return f;
    }

    private void command(FindingReported f, CommandKind kind, String actor, Instant at) {
        pipe(Topics.FINDINGS_COMMANDS, f.getFindingId(), Fixtures.command(f.getFindingId(), kind, actor, at));
    }

    private <V extends SpecificRecord> void pipe(TopicDef<V> topic, String key, V value) {
        driver.createInputTopic(topics.name(topic), new StringSerializer(), topics.valueSerde(topic).serializer()).pipeInput(key, value);
    }
}

package dev.handoff.streams.metrics;

import dev.handoff.avro.CaptureOrigin;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.FindingStatus;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.avro.MetricDimension;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SourceTool;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import dev.handoff.streams.stages.LifecycleSettings;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both halves of the metrics by hand (decision 0014): a finding partition's shares of its cohorts, sent only when they
 * changed and computed as of the refresh boundary, and the metrics partition's merge, which publishes a row only when
 * every share is exact at the latest one's as_of.
 */
class CohortPartialsTest {

    private static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z");
    private static final Duration REFRESH = Duration.ofSeconds(10);
    private static final MetricsSettings SETTINGS = new MetricsSettings(ZoneId.of("UTC"), REFRESH, Duration.ofDays(90), Duration.ofMinutes(1));
    private static final String ALL_HIGH = new CohortKey(MetricDimension.ALL, CohortKey.ALL, SeverityBand.HIGH, LocalDate.parse("2026-11-02")).id();

    @TempDir
    File stateDir;

    // ------------------------------------------------------------------ the finding partition's half

    @Test
    void aSaveThatChangesNoFactSendsNothingAndOneThatDoesSendsItsDaysChangedShares() {
        Partition p = new Partition(0);
        FindingState open = finding("f1-a").build();
        p.save(open);
        p.refresh(T0.plusSeconds(12));
        assertEquals(CohortKey.of(open, ZoneId.of("UTC")).size(), p.partials().size(), "the first refresh sends a share of each of its cohorts");

        p.save(FindingState.newBuilder(open).setEventId("e2").setTitle("retitled").build());
        p.refresh(T0.plusSeconds(22));
        assertEquals(Map.of(), p.partials(), "nothing a cohort counts changed: nothing sent");
        p.refresh(T0.plusSeconds(24));
        assertEquals(Map.of(), p.partials(), "nor at the next tick");

        p.save(finding("f1-b").setTeamId("identity").build());
        p.refresh(T0.plusSeconds(32));
        Map<String, CohortPartial> sent = p.partials();
        assertEquals(5, sent.size(), "a second finding changes the shares of its five cohorts: " + sent.keySet());
        assertFalse(sent.containsKey("TEAM|payments|HIGH|2026-11-02"), "and no other: " + sent.keySet());
        assertEquals(2, sent.get(ALL_HIGH).handoff().getCaptured());
        assertEquals(Instant.parse("2026-11-02T09:00:30Z"), sent.get(ALL_HIGH).asOf(), "as of the refresh boundary, not the tick");
    }

    @Test
    void aDayMarkedBeforeARestartIsRecomputedWhole() {
        Partition p = new Partition(0);
        p.save(finding("f1-a").build());
        p.refresh(T0.plusSeconds(12));
        p.save(finding("f1-b").setTeamId("identity").build()); // marked in the store, the changed cohorts only in memory

        Partition restarted = new Partition(0, p.stores);
        restarted.refresh(T0.plusSeconds(22));
        Map<String, CohortPartial> sent = restarted.partials();
        assertEquals(6, sent.size(), "which cohorts changed died with the old instance: every cohort of the day is sent " + sent.keySet());
        assertEquals(2, sent.get(ALL_HIGH).handoff().getCaptured());
        restarted.refresh(T0.plusSeconds(32));
        assertEquals(Map.of(), restarted.partials(), "and only once");
    }

    @Test
    void theSharesOfTwoPartitionsMergeIntoTheRowOfAllTheirMembers() {
        Partition p0 = new Partition(0);
        Partition p1 = new Partition(1);
        List<FindingState> all = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            FindingState.Builder f = finding("f1-" + i).setCapturedAt(T0.plusSeconds(i));
            if (i % 3 != 0) {
                f.setAcknowledgedAt(T0.plus(Duration.ofMinutes(7L * i + 1))).setStatus(FindingStatus.ACKNOWLEDGED);
            }
            if (i % 5 == 0) {
                f.setNoAckDeadline(T0.plus(Duration.ofHours(1))); // passed by the as_of below unless acknowledged in time
            }
            FindingState s = f.build();
            all.add(s);
            (i % 2 == 0 ? p0 : p1).save(s);
        }
        Instant tick = T0.plus(Duration.ofHours(3)).plusSeconds(4);
        p0.refresh(tick);
        p1.refresh(tick.plusSeconds(3)); // another tick after the same boundary
        CohortPartial a = p0.partials().get(ALL_HIGH);
        CohortPartial b = p1.partials().get(ALL_HIGH);
        assertEquals(a.asOf(), b.asOf(), "both as of the same boundary");

        CohortAccumulator merged = new CohortAccumulator(a.asOf()).add(a.handoff()).add(b.handoff()).add(a.cycle()).add(b.cycle());
        CohortAccumulator whole = new CohortAccumulator(a.asOf());
        all.forEach(s -> whole.add(CohortMember.of(s)));
        CohortAccumulator.Window window = Windows.window(dev.handoff.avro.WindowGranularity.DAY, LocalDate.parse("2026-11-02"),
                ZoneId.of("UTC"), CohortKey.parse(ALL_HIGH));
        HandoffWindow expected = whole.handoffWindow(window, tick);
        HandoffWindow actual = merged.handoffWindow(window, tick);
        assertEquals(40, actual.getCaptured());
        assertTrue(expected.getNoAckNumerator() > 0 && expected.getPending() > 0, "the as_of splits members: " + expected);
        assertEquals(expected, actual, "the merged shares are the row of all members, sketches included");
        assertEquals(whole.cycleWindow(window, tick), merged.cycleWindow(window, tick));

        // A share carries only what the merge reads: no event id, source or key, no quantile or rate.
        HandoffWindow share = a.handoff();
        assertEquals(List.of("", "", ""), List.of(share.getEventId(), share.getSource(), share.getDimensionKey()));
        assertTrue(share.getAcknowledged() > 0 && share.getMedianMs() == null && share.getP99Ms() == null && share.getNoAckRate() == null,
                share.toString());
        assertTrue(share.getStages().stream().allMatch(st -> st.getStats().getMedianMs() == null && st.getSketch() != null));
        assertNull(a.cycle().getHandoff().getMedianMs());
        assertEquals(expected.getMedianMs(), actual.getMedianMs(), "the merge computes them");
    }

    @Test
    void aWindowPassingWithNoEventRecomputesTheDayAtTheNextBoundary() {
        Partition p = new Partition(0);
        Instant window = T0.plus(Duration.ofHours(24));
        p.save(finding("f1-silent").setNoAckDeadline(window).build());
        p.refresh(T0.plusSeconds(12));
        CohortPartial before = p.partials().get(ALL_HIGH);
        assertEquals(1, before.handoff().getPending());
        assertEquals(T0.plus(Duration.ofHours(8)), before.validUntil(), "exact until the handoff deadline passes");

        p.refresh(T0.plus(Duration.ofHours(1)));
        assertEquals(Map.of(), p.partials(), "nothing due yet");
        p.refresh(window.plusSeconds(3));
        CohortPartial after = p.partials().get(ALL_HIGH);
        assertNotNull(after, "due: the day was recomputed with no event");
        assertEquals(0, after.handoff().getPending());
        assertEquals(1, after.handoff().getNoAckNumerator());
        assertEquals(1, after.handoff().getHandoffBreachCount());
        assertNull(after.validUntil(), "nothing left to pass");
    }

    @Test
    void aShareWhoseCountsStayButWhoseValidityMovesIsSentAgain() {
        Partition p = new Partition(0);
        // Acknowledged within both: the deadline and the window passing change no count, only how long the share holds.
        p.save(finding("f1-acked").setAcknowledgedAt(T0.plus(Duration.ofHours(1))).setStatus(FindingStatus.ACKNOWLEDGED).build());
        p.refresh(T0.plus(Duration.ofHours(2)));
        CohortPartial first = p.partials().get(ALL_HIGH);
        assertEquals(T0.plus(Duration.ofHours(8)), first.validUntil());
        p.refresh(T0.plus(Duration.ofHours(9)));
        CohortPartial second = p.partials().get(ALL_HIGH);
        assertNotNull(second, "the counts are the same, but the share sent before is no longer exact after 8 h");
        assertEquals(first.handoff().getHandoffWithinSla(), second.handoff().getHandoffWithinSla());
        assertEquals(T0.plus(Duration.ofDays(3)), second.validUntil());
    }

    @Test
    void aFindingThatLeavesCohortsLeavesATombstoneForThePartitionsShareOfEach() {
        Partition p = new Partition(3);
        FindingState high = finding("f1-raised").build();
        p.save(high);
        p.refresh(T0.plusSeconds(12));
        p.save(FindingState.newBuilder(high).setEventId("e2").setBand(SeverityBand.CRITICAL).build());
        p.refresh(T0.plusSeconds(22));

        List<String> removed = new ArrayList<>();
        List<String> joined = new ArrayList<>();
        p.context.forwarded().forEach(f -> (f.record().value() == null ? removed : joined).add(f.record().key()));
        List<String> expectedRemoved = new ArrayList<>();
        CohortKey.of(high, ZoneId.of("UTC")).forEach(k -> expectedRemoved.add(CohortMessage.partialKey(k.id(), 3)));
        assertEquals(expectedRemoved, removed, "a tombstone per cohort left, keyed like the merge side's store entry");
        assertEquals(5, joined.size());
        joined.forEach(k -> assertEquals(SeverityBand.CRITICAL, CohortKey.parse(CohortMessage.cohortOf(k)).band(), k));
    }

    @Test
    void aReopenedFindingMovesToItsReopeningDay() {
        Partition p = new Partition(0);
        FindingState first = finding("f1-back").setStatus(FindingStatus.VERIFIED).build();
        p.save(first);
        p.refresh(T0.plusSeconds(12));
        Instant reopened = T0.plus(Duration.ofDays(2));
        p.save(FindingState.newBuilder(first).setEventId("e2").setStatus(FindingStatus.OPEN).setOrigin(CaptureOrigin.REOPEN)
                .setReopenedAt(reopened).setReopenCount(1).setCaptureCount(2).build());
        p.refresh(reopened.plusSeconds(12));
        List<String> removed = new ArrayList<>();
        p.context.forwarded().forEach(f -> {
            if (f.record().value() == null) {
                removed.add(CohortKey.parse(CohortMessage.cohortOf(f.record().key())).day().toString());
            }
        });
        assertEquals(List.of("2026-11-02", "2026-11-02", "2026-11-02", "2026-11-02", "2026-11-02"), removed);
        assertNotNull(p.partials().get("CAPTURE_ORIGIN|REOPEN|HIGH|2026-11-04"));
    }

    @Test
    void theOpenCountsAGaugeCarriesSurviveARestart() {
        Partition p = new Partition(0);
        p.save(finding("f1-a").build());
        p.save(finding("f1-b").build());
        p.save(finding("f1-c").setStatus(FindingStatus.RESOLVED).build());

        Partition restarted = new Partition(0, p.stores);
        restarted.processor.process(new Record<>("depth/0", new GaugeSnapshot(0, T0, 0, null, 0, 0), T0.toEpochMilli()));
        GaugeSnapshot sent = CohortMessage.gauge(restarted.context.forwarded().get(0).record().value());
        assertEquals(2, sent.open(), "the counts are read back from the store by the new instance");

        restarted.save(finding("f1-a").setEventId("e9").setStatus(FindingStatus.RESOLVED).build());
        restarted.processor.process(new Record<>("depth/0", new GaugeSnapshot(0, T0.plusSeconds(60), 1, null, 0, 0),
                T0.plusSeconds(60).toEpochMilli()));
        List<MockProcessorContext.CapturedForward<? extends String, ? extends byte[]>> forwarded = restarted.context.forwarded();
        assertEquals(1, CohortMessage.gauge(forwarded.get(forwarded.size() - 1).record().value()).open(), "and kept from there");
    }

    @Test
    void aShareGoesToThePartitionOfItsSeriesWhateverTheDayOrFindingPartition() {
        CohortMessage.Partitioner partitioner = new CohortMessage.Partitioner();
        CohortKey day1 = CohortKey.of(finding("f1").build(), ZoneId.of("UTC")).get(1);
        CohortKey day9 = new CohortKey(day1.dimension(), day1.key(), day1.band(), day1.day().plusDays(8));
        var first = partitioner.partitions("t", CohortMessage.partialKey(day1.id(), 0), new byte[] {1}, 12);
        assertEquals(first, partitioner.partitions("t", CohortMessage.partialKey(day9.id(), 11), null, 12));
        assertEquals(12, partitioner.partitions("t", CohortMessage.GAUGE_KEY_PREFIX + 3, new byte[] {1}, 12).orElseThrow().size());
    }

    // ------------------------------------------------------------------ the metrics partition's half

    @Test
    void theMergePublishesARowOnlyWhenEveryShareIsExactAtTheLatestAsOf() {
        Partition p0 = new Partition(0);
        Partition p1 = new Partition(1);
        p0.save(finding("f1-a").build()); // its 8 h handoff deadline passes at 17:00
        p1.save(finding("f1-b").setHandoffDeadline(T0.plus(Duration.ofDays(2))).build());
        p0.refresh(T0.plus(Duration.ofHours(7)));
        Merge merge = new Merge();
        merge.receive(p0);
        p1.refresh(T0.plus(Duration.ofHours(9)));
        merge.receive(p1);

        merge.processor.refresh(T0.plus(Duration.ofHours(9)).plusSeconds(5));
        assertNull(merge.dayRow(), "p0's share as of 16:00 does not hold at 18:00: its deadline passed at 17:00");

        p0.refresh(T0.plus(Duration.ofHours(9)).plusSeconds(1)); // the same boundary as p1's, a tick later
        merge.receive(p0);
        merge.processor.refresh(T0.plus(Duration.ofHours(9)).plusSeconds(6));
        HandoffWindow row = merge.dayRow();
        assertNotNull(row, "p0's new share arrived");
        assertEquals(T0.plus(Duration.ofHours(9)), row.getAsOf());
        assertEquals(2, row.getCaptured());
        assertEquals(1, row.getHandoffBreachCount(), "f1-a breached at 17:00; f1-b has two days: " + row);
        assertEquals(2, row.getPending(), "both are inside their three-day no-ack window");
    }

    @Test
    void aPartialSurvivesItsEncoding() {
        Partition p = new Partition(0);
        p.save(finding("f1-a").setAcknowledgedAt(T0.plus(Duration.ofMinutes(30))).setStatus(FindingStatus.ACKNOWLEDGED).build());
        p.refresh(T0.plusSeconds(12));
        byte[] bytes = p.context.forwarded().get(0).record().value();
        CohortPartial decoded = CohortPartial.decode(bytes);
        assertEquals(decoded, CohortPartial.decode(decoded.encode()));
        assertTrue(decoded.exactAt(decoded.asOf()));
        assertFalse(decoded.exactAt(decoded.asOf().minusMillis(1)), "not before it was computed");
        assertFalse(decoded.exactAt(decoded.validUntil()), "not from its validity on");
    }

    // ------------------------------------------------------------------ helpers

    private static FindingState.Builder finding(String id) {
        return FindingState.newBuilder()
                .setEventId("e1").setEventTime(T0).setRecordedTime(T0).setSource("test").setFindingId(id)
                .setStatus(FindingStatus.OPEN).setOrigin(CaptureOrigin.FIRST_TIME).setTitle("t")
                .setSourceTool(new SourceTool("Trivy", null)).setTarget(FindingTarget.newBuilder().build())
                .setScannerBand(SeverityBand.HIGH).setBand(SeverityBand.HIGH).setTeamId("payments")
                .setCapturedAt(T0).setHandoffDeadline(T0.plus(Duration.ofHours(8))).setNoAckDeadline(T0.plus(Duration.ofDays(3)));
    }

    private MockProcessorContext<String, byte[]> context(int partition, List<KeyValueStore<String, ?>> stores) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "partials-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9");
        MockProcessorContext<String, byte[]> c = new MockProcessorContext<>(props, new TaskId(0, partition), stateDir);
        for (KeyValueStore<String, ?> store : stores) {
            if (!store.isOpen()) {
                store.init(c.getStateStoreContext(), store);
            }
            c.addStateStore(store);
        }
        return c;
    }

    private static <V> KeyValueStore<String, V> store(String name, Serde<V> values) {
        return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), values).withLoggingDisabled().build();
    }

    /** The finding-state store's part: each finding's last saved state, which the lifecycle processor hands on with a save. */
    private final Map<String, FindingState> savedStates = new java.util.HashMap<>();

    /** One finding partition's half, on in-memory stores. */
    private final class Partition {
        final List<KeyValueStore<String, ?>> stores;
        final MockProcessorContext<String, byte[]> context;
        final CohortPartials processor = new CohortPartials(SETTINGS, LifecycleSettings.Clock.WALL);

        Partition(int partition) {
            this(partition, List.of(store(MetricsNames.DAY_MEMBERS_STORE, Serdes.ByteArray()),
                    store(MetricsNames.PARTIALS_REFRESH_STORE, Serdes.String())));
        }

        Partition(int partition, List<KeyValueStore<String, ?>> stores) {
            this.stores = stores;
            this.context = context(partition, stores);
            processor.init(context);
        }

        void save(FindingState s) {
            FindingState before = savedStates.put(s.getFindingId(), s);
            processor.process(new Record<>(s.getFindingId(), new StateSaved(before, s), s.getEventTime().toEpochMilli()));
        }

        /** A refresh at {@code at}, with what was forwarded before it forgotten. */
        void refresh(Instant at) {
            context.resetForwards();
            processor.refresh(at.toEpochMilli());
        }

        /** The shares the last refresh sent, by cohort id (tombstones left out). */
        Map<String, CohortPartial> partials() {
            Map<String, CohortPartial> out = new LinkedHashMap<>();
            context.forwarded().forEach(f -> {
                if (f.record().value() != null && !CohortMessage.isGauge(f.record().key())) {
                    out.put(CohortMessage.cohortOf(f.record().key()), CohortPartial.decode(f.record().value()));
                }
            });
            return out;
        }
    }

    /** The metrics partition's half. */
    private final class Merge {
        final Topics topics = new Topics("handoff.", 1, new EmbeddedSchemaRegistry());
        final MockProcessorContext<String, Object> context;
        final CohortMetricsProcessor processor = new CohortMetricsProcessor(SETTINGS, LifecycleSettings.Clock.WALL);

        @SuppressWarnings({"unchecked", "rawtypes"})
        Merge() {
            List<KeyValueStore<String, ?>> stores = List.of(store(MetricsNames.PARTIALS_STORE, Serdes.ByteArray()),
                    store(MetricsNames.HANDOFF_DAYS_STORE, topics.valueSerde(Topics.METRICS_HANDOFF)),
                    store(MetricsNames.CYCLE_DAYS_STORE, topics.valueSerde(Topics.METRICS_CYCLE)),
                    store(MetricsNames.REFRESH_STORE, Serdes.String()), store(MetricsNames.GAUGES_STORE, Serdes.String()));
            context = (MockProcessorContext) CohortPartialsTest.this.context(0, stores);
            processor.init(context);
        }

        /** Takes what a finding partition's last refresh sent, as the partials topic would deliver it. */
        void receive(Partition from) {
            from.context.forwarded().forEach(f -> processor.process(new Record<>(f.record().key(), f.record().value(), f.record().timestamp())));
        }

        /** The ALL/HIGH day row the last refresh published, if any. */
        HandoffWindow dayRow() {
            HandoffWindow row = null;
            for (var f : context.forwarded()) {
                if (f.record().key().equals("DAY|2026-11-02|HIGH|ALL|all") && f.record().value() instanceof HandoffWindow h) {
                    row = h;
                }
            }
            context.resetForwards();
            return row;
        }
    }
}

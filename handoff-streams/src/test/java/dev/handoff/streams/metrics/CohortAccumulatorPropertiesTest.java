package dev.handoff.streams.metrics;

import dev.handoff.avro.CycleWindow;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.FailureModeCount;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.avro.MetricDimension;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.Stage;
import dev.handoff.avro.WindowGranularity;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The merge the week, month and range answers rely on: rows of any split of a cohort's members, merged,
 * give exactly the counts of one row over all members, and quantiles within the sketch's 1 %.
 */
class CohortAccumulatorPropertiesTest {

    private static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z");
    private static final Instant AS_OF = T0.plus(Duration.ofDays(5));
    private static final CohortAccumulator.Window WINDOW = new CohortAccumulator.Window(WindowGranularity.DAY, T0, T0.plus(Duration.ofDays(1)),
            SeverityBand.HIGH, MetricDimension.ALL, "all");

    @Provide
    Arbitrary<List<CohortMember>> members() {
        Arbitrary<CohortMember> member = Combinators.combine(
                Arbitraries.longs().between(0, Duration.ofDays(10).toMillis()).injectNull(0.3), // ack latency
                Arbitraries.of(true, false), // inferred
                Arbitraries.longs().between(Duration.ofHours(1).toMillis(), Duration.ofDays(8).toMillis()), // handoff deadline
                Arbitraries.longs().between(Duration.ofHours(24).toMillis(), Duration.ofDays(7).toMillis()), // no-ack window
                Arbitraries.subsetOf(FailureMode.DECAYED_ROUTING, FailureMode.NOTIFICATION_NOISE, FailureMode.ASSET_BINDING_GAP),
                Arbitraries.integers().between(0, 3), // duplicates
                Arbitraries.of(true, false), // reopened
                Arbitraries.longs().between(0, Duration.ofHours(5).toMillis()) // a stage duration
        ).as((ack, inferred, deadline, window, modes, dups, reopened, stage) -> {
            Map<Stage, Long> stages = new EnumMap<>(Stage.class);
            stages.put(Stage.ENRICHMENT, stage);
            Map<HandoffMetrics.Segment, Long> segments = new EnumMap<>(HandoffMetrics.Segment.class);
            if (ack != null) {
                segments.put(HandoffMetrics.Segment.HANDOFF, ack);
            }
            return new CohortMember("f1-" + Long.toHexString(new Random().nextLong()), T0, ack == null ? null : T0.plusMillis(ack),
                    ack != null && inferred, T0.plusMillis(window), T0.plusMillis(deadline), null, null,
                    modes.isEmpty() ? EnumSet.noneOf(FailureMode.class) : EnumSet.copyOf(modes), reopened, dups, stages, segments);
        });
        return member.list().ofMinSize(1).ofMaxSize(300);
    }

    @Property(tries = 150)
    void mergingTheRowsOfAnySplitEqualsTheRowOfTheWhole(@ForAll("members") List<CohortMember> members,
                                                         @ForAll @IntRange(min = 1, max = 7) int parts, @ForAll Random random) {
        CohortAccumulator whole = new CohortAccumulator(AS_OF);
        List<CohortAccumulator> split = new ArrayList<>();
        for (int i = 0; i < parts; i++) {
            split.add(new CohortAccumulator(AS_OF));
        }
        for (CohortMember m : members) {
            whole.add(m);
            split.get(random.nextInt(parts)).add(m);
        }
        CohortAccumulator merged = new CohortAccumulator(Instant.EPOCH);
        for (CohortAccumulator part : split) {
            // Through the Avro rows, as the stores (compact sketches) and the topics (protobuf) carry them.
            part.compactSketches(random.nextBoolean());
            merged.add(part.handoffWindow(WINDOW, AS_OF));
            merged.add(part.cycleWindow(WINDOW, AS_OF));
        }
        HandoffWindow expected = whole.handoffWindow(WINDOW, AS_OF);
        HandoffWindow actual = merged.handoffWindow(WINDOW, AS_OF);
        long[] counts = {expected.getCaptured(), expected.getAcknowledged(), expected.getInferredAcks(), expected.getNoAckNumerator(),
                expected.getNoAckDenominator(), expected.getPending(), expected.getHandoffBreachCount(), expected.getHandoffWithinSla(),
                expected.getDuplicates(), expected.getReopened()};
        long[] mergedCounts = {actual.getCaptured(), actual.getAcknowledged(), actual.getInferredAcks(), actual.getNoAckNumerator(),
                actual.getNoAckDenominator(), actual.getPending(), actual.getHandoffBreachCount(), actual.getHandoffWithinSla(),
                actual.getDuplicates(), actual.getReopened()};
        assertArrayEquals(counts, mergedCounts, "counts are sums: exact");
        assertEquals(Set.copyOf(expected.getHandoffBreaches()), Set.copyOf(actual.getHandoffBreaches()));
        assertEquals(Set.copyOf(expected.getNoAcks()), Set.copyOf(actual.getNoAcks()));
        assertEquals(expected.getNoAckRate(), actual.getNoAckRate());

        List<Long> body = members.stream().map(CohortMember::bodyLatencyMillis).filter(v -> v != null).sorted().toList();
        if (body.isEmpty()) {
            assertEquals(null, actual.getMedianMs());
        } else {
            assertWithin(body.get(HandoffMetrics.lowerQuantileRank(0.5, body.size())), actual.getMedianMs());
            assertWithin(body.get(HandoffMetrics.lowerQuantileRank(0.9, body.size())), actual.getP90Ms());
        }
        CycleWindow cycle = merged.cycleWindow(WINDOW, AS_OF);
        assertEquals(whole.cycleWindow(WINDOW, AS_OF).getHandoff().getCount(), cycle.getHandoff().getCount());
        assertEquals(expected.getStages().get(0).getStats().getCount(), actual.getStages().get(0).getStats().getCount());
    }

    @Property(tries = 100)
    void breachesAndWithinSlaNeverOverlapAndModesCoverEveryBreach(@ForAll("members") List<CohortMember> members) {
        CohortAccumulator acc = new CohortAccumulator(AS_OF);
        members.forEach(acc::add);
        HandoffWindow row = acc.handoffWindow(WINDOW, AS_OF);
        assertTrue(row.getHandoffBreachCount() + row.getHandoffWithinSla() <= row.getCaptured());
        long byMode = row.getHandoffBreaches().stream().mapToLong(FailureModeCount::getCount).sum();
        assertTrue(byMode >= row.getHandoffBreachCount(), "every breach names at least one mode (UNCLASSIFIED when none)");
        assertEquals(row.getNoAckNumerator() + row.getPending() + (row.getNoAckDenominator() - row.getNoAckNumerator()), row.getCaptured(),
                "every member with a window is in exactly one of A, N and pending");
    }

    private static void assertWithin(long exact, Long actual) {
        assertTrue(actual != null && Math.abs(actual - exact) <= exact * 0.01 + 1, "exact " + exact + ", got " + actual);
    }
}

package dev.handoff.launcher.bench;

import dev.handoff.avro.FailureMode;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.SeverityBand;
import dev.handoff.schemas.FindingIds;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgrammeGeneratorTest {

    private static final Instant START = Instant.parse("2026-10-01T00:00:00Z");
    private static final Duration SPAN = Duration.ofDays(28);

    /** Everything a run handed to its sink. */
    static final class Collected implements ProgrammeGenerator.Sink {
        final List<String> lines = new ArrayList<>();
        final List<TruthEvent> truths = new ArrayList<>();
        final List<Instant> times = new ArrayList<>();
        final Map<String, FindingReported> captures = new HashMap<>();
        GroundTruth truth;

        @Override
        public void reference(String topicSuffix, String key, SpecificRecord value) {
            lines.add(topicSuffix + " " + key + " " + value);
        }

        @Override
        public void event(String topicSuffix, String key, Instant time, SpecificRecord value, TruthEvent t) {
            lines.add(topicSuffix + " " + key + " " + value);
            truths.add(t);
            times.add(time);
            if (value instanceof FindingReported f) {
                captures.putIfAbsent(key, f);
            }
            truth.accept(t);
        }
    }

    static Collected generate(long seed, long events) {
        ProgrammeGenerator g = ProgrammeGenerator.calibrated(BenchProfile.defaultProfile(), seed, events, 12, START, SPAN);
        Collected c = new Collected();
        Directory d = g.directory(c);
        c.truth = new GroundTruth(d);
        g.run(c);
        return c;
    }

    @Test
    void theSameSeedGeneratesTheSameProgrammeAndAnotherSeedAnotherOne() {
        assertEquals(generate(7, 5_000).lines, generate(7, 5_000).lines);
        assertTrue(!generate(7, 5_000).lines.equals(generate(8, 5_000).lines));
    }

    @Test
    void exactlyTheEventsAskedForInStrictTimeOrderWithinTheSpan() {
        Collected c = generate(1, 20_000);
        assertEquals(20_000, c.truths.size());
        for (int i = 1; i < c.times.size(); i++) {
            assertTrue(c.times.get(i).isAfter(c.times.get(i - 1)), "event " + i + " has its own later millisecond");
        }
        assertTrue(!c.times.get(0).isBefore(START.minus(SPAN.dividedBy(10))), "an overshoot moves the start back a little: " + c.times.get(0));
        Instant last = c.times.get(c.times.size() - 1);
        assertTrue(!last.isAfter(START.plus(SPAN)) && last.isAfter(START.plus(SPAN).minus(Duration.ofDays(2))),
                "calibrated to end near the span's end and never after it (the broker refuses the future): " + last);
    }

    @Test
    void findingIdsAreTheSharedFunctionsAndRoutedFindingsLiveInTheirOwnersHomePartition() {
        Collected c = generate(3, 10_000);
        ProgrammeGenerator g = new ProgrammeGenerator(BenchProfile.defaultProfile(), 3, 10_000, 12, START, SPAN);
        for (Map.Entry<String, FindingReported> e : c.captures.entrySet()) {
            assertEquals(FindingIds.of(e.getValue()), e.getKey(), "the id is FindingIds.of(record)");
            String owner = c.truth.ownerOf(e.getKey());
            if (owner != null) {
                assertEquals(g.partitionOf(owner), g.partitionOf(e.getKey()), "finding " + e.getKey() + " of " + owner);
            }
        }
    }

    @Test
    void everyFailureModeIsInjectedAndNoiseIsNeverLeftToTiming() {
        Collected c = generate(42, 30_000);
        Map<FailureMode, Long> modes = c.truth.findingsByMode();
        for (FailureMode m : FailureMode.values()) {
            if (m != FailureMode.UNCLASSIFIED) {
                assertTrue(modes.getOrDefault(m, 0L) > 0, m + " injected: " + modes);
            }
        }
        assertEquals(0, c.truth.uncertainNoise(), "flagged findings acknowledged later: " + c.truth.uncertainOwners());
        // Rates land near what the profile asks for (shares of findings).
        double findings = c.truth.findings();
        assertTrue(Math.abs(modes.get(FailureMode.ASSET_BINDING_GAP) / findings - 0.03) < 0.01, "binding gaps " + modes);
        assertTrue(Math.abs(modes.get(FailureMode.ACK_AMBIGUITY) / findings - 0.05 * 0.95) < 0.015, "ambiguous acks " + modes);
    }

    @Test
    void groundTruthCountsEachFindingOnceAndItsQuantilesAreLowerQuantiles() {
        Collected c = generate(5, 20_000);
        Instant asOf = START.plus(SPAN).plus(Duration.ofDays(40));
        long captured = 0;
        long[] critical = new long[0];
        for (var e : c.truth.rows(asOf).entrySet()) {
            GroundTruth.Row r = e.getValue();
            captured += r.captured();
            assertTrue(r.acknowledged() + r.inferred() <= r.captured());
            assertEquals(0, r.pending(), "40 days after the end every window has passed");
            assertEquals(r.noAckDenominator(), r.noAck() + (r.noAckDenominator() - r.noAck()));
            if (e.getKey().band() == SeverityBand.CRITICAL) {
                long[] merged = new long[critical.length + r.latencies().length];
                System.arraycopy(critical, 0, merged, 0, critical.length);
                System.arraycopy(r.latencies(), 0, merged, critical.length, r.latencies().length);
                critical = merged;
            }
        }
        assertEquals(c.truth.findings(), captured, "every finding in exactly one cohort");
        java.util.Arrays.sort(critical);
        Long p50 = GroundTruth.lowerQuantile(critical, 0.5);
        assertEquals(critical[(critical.length - 1) / 2], p50);
        // CRITICAL acks are drawn log-normal around 2 h (raised bands and the minute after the receipt shift it a little).
        assertTrue(p50 > Duration.ofMinutes(40).toMillis() && p50 < Duration.ofHours(6).toMillis(), "CRITICAL p50 " + p50);
        assertEquals(5L, GroundTruth.lowerQuantile(new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.5));
        assertEquals(9L, GroundTruth.lowerQuantile(new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9));
    }
}

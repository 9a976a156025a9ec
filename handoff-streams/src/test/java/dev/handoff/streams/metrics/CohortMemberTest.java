package dev.handoff.streams.metrics;

import dev.handoff.avro.FailureMode;
import dev.handoff.avro.MetricDimension;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.Stage;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.EnumSet;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CohortMemberTest {

    private static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z");

    @Test
    void theBinaryFormRoundTripsEveryFact() {
        CohortMember m = new CohortMember("f1-abc", T0, T0.plusSeconds(3600), false, T0.plus(Duration.ofDays(3)), T0.plus(Duration.ofHours(8)),
                T0.plus(Duration.ofDays(30)), null, EnumSet.of(FailureMode.NOTIFICATION_NOISE, FailureMode.SEVERITY_MISMATCH), true, 2,
                Map.of(Stage.ENRICHMENT, 5L, Stage.ACKNOWLEDGEMENT, 3_000L), Map.of(HandoffMetrics.Segment.HANDOFF, 3_600_000L));
        assertEquals(m, CohortMember.decode(m.encode()));
        assertEquals(3_600_000L, m.bodyLatencyMillis());
    }

    @Test
    void theNextChangeIsTheEarliestDeadlineStillAhead() {
        CohortMember m = new CohortMember("f1-abc", T0, null, false, T0.plus(Duration.ofDays(3)), T0.plus(Duration.ofHours(8)),
                T0.plus(Duration.ofDays(30)), null, EnumSet.noneOf(FailureMode.class), false, 0, Map.of(), Map.of());
        assertEquals(T0.plus(Duration.ofHours(8)), m.nextChangeAfter(T0));
        assertEquals(T0.plus(Duration.ofDays(3)), m.nextChangeAfter(T0.plus(Duration.ofHours(8))));
        assertNull(m.nextChangeAfter(T0.plus(Duration.ofDays(31))));
        assertEquals(EnumSet.of(FailureMode.UNCLASSIFIED), m.attributedModes());

        CohortMember ackedAhead = new CohortMember("f1-abd", T0, T0.plusSeconds(90), false, T0.plus(Duration.ofDays(3)), null, null, null,
                EnumSet.noneOf(FailureMode.class), false, 0, Map.of(), Map.of());
        assertEquals(T0.plusSeconds(90), ackedAhead.nextChangeAfter(T0),
                "an ack stamped after the row's clock counts once that time comes, so the row must refresh then");
    }

    @Test
    void aRangeIsCoveredByWholeMonthsThenWholeWeeksThenDays() {
        CohortKey series = new CohortKey(MetricDimension.TEAM, "pay", SeverityBand.HIGH, LocalDate.of(2026, 10, 1));
        java.util.List<String> keys = MetricRows.coveringKeys(series, LocalDate.of(2026, 9, 28), LocalDate.of(2026, 11, 11));
        assertEquals(java.util.List.of(
                "TEAM|pay|HIGH|2026-09-28", "TEAM|pay|HIGH|2026-09-29", "TEAM|pay|HIGH|2026-09-30", // a week crossing the month end: days
                "TEAM|pay|HIGH|M2026-10-01",                                                        // October whole
                "TEAM|pay|HIGH|2026-11-01",                                                         // a Sunday
                "TEAM|pay|HIGH|W2026-11-02",                                                        // a whole ISO week
                "TEAM|pay|HIGH|2026-11-09", "TEAM|pay|HIGH|2026-11-10", "TEAM|pay|HIGH|2026-11-11"), keys);
        assertTrue(keys.get(3).compareTo("TEAM|pay|HIGH|2026-12-31") > 0, "period rows sort after every day, outside day ranges");
    }

    @Test
    void anUnreadableRecordIsRefusedWithAReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CohortMember.decode(new byte[] {9, 1, 2}));
        assertTrue(e.getMessage().contains("version"), e.getMessage());
    }

    @Test
    void cohortIdsOrderASeriesByDayAndEscapeTheSeparator() {
        CohortKey k = new CohortKey(MetricDimension.TEAM, "pay|ments%", SeverityBand.HIGH, LocalDate.of(2026, 11, 2));
        assertEquals("TEAM|pay%7Cments%25|HIGH|2026-11-02", k.id());
        assertEquals(k, CohortKey.parse(k.id()));
        assertEquals(k.series(), CohortKey.seriesOf(k.id()));
        CohortKey next = new CohortKey(MetricDimension.TEAM, "pay|ments%", SeverityBand.HIGH, LocalDate.of(2026, 11, 10));
        assertTrue(k.id().compareTo(next.id()) < 0, "string order is day order within a series");
        assertThrows(IllegalArgumentException.class, () -> CohortKey.parse("TEAM|x|HIGH"));
    }
}

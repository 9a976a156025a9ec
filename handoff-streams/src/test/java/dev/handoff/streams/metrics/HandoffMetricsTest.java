package dev.handoff.streams.metrics;

import dev.handoff.avro.CaptureOrigin;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.FindingStatus;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SourceTool;
import dev.handoff.avro.Stage;
import dev.handoff.streams.metrics.HandoffMetrics.NoAckOutcome;
import dev.handoff.streams.metrics.HandoffMetrics.Segment;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DESIGN.md section 6 on hand-built findings. */
class HandoffMetricsTest {

    private static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z");
    private static final Instant WINDOW = T0.plus(Duration.ofHours(24));
    private static final Instant DEADLINE = T0.plus(Duration.ofHours(4));

    private static FindingState.Builder finding() {
        return FindingState.newBuilder()
                .setEventId("e").setEventTime(T0).setRecordedTime(T0).setSource("test").setFindingId("f1-x")
                .setStatus(FindingStatus.OPEN).setOrigin(CaptureOrigin.FIRST_TIME).setTitle("t")
                .setSourceTool(new SourceTool("Trivy", null)).setTarget(FindingTarget.newBuilder().build())
                .setScannerBand(SeverityBand.CRITICAL).setBand(SeverityBand.CRITICAL)
                .setCapturedAt(T0).setHandoffDeadline(DEADLINE).setNoAckDeadline(WINDOW);
    }

    @Test
    void pendingFindingsAreInNeitherTheNumeratorNorTheDenominator() {
        FindingState waiting = finding().build();
        assertEquals(Optional.of(NoAckOutcome.PENDING), HandoffMetrics.noAckOutcome(waiting, T0.plus(Duration.ofHours(23))));
        assertEquals(Optional.of(NoAckOutcome.NO_ACK), HandoffMetrics.noAckOutcome(waiting, WINDOW));
        assertEquals(Optional.empty(), HandoffMetrics.noAckRate(0, 0), "nothing has left its window: no rate, not 0 %");
    }

    @Test
    void aLateAcknowledgementStaysInN() {
        FindingState late = finding().setAcknowledgedAt(WINDOW.plusSeconds(1)).setStatus(FindingStatus.ACKNOWLEDGED).build();
        assertEquals(Optional.of(NoAckOutcome.NO_ACK), HandoffMetrics.noAckOutcome(late, WINDOW.plus(Duration.ofDays(3))));
        FindingState onTime = finding().setAcknowledgedAt(WINDOW).build();
        assertEquals(Optional.of(NoAckOutcome.ACKNOWLEDGED_IN_WINDOW), HandoffMetrics.noAckOutcome(onTime, WINDOW.plus(Duration.ofDays(3))));
        assertEquals(Optional.of(0.25), HandoffMetrics.noAckRate(1, 3));
    }

    @Test
    void aRowComputedForThePastDoesNotSeeLaterAcknowledgements() {
        FindingState acked = finding().setAcknowledgedAt(T0.plus(Duration.ofHours(10))).build();
        assertEquals(Optional.of(NoAckOutcome.PENDING), HandoffMetrics.noAckOutcome(acked, T0.plus(Duration.ofHours(5))));
        assertTrue(HandoffMetrics.handoffBreached(acked, T0.plus(Duration.ofHours(5))), "at 14:00 the 13:00 deadline had passed unacknowledged");
    }

    @Test
    void inferredAcksAreOutsideTheBodyButCompleteTheHandoffForBreachesAndNoAck() {
        FindingState inferred = finding().setAcknowledgedAt(T0.plus(Duration.ofHours(2))).setAckInferred(true).build();
        assertEquals(Optional.empty(), HandoffMetrics.bodyLatency(inferred));
        assertTrue(HandoffMetrics.inferredAck(inferred));
        assertFalse(HandoffMetrics.handoffBreached(inferred, T0.plus(Duration.ofDays(2))));
        assertEquals(Optional.of(NoAckOutcome.ACKNOWLEDGED_IN_WINDOW), HandoffMetrics.noAckOutcome(inferred, T0.plus(Duration.ofDays(2))));
        assertFalse(HandoffMetrics.stageDurations(inferred).containsKey(Stage.ACKNOWLEDGEMENT), "an inferred ack completes no stage");

        FindingState explicit = finding().setAcknowledgedAt(T0.plus(Duration.ofHours(2))).build();
        assertEquals(Optional.of(Duration.ofHours(2)), HandoffMetrics.bodyLatency(explicit));
        assertEquals(Optional.of(1.0 / 3), HandoffMetrics.ackAmbiguityRate(1, 2));
    }

    @Test
    void breachesCountLateAcksAndOverdueFindingsAndNameTheirModes() {
        assertTrue(HandoffMetrics.handoffBreached(finding().setAcknowledgedAt(DEADLINE.plusSeconds(1)).build(), WINDOW));
        assertFalse(HandoffMetrics.handoffBreached(finding().setAcknowledgedAt(DEADLINE).build(), WINDOW));
        assertTrue(HandoffMetrics.handoffBreached(finding().build(), DEADLINE));
        assertFalse(HandoffMetrics.handoffBreached(finding().build(), DEADLINE.minusMillis(1)));
        assertFalse(HandoffMetrics.handoffBreached(finding().setHandoffDeadline(null).setBand(SeverityBand.INFO).build(), WINDOW),
                "INFO carries no SLA");
        assertEquals(List.of(FailureMode.UNCLASSIFIED), HandoffMetrics.attributedModes(finding().build()));
        assertEquals(List.of(FailureMode.DECAYED_ROUTING), HandoffMetrics.attributedModes(
                finding().setFailureModes(List.of(FailureMode.DECAYED_ROUTING)).build()));
    }

    @Test
    void remediationRunsFromTheAckToVerifiedClosure() {
        FindingState resolvedOnly = finding().setAcknowledgedAt(T0).setRemediationDeadline(T0.plus(Duration.ofDays(7)))
                .setResolvedAt(T0.plus(Duration.ofDays(2))).setStatus(FindingStatus.RESOLVED).build();
        assertTrue(HandoffMetrics.remediationBreached(resolvedOnly, T0.plus(Duration.ofDays(8))));
        FindingState verified = FindingState.newBuilder(resolvedOnly).setVerifiedAt(T0.plus(Duration.ofDays(6))).build();
        assertFalse(HandoffMetrics.remediationBreached(verified, T0.plus(Duration.ofDays(8))));
    }

    @Test
    void reopenedFindingsCountTheirHandoffFromTheReopeningAndJoinThatDaysCohort() {
        FindingState reopened = finding().setOrigin(CaptureOrigin.REOPEN).setReopenedAt(T0.plus(Duration.ofDays(30)))
                .setAcknowledgedAt(T0.plus(Duration.ofDays(30)).plus(Duration.ofHours(3))).build();
        assertEquals(Optional.of(Duration.ofHours(3)), HandoffMetrics.bodyLatency(reopened));
        assertEquals(LocalDate.of(2026, 12, 2), HandoffMetrics.cohortDay(reopened, ZoneId.of("UTC")));
        assertEquals(LocalDate.of(2026, 11, 2), HandoffMetrics.cohortDay(finding().build(), ZoneId.of("Pacific/Kiritimati")));
        assertEquals(Optional.of(0.5), HandoffMetrics.reopenShare(1, 2));
    }

    @Test
    void stagesAndSegmentsAreDifferencesOfConsecutiveTimes() {
        FindingState s = finding()
                .setEnrichedAt(T0).setRoutedAt(T0.plusSeconds(60)).setNotifiedAt(T0.plusSeconds(90))
                .setAcknowledgedAt(T0.plusSeconds(3690)).setTriagedAt(T0.plusSeconds(7290))
                .setResolvedAt(T0.plus(Duration.ofDays(2))).setVerifiedAt(T0.plus(Duration.ofDays(3))).build();
        assertEquals(Map.of(Stage.ENRICHMENT, Duration.ZERO, Stage.ROUTING, Duration.ofSeconds(60),
                Stage.NOTIFICATION, Duration.ofSeconds(30), Stage.ACKNOWLEDGEMENT, Duration.ofHours(1),
                Stage.TRIAGE, Duration.ofHours(1)), HandoffMetrics.stageDurations(s));
        Map<Segment, Duration> segments = HandoffMetrics.cycleSegments(s);
        assertEquals(Duration.ofSeconds(3690), segments.get(Segment.HANDOFF));
        assertEquals(Duration.ofHours(1), segments.get(Segment.TRIAGE));
        assertEquals(Duration.ofDays(2).minusSeconds(7290), segments.get(Segment.FIX));
        assertEquals(Duration.ofDays(1), segments.get(Segment.VERIFICATION));
        assertFalse(HandoffMetrics.cycleSegments(finding().build()).containsKey(Segment.HANDOFF));
    }

    @Test
    void lowerQuantileRankAndRatesFollowTheirDefinitions() {
        assertEquals(4, HandoffMetrics.lowerQuantileRank(0.5, 10), "floor(0.5 * 9)");
        assertEquals(8, HandoffMetrics.lowerQuantileRank(0.9, 10));
        assertEquals(0, HandoffMetrics.lowerQuantileRank(0.99, 1));
        assertThrows(IllegalArgumentException.class, () -> HandoffMetrics.lowerQuantileRank(0.5, 0));
        assertEquals(Optional.of(0.2), HandoffMetrics.dedupRate(1, 4), "1 duplicate of 5 captures");
        assertEquals(Optional.of(0.75), HandoffMetrics.ownershipCurrency(3, 4));
        assertEquals(Optional.empty(), HandoffMetrics.ownershipCurrency(0, 0));
    }
}

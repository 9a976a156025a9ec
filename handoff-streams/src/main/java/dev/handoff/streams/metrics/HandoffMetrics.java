package dev.handoff.streams.metrics;

import dev.handoff.avro.CaptureOrigin;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.Stage;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The metric definitions of DESIGN.md section 6, as pure functions of a finding's state and the
 * {@code as_of} time, so every number Handoff publishes is computed by exactly one formula here.
 */
public final class HandoffMetrics {

    /** Where a finding stands for the no-ack rate N / (A + N). */
    public enum NoAckOutcome {
        /** A: acknowledged (explicitly or inferred) within its policy window. */
        ACKNOWLEDGED_IN_WINDOW,
        /** N: the window elapsed without an acknowledgement inside it; a late ack stays here. */
        NO_ACK,
        /** Not acknowledged and still inside its window: in neither A nor N. */
        PENDING
    }

    /** The four cycle segments, side by side on the cycle dashboard. */
    public enum Segment { HANDOFF, TRIAGE, FIX, VERIFICATION }

    private HandoffMetrics() {
    }

    /** When this handoff started: t0, or the reopening for a finding whose origin is REOPEN. */
    public static Instant handoffStart(FindingState s) {
        return s.getOrigin() == CaptureOrigin.REOPEN && s.getReopenedAt() != null ? s.getReopenedAt() : s.getCapturedAt();
    }

    /** The cohort day of a finding: the day of its handoff start in the workspace's zone. */
    public static LocalDate cohortDay(FindingState s, ZoneId zone) {
        return handoffStart(s).atZone(zone).toLocalDate();
    }

    /**
     * Handoff latency for the body of the distribution: explicit acknowledgements only. An inferred
     * ack is counted apart ({@link #inferredAck}), never in the body.
     */
    public static Optional<Duration> bodyLatency(FindingState s) {
        if (s.getAcknowledgedAt() == null || s.getAckInferred()) {
            return Optional.empty();
        }
        return nonNegative(handoffStart(s), s.getAcknowledgedAt());
    }

    public static boolean inferredAck(FindingState s) {
        return s.getAcknowledgedAt() != null && s.getAckInferred();
    }

    /**
     * The finding's place in the no-ack rate as of {@code asOf}; empty for findings without a policy
     * window (INFO). For the no-ack rate an inferred ack completes the handoff at its inferred time.
     */
    public static Optional<NoAckOutcome> noAckOutcome(FindingState s, Instant asOf) {
        return Optional.ofNullable(noAckOutcome(s.getNoAckDeadline(), s.getAcknowledgedAt(), asOf));
    }

    /** The no-ack rule on bare times: null without a window; an ack after {@code asOf} is not known yet. */
    public static NoAckOutcome noAckOutcome(Instant window, Instant acknowledgedAt, Instant asOf) {
        if (window == null) {
            return null;
        }
        Instant ack = knownAt(acknowledgedAt, asOf);
        if (ack != null && !ack.isAfter(window)) {
            return NoAckOutcome.ACKNOWLEDGED_IN_WINDOW;
        }
        return window.isAfter(asOf) ? NoAckOutcome.PENDING : NoAckOutcome.NO_ACK;
    }

    /** The time if it had happened by {@code asOf}; a row computed for the past must not see later events. */
    private static Instant knownAt(Instant t, Instant asOf) {
        return t == null || t.isAfter(asOf) ? null : t;
    }

    /**
     * A handoff SLA breach: acknowledged after the handoff deadline, or not acknowledged while the
     * deadline has passed. An inferred ack counts as the acknowledgement here.
     */
    public static boolean handoffBreached(FindingState s, Instant asOf) {
        return handoffBreached(s.getHandoffDeadline(), s.getAcknowledgedAt(), asOf);
    }

    public static boolean handoffBreached(Instant deadline, Instant acknowledgedAt, Instant asOf) {
        if (deadline == null) {
            return false;
        }
        Instant ack = knownAt(acknowledgedAt, asOf);
        return ack == null ? !deadline.isAfter(asOf) : ack.isAfter(deadline);
    }

    /** Acknowledged (explicitly or inferred) by the handoff deadline, as known at {@code asOf}: the SLA was met. */
    public static boolean handoffWithinSla(Instant deadline, Instant acknowledgedAt, Instant asOf) {
        Instant ack = knownAt(acknowledgedAt, asOf);
        return deadline != null && ack != null && !ack.isAfter(deadline);
    }

    /** A remediation SLA breach: verified after the remediation deadline, or not verified while it has passed. */
    public static boolean remediationBreached(FindingState s, Instant asOf) {
        return remediationBreached(s.getRemediationDeadline(), s.getVerifiedAt(), asOf);
    }

    public static boolean remediationBreached(Instant deadline, Instant verifiedAt, Instant asOf) {
        if (deadline == null) {
            return false;
        }
        Instant verified = knownAt(verifiedAt, asOf);
        return verified == null ? !deadline.isAfter(asOf) : verified.isAfter(deadline);
    }

    /** The failure modes a breach or no-ack is attributed to: those present, or UNCLASSIFIED. */
    public static List<FailureMode> attributedModes(FindingState s) {
        return s.getFailureModes().isEmpty() ? List.of(FailureMode.UNCLASSIFIED) : List.copyOf(s.getFailureModes());
    }

    /** N / (A + N); empty when nothing has left its window yet. */
    public static Optional<Double> noAckRate(long noAck, long acknowledgedInWindow) {
        long denominator = noAck + acknowledgedInWindow;
        return denominator == 0 ? Optional.empty() : Optional.of((double) noAck / denominator);
    }

    /** Inferred acks over all acks; empty when there are none. */
    public static Optional<Double> ackAmbiguityRate(long inferred, long explicit) {
        long all = inferred + explicit;
        return all == 0 ? Optional.empty() : Optional.of((double) inferred / all);
    }

    /** Duplicate captures over all captures of the cohort's findings (first captures plus duplicates). */
    public static Optional<Double> dedupRate(long duplicates, long findings) {
        long captures = duplicates + findings;
        return captures == 0 ? Optional.empty() : Optional.of((double) duplicates / captures);
    }

    /** Findings of origin REOPEN over the cohort. */
    public static Optional<Double> reopenShare(long reopened, long findings) {
        return findings == 0 ? Optional.empty() : Optional.of((double) reopened / findings);
    }

    /** Open findings whose bound owner is active over open findings; empty with none open. */
    public static Optional<Double> ownershipCurrency(long openWithActiveOwner, long open) {
        return open == 0 ? Optional.empty() : Optional.of((double) openWithActiveOwner / open);
    }

    /** The rank DESIGN.md's lower quantile reads: floor(q * (n - 1)) of the sorted values. */
    public static int lowerQuantileRank(double q, int n) {
        if (n < 1 || q < 0 || q > 1) {
            throw new IllegalArgumentException("lower quantile needs n >= 1 and 0 <= q <= 1, got n=" + n + ", q=" + q);
        }
        return (int) Math.floor(q * (n - 1));
    }

    /**
     * The six-stage decomposition: each stage's duration is its time minus the previous stage's, for the
     * stages whose both ends are known. An inferred acknowledgement is not a stage completion here.
     */
    public static Map<Stage, Duration> stageDurations(FindingState s) {
        Map<Stage, Duration> d = new EnumMap<>(Stage.class);
        Instant start = handoffStart(s);
        nonNegative(start, s.getEnrichedAt()).ifPresent(x -> d.put(Stage.ENRICHMENT, x));
        nonNegative(s.getEnrichedAt(), s.getRoutedAt()).ifPresent(x -> d.put(Stage.ROUTING, x));
        nonNegative(s.getRoutedAt(), s.getNotifiedAt()).ifPresent(x -> d.put(Stage.NOTIFICATION, x));
        if (!s.getAckInferred()) {
            nonNegative(s.getNotifiedAt(), s.getAcknowledgedAt()).ifPresent(x -> d.put(Stage.ACKNOWLEDGEMENT, x));
            nonNegative(s.getAcknowledgedAt(), s.getTriagedAt()).ifPresent(x -> d.put(Stage.TRIAGE, x));
        }
        return d;
    }

    /** The four cycle segments of the finding whose both ends are known. */
    public static Map<Segment, Duration> cycleSegments(FindingState s) {
        Map<Segment, Duration> d = new EnumMap<>(Segment.class);
        nonNegative(handoffStart(s), s.getAcknowledgedAt()).ifPresent(x -> d.put(Segment.HANDOFF, x));
        nonNegative(s.getAcknowledgedAt(), s.getTriagedAt()).ifPresent(x -> d.put(Segment.TRIAGE, x));
        nonNegative(s.getTriagedAt(), s.getResolvedAt()).ifPresent(x -> d.put(Segment.FIX, x));
        nonNegative(s.getResolvedAt(), s.getVerifiedAt()).ifPresent(x -> d.put(Segment.VERIFICATION, x));
        return d;
    }

    private static Optional<Duration> nonNegative(Instant from, Instant to) {
        if (from == null || to == null || to.isBefore(from)) {
            return Optional.empty();
        }
        return Optional.of(Duration.between(from, to));
    }
}

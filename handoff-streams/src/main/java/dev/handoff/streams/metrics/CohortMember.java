package dev.handoff.streams.metrics;

import dev.handoff.avro.CaptureOrigin;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.Stage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a cohort needs to know of one member finding to recompute every number of its row at any
 * {@code as_of}: the times the DESIGN.md section 6 definitions compare, the failure modes, and the
 * stage and segment durations. Derived from a {@link FindingState} by {@link #of}; carried on the
 * {@code metrics-day-members} store of its finding partition in a compact binary form ({@link DayMember}).
 */
public record CohortMember(String findingId, Instant handoffStart, Instant acknowledgedAt, boolean ackInferred,
                           Instant noAckDeadline, Instant handoffDeadline, Instant remediationDeadline, Instant verifiedAt,
                           Set<FailureMode> failureModes, boolean reopened, int duplicates,
                           Map<Stage, Long> stageMillis, Map<HandoffMetrics.Segment, Long> segmentMillis) {

    private static final byte VERSION = 1;
    private static final long NONE = Long.MIN_VALUE;
    private static final Stage[] STAGES = {Stage.ENRICHMENT, Stage.ROUTING, Stage.NOTIFICATION, Stage.ACKNOWLEDGEMENT, Stage.TRIAGE};

    public CohortMember {
        Objects.requireNonNull(findingId, "findingId");
        Objects.requireNonNull(handoffStart, "handoffStart");
        failureModes = failureModes.isEmpty() ? EnumSet.noneOf(FailureMode.class) : EnumSet.copyOf(failureModes);
        stageMillis = stageMillis.isEmpty() ? new EnumMap<>(Stage.class) : new EnumMap<>(stageMillis);
        segmentMillis = segmentMillis.isEmpty() ? new EnumMap<>(HandoffMetrics.Segment.class) : new EnumMap<>(segmentMillis);
    }

    public static CohortMember of(FindingState s) {
        Map<Stage, Long> stages = new EnumMap<>(Stage.class);
        HandoffMetrics.stageDurations(s).forEach((stage, d) -> stages.put(stage, d.toMillis()));
        Map<HandoffMetrics.Segment, Long> segments = new EnumMap<>(HandoffMetrics.Segment.class);
        HandoffMetrics.cycleSegments(s).forEach((segment, d) -> segments.put(segment, d.toMillis()));
        // Captures beyond the first of this handoff; every reopening consumed one capture.
        int duplicates = Math.max(0, s.getCaptureCount() - 1 - s.getReopenCount());
        return new CohortMember(s.getFindingId(), HandoffMetrics.handoffStart(s), s.getAcknowledgedAt(), s.getAckInferred(),
                s.getNoAckDeadline(), s.getHandoffDeadline(), s.getRemediationDeadline(), s.getVerifiedAt(),
                s.getFailureModes().isEmpty() ? Set.of() : EnumSet.copyOf(s.getFailureModes()),
                s.getOrigin() == CaptureOrigin.REOPEN, duplicates, stages, segments);
    }

    /** The body latency: an explicit acknowledgement's handoff latency, never an inferred one. */
    public Long bodyLatencyMillis() {
        if (acknowledgedAt == null || ackInferred || acknowledgedAt.isBefore(handoffStart)) {
            return null;
        }
        return Duration.between(handoffStart, acknowledgedAt).toMillis();
    }

    public HandoffMetrics.NoAckOutcome noAckOutcome(Instant asOf) {
        return HandoffMetrics.noAckOutcome(noAckDeadline, acknowledgedAt, asOf);
    }

    public boolean handoffBreached(Instant asOf) {
        return HandoffMetrics.handoffBreached(handoffDeadline, acknowledgedAt, asOf);
    }

    public boolean handoffWithinSla(Instant asOf) {
        return HandoffMetrics.handoffWithinSla(handoffDeadline, acknowledgedAt, asOf);
    }

    public boolean remediationBreached(Instant asOf) {
        return HandoffMetrics.remediationBreached(remediationDeadline, verifiedAt, asOf);
    }

    /** The modes a breach or no-ack is attributed to: those present, or UNCLASSIFIED. */
    public Set<FailureMode> attributedModes() {
        return failureModes.isEmpty() ? EnumSet.of(FailureMode.UNCLASSIFIED) : failureModes;
    }

    /**
     * The earliest moment after {@code asOf} at which this member's as_of-dependent outcome can change
     * with no new event (a window or deadline passing, or an ack or verification stamped later than the
     * clock that computed the row, which only counts once that time is reached); null when none can.
     */
    public Instant nextChangeAfter(Instant asOf) {
        Instant next = null;
        for (Instant t : new Instant[] {noAckDeadline, handoffDeadline, remediationDeadline, acknowledgedAt, verifiedAt}) {
            if (t != null && t.isAfter(asOf) && (next == null || t.isBefore(next))) {
                next = t;
            }
        }
        return next;
    }

    // ------------------------------------------------------------------ binary form

    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(96);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeUTF(findingId);
            out.writeLong(handoffStart.toEpochMilli());
            writeTime(out, acknowledgedAt);
            out.writeBoolean(ackInferred);
            writeTime(out, noAckDeadline);
            writeTime(out, handoffDeadline);
            writeTime(out, remediationDeadline);
            writeTime(out, verifiedAt);
            int modes = 0;
            for (FailureMode m : failureModes) {
                modes |= 1 << m.ordinal();
            }
            out.writeInt(modes);
            out.writeBoolean(reopened);
            out.writeInt(duplicates);
            for (Stage stage : STAGES) {
                out.writeLong(stageMillis.getOrDefault(stage, NONE));
            }
            for (HandoffMetrics.Segment segment : HandoffMetrics.Segment.values()) {
                out.writeLong(segmentMillis.getOrDefault(segment, NONE));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static CohortMember decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte version = in.readByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("cohort member encoding version " + version + " is not " + VERSION);
            }
            String findingId = in.readUTF();
            Instant start = Instant.ofEpochMilli(in.readLong());
            Instant ack = readTime(in);
            boolean inferred = in.readBoolean();
            Instant noAck = readTime(in);
            Instant handoff = readTime(in);
            Instant remediation = readTime(in);
            Instant verified = readTime(in);
            int modeBits = in.readInt();
            Set<FailureMode> modes = EnumSet.noneOf(FailureMode.class);
            for (FailureMode m : FailureMode.values()) {
                if ((modeBits & (1 << m.ordinal())) != 0) {
                    modes.add(m);
                }
            }
            boolean reopened = in.readBoolean();
            int duplicates = in.readInt();
            Map<Stage, Long> stages = new EnumMap<>(Stage.class);
            for (Stage stage : STAGES) {
                long v = in.readLong();
                if (v != NONE) {
                    stages.put(stage, v);
                }
            }
            Map<HandoffMetrics.Segment, Long> segments = new EnumMap<>(HandoffMetrics.Segment.class);
            for (HandoffMetrics.Segment segment : HandoffMetrics.Segment.values()) {
                long v = in.readLong();
                if (v != NONE) {
                    segments.put(segment, v);
                }
            }
            return new CohortMember(findingId, start, ack, inferred, noAck, handoff, remediation, verified, modes, reopened,
                    duplicates, stages, segments);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a cohort member record: " + e, e);
        }
    }

    private static void writeTime(DataOutputStream out, Instant t) throws IOException {
        out.writeLong(t == null ? NONE : t.toEpochMilli());
    }

    private static Instant readTime(DataInputStream in) throws IOException {
        long v = in.readLong();
        return v == NONE ? null : Instant.ofEpochMilli(v);
    }
}

package dev.handoff.streams.metrics;

import com.datadoghq.sketch.ddsketch.DDSketch;
import dev.handoff.avro.CycleWindow;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.FailureModeCount;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.avro.LatencySketch;
import dev.handoff.avro.MetricDimension;
import dev.handoff.avro.SegmentStats;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.Stage;
import dev.handoff.avro.StageLatency;
import dev.handoff.avro.WindowGranularity;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Sums one window of one series (band, dimension, key): either from the member facts of a cohort day
 * ({@link #add(CohortMember)}, exact counts at {@code asOf}, sketches built from the members'
 * latencies) or from rows already computed ({@link #add(HandoffWindow)} / {@link #add(CycleWindow)},
 * counts summed and sketches merged), so a week, a month or any range of days is computed by exactly
 * the arithmetic that made its days. Not thread-safe.
 */
public final class CohortAccumulator {

    /** The stages whose durations make up the handoff, in order (capture has no duration). */
    public static final List<Stage> DURATION_STAGES = List.of(Stage.ENRICHMENT, Stage.ROUTING, Stage.NOTIFICATION,
            Stage.ACKNOWLEDGEMENT, Stage.TRIAGE);

    private final Instant asOf;
    private long captured;
    private long acknowledged;
    private long inferred;
    private long noAck;
    private long ackedInWindow;
    private long pending;
    private long breached;
    private long withinSla;
    private long remediationBreaches;
    private long duplicates;
    private long reopened;
    private final Map<FailureMode, Long> breachModes = new EnumMap<>(FailureMode.class);
    private final Map<FailureMode, Long> noAckModes = new EnumMap<>(FailureMode.class);
    private final DDSketch body = LatencySketches.create();
    private final Map<Stage, DDSketch> stages = new EnumMap<>(Stage.class);
    private final Map<HandoffMetrics.Segment, DDSketch> segments = new EnumMap<>(HandoffMetrics.Segment.class);
    private Instant latestAsOf;
    private boolean compact;
    private boolean share;
    private boolean withStages = true;

    /** @param asOf the time as_of-dependent outcomes of members are computed at */
    public CohortAccumulator(Instant asOf) {
        this.asOf = asOf;
        this.latestAsOf = asOf;
        for (Stage s : DURATION_STAGES) {
            stages.put(s, LatencySketches.create());
        }
        for (HandoffMetrics.Segment s : HandoffMetrics.Segment.values()) {
            segments.put(s, LatencySketches.create());
        }
    }

    // ------------------------------------------------------------------ from member facts

    public CohortAccumulator add(CohortMember m) {
        captured++;
        Long latency = m.bodyLatencyMillis();
        if (latency != null) {
            acknowledged++;
            LatencySketches.add(body, latency);
        } else if (m.acknowledgedAt() != null && m.ackInferred()) {
            inferred++;
        }
        HandoffMetrics.NoAckOutcome outcome = m.noAckOutcome(asOf);
        if (outcome != null) {
            switch (outcome) {
                case ACKNOWLEDGED_IN_WINDOW -> ackedInWindow++;
                case NO_ACK -> {
                    noAck++;
                    m.attributedModes().forEach(mode -> noAckModes.merge(mode, 1L, Long::sum));
                }
                case PENDING -> pending++;
            }
        }
        if (m.handoffBreached(asOf)) {
            breached++;
            m.attributedModes().forEach(mode -> breachModes.merge(mode, 1L, Long::sum));
        } else if (m.handoffWithinSla(asOf)) {
            withinSla++;
        }
        if (m.remediationBreached(asOf)) {
            remediationBreaches++;
        }
        duplicates += m.duplicates();
        if (m.reopened()) {
            reopened++;
        }
        m.stageMillis().forEach((stage, ms) -> LatencySketches.add(stages.get(stage), ms));
        m.segmentMillis().forEach((segment, ms) -> LatencySketches.add(segments.get(segment), ms));
        return this;
    }

    // ------------------------------------------------------------------ from rows

    public CohortAccumulator add(HandoffWindow row) {
        captured += row.getCaptured();
        acknowledged += row.getAcknowledged();
        inferred += row.getInferredAcks();
        noAck += row.getNoAckNumerator();
        ackedInWindow += row.getNoAckDenominator() - row.getNoAckNumerator();
        pending += row.getPending();
        breached += row.getHandoffBreachCount();
        withinSla += row.getHandoffWithinSla();
        remediationBreaches += row.getRemediationBreaches();
        duplicates += row.getDuplicates();
        reopened += row.getReopened();
        row.getHandoffBreaches().forEach(c -> breachModes.merge(c.getMode(), c.getCount(), Long::sum));
        row.getNoAcks().forEach(c -> noAckModes.merge(c.getMode(), c.getCount(), Long::sum));
        mergeInto(body, row.getSketch());
        for (StageLatency s : withStages ? row.getStages() : List.<StageLatency>of()) {
            DDSketch target = stages.get(s.getStage());
            if (target != null) {
                mergeInto(target, s.getSketch());
            }
        }
        if (row.getAsOf().isAfter(latestAsOf)) {
            latestAsOf = row.getAsOf();
        }
        return this;
    }

    public CohortAccumulator add(CycleWindow row) {
        mergeInto(segments.get(HandoffMetrics.Segment.HANDOFF), row.getHandoffSketch());
        mergeInto(segments.get(HandoffMetrics.Segment.TRIAGE), row.getTriageSketch());
        mergeInto(segments.get(HandoffMetrics.Segment.FIX), row.getFixSketch());
        mergeInto(segments.get(HandoffMetrics.Segment.VERIFICATION), row.getVerificationSketch());
        return this;
    }

    private static void mergeInto(DDSketch target, LatencySketch part) {
        LatencySketches.mergeInto(target, part);
    }

    /**
     * Rows built after this call carry their sketches in {@link LatencySketches#COMPACT_ENCODING}: for the
     * stores and instance-to-instance answers, never for published topics.
     */
    public CohortAccumulator compactSketches(boolean compact) {
        this.compact = compact;
        return this;
    }

    /**
     * Rows built after this call are a finding partition's share of a cohort (decision 0016): only what
     * {@link #add(HandoffWindow)} and {@link #add(CycleWindow)} read back, that is counts, sketches (compact) and
     * {@code as_of}. The event id, source and dimension key are empty and every quantile and rate is null: the
     * merge recomputes them from the summed counts and merged sketches, and a share is never published.
     */
    public CohortAccumulator asShare() {
        this.share = true;
        this.compact = true;
        return this;
    }

    /**
     * Rows added after this call contribute no stage sketches: for answers that show the five numbers
     * without the six-stage decomposition (one merge per row instead of six).
     */
    public CohortAccumulator withoutStages() {
        this.withStages = false;
        return this;
    }

    private LatencySketch sketch(DDSketch sketch) {
        return compact ? LatencySketches.toAvroCompact(sketch) : LatencySketches.toAvro(sketch);
    }

    // ------------------------------------------------------------------ results

    /** The largest as_of of the rows added (or the accumulator's own). */
    public Instant asOf() {
        return latestAsOf;
    }

    public long captured() {
        return captured;
    }

    public DDSketch bodySketch() {
        return body;
    }

    /** A row of this window; now-gauges are left null for the caller to set on ALL rows. */
    public HandoffWindow handoffWindow(Window w, Instant recordedTime) {
        return HandoffWindow.newBuilder()
                .setEventId(share ? "" : w.eventId("handoff", latestAsOf))
                .setEventTime(latestAsOf)
                .setRecordedTime(recordedTime)
                .setSource(share ? "" : MetricsNames.SOURCE)
                .setWindowStart(w.start())
                .setWindowEnd(w.end())
                .setGranularity(w.granularity())
                .setBand(w.band())
                .setDimension(w.dimension())
                .setDimensionKey(share ? "" : w.key())
                .setAsOf(latestAsOf)
                .setCaptured(captured)
                .setAcknowledged(acknowledged)
                .setInferredAcks(inferred)
                .setMedianMs(share ? null : boxed(LatencySketches.median(body)))
                .setP90Ms(share ? null : boxed(LatencySketches.p90(body)))
                .setP99Ms(share ? null : boxed(LatencySketches.p99(body)))
                .setMaxMs(share ? null : boxed(LatencySketches.max(body)))
                .setNoAckNumerator(noAck)
                .setNoAckDenominator(noAck + ackedInWindow)
                .setNoAckRate(share ? null : HandoffMetrics.noAckRate(noAck, ackedInWindow).orElse(null))
                .setPending(pending)
                .setHandoffBreaches(counts(breachModes))
                .setRemediationBreaches(remediationBreaches)
                .setDuplicates(duplicates)
                .setReopened(reopened)
                .setAckAmbiguityRate(share ? null : HandoffMetrics.ackAmbiguityRate(inferred, acknowledged).orElse(null))
                .setStages(withStages ? stageLatencies() : List.of())
                .setSketch(sketch(body))
                .setUnroutedDepth(null)
                .setOldestUnroutedAt(null)
                .setOwnershipCurrency(null)
                .setHandoffBreachCount(breached)
                .setHandoffWithinSla(withinSla)
                .setNoAcks(counts(noAckModes))
                .setOpenFindings(null)
                .setOpenWithCurrentOwner(null)
                .build();
    }

    public CycleWindow cycleWindow(Window w, Instant recordedTime) {
        return CycleWindow.newBuilder()
                .setEventId(share ? "" : w.eventId("cycle", latestAsOf))
                .setEventTime(latestAsOf)
                .setRecordedTime(recordedTime)
                .setSource(share ? "" : MetricsNames.SOURCE)
                .setWindowStart(w.start())
                .setWindowEnd(w.end())
                .setGranularity(w.granularity())
                .setBand(w.band())
                .setDimension(w.dimension())
                .setDimensionKey(share ? "" : w.key())
                .setAsOf(latestAsOf)
                .setHandoff(segmentStats(segments.get(HandoffMetrics.Segment.HANDOFF)))
                .setTriage(segmentStats(segments.get(HandoffMetrics.Segment.TRIAGE)))
                .setFix(segmentStats(segments.get(HandoffMetrics.Segment.FIX)))
                .setVerification(segmentStats(segments.get(HandoffMetrics.Segment.VERIFICATION)))
                .setHandoffSketch(sketch(segments.get(HandoffMetrics.Segment.HANDOFF)))
                .setTriageSketch(sketch(segments.get(HandoffMetrics.Segment.TRIAGE)))
                .setFixSketch(sketch(segments.get(HandoffMetrics.Segment.FIX)))
                .setVerificationSketch(sketch(segments.get(HandoffMetrics.Segment.VERIFICATION)))
                .build();
    }

    private List<StageLatency> stageLatencies() {
        List<StageLatency> out = new ArrayList<>();
        for (Stage stage : DURATION_STAGES) {
            DDSketch sketch = stages.get(stage);
            out.add(StageLatency.newBuilder().setStage(stage).setStats(segmentStats(sketch)).setSketch(sketch(sketch)).build());
        }
        return out;
    }

    /** The stats of a published or stored row; of a share, the count alone (the merge reads the sketch). */
    private SegmentStats segmentStats(DDSketch sketch) {
        return share ? SegmentStats.newBuilder().setCount(Math.round(sketch.getCount())).build() : stats(sketch);
    }

    public static SegmentStats stats(DDSketch sketch) {
        return SegmentStats.newBuilder()
                .setCount(Math.round(sketch.getCount()))
                .setMedianMs(boxed(LatencySketches.median(sketch)))
                .setP90Ms(boxed(LatencySketches.p90(sketch)))
                .build();
    }

    private static List<FailureModeCount> counts(Map<FailureMode, Long> byMode) {
        List<FailureModeCount> out = new ArrayList<>();
        byMode.forEach((mode, n) -> out.add(FailureModeCount.newBuilder().setMode(mode).setCount(n).build()));
        return out;
    }

    private static Long boxed(OptionalLong v) {
        return v.isPresent() ? v.getAsLong() : null;
    }

    /** What a row describes: its window and series. */
    public record Window(WindowGranularity granularity, Instant start, Instant end, SeverityBand band,
                         MetricDimension dimension, String key) {

        /** Deterministic per (row, as_of), so a re-emission after a crash carries the same id. */
        String eventId(String kind, Instant asOf) {
            return "metrics/" + kind + "/" + granularity + "/" + start.toEpochMilli() + "/" + band + "/" + dimension + "/" + key
                    + "/" + asOf.toEpochMilli();
        }
    }
}

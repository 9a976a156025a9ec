package dev.handoff.bench;

import dev.handoff.avro.FailureMode;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.Stage;
import dev.handoff.streams.metrics.CohortMember;
import dev.handoff.streams.metrics.HandoffMetrics;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Realistic, reproducible cohort members for the benchmarks: handoff latencies log-uniform between
 * 1 minute and 30 days, stage and cycle-segment durations over their own plausible ranges, per-band
 * deadlines (so some members breach, some are pending), a few inferred acks, reopenings and duplicates.
 * Deterministic for a given seed.
 */
public final class SyntheticMembers {

    /** Lower and upper bound of a handoff latency, in ms. */
    public static final long MIN_LATENCY_MS = Duration.ofMinutes(1).toMillis();
    public static final long MAX_LATENCY_MS = Duration.ofDays(30).toMillis();

    private static final FailureMode[] MODES = FailureMode.values();

    private final Random random;
    private long next;

    public SyntheticMembers(long seed) {
        this.random = new Random(seed);
    }

    /** A latency log-uniform in [1 minute, 30 days]. */
    public long latencyMillis() {
        return logUniform(MIN_LATENCY_MS, MAX_LATENCY_MS);
    }

    /** A value log-uniform in [lo, hi]. */
    public long logUniform(long lo, long hi) {
        double l = Math.log(lo);
        double h = Math.log(hi);
        return Math.round(Math.exp(l + random.nextDouble() * (h - l)));
    }

    public int uniform(int lo, int hiInclusive) {
        return lo + random.nextInt(hiInclusive - lo + 1);
    }

    /**
     * One member whose handoff started at a random moment of the day starting at {@code dayStart};
     * outcomes that would lie after {@code now} have not happened yet.
     */
    public CohortMember member(SeverityBand band, Instant dayStart, Instant now) {
        Instant start = dayStart.plusMillis((long) (random.nextDouble() * Duration.ofDays(1).toMillis()));
        Duration handoffSla = switch (band) {
            case CRITICAL -> Duration.ofHours(4);
            case HIGH -> Duration.ofHours(24);
            case MEDIUM -> Duration.ofDays(3);
            default -> Duration.ofDays(7);
        };
        Duration remediationSla = switch (band) {
            case CRITICAL -> Duration.ofDays(7);
            case HIGH -> Duration.ofDays(30);
            case MEDIUM -> Duration.ofDays(90);
            default -> Duration.ofDays(180);
        };
        Instant handoffDeadline = start.plus(handoffSla);
        Instant noAckDeadline = start.plus(handoffSla.multipliedBy(2));
        Instant remediationDeadline = start.plus(remediationSla);

        // 85 % acknowledged explicitly, 5 % by an inferred ack, 10 % never (yet).
        double outcome = random.nextDouble();
        long latency = latencyMillis();
        Instant ack = outcome < 0.90 ? start.plusMillis(latency) : null;
        if (ack != null && ack.isAfter(now)) {
            ack = null;
        }
        boolean inferred = ack != null && outcome >= 0.85;

        Map<Stage, Long> stages = new EnumMap<>(Stage.class);
        Map<HandoffMetrics.Segment, Long> segments = new EnumMap<>(HandoffMetrics.Segment.class);
        long enrichment = logUniform(50, 30_000);
        long routing = logUniform(10, 300_000);
        long notification = logUniform(1_000, 600_000);
        stages.put(Stage.ENRICHMENT, enrichment);
        stages.put(Stage.ROUTING, routing);
        stages.put(Stage.NOTIFICATION, notification);
        Instant verified = null;
        if (ack != null) {
            stages.put(Stage.ACKNOWLEDGEMENT, Math.max(0, latency - enrichment - routing - notification));
            segments.put(HandoffMetrics.Segment.HANDOFF, latency);
            if (random.nextDouble() < 0.8) {
                long triage = logUniform(Duration.ofMinutes(10).toMillis(), Duration.ofDays(5).toMillis());
                stages.put(Stage.TRIAGE, triage);
                segments.put(HandoffMetrics.Segment.TRIAGE, triage);
                if (random.nextDouble() < 0.7) {
                    long fix = logUniform(Duration.ofHours(1).toMillis(), Duration.ofDays(60).toMillis());
                    segments.put(HandoffMetrics.Segment.FIX, fix);
                    if (random.nextDouble() < 0.8) {
                        long verification = logUniform(Duration.ofMinutes(10).toMillis(), Duration.ofDays(7).toMillis());
                        Instant v = ack.plusMillis(triage + fix + verification);
                        if (!v.isAfter(now)) {
                            segments.put(HandoffMetrics.Segment.VERIFICATION, verification);
                            verified = v;
                        }
                    }
                }
            }
        }

        Set<FailureMode> modes = EnumSet.noneOf(FailureMode.class);
        boolean late = ack == null ? now.isAfter(handoffDeadline) : ack.isAfter(handoffDeadline);
        if (late) {
            int n = random.nextInt(3); // 0 modes: attributed to UNCLASSIFIED
            for (int i = 0; i < n; i++) {
                modes.add(MODES[random.nextInt(MODES.length - 1)]);
            }
        }
        boolean reopened = random.nextDouble() < 0.05;
        int duplicates = random.nextDouble() < 0.2 ? 1 + random.nextInt(3) : 0;
        return new CohortMember("f1-" + Long.toHexString(++next) + "-" + Integer.toHexString(random.nextInt()), start, ack, inferred,
                noAckDeadline, handoffDeadline, remediationDeadline, verified, modes, reopened, duplicates, stages, segments);
    }
}

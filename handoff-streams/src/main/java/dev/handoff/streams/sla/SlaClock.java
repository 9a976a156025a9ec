package dev.handoff.streams.sla;

import dev.handoff.schemas.calendar.WorkCalendar;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SeverityTarget;
import dev.handoff.avro.SlaPolicy;
import dev.handoff.avro.SlaSpan;
import dev.handoff.avro.SpanClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Deadlines of one SLA policy version: handoff, warning and no-ack deadlines from capture, remediation deadlines from
 * acknowledgement. Immutable and thread-safe; build one per policy id and version and share it.
 */
public final class SlaClock {

    private final String policyId;
    private final int policyVersion;
    private final double warningFraction;
    private final WorkCalendar calendar;
    private final Map<SeverityBand, Target> targets;

    /**
     * Builds the clock of a policy.
     *
     * @throws IllegalArgumentException if the policy is invalid, see {@link SlaPolicies#validate(SlaPolicy)}
     */
    public SlaClock(SlaPolicy policy) {
        SlaPolicies.validate(policy);
        this.policyId = policy.getPolicyId();
        this.policyVersion = policy.getVersion();
        this.warningFraction = policy.getWarningFraction();
        this.calendar = WorkCalendar.of(policy.getCalendar());
        Map<SeverityBand, Target> byBand = new EnumMap<>(SeverityBand.class);
        for (SeverityTarget t : policy.getTargets()) {
            // Copies, because Avro records can still be changed through put(int, Object).
            byBand.put(t.getBand(), new Target(copy(t.getHandoff()), copy(t.getRemediation()),
                    copy(t.getNoAckWindow())));
        }
        this.targets = Collections.unmodifiableMap(byBand);
    }

    /** Handoff deadlines of a finding: the SLA deadline, the warning before it, and the end of the no-ack window. */
    public record Deadlines(Instant handoff, Instant handoffWarning, Instant noAck) {
    }

    /** Remediation deadline of an acknowledged finding and the warning before it. */
    public record Remediation(Instant deadline, Instant warning) {
    }

    /**
     * Handoff deadlines for a finding captured at {@code capturedAt}; empty for INFO and for bands the policy has no
     * target for. The warning falls when {@code warning_fraction} of the handoff SLA has elapsed on the SLA's own clock
     * (business time for a BUSINESS span).
     */
    public Optional<Deadlines> handoff(Instant capturedAt, SeverityBand band) {
        Objects.requireNonNull(capturedAt, "capturedAt");
        return target(band).map(t -> {
            Instant deadline = calendar.plus(capturedAt, t.handoff());
            return new Deadlines(deadline, warning(capturedAt, t.handoff(), deadline),
                    calendar.plus(capturedAt, t.noAck()));
        });
    }

    /** Remediation deadline and warning for a finding acknowledged at {@code acknowledgedAt}; empty without target. */
    public Optional<Remediation> remediation(Instant acknowledgedAt, SeverityBand band) {
        Objects.requireNonNull(acknowledgedAt, "acknowledgedAt");
        return target(band).map(t -> {
            Instant deadline = calendar.plus(acknowledgedAt, t.remediation());
            return new Remediation(deadline, warning(acknowledgedAt, t.remediation(), deadline));
        });
    }

    /**
     * Time elapsed on the handoff SLA's clock between capture and {@code at} (business time for a BUSINESS span, zero
     * when {@code at} is not after capture). A band without a target has no SLA clock and gets plain elapsed time.
     */
    public Duration elapsedHandoff(Instant capturedAt, Instant at, SeverityBand band) {
        SpanClock clock = target(band).map(t -> t.handoff().getClock()).orElse(SpanClock.CALENDAR);
        return calendar.elapsed(capturedAt, at, clock);
    }

    /** The policy id the deadlines come from. */
    public String policyId() {
        return policyId;
    }

    /** The policy version the deadlines come from; findings record it. */
    public int policyVersion() {
        return policyVersion;
    }

    /** Fraction of an SLA after which a warning is raised. */
    public double warningFraction() {
        return warningFraction;
    }

    /** The policy's business calendar. */
    public WorkCalendar calendar() {
        return calendar;
    }

    @Override
    public String toString() {
        return "SlaClock[" + policyId + " v" + policyVersion + ", " + calendar + "]";
    }

    private Optional<Target> target(SeverityBand band) {
        return band == SeverityBand.INFO ? Optional.empty() : Optional.ofNullable(targets.get(band));
    }

    private Instant warning(Instant start, SlaSpan span, Instant deadline) {
        if (span.getClock() == SpanClock.BUSINESS) {
            return calendar.plusBusiness(start, fraction(calendar.businessLength(span)));
        }
        // Calendar days vary in length across DST changes, so take the fraction of the real span.
        return start.plus(fraction(Duration.between(start, deadline)));
    }

    /** The warning fraction of a duration, rounded to the millisecond that Avro timestamps carry. */
    private Duration fraction(Duration d) {
        return Duration.ofMillis(Math.round(d.toMillis() * warningFraction));
    }

    private static SlaSpan copy(SlaSpan span) {
        return SlaSpan.newBuilder(span).build();
    }

    private record Target(SlaSpan handoff, SlaSpan remediation, SlaSpan noAck) {
    }
}

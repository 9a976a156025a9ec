package dev.handoff.streams.sla;

import dev.handoff.schemas.calendar.WorkCalendar;
import dev.handoff.avro.BusinessCalendar;
import dev.handoff.avro.DayOfWeek;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SeverityTarget;
import dev.handoff.avro.SlaPolicy;
import dev.handoff.avro.SlaSpan;
import dev.handoff.avro.SpanClock;
import dev.handoff.avro.SpanUnit;
import java.time.Instant;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The default SLA policy of DESIGN.md §5, target look-up, and validation of policies from the sla-policy topic. */
public final class SlaPolicies {

    /** Spans longer than ten years are configuration mistakes, and they bound every business-time search. */
    private static final Map<SpanUnit, Integer> MAX_AMOUNT = Map.of(
            SpanUnit.MINUTES, 10 * 365 * 24 * 60,
            SpanUnit.HOURS, 10 * 365 * 24,
            SpanUnit.DAYS, 10 * 365);

    private SlaPolicies() {
    }

    /**
     * The built-in policy: handoff (business) CRITICAL 4 h, HIGH 1 d, MEDIUM 3 d, LOW 10 d; remediation (calendar)
     * 7 / 30 / 90 / 180 d; no-ack window (calendar) 24 h / 72 h / 7 d / 30 d; INFO has none; warning at 75 %;
     * calendar UTC, Monday to Friday, 09:00-17:00, no holidays. Returns a fresh instance on each call.
     */
    public static SlaPolicy defaultPolicy() {
        BusinessCalendar calendar = BusinessCalendar.newBuilder()
                .setZone("UTC")
                .setWorkingDays(List.of(DayOfWeek.MONDAY, DayOfWeek.TUESDAY, DayOfWeek.WEDNESDAY,
                        DayOfWeek.THURSDAY, DayOfWeek.FRIDAY))
                .setWorkStart(LocalTime.of(9, 0))
                .setWorkEnd(LocalTime.of(17, 0))
                .setHolidayCountry(null)
                .setHolidaySubdivision(null)
                .setExtraHolidays(List.of())
                .build();
        return SlaPolicy.newBuilder()
                .setEventId("sla-policy-default-v1")
                .setEventTime(Instant.EPOCH)
                .setRecordedTime(Instant.EPOCH)
                .setSource("handoff-streams/defaults")
                .setActor(null)
                .setPolicyId("default")
                .setVersion(1)
                .setTargets(List.of(
                        target(SeverityBand.CRITICAL, business(4, SpanUnit.HOURS), calendar(7, SpanUnit.DAYS),
                                calendar(24, SpanUnit.HOURS)),
                        target(SeverityBand.HIGH, business(1, SpanUnit.DAYS), calendar(30, SpanUnit.DAYS),
                                calendar(72, SpanUnit.HOURS)),
                        target(SeverityBand.MEDIUM, business(3, SpanUnit.DAYS), calendar(90, SpanUnit.DAYS),
                                calendar(7, SpanUnit.DAYS)),
                        target(SeverityBand.LOW, business(10, SpanUnit.DAYS), calendar(180, SpanUnit.DAYS),
                                calendar(30, SpanUnit.DAYS))))
                .setWarningFraction(0.75)
                .setCalendar(calendar)
                .build();
    }

    /** The policy's target for {@code band}, empty when the policy has none (INFO never has one). */
    public static Optional<SeverityTarget> target(SlaPolicy policy, SeverityBand band) {
        if (policy.getTargets() == null || band == SeverityBand.INFO) {
            return Optional.empty();
        }
        return policy.getTargets().stream()
                .filter(t -> t != null && t.getBand() == band)
                .findFirst();
    }

    /**
     * Checks a policy: a policy id, a warning_fraction strictly between 0 and 1, at most one target per band and none
     * for INFO, every span present with a positive amount of at most ten years, and a usable calendar (known zone,
     * country and subdivision, at least one working day, work_end after work_start).
     *
     * @throws IllegalArgumentException naming every problem found, suitable as a dead-letter reason
     */
    public static void validate(SlaPolicy policy) {
        if (policy == null) {
            throw new IllegalArgumentException("Invalid SLA policy: the policy is missing");
        }
        List<String> problems = problems(policy);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Invalid SLA policy '" + policy.getPolicyId() + "' version "
                    + policy.getVersion() + " (" + problems.size() + (problems.size() == 1 ? " problem" : " problems")
                    + "): " + String.join("; ", problems));
        }
    }

    private static List<String> problems(SlaPolicy policy) {
        List<String> problems = new ArrayList<>();
        if (policy.getPolicyId() == null || policy.getPolicyId().isBlank()) {
            problems.add("policy_id is blank; name the policy ('default' applies where a team names none)");
        }
        double fraction = policy.getWarningFraction();
        if (!(fraction > 0.0 && fraction < 1.0)) {
            problems.add("warning_fraction must be strictly between 0 and 1 (for example 0.75), was " + fraction);
        }
        checkTargets(policy.getTargets(), problems);
        problems.addAll(WorkCalendar.problems(policy.getCalendar()));
        return problems;
    }

    private static void checkTargets(List<SeverityTarget> targets, List<String> problems) {
        if (targets == null) {
            problems.add("targets is missing; give one target per band that has an SLA (an empty list means none)");
            return;
        }
        Map<SeverityBand, Integer> seen = new EnumMap<>(SeverityBand.class);
        for (int i = 0; i < targets.size(); i++) {
            SeverityTarget target = targets.get(i);
            String where = "targets[" + i + "]";
            if (target == null) {
                problems.add(where + " is empty; remove it or give band and spans");
                continue;
            }
            SeverityBand band = target.getBand();
            if (band == null) {
                problems.add(where + ".band is missing; use one of CRITICAL, HIGH, MEDIUM, LOW");
            } else {
                where = where + " (" + band + ")";
                if (band == SeverityBand.INFO) {
                    problems.add(where + ": INFO findings carry no SLA; remove this target");
                }
                Integer first = seen.putIfAbsent(band, i);
                if (first != null) {
                    problems.add(where + ": duplicate band " + band + ", already targeted by targets[" + first
                            + "]; keep one target per band");
                }
            }
            checkSpan(where + ".handoff", target.getHandoff(), problems);
            checkSpan(where + ".remediation", target.getRemediation(), problems);
            checkSpan(where + ".no_ack_window", target.getNoAckWindow(), problems);
        }
    }

    private static void checkSpan(String where, SlaSpan span, List<String> problems) {
        if (span == null) {
            problems.add(where + " is missing; give amount, unit and clock");
            return;
        }
        if (span.getUnit() == null || span.getClock() == null) {
            problems.add(where + " needs a unit (MINUTES, HOURS, DAYS) and a clock (BUSINESS, CALENDAR)");
            return;
        }
        if (span.getAmount() <= 0) {
            problems.add(where + ".amount must be positive, was " + span.getAmount());
        } else if (span.getAmount() > MAX_AMOUNT.get(span.getUnit())) {
            problems.add(where + ".amount " + span.getAmount() + " " + span.getUnit() + " is longer than ten years; "
                    + "use at most " + MAX_AMOUNT.get(span.getUnit()) + " " + span.getUnit());
        }
    }

    private static SeverityTarget target(SeverityBand band, SlaSpan handoff, SlaSpan remediation, SlaSpan noAck) {
        return SeverityTarget.newBuilder()
                .setBand(band)
                .setHandoff(handoff)
                .setRemediation(remediation)
                .setNoAckWindow(noAck)
                .build();
    }

    private static SlaSpan business(int amount, SpanUnit unit) {
        return SlaSpan.newBuilder().setAmount(amount).setUnit(unit).setClock(SpanClock.BUSINESS).build();
    }

    private static SlaSpan calendar(int amount, SpanUnit unit) {
        return SlaSpan.newBuilder().setAmount(amount).setUnit(unit).setClock(SpanClock.CALENDAR).build();
    }
}

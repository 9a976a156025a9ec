package dev.handoff.streams.sla;

import dev.handoff.schemas.calendar.WorkCalendar;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.avro.BusinessCalendar;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SeverityTarget;
import dev.handoff.avro.SlaPolicy;
import dev.handoff.avro.SlaSpan;
import dev.handoff.avro.SpanClock;
import dev.handoff.avro.SpanUnit;
import java.time.Instant;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SlaPoliciesTest {

    /** The default policy with one change applied. */
    private static SlaPolicy defaultWith(UnaryOperator<SlaPolicy.Builder> change) {
        return change.apply(SlaPolicy.newBuilder(SlaPolicies.defaultPolicy())).build();
    }

    /** The default policy with its first (CRITICAL) target changed. */
    private static SlaPolicy criticalWith(UnaryOperator<SeverityTarget.Builder> change) {
        SlaPolicy policy = SlaPolicies.defaultPolicy();
        List<SeverityTarget> targets = new ArrayList<>(policy.getTargets());
        targets.set(0, change.apply(SeverityTarget.newBuilder(targets.get(0))).build());
        return SlaPolicy.newBuilder(policy).setTargets(targets).build();
    }

    private static SlaPolicy calendarWith(UnaryOperator<BusinessCalendar.Builder> change) {
        SlaPolicy policy = SlaPolicies.defaultPolicy();
        return SlaPolicy.newBuilder(policy)
                .setCalendar(change.apply(BusinessCalendar.newBuilder(policy.getCalendar())).build())
                .build();
    }

    private static String rejection(SlaPolicy policy) {
        return assertThrows(IllegalArgumentException.class, () -> SlaPolicies.validate(policy)).getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "expected '" + part + "' in: " + message);
        }
    }

    private static SlaSpan span(int amount, SpanUnit unit, SpanClock clock) {
        return SlaSpan.newBuilder().setAmount(amount).setUnit(unit).setClock(clock).build();
    }

    @Test
    void defaultPolicyIsValid() {
        assertDoesNotThrow(() -> SlaPolicies.validate(SlaPolicies.defaultPolicy()));
    }

    @Test
    void defaultPolicyFollowsTheDesign() {
        SlaPolicy p = SlaPolicies.defaultPolicy();
        assertEquals("default", p.getPolicyId());
        assertEquals(1, p.getVersion());
        assertEquals("sla-policy-default-v1", p.getEventId());
        assertEquals(Instant.EPOCH, p.getEventTime());
        assertEquals(Instant.EPOCH, p.getRecordedTime());
        assertEquals("handoff-streams/defaults", p.getSource());
        assertEquals(0.75, p.getWarningFraction());
        assertEquals("UTC", p.getCalendar().getZone());
        assertEquals(WorkCalendar.officeHours("UTC", null, null).getWorkingDays(), p.getCalendar().getWorkingDays());
        assertEquals(LocalTime.of(9, 0), p.getCalendar().getWorkStart());
        assertEquals(LocalTime.of(17, 0), p.getCalendar().getWorkEnd());
        assertEquals(4, p.getTargets().size());

        SeverityTarget high = SlaPolicies.target(p, SeverityBand.HIGH).orElseThrow();
        assertEquals(span(1, SpanUnit.DAYS, SpanClock.BUSINESS), high.getHandoff());
        assertEquals(span(30, SpanUnit.DAYS, SpanClock.CALENDAR), high.getRemediation());
        assertEquals(span(72, SpanUnit.HOURS, SpanClock.CALENDAR), high.getNoAckWindow());
        assertEquals(span(4, SpanUnit.HOURS, SpanClock.BUSINESS),
                SlaPolicies.target(p, SeverityBand.CRITICAL).orElseThrow().getHandoff());
        assertEquals(span(180, SpanUnit.DAYS, SpanClock.CALENDAR),
                SlaPolicies.target(p, SeverityBand.LOW).orElseThrow().getRemediation());
    }

    @Test
    void infoHasNoTarget() {
        assertTrue(SlaPolicies.target(SlaPolicies.defaultPolicy(), SeverityBand.INFO).isEmpty());
    }

    @Test
    void zeroAmountIsRejected() {
        assertMentions(rejection(criticalWith(t -> t.setHandoff(span(0, SpanUnit.HOURS, SpanClock.BUSINESS)))),
                "targets[0] (CRITICAL).handoff.amount must be positive, was 0");
    }

    @Test
    void negativeAmountIsRejected() {
        assertMentions(rejection(criticalWith(t -> t.setRemediation(span(-7, SpanUnit.DAYS, SpanClock.CALENDAR)))),
                "targets[0] (CRITICAL).remediation.amount must be positive, was -7");
    }

    @Test
    void spanLongerThanTenYearsIsRejected() {
        assertMentions(rejection(criticalWith(t -> t.setNoAckWindow(span(5000, SpanUnit.DAYS, SpanClock.CALENDAR)))),
                "no_ack_window.amount 5000 DAYS is longer than ten years", "at most 3650 DAYS");
    }

    @Test
    void duplicateBandIsRejected() {
        SlaPolicy policy = SlaPolicies.defaultPolicy();
        List<SeverityTarget> targets = new ArrayList<>(policy.getTargets());
        targets.add(SeverityTarget.newBuilder(targets.get(1)).build());
        assertMentions(rejection(SlaPolicy.newBuilder(policy).setTargets(targets).build()),
                "targets[4] (HIGH): duplicate band HIGH, already targeted by targets[1]");
    }

    @Test
    void infoTargetIsRejected() {
        assertMentions(rejection(criticalWith(t -> t.setBand(SeverityBand.INFO))),
                "targets[0] (INFO): INFO findings carry no SLA");
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 1.0, -0.25, 1.5, Double.NaN})
    void warningFractionOutsideOpenUnitIntervalIsRejected(double fraction) {
        assertMentions(rejection(defaultWith(b -> b.setWarningFraction(fraction))),
                "warning_fraction must be strictly between 0 and 1", "was " + fraction);
    }

    @Test
    void badZoneIsRejected() {
        assertMentions(rejection(calendarWith(c -> c.setZone("Europe/Atlantis"))),
                "calendar.zone 'Europe/Atlantis' is not a known time zone");
    }

    @Test
    void unknownHolidayCountryIsRejected() {
        assertMentions(rejection(calendarWith(c -> c.setHolidayCountry("xx"))),
                "calendar.holiday_country 'xx'", "ISO 3166-1");
    }

    @Test
    void overnightHoursAreRejected() {
        assertMentions(rejection(calendarWith(c -> c.setWorkStart(LocalTime.of(18, 0)))),
                "work_end 17:00 must be after work_start 18:00", "overnight shifts are not supported");
    }

    @Test
    void noWorkingDaysIsRejected() {
        assertMentions(rejection(calendarWith(c -> c.setWorkingDays(List.of()))), "calendar.working_days is empty");
    }

    @Test
    void blankPolicyIdIsRejected() {
        assertMentions(rejection(defaultWith(b -> b.setPolicyId(" "))), "policy_id is blank");
    }

    @Test
    void everyProblemIsListedInOneMessage() {
        SlaPolicy policy = SlaPolicy.newBuilder(
                        criticalWith(t -> t.setHandoff(span(0, SpanUnit.HOURS, SpanClock.BUSINESS))))
                .setWarningFraction(2.0)
                .setVersion(7)
                .setCalendar(BusinessCalendar.newBuilder(SlaPolicies.defaultPolicy().getCalendar())
                        .setZone("Nowhere/Town")
                        .build())
                .build();
        assertMentions(rejection(policy), "Invalid SLA policy 'default' version 7 (3 problems)",
                "handoff.amount must be positive", "warning_fraction", "calendar.zone 'Nowhere/Town'");
    }

    @Test
    void missingPolicyIsRejected() {
        assertMentions(assertThrows(IllegalArgumentException.class, () -> SlaPolicies.validate(null)).getMessage(),
                "policy is missing");
    }
}

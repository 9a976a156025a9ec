package dev.handoff.streams.sla;

import static dev.handoff.streams.sla.Calendars.at;
import static dev.handoff.streams.sla.Calendars.utc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SeverityTarget;
import dev.handoff.avro.SlaPolicy;
import dev.handoff.avro.SlaSpan;
import dev.handoff.avro.SpanClock;
import dev.handoff.avro.SpanUnit;
import dev.handoff.streams.sla.SlaClock.Deadlines;
import dev.handoff.streams.sla.SlaClock.Remediation;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SlaClockTest {

    /** Monday 5 January 2026, 10:00 UTC: an hour into the default working day. */
    private static final Instant CAPTURED = utc("2026-01-05T10:00");

    private final SlaClock clock = new SlaClock(SlaPolicies.defaultPolicy());

    private Deadlines handoff(SeverityBand band) {
        return clock.handoff(CAPTURED, band).orElseThrow();
    }

    @Test
    void criticalHandoffIsFourBusinessHours() {
        assertEquals(new Deadlines(utc("2026-01-05T14:00"), utc("2026-01-05T13:00"), utc("2026-01-06T10:00")),
                handoff(SeverityBand.CRITICAL));
    }

    @Test
    void highHandoffIsOneBusinessDay() {
        assertEquals(new Deadlines(utc("2026-01-06T10:00"), utc("2026-01-05T16:00"), utc("2026-01-08T10:00")),
                handoff(SeverityBand.HIGH));
    }

    @Test
    void mediumHandoffIsThreeBusinessDays() {
        // Warning after 18 business hours: 7 on Monday, 8 on Tuesday, 3 on Wednesday.
        assertEquals(new Deadlines(utc("2026-01-08T10:00"), utc("2026-01-07T12:00"), utc("2026-01-12T10:00")),
                handoff(SeverityBand.MEDIUM));
    }

    @Test
    void lowHandoffIsTenBusinessDays() {
        // Warning after 60 business hours: 7 on Monday, 6 full days, 5 on the second Wednesday.
        assertEquals(new Deadlines(utc("2026-01-19T10:00"), utc("2026-01-14T14:00"), utc("2026-02-04T10:00")),
                handoff(SeverityBand.LOW));
    }

    @Test
    void infoHasNoDeadlines() {
        assertTrue(clock.handoff(CAPTURED, SeverityBand.INFO).isEmpty());
        assertTrue(clock.remediation(CAPTURED, SeverityBand.INFO).isEmpty());
    }

    @Test
    void handoffWarningIsAtThreeQuartersOfBusinessTime() {
        for (SeverityBand band : List.of(SeverityBand.CRITICAL, SeverityBand.HIGH, SeverityBand.MEDIUM,
                SeverityBand.LOW)) {
            Deadlines d = handoff(band);
            Duration sla = clock.calendar().businessBetween(CAPTURED, d.handoff());
            Duration toWarning = clock.calendar().businessBetween(CAPTURED, d.handoffWarning());
            assertEquals(sla.multipliedBy(3).dividedBy(4), toWarning, band::name);
        }
    }

    @Test
    void captureOnFridayEveningStartsTheClockOnMonday() {
        Deadlines d = clock.handoff(utc("2026-01-09T20:00"), SeverityBand.CRITICAL).orElseThrow();
        assertEquals(utc("2026-01-12T13:00"), d.handoff());
        assertEquals(utc("2026-01-12T12:00"), d.handoffWarning());
        assertEquals(utc("2026-01-10T20:00"), d.noAck(), "the no-ack window runs on calendar time");
    }

    @Test
    void remediationRunsOnCalendarDaysFromAcknowledgement() {
        assertEquals(new Remediation(utc("2026-01-12T10:00"), utc("2026-01-10T16:00")),
                clock.remediation(CAPTURED, SeverityBand.CRITICAL).orElseThrow());
        assertEquals(new Remediation(utc("2026-02-04T10:00"), utc("2026-01-27T22:00")),
                clock.remediation(CAPTURED, SeverityBand.HIGH).orElseThrow());
    }

    @Test
    void elapsedHandoffUsesTheSlaClock() {
        Instant friday = utc("2026-01-09T16:00");
        Instant monday = utc("2026-01-12T10:00");
        assertEquals(Duration.ofHours(2), clock.elapsedHandoff(friday, monday, SeverityBand.CRITICAL));
        assertEquals(Duration.ofHours(66), clock.elapsedHandoff(friday, monday, SeverityBand.INFO),
                "without an SLA there is only calendar time");
        assertEquals(Duration.ZERO, clock.elapsedHandoff(monday, friday, SeverityBand.CRITICAL));
    }

    @Test
    void policyIdentityIsKept() {
        assertEquals("default", clock.policyId());
        assertEquals(1, clock.policyVersion());
    }

    @Test
    void invalidPolicyIsRejected() {
        SlaPolicy bad = SlaPolicy.newBuilder(SlaPolicies.defaultPolicy()).setWarningFraction(0).build();
        assertThrows(IllegalArgumentException.class, () -> new SlaClock(bad));
    }

    @Test
    void bandWithoutTargetHasNoDeadlines() {
        SlaPolicy defaults = SlaPolicies.defaultPolicy();
        SlaPolicy criticalOnly = SlaPolicy.newBuilder(defaults)
                .setTargets(List.of(SlaPolicies.target(defaults, SeverityBand.CRITICAL).orElseThrow()))
                .build();
        SlaClock onlyCritical = new SlaClock(criticalOnly);
        assertTrue(onlyCritical.handoff(CAPTURED, SeverityBand.LOW).isEmpty());
        assertTrue(onlyCritical.remediation(CAPTURED, SeverityBand.LOW).isEmpty());
        assertTrue(onlyCritical.handoff(CAPTURED, SeverityBand.CRITICAL).isPresent());
    }

    @Test
    void berlinPolicyAcrossChristmasAndDaylightSaving() {
        SlaSpan fourBusinessHours = SlaSpan.newBuilder().setAmount(4).setUnit(SpanUnit.HOURS)
                .setClock(SpanClock.BUSINESS).build();
        SlaSpan sevenDays = SlaSpan.newBuilder().setAmount(7).setUnit(SpanUnit.DAYS)
                .setClock(SpanClock.CALENDAR).build();
        SlaPolicy berlin = SlaPolicy.newBuilder(SlaPolicies.defaultPolicy())
                .setPolicyId("berlin")
                .setVersion(3)
                .setTargets(List.of(SeverityTarget.newBuilder()
                        .setBand(SeverityBand.CRITICAL)
                        .setHandoff(fourBusinessHours)
                        .setRemediation(sevenDays)
                        .setNoAckWindow(sevenDays)
                        .build()))
                .setCalendar(Calendars.officeHours("Europe/Berlin", "de", null).build())
                .build();
        SlaClock berlinClock = new SlaClock(berlin);

        Deadlines christmas = berlinClock.handoff(at("2026-12-24T16:00", "Europe/Berlin"), SeverityBand.CRITICAL)
                .orElseThrow();
        assertEquals(at("2026-12-28T12:00", "Europe/Berlin"), christmas.handoff());
        assertEquals(at("2026-12-28T11:00", "Europe/Berlin"), christmas.handoffWarning());

        // Seven calendar days across the spring change are 167 real hours; the warning is 75 % of those.
        Instant ack = at("2026-03-27T12:00", "Europe/Berlin");
        Remediation r = berlinClock.remediation(ack, SeverityBand.CRITICAL).orElseThrow();
        assertEquals(at("2026-04-03T12:00", "Europe/Berlin"), r.deadline());
        assertEquals(ack.plus(Duration.ofMinutes(167 * 60 * 3 / 4)), r.warning());
    }
}

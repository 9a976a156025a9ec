package dev.handoff.schemas.calendar;

import static dev.handoff.schemas.calendar.Calendars.at;
import static dev.handoff.schemas.calendar.Calendars.date;
import static dev.handoff.schemas.calendar.Calendars.office;
import static dev.handoff.schemas.calendar.Calendars.officeHours;
import static dev.handoff.schemas.calendar.Calendars.utc;
import static dev.handoff.schemas.calendar.Calendars.utcOffice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.avro.BusinessCalendar;
import dev.handoff.avro.DayOfWeek;
import dev.handoff.avro.SlaSpan;
import dev.handoff.avro.SpanClock;
import dev.handoff.avro.SpanUnit;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class WorkCalendarTest {

    private static final String BERLIN = "Europe/Berlin";
    private static final String NEW_YORK = "America/New_York";

    private static SlaSpan span(int amount, SpanUnit unit, SpanClock clock) {
        return SlaSpan.newBuilder().setAmount(amount).setUnit(unit).setClock(clock).build();
    }

    @Nested
    class OfficeHoursUtc {

        private final WorkCalendar cal = utcOffice();

        @Test
        void fridayAfternoonPlusFourHoursEndsMondayNoon() {
            assertEquals(utc("2026-01-12T12:00"), cal.plusBusiness(utc("2026-01-09T16:00"), Duration.ofHours(4)));
        }

        @Test
        void startOnSaturdayCountsFromMondayMorning() {
            Instant saturday = utc("2026-01-10T11:00");
            assertEquals(utc("2026-01-12T11:00"), cal.plusBusiness(saturday, Duration.ofHours(2)));
            assertEquals(utc("2026-01-12T09:00"), cal.plusBusiness(saturday, Duration.ZERO));
            assertEquals(Duration.ZERO, cal.businessBetween(saturday, utc("2026-01-12T09:00")));
        }

        @Test
        void oneBusinessDayFromTuesdayMorningIsWednesdaySameTime() {
            SlaSpan oneDay = span(1, SpanUnit.DAYS, SpanClock.BUSINESS);
            assertEquals(utc("2026-01-14T10:00"), cal.plus(utc("2026-01-13T10:00"), oneDay));
        }

        @Test
        void workEndingExactlyAtCloseStaysOnThatDay() {
            assertEquals(utc("2026-01-09T17:00"), cal.plusBusiness(utc("2026-01-09T13:00"), Duration.ofHours(4)));
            assertEquals(utc("2026-01-13T17:00"),
                    cal.plus(utc("2026-01-13T09:00"), span(1, SpanUnit.DAYS, SpanClock.BUSINESS)));
        }

        @Test
        void zeroDurationInsideWorkingTimeIsTheStart() {
            Instant wednesday = utc("2026-01-14T10:30");
            assertEquals(wednesday, cal.plusBusiness(wednesday, Duration.ZERO));
            assertEquals(utc("2026-01-15T09:00"), cal.plusBusiness(utc("2026-01-14T17:00"), Duration.ZERO));
        }

        @Test
        void workingTimeIsHalfOpen() {
            assertTrue(cal.isWorkingTime(utc("2026-01-14T09:00")));
            assertTrue(cal.isWorkingTime(utc("2026-01-14T16:59:59.999")));
            assertFalse(cal.isWorkingTime(utc("2026-01-14T17:00")));
            assertFalse(cal.isWorkingTime(utc("2026-01-14T08:59:59.999")));
            assertFalse(cal.isWorkingTime(utc("2026-01-10T12:00")));
        }

        @Test
        void businessBetweenCountsOnlyWorkingHours() {
            assertEquals(Duration.ofHours(2), cal.businessBetween(utc("2026-01-09T16:00"), utc("2026-01-12T10:00")));
            assertEquals(Duration.ofHours(40), cal.businessBetween(utc("2026-01-12T00:00"), utc("2026-01-19T00:00")));
            assertEquals(Duration.ZERO, cal.businessBetween(utc("2026-01-12T10:00"), utc("2026-01-09T16:00")));
        }

        @Test
        void longSpanOfOneHundredEightyBusinessDaysSkipsWholeDays() {
            Duration days180 = cal.workingDay().multipliedBy(180);
            Instant monday = utc("2026-01-05T09:00");
            // 36 full weeks; the last hour is the close of the 36th Friday.
            Instant end = cal.plusBusiness(monday, days180);
            assertEquals(utc("2026-09-11T17:00"), end);
            assertEquals(days180, cal.businessBetween(monday, end));
        }

        @Test
        void calendarSpansIgnoreWorkingHours() {
            Instant friday = utc("2026-01-09T16:00");
            assertEquals(utc("2026-01-10T16:00"), cal.plus(friday, span(24, SpanUnit.HOURS, SpanClock.CALENDAR)));
            assertEquals(utc("2026-01-09T16:45"), cal.plus(friday, span(45, SpanUnit.MINUTES, SpanClock.CALENDAR)));
            assertEquals(utc("2026-01-16T16:00"), cal.plus(friday, span(7, SpanUnit.DAYS, SpanClock.CALENDAR)));
            assertEquals(utc("2026-01-09T16:30"), cal.plus(friday, span(30, SpanUnit.MINUTES, SpanClock.BUSINESS)));
        }

        @Test
        void negativeBusinessTimeIsRejected() {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cal.plusBusiness(utc("2026-01-09T16:00"), Duration.ofMinutes(-1)));
            assertTrue(e.getMessage().contains("must not be negative"), e.getMessage());
        }

        @Test
        void workingDayIsTheLengthOfWorkingHours() {
            assertEquals(Duration.ofHours(8), cal.workingDay());
        }
    }

    @Nested
    class Holidays {

        @Test
        void germanChristmasCriticalRunsUntilMondayNoon() {
            WorkCalendar de = office(BERLIN, "de", null);
            assertTrue(de.isWorkingDay(date("2026-12-24")), "24 December is not a public holiday in Germany");
            assertFalse(de.isWorkingDay(date("2026-12-25")));
            assertFalse(de.isWorkingDay(date("2026-12-26")));
            Instant captured = at("2026-12-24T16:00", BERLIN);
            assertEquals(at("2026-12-28T12:00", BERLIN), de.plusBusiness(captured, Duration.ofHours(4)));
            assertEquals(at("2026-12-25T12:00", BERLIN),
                    office(BERLIN, null, null).plusBusiness(captured, Duration.ofHours(4)));
        }

        @Test
        void subdivisionHolidayCountsOnlyWithTheSubdivision() {
            Instant mondayAfternoon = at("2026-01-05T16:00", BERLIN);
            WorkCalendar germany = office(BERLIN, "de", null);
            WorkCalendar bavaria = office(BERLIN, "de", "by");
            assertTrue(germany.isWorkingDay(date("2026-01-06")));
            assertFalse(bavaria.isWorkingDay(date("2026-01-06")), "Epiphany is a holiday in Bavaria");
            assertEquals(at("2026-01-06T10:00", BERLIN), germany.plusBusiness(mondayAfternoon, Duration.ofHours(2)));
            assertEquals(at("2026-01-07T10:00", BERLIN), bavaria.plusBusiness(mondayAfternoon, Duration.ofHours(2)));
        }

        @Test
        void subdivisionAcceptsIso3166Dash2Form() {
            assertFalse(office(BERLIN, "DE", "DE-BY").isWorkingDay(date("2026-01-06")));
        }

        @Test
        void extraHolidaysAreHonoured() {
            WorkCalendar cal = WorkCalendar.of(officeHours("UTC", null, null)
                    .setExtraHolidays(List.of(date("2026-01-12")))
                    .build());
            assertFalse(cal.isWorkingDay(date("2026-01-12")));
            assertEquals(utc("2026-01-13T12:00"), cal.plusBusiness(utc("2026-01-09T16:00"), Duration.ofHours(4)));
            assertEquals(Duration.ofHours(1), cal.businessBetween(utc("2026-01-09T16:00"), utc("2026-01-13T09:00")));
        }

        @Test
        void usThanksgivingAndObservedIndependenceDay() {
            WorkCalendar us = office(NEW_YORK, "us", null);
            assertFalse(us.isWorkingDay(date("2026-11-26")), "Thanksgiving");
            assertFalse(us.isWorkingDay(date("2026-07-03")), "4 July 2026 is a Saturday, observed on Friday");
            Instant wednesday = at("2026-11-25T15:00", NEW_YORK);
            assertEquals(at("2026-11-27T11:00", NEW_YORK), us.plusBusiness(wednesday, Duration.ofHours(4)));
        }

        @Test
        void newYorkSpringForwardWeekend() {
            WorkCalendar us = office(NEW_YORK, "us", null);
            Instant friday = at("2026-03-06T16:00", NEW_YORK);
            Instant monday = at("2026-03-09T10:00", NEW_YORK);
            assertEquals(monday, us.plusBusiness(friday, Duration.ofHours(2)));
            assertEquals(Duration.ofHours(65), Duration.between(friday, monday), "the weekend lost an hour");
        }

        @Test
        void sharedCalendarGivesTheSameAnswersFromManyThreads() {
            List<Instant> starts = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                starts.add(at("2025-01-01T08:00", BERLIN).plus(Duration.ofHours(23L * i)));
            }
            Duration tenDays = Duration.ofHours(80);
            WorkCalendar sequential = office(BERLIN, "de", "by");
            List<Instant> expected = starts.stream().map(s -> sequential.plusBusiness(s, tenDays)).toList();
            // A fresh calendar, so the per-year holiday cache is filled concurrently.
            WorkCalendar shared = office(BERLIN, "de", "by");
            assertEquals(expected, starts.parallelStream().map(s -> shared.plusBusiness(s, tenDays)).toList());
        }

        @Test
        void noWorkingTimeForTenYearsIsAClearError() {
            List<LocalDate> saturdays = new ArrayList<>();
            for (LocalDate d = date("2026-01-03"); d.isBefore(date("2037-01-01")); d = d.plusWeeks(1)) {
                saturdays.add(d);
            }
            WorkCalendar cal = WorkCalendar.of(officeHours("UTC", null, null)
                    .setWorkingDays(List.of(DayOfWeek.SATURDAY))
                    .setExtraHolidays(saturdays)
                    .build());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> cal.plusBusiness(utc("2026-01-01T00:00"), Duration.ofHours(1)));
            assertTrue(e.getMessage().contains("no working time"), e.getMessage());
        }
    }

    @Nested
    class DaylightSaving {

        /** Every day 01:00-05:00 in Berlin, so both DST jumps fall inside working hours. */
        private final WorkCalendar night = WorkCalendar.of(officeHours(BERLIN, null, null)
                .setWorkingDays(Calendars.EVERY_DAY)
                .setWorkStart(LocalTime.of(1, 0))
                .setWorkEnd(LocalTime.of(5, 0))
                .build());

        @Test
        void springForwardInsideWorkingHoursShortensTheDay() {
            assertEquals(Duration.ofHours(4), night.workingDay());
            assertEquals(Duration.ofHours(3),
                    night.businessBetween(at("2026-03-29T00:00", BERLIN), at("2026-03-30T00:00", BERLIN)));
            // 04:00-05:00 on Saturday, then one real hour from 01:00 CET on Sunday: 03:00 CEST.
            assertEquals(at("2026-03-29T03:00", BERLIN),
                    night.plusBusiness(at("2026-03-28T04:00", BERLIN), Duration.ofHours(2)));
        }

        @Test
        void fallBackInsideWorkingHoursLengthensTheDay() {
            assertEquals(Duration.ofHours(5),
                    night.businessBetween(at("2026-10-25T00:00", BERLIN), at("2026-10-26T00:00", BERLIN)));
            assertEquals(at("2026-10-25T05:00", BERLIN),
                    night.plusBusiness(at("2026-10-25T01:00", BERLIN), Duration.ofHours(5)));
        }

        @Test
        void officeHoursAreUnaffectedByANightTimeChange() {
            WorkCalendar berlin = office(BERLIN, "de", null);
            Instant friday = at("2026-03-27T16:00", BERLIN);
            assertEquals(at("2026-03-30T10:00", BERLIN), berlin.plusBusiness(friday, Duration.ofHours(2)));
            Instant octFriday = at("2026-10-23T16:00", BERLIN);
            assertEquals(at("2026-10-26T10:00", BERLIN), berlin.plusBusiness(octFriday, Duration.ofHours(2)));
            assertEquals(Duration.ofHours(2),
                    berlin.businessBetween(octFriday, at("2026-10-26T10:00", BERLIN)));
        }

        @Test
        void calendarDaysKeepTheLocalTimeOfDay() {
            WorkCalendar berlin = office(BERLIN, null, null);
            Instant saturday = at("2026-03-28T12:00", BERLIN);
            Instant sunday = berlin.plus(saturday, span(1, SpanUnit.DAYS, SpanClock.CALENDAR));
            assertEquals(at("2026-03-29T12:00", BERLIN), sunday);
            assertEquals(Duration.ofHours(23), Duration.between(saturday, sunday));
            assertEquals(Duration.ofHours(25), Duration.between(at("2026-10-24T12:00", BERLIN),
                    berlin.plus(at("2026-10-24T12:00", BERLIN), span(1, SpanUnit.DAYS, SpanClock.CALENDAR))));
        }
    }

    @Nested
    class Construction {

        private IllegalArgumentException rejected(BusinessCalendar.Builder builder) {
            return assertThrows(IllegalArgumentException.class, () -> WorkCalendar.of(builder.build()));
        }

        @Test
        void unknownZoneIsNamedWithExamples() {
            String message = rejected(officeHours("Mars/Olympus_Mons", null, null)).getMessage();
            assertTrue(message.contains("'Mars/Olympus_Mons'") && message.contains("Europe/Berlin"), message);
        }

        @Test
        void unknownCountryListsAcceptedCodes() {
            String message = rejected(officeHours("UTC", "zz", null)).getMessage();
            assertTrue(message.contains("'zz'") && message.contains("de") && message.contains("us"), message);
        }

        @Test
        void unknownSubdivisionListsTheCountrysSubdivisions() {
            String message = rejected(officeHours(BERLIN, "de", "xx")).getMessage();
            assertTrue(message.contains("'xx'") && message.contains("by"), message);
        }

        @Test
        void subdivisionWithoutCountryIsRejected() {
            String message = rejected(officeHours(BERLIN, null, "by")).getMessage();
            assertTrue(message.contains("needs a holiday_country"), message);
        }

        @Test
        void overnightShiftIsRejected() {
            String message = rejected(officeHours("UTC", null, null)
                    .setWorkStart(LocalTime.of(22, 0))
                    .setWorkEnd(LocalTime.of(6, 0))).getMessage();
            assertTrue(message.contains("work_end 06:00 must be after work_start 22:00")
                    && message.contains("overnight"), message);
        }

        @Test
        void emptyWorkingDaysAreRejected() {
            String message = rejected(officeHours("UTC", null, null).setWorkingDays(List.of())).getMessage();
            assertTrue(message.contains("working_days is empty"), message);
        }

        @Test
        void everyProblemIsReportedAtOnce() {
            String message = rejected(officeHours("Nowhere/Town", "zz", null).setWorkingDays(List.of())).getMessage();
            assertTrue(message.contains("zone") && message.contains("holiday_country")
                    && message.contains("working_days"), message);
        }
    }
}

package dev.handoff.schemas.calendar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.avro.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/** Invariants of business-time arithmetic over calendars with holidays, odd hours and DST changes. */
class WorkCalendarPropertiesTest {

    private static final Instant FROM = Instant.parse("2025-01-01T00:00:00Z");
    private static final Instant TO = Instant.parse("2029-01-01T00:00:00Z");
    private static final long SIXTY_DAYS_OF_EIGHT_HOURS_MS = Duration.ofHours(8 * 60).toMillis();

    /** Built once: calendars are immutable and share their holiday caches across tries. */
    private static final List<WorkCalendar> CALENDARS = List.of(
            Calendars.utcOffice(),
            Calendars.office("Europe/Berlin", "de", "by"),
            Calendars.office("America/New_York", "us", null),
            WorkCalendar.of(Calendars.officeHours("Asia/Kolkata", "in", null)
                    .setWorkingDays(List.of(DayOfWeek.SUNDAY, DayOfWeek.MONDAY, DayOfWeek.TUESDAY,
                            DayOfWeek.WEDNESDAY, DayOfWeek.THURSDAY))
                    .setWorkStart(LocalTime.of(8, 30))
                    .setWorkEnd(LocalTime.of(12, 15))
                    .setExtraHolidays(List.of(LocalDate.of(2026, 2, 2), LocalDate.of(2027, 6, 7)))
                    .build()),
            // Night hours in Berlin put every DST jump inside working time.
            WorkCalendar.of(Calendars.officeHours("Europe/Berlin", null, null)
                    .setWorkingDays(Calendars.EVERY_DAY)
                    .setWorkStart(LocalTime.of(1, 30))
                    .setWorkEnd(LocalTime.of(3, 30))
                    .build()));

    @Provide
    Arbitrary<WorkCalendar> calendars() {
        return Arbitraries.of(CALENDARS);
    }

    @Provide
    Arbitrary<Instant> instants() {
        Arbitrary<Instant> any = Arbitraries.longs().between(FROM.toEpochMilli(), TO.toEpochMilli())
                .map(Instant::ofEpochMilli);
        // Quarter hours hit period boundaries exactly, where off-by-one mistakes live.
        Arbitrary<Instant> onTheQuarter = Arbitraries.longs().between(0, Duration.between(FROM, TO).toMinutes() / 15)
                .map(q -> FROM.plus(Duration.ofMinutes(15 * q)));
        return Arbitraries.frequencyOf(Tuple.of(3, any), Tuple.of(2, onTheQuarter));
    }

    @Provide
    Arbitrary<Duration> businessTimes() {
        Arbitrary<Duration> any = Arbitraries.longs().between(0, SIXTY_DAYS_OF_EIGHT_HOURS_MS).map(Duration::ofMillis);
        Arbitrary<Duration> wholeHours = Arbitraries.longs().between(0, 8 * 60).map(Duration::ofHours);
        return Arbitraries.oneOf(any, wholeHours, Arbitraries.just(Duration.ZERO));
    }

    @Property(tries = 300)
    void businessTimeAddedIsBusinessTimeMeasured(@ForAll("calendars") WorkCalendar cal,
                                                 @ForAll("instants") Instant start,
                                                 @ForAll("businessTimes") Duration d) {
        assertEquals(d, cal.businessBetween(start, cal.plusBusiness(start, d)));
    }

    @Property(tries = 300)
    void plusBusinessIsMonotonicInTheDuration(@ForAll("calendars") WorkCalendar cal,
                                              @ForAll("instants") Instant start,
                                              @ForAll("businessTimes") Duration a,
                                              @ForAll("businessTimes") Duration b) {
        Duration shorter = a.compareTo(b) <= 0 ? a : b;
        Duration longer = a.compareTo(b) <= 0 ? b : a;
        Instant early = cal.plusBusiness(start, shorter);
        Instant late = cal.plusBusiness(start, longer);
        assertFalse(late.isBefore(early), () -> early + " for " + shorter + " but " + late + " for " + longer);
        assertFalse(early.isBefore(start));
    }

    @Property(tries = 300)
    void businessBetweenIsAdditive(@ForAll("calendars") WorkCalendar cal,
                                   @ForAll("instants") Instant x,
                                   @ForAll("instants") Instant y,
                                   @ForAll("instants") Instant z) {
        List<Instant> sorted = Stream.of(x, y, z).sorted().toList();
        Instant a = sorted.get(0);
        Instant b = sorted.get(1);
        Instant c = sorted.get(2);
        assertEquals(cal.businessBetween(a, c), cal.businessBetween(a, b).plus(cal.businessBetween(b, c)));
        assertTrue(cal.businessBetween(a, c).compareTo(Duration.between(a, c)) <= 0);
    }

    @Property(tries = 300)
    void positiveBusinessTimeEndsInsideOrAtTheCloseOfAWorkingPeriod(@ForAll("calendars") WorkCalendar cal,
                                                                    @ForAll("instants") Instant start,
                                                                    @ForAll("businessTimes") Duration d) {
        if (d.isZero()) {
            return;
        }
        Instant end = cal.plusBusiness(start, d);
        Instant justBefore = end.minusNanos(1);
        // Either inside working time, or exactly at a close: then the nanosecond before was working time.
        assertTrue(cal.isWorkingTime(end) || cal.isWorkingTime(justBefore), () -> "ended outside work at " + end);
        assertTrue(cal.isWorkingTime(justBefore),
                () -> "ended at a period start instead of the previous close: " + end);
        assertTrue(cal.isWorkingDay(LocalDate.ofInstant(justBefore, cal.zone())), () -> "ended on a day off: " + end);
    }

    @Property(tries = 300)
    void zeroBusinessTimeIsTheStartOfTheClock(@ForAll("calendars") WorkCalendar cal,
                                              @ForAll("instants") Instant start) {
        Instant clockStart = cal.plusBusiness(start, Duration.ZERO);
        if (cal.isWorkingTime(start)) {
            assertEquals(start, clockStart);
        } else {
            assertTrue(clockStart.isAfter(start));
            assertTrue(cal.isWorkingTime(clockStart));
            assertEquals(Duration.ZERO, cal.businessBetween(start, clockStart));
        }
    }

    @Property(tries = 300)
    void addingWhatWasMeasuredLandsOnTheLastWorkingInstant(@ForAll("calendars") WorkCalendar cal,
                                                           @ForAll("instants") Instant x,
                                                           @ForAll("instants") Instant y) {
        Instant a = x.isBefore(y) ? x : y;
        Instant b = x.isBefore(y) ? y : x;
        Duration measured = cal.businessBetween(a, b);
        Instant back = cal.plusBusiness(a, measured);
        // At a period's opening the same working time has elapsed as at the previous close, and
        // plusBusiness answers the earliest such instant: the close (documented on WorkCalendar).
        boolean opening = cal.isWorkingTime(b) && !cal.isWorkingTime(b.minusMillis(1));
        if (cal.isWorkingTime(b) && !(opening && !measured.isZero())) {
            assertEquals(b, back);
        } else if (!measured.isZero()) {
            // Landed on the last close before b: nothing of [back, b) is working time.
            assertFalse(back.isAfter(b));
            assertEquals(Duration.ZERO, cal.businessBetween(back, b));
        }
    }
}

package dev.handoff.schemas.calendar;

import dev.handoff.avro.BusinessCalendar;
import dev.handoff.avro.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;

/** Calendars and local-time helpers shared by the SLA tests. */
final class Calendars {

    static final List<DayOfWeek> WEEKDAYS = List.of(DayOfWeek.MONDAY, DayOfWeek.TUESDAY, DayOfWeek.WEDNESDAY,
            DayOfWeek.THURSDAY, DayOfWeek.FRIDAY);
    static final List<DayOfWeek> EVERY_DAY = List.of(DayOfWeek.values());

    private Calendars() {
    }

    static BusinessCalendar.Builder officeHours(String zone, String country, String subdivision) {
        return WorkCalendar.officeHours(zone, country, subdivision);
    }

    static WorkCalendar office(String zone, String country, String subdivision) {
        return WorkCalendar.of(officeHours(zone, country, subdivision).build());
    }

    static WorkCalendar utcOffice() {
        return office("UTC", null, null);
    }

    /** The instant of a local date-time given as "2026-01-09T16:00" in {@code zone}. */
    static Instant at(String localDateTime, String zone) {
        return LocalDateTime.parse(localDateTime).atZone(ZoneId.of(zone)).toInstant();
    }

    static Instant utc(String localDateTime) {
        return at(localDateTime, "UTC");
    }

    static LocalDate date(String isoDate) {
        return LocalDate.parse(isoDate);
    }
}

package dev.handoff.streams.sla;

import dev.handoff.avro.BusinessCalendar;
import dev.handoff.avro.DayOfWeek;
import dev.handoff.schemas.calendar.WorkCalendar;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;

/** Calendars and local-time helpers shared by the SLA tests. */
final class Calendars {

    static final List<DayOfWeek> EVERY_DAY = List.of(DayOfWeek.values());

    private Calendars() {
    }

    static BusinessCalendar.Builder officeHours(String zone, String country, String subdivision) {
        return WorkCalendar.officeHours(zone, country, subdivision);
    }

    static WorkCalendar utcOffice() {
        return WorkCalendar.of(officeHours("UTC", null, null).build());
    }

    /** The instant of a local date-time given as "2026-01-09T16:00" in {@code zone}. */
    static Instant at(String localDateTime, String zone) {
        return LocalDateTime.parse(localDateTime).atZone(ZoneId.of(zone)).toInstant();
    }

    static Instant utc(String localDateTime) {
        return at(localDateTime, "UTC");
    }
}

package dev.handoff.streams.metrics;

import dev.handoff.avro.WindowGranularity;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.TemporalAdjusters;

/** Window boundaries in the workspace zone: a day, the ISO week (Monday first) or the calendar month holding a day. */
public final class Windows {

    private Windows() {
    }

    /** The first day of the window of {@code granularity} holding {@code day}. */
    public static LocalDate firstDay(WindowGranularity granularity, LocalDate day) {
        return switch (granularity) {
            case DAY -> day;
            case WEEK -> day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
            case MONTH -> day.withDayOfMonth(1);
        };
    }

    /** The last day (inclusive) of the window of {@code granularity} holding {@code day}. */
    public static LocalDate lastDay(WindowGranularity granularity, LocalDate day) {
        return switch (granularity) {
            case DAY -> day;
            case WEEK -> firstDay(granularity, day).plusDays(6);
            case MONTH -> day.with(TemporalAdjusters.lastDayOfMonth());
        };
    }

    public static Instant start(LocalDate day, ZoneId zone) {
        return day.atStartOfDay(zone).toInstant();
    }

    /** The exclusive end of {@code lastDay}: the start of the next day. */
    public static Instant end(LocalDate lastDay, ZoneId zone) {
        return lastDay.plusDays(1).atStartOfDay(zone).toInstant();
    }

    public static CohortAccumulator.Window window(WindowGranularity granularity, LocalDate day, ZoneId zone, CohortKey series) {
        LocalDate first = firstDay(granularity, day);
        return new CohortAccumulator.Window(granularity, start(first, zone), end(lastDay(granularity, day), zone),
                series.band(), series.dimension(), series.key());
    }
}

package dev.handoff.schemas.calendar;

import de.focus_shift.jollyday.core.Holiday;
import de.focus_shift.jollyday.core.HolidayManager;
import de.focus_shift.jollyday.core.HolidayType;
import de.focus_shift.jollyday.core.ManagerParameters;
import dev.handoff.avro.BusinessCalendar;
import dev.handoff.avro.SlaSpan;
import dev.handoff.avro.SpanClock;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.Year;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Collectors;

/**
 * The working time of an SLA policy (zone, working days and hours, holidays) and business-time arithmetic on it.
 *
 * <h2>Working periods</h2>
 * Each working day (a working weekday that is neither a holiday of the configured country/subdivision nor an extra
 * holiday) has one working period, the half-open interval {@code [work_start, work_end)} of local wall-clock time in
 * the calendar's zone. Business time is the real elapsed time inside working periods. Country holidays come from
 * jollyday: public and bank holidays (not mere observances), on the date they are observed (a Saturday 4 July in the
 * US is off on Friday 3 July).
 *
 * <h2>Daylight saving time</h2>
 * The ends of a working period are resolved like {@link ZonedDateTime#of}: a wall time that falls in a DST gap moves
 * forward by the length of the gap, a wall time in an overlap takes the earlier offset. The period then counts the real
 * elapsed time between these two instants. A DST jump outside working hours (the usual case, at night) changes nothing;
 * a jump inside working hours makes that day shorter (spring) or longer (autumn) than {@link #workingDay()} by the
 * size of the jump.
 * A day whose start is pushed past its end by a gap has no working time.
 *
 * <h2>Boundaries</h2>
 * {@link #plusBusiness(Instant, Duration)} returns the earliest instant {@code t >= start} at which
 * {@code businessTime} of working time has elapsed, counted from the first working instant at or after
 * {@code start}. Consequences:
 * <ul>
 *   <li>starting outside working hours counts from the start of the next working period;</li>
 *   <li>a zero duration returns {@code start} when it is working time, else the start of the next working period
 *       (the moment the clock starts running);</li>
 *   <li>a positive duration ends inside a working period or exactly at its end, never at the start of the next one
 *       (Friday 13:00 + 4 h with 09:00-17:00 is Friday 17:00; one business day from Tuesday 09:00 is
 *       Tuesday 17:00, from Tuesday 10:00 it is Wednesday 10:00);</li>
 *   <li>{@code businessBetween(start, plusBusiness(start, d)) == d} for every start and every {@code d >= 0}.</li>
 * </ul>
 *
 * <p>Instances are immutable and thread-safe; holiday sets are computed per year on first use and cached.
 */
public final class WorkCalendar {

    /** A search that meets no working time for this long stops: the calendar is effectively empty. */
    private static final int MAX_DAYS_WITHOUT_WORK = 3660;

    private final ZoneId zone;
    private final Set<DayOfWeek> workingDays;
    private final LocalTime workStart;
    private final LocalTime workEnd;
    private final HolidayManager holidayManager;
    private final String[] holidayRegion;
    private final String holidayLabel;
    private final Set<LocalDate> extraHolidays;
    private final ConcurrentMap<Integer, Set<LocalDate>> holidaysByYear = new ConcurrentHashMap<>();

    private WorkCalendar(ZoneId zone, Set<DayOfWeek> workingDays, LocalTime workStart, LocalTime workEnd,
                         HolidayManager holidayManager, String[] holidayRegion, String holidayLabel,
                         Set<LocalDate> extraHolidays) {
        this.zone = zone;
        this.workingDays = Collections.unmodifiableSet(EnumSet.copyOf(workingDays));
        this.workStart = workStart;
        this.workEnd = workEnd;
        this.holidayManager = holidayManager;
        this.holidayRegion = holidayRegion;
        this.holidayLabel = holidayLabel;
        this.extraHolidays = Set.copyOf(extraHolidays);
    }

    /** Office hours: Monday to Friday, 09:00-17:00 in {@code zone}, with the public holidays of a country (null for none). */
    public static BusinessCalendar.Builder officeHours(String zone, String country, String subdivision) {
        return BusinessCalendar.newBuilder()
                .setZone(zone)
                .setWorkingDays(List.of(dev.handoff.avro.DayOfWeek.MONDAY, dev.handoff.avro.DayOfWeek.TUESDAY,
                        dev.handoff.avro.DayOfWeek.WEDNESDAY, dev.handoff.avro.DayOfWeek.THURSDAY, dev.handoff.avro.DayOfWeek.FRIDAY))
                .setWorkStart(LocalTime.of(9, 0))
                .setWorkEnd(LocalTime.of(17, 0))
                .setHolidayCountry(country)
                .setHolidaySubdivision(subdivision)
                .setExtraHolidays(List.of());
    }

    /**
     * Builds a calendar from its Avro form.
     *
     * @throws IllegalArgumentException listing every problem: unknown zone, country or subdivision, no working days,
     *                                  work_end not after work_start
     */
    public static WorkCalendar of(BusinessCalendar calendar) {
        List<String> problems = new ArrayList<>();
        WorkCalendar parsed = parse(calendar, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Invalid business calendar: " + String.join("; ", problems));
        }
        return parsed;
    }

    /** Every problem of an Avro calendar, each prefixed with the field it concerns; empty when it is usable. */
    public static List<String> problems(BusinessCalendar calendar) {
        List<String> problems = new ArrayList<>();
        parse(calendar, problems);
        return problems;
    }

    private static WorkCalendar parse(BusinessCalendar c, List<String> problems) {
        if (c == null) {
            problems.add("calendar is missing; give a zone, working days and working hours");
            return null;
        }
        ZoneId zone = parseZone(c.getZone(), problems);
        Set<DayOfWeek> days = parseWorkingDays(c.getWorkingDays(), problems);
        checkHours(c.getWorkStart(), c.getWorkEnd(), problems);
        HolidayManager manager = null;
        String[] region = new String[0];
        String country = trimToNull(c.getHolidayCountry());
        String subdivision = trimToNull(c.getHolidaySubdivision());
        if (country != null) {
            manager = holidayManager(country, problems);
            if (manager != null && subdivision != null) {
                region = subdivision(manager, country, subdivision, problems);
            }
        } else if (subdivision != null) {
            problems.add("calendar.holiday_subdivision '" + subdivision
                    + "' needs a holiday_country; set the country it belongs to (for example 'de' for 'by')");
        }
        Set<LocalDate> extra = parseExtraHolidays(c.getExtraHolidays(), problems);
        if (!problems.isEmpty()) {
            return null;
        }
        String label = country == null ? "none" : country.toLowerCase(Locale.ROOT)
                + (region.length == 0 ? "" : "/" + String.join("/", region));
        return new WorkCalendar(zone, days, c.getWorkStart(), c.getWorkEnd(), manager, region, label, extra);
    }

    private static ZoneId parseZone(String zone, List<String> problems) {
        String hint = "use an IANA time zone id such as 'Europe/Berlin', 'America/New_York' or 'UTC'";
        if (zone == null || zone.isBlank()) {
            problems.add("calendar.zone is missing; " + hint);
            return null;
        }
        try {
            return ZoneId.of(zone.trim());
        } catch (DateTimeException e) {
            problems.add("calendar.zone '" + zone + "' is not a known time zone; " + hint);
            return null;
        }
    }

    private static Set<DayOfWeek> parseWorkingDays(List<dev.handoff.avro.DayOfWeek> days, List<String> problems) {
        Set<DayOfWeek> result = EnumSet.noneOf(DayOfWeek.class);
        if (days != null) {
            for (dev.handoff.avro.DayOfWeek day : days) {
                if (day == null) {
                    problems.add("calendar.working_days contains an empty entry; list days MONDAY..SUNDAY");
                } else {
                    result.add(DayOfWeek.valueOf(day.name()));
                }
            }
        }
        if (result.isEmpty()) {
            problems.add("calendar.working_days is empty; list at least one working day, for example MONDAY..FRIDAY");
        }
        return result;
    }

    private static void checkHours(LocalTime start, LocalTime end, List<String> problems) {
        if (start == null || end == null) {
            problems.add("calendar.work_start and calendar.work_end are both required, for example 09:00 and 17:00");
        } else if (!end.isAfter(start)) {
            problems.add("calendar.work_end " + end + " must be after work_start " + start
                    + " on the same day; overnight shifts are not supported");
        }
    }

    private static HolidayManager holidayManager(String country, List<String> problems) {
        Set<String> supported = new TreeSet<>();
        HolidayManager.getSupportedCalendarCodes().forEach(code -> supported.add(code.toLowerCase(Locale.ROOT)));
        String code = country.toLowerCase(Locale.ROOT);
        if (!supported.contains(code)) {
            problems.add("calendar.holiday_country '" + country + "' has no holiday calendar in jollyday; "
                    + "use an ISO 3166-1 alpha-2 code, one of " + supported);
            return null;
        }
        return HolidayManager.getInstance(ManagerParameters.create(code));
    }

    private static String[] subdivision(HolidayManager manager, String country, String subdivision,
                                        List<String> problems) {
        String code = subdivision.toLowerCase(Locale.ROOT);
        // Accept the full ISO 3166-2 form ("DE-BY") as well as the bare subdivision ("by").
        String prefix = country.toLowerCase(Locale.ROOT) + "-";
        if (code.startsWith(prefix)) {
            code = code.substring(prefix.length());
        }
        Set<String> known = new TreeSet<>(manager.getCalendarHierarchy().getChildren().keySet());
        if (!known.contains(code)) {
            problems.add("calendar.holiday_subdivision '" + subdivision + "' is not a subdivision of '" + country
                    + "' in jollyday; use one of " + (known.isEmpty() ? "none (leave it empty)" : known));
            return new String[0];
        }
        return new String[] {code};
    }

    private static Set<LocalDate> parseExtraHolidays(List<LocalDate> dates, List<String> problems) {
        Set<LocalDate> result = new HashSet<>();
        if (dates != null) {
            for (LocalDate date : dates) {
                if (date == null) {
                    problems.add("calendar.extra_holidays contains an empty entry; list dates only");
                } else {
                    result.add(date);
                }
            }
        }
        return result;
    }

    private static String trimToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** The calendar's time zone. */
    public ZoneId zone() {
        return zone;
    }

    /** One business day: the nominal length of a working period, work_end − work_start. */
    public Duration workingDay() {
        return Duration.between(workStart, workEnd);
    }

    /** Whether {@code date} is a working weekday that is neither a public nor an extra holiday. */
    public boolean isWorkingDay(LocalDate date) {
        return workingDays.contains(date.getDayOfWeek()) && !holidays(date.getYear()).contains(date);
    }

    /** Whether {@code t} lies inside a working period {@code [work_start, work_end)} of a working day. */
    public boolean isWorkingTime(Instant t) {
        LocalDate date = LocalDate.ofInstant(t, zone);
        return contains(periodOn(date), t) || contains(periodOn(date.minusDays(1)), t);
    }

    /**
     * The instant at which {@code businessTime} of working time has elapsed after {@code start}; see the class
     * documentation for the exact boundary rules.
     *
     * @throws IllegalArgumentException if businessTime is negative
     * @throws IllegalStateException    if the calendar has no working time for ten years after some point of the search
     */
    public Instant plusBusiness(Instant start, Duration businessTime) {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(businessTime, "businessTime");
        if (businessTime.isNegative()) {
            throw new IllegalArgumentException("businessTime must not be negative, was " + businessTime);
        }
        Duration remaining = businessTime;
        // The day before, because a period whose end sits in a DST gap can reach past local midnight.
        LocalDate idleSince = LocalDate.ofInstant(start, zone).minusDays(1);
        for (LocalDate date = idleSince; ; date = date.plusDays(1)) {
            Period period = periodOn(date);
            if (period == null || !period.end().isAfter(start)) {
                if (date.isAfter(idleSince.plusDays(MAX_DAYS_WITHOUT_WORK))) {
                    throw new IllegalStateException("Business calendar " + this + " has no working time from "
                            + idleSince + " to " + date + "; check working_days, working hours and holidays");
                }
                continue;
            }
            idleSince = date.plusDays(1);
            Instant from = max(period.start(), start);
            Duration available = Duration.between(from, period.end());
            if (remaining.compareTo(available) <= 0) {
                return from.plus(remaining);
            }
            remaining = remaining.minus(available);
        }
    }

    /** Working time in {@code [a, b)}; zero when {@code b <= a}. */
    public Duration businessBetween(Instant a, Instant b) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        if (!b.isAfter(a)) {
            return Duration.ZERO;
        }
        Duration total = Duration.ZERO;
        LocalDate last = LocalDate.ofInstant(b, zone);
        for (LocalDate date = LocalDate.ofInstant(a, zone).minusDays(1); !date.isAfter(last); date = date.plusDays(1)) {
            Period period = periodOn(date);
            if (period == null) {
                continue;
            }
            Instant from = max(period.start(), a);
            Instant to = min(period.end(), b);
            if (to.isAfter(from)) {
                total = total.plus(Duration.between(from, to));
            }
        }
        return total;
    }

    /**
     * The end of {@code span} started at {@code start}. BUSINESS spans run on working time (a day is
     * {@link #workingDay()}); CALENDAR minutes and hours are plain elapsed time, CALENDAR days keep the local
     * time of day in the zone (so a day across a DST change is 23 or 25 hours).
     */
    public Instant plus(Instant start, SlaSpan span) {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(span, "span");
        if (span.getClock() == SpanClock.BUSINESS) {
            return plusBusiness(start, businessLength(span));
        }
        return switch (span.getUnit()) {
            case MINUTES -> start.plus(Duration.ofMinutes(span.getAmount()));
            case HOURS -> start.plus(Duration.ofHours(span.getAmount()));
            case DAYS -> start.atZone(zone).plusDays(span.getAmount()).toInstant();
        };
    }

    /** Time elapsed from {@code from} to {@code to} on the given clock; zero when {@code to <= from}. */
    public Duration elapsed(Instant from, Instant to, SpanClock clock) {
        if (clock == SpanClock.BUSINESS) {
            return businessBetween(from, to);
        }
        return to.isAfter(from) ? Duration.between(from, to) : Duration.ZERO;
    }

    /** The working time a BUSINESS span stands for; a day is {@link #workingDay()}. */
    public Duration businessLength(SlaSpan span) {
        return switch (span.getUnit()) {
            case MINUTES -> Duration.ofMinutes(span.getAmount());
            case HOURS -> Duration.ofHours(span.getAmount());
            case DAYS -> workingDay().multipliedBy(span.getAmount());
        };
    }

    private Period periodOn(LocalDate date) {
        if (!isWorkingDay(date)) {
            return null;
        }
        Instant start = ZonedDateTime.of(date, workStart, zone).toInstant();
        Instant end = ZonedDateTime.of(date, workEnd, zone).toInstant();
        return end.isAfter(start) ? new Period(start, end) : null;
    }

    private Set<LocalDate> holidays(int year) {
        return holidaysByYear.computeIfAbsent(year, this::loadHolidays);
    }

    private Set<LocalDate> loadHolidays(int year) {
        Set<LocalDate> result = new HashSet<>();
        for (LocalDate date : extraHolidays) {
            if (date.getYear() == year) {
                result.add(date);
            }
        }
        if (holidayManager != null) {
            // Observed dates can cross the new year (a Saturday 1 January observed on 31 December), so the
            // neighbouring years are read too.
            for (int y = year - 1; y <= year + 1; y++) {
                for (Holiday holiday : holidayManager.getHolidays(Year.of(y), holidayRegion)) {
                    LocalDate dayOff = holiday.getDate();
                    if (holiday.getType() != HolidayType.OBSERVANCE && dayOff.getYear() == year) {
                        result.add(dayOff);
                    }
                }
            }
        }
        return Set.copyOf(result);
    }

    private static boolean contains(Period period, Instant t) {
        return period != null && !t.isBefore(period.start()) && t.isBefore(period.end());
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    @Override
    public String toString() {
        String days = workingDays.stream()
                .map(d -> d.name().substring(0, 3))
                .collect(Collectors.joining(","));
        return "WorkCalendar[" + zone + " " + days + " " + workStart + "-" + workEnd
                + ", holidays " + holidayLabel + ", " + extraHolidays.size() + " extra]";
    }

    private record Period(Instant start, Instant end) {
    }
}

package dev.handoff.streams.sla;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ReminderScheduleTest {

    private static final Instant DEADLINE = Instant.parse("2026-01-05T14:00:00Z");

    private static Instant hoursAfterDeadline(long hours) {
        return DEADLINE.plus(Duration.ofHours(hours));
    }

    @Test
    void defaultSpacingDoublesThenCapsAtADay() {
        ReminderSchedule s = ReminderSchedule.defaults();
        // Spacing 1, 2, 4, 8, 16, then 24 h each.
        long[] expectedHours = {1, 3, 7, 15, 31, 55, 79, 103, 127, 151};
        for (int n = 1; n <= expectedHours.length; n++) {
            assertEquals(Optional.of(hoursAfterDeadline(expectedHours[n - 1])), s.nth(DEADLINE, n), "reminder " + n);
        }
    }

    @Test
    void defaultsStopAfterTenReminders() {
        assertTrue(ReminderSchedule.defaults().nth(DEADLINE, 11).isEmpty());
        assertTrue(ReminderSchedule.defaults().nth(DEADLINE, Integer.MAX_VALUE).isEmpty());
    }

    @Test
    void capAppliesToASpacingThatWouldOvershoot() {
        ReminderSchedule s = new ReminderSchedule(Duration.ofMinutes(10), 3.0, Duration.ofHours(1), 4);
        // Spacing 10, 30, then 90 capped to 60, 60.
        assertEquals(Optional.of(DEADLINE.plus(Duration.ofMinutes(10))), s.nth(DEADLINE, 1));
        assertEquals(Optional.of(DEADLINE.plus(Duration.ofMinutes(40))), s.nth(DEADLINE, 2));
        assertEquals(Optional.of(DEADLINE.plus(Duration.ofMinutes(100))), s.nth(DEADLINE, 3));
        assertEquals(Optional.of(DEADLINE.plus(Duration.ofMinutes(160))), s.nth(DEADLINE, 4));
        assertTrue(s.nth(DEADLINE, 5).isEmpty());
    }

    @Test
    void factorOneGivesEvenSpacing() {
        ReminderSchedule s = new ReminderSchedule(Duration.ofMinutes(30), 1.0, Duration.ofHours(2), 1000);
        assertEquals(Optional.of(DEADLINE.plus(Duration.ofMinutes(30 * 1000))), s.nth(DEADLINE, 1000));
    }

    @Test
    void reminderNumbersStartAtOne() {
        assertThrows(IllegalArgumentException.class, () -> ReminderSchedule.defaults().nth(DEADLINE, 0));
    }

    @Test
    void badParametersAreRejectedByName() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new ReminderSchedule(Duration.ZERO, 2.0, Duration.ofHours(1), 3)).getMessage()
                .contains("first reminder spacing must be positive"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new ReminderSchedule(Duration.ofHours(1), 0.5, Duration.ofHours(2), 3)).getMessage()
                .contains("factor"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new ReminderSchedule(Duration.ofHours(2), 2.0, Duration.ofHours(1), 3)).getMessage()
                .contains("max spacing"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new ReminderSchedule(Duration.ofHours(1), 2.0, Duration.ofHours(2), -1)).getMessage()
                .contains("maxReminders"));
    }

    @Property(tries = 200)
    void spacingNeverShrinksAndNeverExceedsTheCap(@ForAll @IntRange(min = 1, max = 600) int firstMinutes,
                                                  @ForAll @DoubleRange(min = 1.0, max = 4.0) double factor,
                                                  @ForAll @IntRange(min = 0, max = 2000) int extraMinutes,
                                                  @ForAll @IntRange(min = 2, max = 40) int reminders) {
        Duration first = Duration.ofMinutes(firstMinutes);
        Duration max = first.plusMinutes(extraMinutes);
        ReminderSchedule s = new ReminderSchedule(first, factor, max, reminders);
        Instant previous = DEADLINE;
        Duration previousSpacing = Duration.ZERO;
        for (int n = 1; n <= reminders; n++) {
            Instant next = s.nth(DEADLINE, n).orElseThrow();
            Duration spacing = Duration.between(previous, next);
            assertTrue(spacing.compareTo(max) <= 0, "spacing above max");
            // Allow the nanosecond of rounding between growing spacings.
            assertTrue(spacing.plusNanos(1).compareTo(previousSpacing) >= 0, "spacing shrank");
            previous = next;
            previousSpacing = spacing;
        }
        assertTrue(s.nth(DEADLINE, reminders + 1).isEmpty());
    }
}

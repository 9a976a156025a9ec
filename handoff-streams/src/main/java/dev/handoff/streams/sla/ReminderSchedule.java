package dev.handoff.streams.sla;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * When to repeat an alert after an SLA breach: the first reminder {@code first} after the deadline, each following
 * spacing {@code factor} times the previous one but never more than {@code max}, and at most {@code maxReminders}.
 *
 * @param first        spacing between the deadline and the first reminder; positive
 * @param factor       growth of the spacing from one reminder to the next; at least 1
 * @param max          largest spacing; at least {@code first} and at most 365 days
 * @param maxReminders how many reminders at most; 0 to 10,000
 */
public record ReminderSchedule(Duration first, double factor, Duration max, int maxReminders) {

    private static final Duration MAX_SPACING = Duration.ofDays(365);
    private static final int MAX_REMINDERS = 10_000;

    /** Validates the parameters, naming the one that is wrong. */
    public ReminderSchedule {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(max, "max");
        if (first.isNegative() || first.isZero()) {
            throw new IllegalArgumentException("first reminder spacing must be positive, was " + first);
        }
        if (!(factor >= 1.0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException(
                    "factor must be a finite number of at least 1 (spacing never shrinks), was " + factor);
        }
        if (max.compareTo(first) < 0 || max.compareTo(MAX_SPACING) > 0) {
            throw new IllegalArgumentException("max spacing must be between first (" + first + ") and " + MAX_SPACING
                    + ", was " + max);
        }
        if (maxReminders < 0 || maxReminders > MAX_REMINDERS) {
            throw new IllegalArgumentException("maxReminders must be between 0 and " + MAX_REMINDERS + ", was "
                    + maxReminders);
        }
    }

    /** First reminder one hour after the deadline, spacing doubling up to 24 hours, ten reminders. */
    public static ReminderSchedule defaults() {
        return new ReminderSchedule(Duration.ofHours(1), 2.0, Duration.ofHours(24), 10);
    }

    /**
     * The time of the {@code n}-th reminder after {@code deadline}, empty beyond {@link #maxReminders()}.
     *
     * @throws IllegalArgumentException if n is below 1
     */
    public Optional<Instant> nth(Instant deadline, int n) {
        Objects.requireNonNull(deadline, "deadline");
        if (n < 1) {
            throw new IllegalArgumentException("reminders are numbered from 1, was " + n);
        }
        if (n > maxReminders) {
            return Optional.empty();
        }
        Duration offset = Duration.ZERO;
        double spacingNanos = first.toNanos();
        for (int k = 1; k <= n; k++) {
            boolean capped = spacingNanos >= max.toNanos();
            if (capped || factor == 1.0) {
                // The spacing no longer changes, so the remaining reminders are evenly spaced.
                Duration spacing = capped ? max : first;
                return Optional.of(deadline.plus(offset).plus(spacing.multipliedBy(n - k + 1L)));
            }
            offset = offset.plusNanos(Math.round(spacingNanos));
            spacingNanos *= factor;
        }
        return Optional.of(deadline.plus(offset));
    }
}

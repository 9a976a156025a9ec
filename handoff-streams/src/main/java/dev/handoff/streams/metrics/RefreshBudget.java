package dev.handoff.streams.metrics;

/**
 * Keeps a periodic job to a share of its thread's time: after a run that took {@code d} milliseconds, runs
 * are refused until {@code d / share} has passed on the job's own clock (the punctuation time). Measured on
 * the job's clock, not the machine's, so a test driving the clock by hand sees every run of a fast job.
 */
final class RefreshBudget {

    private final double share;
    private long notBefore = Long.MIN_VALUE;

    RefreshBudget(double share) {
        this.share = checked(share);
    }

    boolean allows(long now) {
        return now >= notBefore;
    }

    void ran(long startedAt, long tookMs) {
        ran(startedAt, tookMs, share);
    }

    /** As {@link #ran(long, long)}, for a run allowed another share of the time (catching up with nothing else to do). */
    void ran(long startedAt, long tookMs, double runShare) {
        notBefore = startedAt + (long) Math.ceil(Math.max(0, tookMs) / checked(runShare));
    }

    private static double checked(double share) {
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("share must be in (0, 1], was " + share);
        }
        return share;
    }
}

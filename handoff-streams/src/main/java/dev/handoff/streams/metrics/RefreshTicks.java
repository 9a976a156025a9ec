package dev.handoff.streams.metrics;

import java.time.Duration;
import java.util.function.LongPredicate;

/**
 * When a metrics refresh runs: every refresh interval, and, once a run has left work behind and no input has arrived
 * for {@link #QUIET_AFTER}, at every tick between (the input has been consumed, so catching up slows nothing down).
 * Each run keeps to a share of its task's time ({@link RefreshBudget}). Shared by both halves of the metrics.
 */
final class RefreshTicks {

    /**
     * The tick: how often a refresh that left work behind may run again. With one run per interval, 200 cohorts per
     * 10 s, the end-to-end bench's rows caught up for over five minutes after its million events were consumed, with
     * the machine idle.
     */
    static final Duration TICK = Duration.ofMillis(250);
    /** How long no input may have arrived before the refresh catches up: the input has been consumed. */
    static final Duration QUIET_AFTER = Duration.ofSeconds(1);
    /**
     * Share of the task's time a regular refresh may take. On a backlog the dirty items are the large ones of the
     * last days, and recomputing them every interval took 40 % of the stream threads at a quarter of the end-to-end
     * bench's million events; rows are then published less often, never wrong.
     */
    static final double REFRESH_SHARE = 0.2;
    /**
     * A catching-up run takes batches until this much time has passed. Short, as it holds up the other tasks of its
     * stream thread (a breach alert due meanwhile waits for it).
     */
    static final long CATCH_UP_RUN_MS = 100;
    /**
     * Share of the task's time a catching-up run may take: with nothing arriving, more than {@link #REFRESH_SHARE}. At
     * 100 ms runs and 250 ms ticks the refresh works 40 % of the time; with one-second ticks, 250 ms runs and the
     * regular share it worked 12.5 % of the time, and the bench's rows caught up 90–250 s after a million events.
     */
    static final double CATCH_UP_SHARE = 0.5;

    private final Duration interval;
    private final long offsetMs;
    private final RefreshBudget budget = new RefreshBudget(REFRESH_SHARE);
    private long nextRegular = Long.MIN_VALUE;
    /** The last run stopped at its bound: items are still waiting. */
    private boolean behind;
    private long arrivedSinceTick;
    /** Punctuation time of the last tick that saw input arrive. */
    private long lastBusyTick = Long.MIN_VALUE;

    /**
     * Regular refreshes run at the first tick on or after each multiple of {@code interval} (plus {@code offset}) of
     * the punctuation clock, so every task of a kind refreshes at the same boundaries: the finding partitions compute
     * their partials as of the same instants (decision 0014), and the metrics partitions merge them half an interval
     * later.
     */
    RefreshTicks(Duration interval, Duration offset) {
        this.interval = interval;
        this.offsetMs = offset.toMillis();
    }

    /** The last regular boundary at or before {@code ts}. */
    long boundary(long ts) {
        long step = interval.toMillis();
        return Math.floorDiv(ts - offsetMs, step) * step + offsetMs;
    }

    /** The period to schedule {@link #onTick} at: the tick, or the refresh interval when that is shorter. */
    Duration period() {
        return interval.compareTo(TICK) < 0 ? interval : TICK;
    }

    void arrived() {
        arrivedSinceTick++;
    }

    /**
     * Runs {@code batch} (given the punctuation time; true when it stopped at its bound) when a refresh is due: once on a
     * regular refresh, repeatedly for up to {@link #CATCH_UP_RUN_MS} when catching up.
     */
    void onTick(long ts, LongPredicate batch) {
        if (arrivedSinceTick > 0) {
            lastBusyTick = ts;
        }
        arrivedSinceTick = 0;
        boolean quiet = lastBusyTick == Long.MIN_VALUE || ts - lastBusyTick >= QUIET_AFTER.toMillis();
        boolean regular = ts >= nextRegular;
        boolean catchUp = behind && quiet;
        if (!(regular || catchUp) || !budget.allows(ts)) {
            return;
        }
        long started = System.nanoTime();
        do {
            behind = batch.test(ts);
        } while (behind && catchUp && (System.nanoTime() - started) / 1_000_000 < CATCH_UP_RUN_MS);
        budget.ran(ts, (System.nanoTime() - started) / 1_000_000, catchUp ? CATCH_UP_SHARE : REFRESH_SHARE);
        if (regular) {
            nextRegular = boundary(ts) + interval.toMillis();
        }
    }
}

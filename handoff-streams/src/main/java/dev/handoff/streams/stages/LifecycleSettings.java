package dev.handoff.streams.stages;

import dev.handoff.streams.noise.NoiseSettings;
import dev.handoff.streams.sla.ReminderSchedule;

import java.time.Duration;

/**
 * Tunables of the lifecycle processor.
 *
 * @param clock             WALL fires SLA timers on the machine clock (live); STREAM on the highest event time
 *                          seen, checked after every record, so a replay or backfill raises exactly the alerts
 *                          its own events imply and no false breaches
 * @param punctuateInterval how often the wall clock scans for due timers
 * @param maxAlertsPerRun   bound on timers fired per scan, so a backlog cannot stall the partition
 * @param reminders         after-breach reminder back-off
 * @param noise             when a delivery is tagged NOTIFICATION_NOISE
 * @param unrouted          queue depth snapshots and the limits whose crossing is alerted
 */
public record LifecycleSettings(Clock clock, Duration punctuateInterval, int maxAlertsPerRun, ReminderSchedule reminders,
                                NoiseSettings noise, UnroutedLimits unrouted) {

    /**
     * @param snapshotInterval how often each partition reports its queue depth
     * @param depthLimit       a partition's queue reaching this depth is a threshold crossing
     * @param ageLimit         a finding waiting this long in the queue is a threshold crossing
     * @param replayGap        with {@code sla.clock=stream}, the least wall-clock time between two snapshots: a replay
     *                         passes a snapshot interval of event time about once per record, and each snapshot is an
     *                         event plus a gauge to every metrics partition; zero takes every one
     */
    public record UnroutedLimits(Duration snapshotInterval, int depthLimit, Duration ageLimit, Duration replayGap) {
        public static UnroutedLimits defaults() {
            return new UnroutedLimits(Duration.ofMinutes(1), 50, Duration.ofHours(4), Duration.ofSeconds(1));
        }

        public UnroutedLimits {
            if (snapshotInterval.isNegative() || snapshotInterval.isZero() || ageLimit.isNegative() || ageLimit.isZero()) {
                throw new IllegalArgumentException("unrouted.snapshot.interval and unrouted.age.limit must be positive");
            }
            if (replayGap.isNegative()) {
                throw new IllegalArgumentException("unrouted.snapshot.replay.gap must not be negative, was " + replayGap);
            }
            if (depthLimit < 1) {
                throw new IllegalArgumentException("unrouted.depth.limit must be at least 1, was " + depthLimit);
            }
        }
    }

    /** Which clock SLA timers run on. */
    public enum Clock { WALL, STREAM }

    public static LifecycleSettings defaults() {
        return new LifecycleSettings(Clock.WALL, Duration.ofSeconds(1), 500, ReminderSchedule.defaults(), NoiseSettings.defaults(),
                UnroutedLimits.defaults());
    }

    public LifecycleSettings {
        if (maxAlertsPerRun < 1) {
            throw new IllegalArgumentException("sla.max.alerts.per.run must be at least 1, was " + maxAlertsPerRun);
        }
        if (punctuateInterval.isNegative() || punctuateInterval.isZero()) {
            throw new IllegalArgumentException("sla.punctuate.interval must be positive, was " + punctuateInterval);
        }
    }
}

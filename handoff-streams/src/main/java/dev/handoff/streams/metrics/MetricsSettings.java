package dev.handoff.streams.metrics;

import java.time.Duration;
import java.time.ZoneId;

/**
 * Tunables of the metrics processor.
 *
 * @param zone            the workspace zone whose day boundaries cut cohorts ({@code metrics.zone})
 * @param refreshInterval how often changed cohorts are recomputed and published ({@code metrics.refresh.interval});
 *                        a cohort's row also refreshes by itself when one of its members' deadlines passes
 * @param gaugeRetention  how long the unrouted-depth history is kept for charts ({@code metrics.gauge.retention})
 * @param gaugeStep       resolution of that history: one point per step ({@code metrics.gauge.step})
 */
public record MetricsSettings(ZoneId zone, Duration refreshInterval, Duration gaugeRetention, Duration gaugeStep) {

    public static MetricsSettings defaults() {
        return new MetricsSettings(ZoneId.of("UTC"), Duration.ofSeconds(10), Duration.ofDays(90), Duration.ofMinutes(1));
    }

    public MetricsSettings {
        if (zone == null) {
            throw new IllegalArgumentException("metrics.zone is required");
        }
        requirePositive(refreshInterval, "metrics.refresh.interval");
        requirePositive(gaugeRetention, "metrics.gauge.retention");
        requirePositive(gaugeStep, "metrics.gauge.step");
    }

    private static void requirePositive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, was " + d);
        }
    }
}

package dev.handoff.streams.noise;

import java.time.Duration;

/**
 * When a delivery counts as NOTIFICATION_NOISE (DESIGN.md section 4): the owner already held
 * {@code pendingThreshold} or more unacknowledged notifications, or received {@code recentThreshold} or
 * more within {@code window} before it.
 */
public record NoiseSettings(int pendingThreshold, int recentThreshold, Duration window) {

    public static NoiseSettings defaults() {
        return new NoiseSettings(20, 10, Duration.ofHours(1));
    }

    public NoiseSettings {
        if (pendingThreshold < 1 || recentThreshold < 1) {
            throw new IllegalArgumentException("noise thresholds must be at least 1, were " + pendingThreshold + " and " + recentThreshold);
        }
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("noise.window must be positive, was " + window);
        }
    }
}

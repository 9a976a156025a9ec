package dev.handoff.launcher.bench;

import java.util.Locale;

/** How the bench prints durations, sizes and rates. */
final class Formatting {

    private Formatting() {
    }

    /** Milliseconds as the largest two units (3d 4h, 2h 05m, 4m 12s, 812 ms); "-" for none. */
    static String duration(Long ms) {
        if (ms == null) {
            return "-";
        }
        long s = ms / 1000;
        if (ms < 10_000) {
            return ms + " ms";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm %02ds", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format(Locale.ROOT, "%dh %02dm", s / 3600, (s % 3600) / 60);
        }
        return String.format(Locale.ROOT, "%dd %dh", s / 86_400, (s % 86_400) / 3600);
    }

    /** A latency in nanoseconds as milliseconds: one decimal below 10 ms, where a whole number would hide the difference. */
    static String millis(long nanos) {
        double ms = nanos / 1e6;
        return ms < 9.95 ? String.format(Locale.ROOT, "%.1f ms", ms) : String.format(Locale.ROOT, "%.0f ms", ms);
    }

    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%,.0f", perSecond);
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}

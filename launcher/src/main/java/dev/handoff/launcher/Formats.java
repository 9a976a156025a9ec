package dev.handoff.launcher;

import java.time.Duration;

/** Durations and numbers as the subcommands print them. */
final class Formats {

    private Formats() {
    }

    /** {@code 850 ms}, {@code 42s}, {@code 3m 05s}, {@code 2h 10m}, {@code 4d 3h}; a dash for null. */
    static String duration(Duration d) {
        if (d == null) {
            return "-";
        }
        if (d.isNegative()) {
            return "-" + duration(d.negated());
        }
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + " ms";
        }
        long s = d.toSeconds();
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format("%dm %02ds", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format("%dh %02dm", s / 3600, s % 3600 / 60);
        }
        return String.format("%dd %dh", s / 86_400, s % 86_400 / 3600);
    }

    /** {@link #duration} of a millisecond count that may be absent (JSON null). */
    static String millis(com.fasterxml.jackson.databind.JsonNode ms) {
        return ms == null || ms.isNull() || ms.isMissingNode() ? "-" : duration(Duration.ofMillis(ms.asLong()));
    }
}

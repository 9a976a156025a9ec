package dev.handoff.streams.enrich;

import dev.handoff.avro.SeverityBand;

import java.util.Objects;

/** Ordering of severity bands, shared by enrichment, routing and SLA code. */
public final class SeverityBands {

    private SeverityBands() {
    }

    /**
     * Rank of a band: INFO 0, LOW 1, MEDIUM 2, HIGH 3, CRITICAL 4. Spelled out instead of using the
     * enum's ordinal because the Avro schema lists the symbols most severe first, and reordering them
     * there must not silently invert every comparison here.
     */
    public static int rank(SeverityBand band) {
        Objects.requireNonNull(band, "band");
        return switch (band) {
            case INFO -> 0;
            case LOW -> 1;
            case MEDIUM -> 2;
            case HIGH -> 3;
            case CRITICAL -> 4;
        };
    }

    /** The band {@code steps} ranks above {@code band}, capped at CRITICAL; steps must not be negative. */
    public static SeverityBand raise(SeverityBand band, int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("severity can only be raised, got steps=" + steps);
        }
        return ofRank(Math.min(rank(band) + steps, rank(SeverityBand.CRITICAL)));
    }

    /** Whether {@code a} is strictly less severe than {@code b}. */
    public static boolean lower(SeverityBand a, SeverityBand b) {
        return rank(a) < rank(b);
    }

    /** The more severe of two bands. */
    public static SeverityBand max(SeverityBand a, SeverityBand b) {
        return lower(a, b) ? b : a;
    }

    private static SeverityBand ofRank(int rank) {
        return switch (rank) {
            case 0 -> SeverityBand.INFO;
            case 1 -> SeverityBand.LOW;
            case 2 -> SeverityBand.MEDIUM;
            case 3 -> SeverityBand.HIGH;
            case 4 -> SeverityBand.CRITICAL;
            default -> throw new IllegalArgumentException("no severity band has rank " + rank);
        };
    }
}

package dev.handoff.ingest.parse;

import dev.handoff.avro.SeverityBand;

/** The one CVSS-score rule every parser uses for a numeric severity. */
public final class Bands {

    private Bands() {
    }

    /** A band from a CVSS-like score (0-10): >= 9.0 CRITICAL, >= 7.0 HIGH, >= 4.0 MEDIUM, > 0 LOW, 0 INFO. */
    public static SeverityBand fromScore(double score) {
        if (score >= 9.0) {
            return SeverityBand.CRITICAL;
        }
        if (score >= 7.0) {
            return SeverityBand.HIGH;
        }
        if (score >= 4.0) {
            return SeverityBand.MEDIUM;
        }
        return score > 0 ? SeverityBand.LOW : SeverityBand.INFO;
    }
}

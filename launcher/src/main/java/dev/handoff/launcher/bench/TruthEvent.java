package dev.handoff.launcher.bench;

import dev.handoff.avro.CommandKind;
import dev.handoff.avro.SeverityBand;

import java.time.Instant;

/**
 * One input event of the programme, reduced to what {@link GroundTruth} reads: a capture (scanner band, host, tool), a
 * delivery receipt (the owner it reached) or a lifecycle command (kind, actor, the band of a severity change).
 */
public record TruthEvent(Kind kind, Instant time, String findingId, SeverityBand scannerBand, String host, String tool,
                         String ownerId, CommandKind command, String actor, SeverityBand toBand) {

    public enum Kind { CAPTURE, RECEIPT, COMMAND }

    static TruthEvent capture(Instant t, String findingId, SeverityBand band, String host, String tool) {
        return new TruthEvent(Kind.CAPTURE, t, findingId, band, host, tool, null, null, null, null);
    }

    static TruthEvent receipt(Instant t, String findingId, String owner) {
        return new TruthEvent(Kind.RECEIPT, t, findingId, null, null, null, owner, null, null, null);
    }

    static TruthEvent command(Instant t, String findingId, CommandKind kind, String actor, SeverityBand toBand) {
        return new TruthEvent(Kind.COMMAND, t, findingId, null, null, null, null, kind, actor, toBand);
    }
}

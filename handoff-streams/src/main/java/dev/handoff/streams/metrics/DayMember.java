package dev.handoff.streams.metrics;

import dev.handoff.avro.FindingState;
import dev.handoff.avro.SeverityBand;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;

/**
 * One finding as its partition's metrics keep it (decision 0014): the values that name its five cohorts (band,
 * team, business unit, source tool, capture origin) and the facts every number of a cohort row is computed from.
 * Kept once per finding under its cohort day, so recomputing a day reads each of the day's findings once for all
 * five of its cohorts.
 */
public record DayMember(LocalDate day, SeverityBand band, String team, String businessUnit, String sourceTool, String origin,
                        CohortMember facts) {

    private static final byte VERSION = 1;

    public DayMember {
        Objects.requireNonNull(day, "day");
        Objects.requireNonNull(band, "band");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(facts, "facts");
    }

    public static DayMember of(FindingState s, ZoneId zone) {
        return new DayMember(HandoffMetrics.cohortDay(s, zone), s.getBand(), s.getTeamId(), s.getBusinessUnit(),
                s.getSourceTool().getName(), s.getOrigin().name(), CohortMember.of(s));
    }

    public List<CohortKey> cohorts() {
        return CohortKey.of(day, band, team, businessUnit, sourceTool, origin);
    }

    /** The day is in the store key, not in the value. */
    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeByte(band.ordinal());
            writeOptional(out, team);
            writeOptional(out, businessUnit);
            writeOptional(out, sourceTool);
            out.writeUTF(origin);
            out.write(facts.encode());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static DayMember decode(LocalDate day, byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte version = in.readByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("day member encoding version " + version + " is not " + VERSION);
            }
            SeverityBand band = SeverityBand.values()[in.readByte()];
            String team = readOptional(in);
            String businessUnit = readOptional(in);
            String sourceTool = readOptional(in);
            String origin = in.readUTF();
            byte[] facts = in.readAllBytes();
            return new DayMember(day, band, team, businessUnit, sourceTool, origin, CohortMember.decode(facts));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a day member record: " + e, e);
        }
    }

    private static void writeOptional(DataOutputStream out, String value) throws IOException {
        out.writeBoolean(value != null);
        if (value != null) {
            out.writeUTF(value);
        }
    }

    private static String readOptional(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }
}

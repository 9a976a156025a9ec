package dev.handoff.streams.metrics;

import dev.handoff.avro.CycleWindow;
import dev.handoff.avro.HandoffWindow;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Objects;

/**
 * One finding partition's share of one cohort day (decision 0014): the day rows its members make, computed as of
 * {@code handoff.as_of} (counts, and sketches in the compact encoding, all of which sum and merge exactly; the rows
 * are built by {@link CohortAccumulator#asShare()}, so their ids, keys, quantiles and rates are empty), and the
 * time until which they stay exact with no new event ({@code validUntil}, null when no member's outcome can change by
 * time alone). The metrics partition of the cohort's series merges the partials of every finding partition.
 */
public record CohortPartial(HandoffWindow handoff, CycleWindow cycle, Instant validUntil) {

    private static final byte VERSION = 1;
    private static final long NEVER = Long.MIN_VALUE;

    public CohortPartial {
        Objects.requireNonNull(handoff, "handoff");
        Objects.requireNonNull(cycle, "cycle");
    }

    public Instant asOf() {
        return handoff.getAsOf();
    }

    /** Exact at {@code t}: computed at or before it, and no member's outcome changed between. */
    public boolean exactAt(Instant t) {
        return !t.isBefore(asOf()) && (validUntil == null || t.isBefore(validUntil));
    }

    public byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeByte(VERSION);
                out.writeLong(validUntil == null ? NEVER : validUntil.toEpochMilli());
                byte[] h = array(HandoffWindow.getEncoder().encode(handoff));
                out.writeInt(h.length);
                out.write(h);
                out.write(array(CycleWindow.getEncoder().encode(cycle)));
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static CohortPartial decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte version = in.readByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("cohort partial encoding version " + version + " is not " + VERSION);
            }
            long until = in.readLong();
            byte[] h = new byte[in.readInt()];
            in.readFully(h);
            HandoffWindow handoff = HandoffWindow.getDecoder().decode(h);
            CycleWindow cycle = CycleWindow.getDecoder().decode(in.readAllBytes());
            return new CohortPartial(handoff, cycle, until == NEVER ? null : Instant.ofEpochMilli(until));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a cohort partial record: " + e, e);
        }
    }

    private static byte[] array(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        return out;
    }
}

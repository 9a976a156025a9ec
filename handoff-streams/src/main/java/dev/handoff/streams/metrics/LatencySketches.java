package dev.handoff.streams.metrics;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketchProtoBinding;
import com.datadoghq.sketch.ddsketch.DDSketches;
import com.datadoghq.sketch.ddsketch.mapping.CubicallyInterpolatedMapping;
import com.datadoghq.sketch.ddsketch.mapping.IndexMapping;
import com.datadoghq.sketch.ddsketch.store.CollapsingLowestDenseStore;
import com.datadoghq.sketch.ddsketch.store.Store;
import dev.handoff.avro.LatencySketch;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Objects;
import java.util.OptionalLong;

/** The one place that creates, encodes, decodes and merges Handoff's latency sketches (DDSketch, milliseconds). */
public final class LatencySketches {

    /** Relative accuracy of every quantile a Handoff sketch reports (DESIGN.md section 6). */
    public static final double RELATIVE_ACCURACY = 0.01;

    /**
     * Upper bound on the number of bins per store; beyond it the lowest bins collapse. With 1 %
     * accuracy a bin spans about 2 % of magnitude, so 2048 bins cover about 17.6 orders of
     * magnitude: every latency from 1 ms to millions of years is tracked without collapsing, and the
     * bound only matters as a guarantee against hostile or corrupt input. The encoded size is
     * therefore at most about {@code 8 * MAX_BINS} bytes plus a few dozen bytes of header.
     */
    public static final int MAX_BINS = 2048;

    /** The value of {@code LatencySketch.encoding} for bytes this class writes and reads. */
    public static final String ENCODING = "ddsketch-proto";

    /** Same mapping as {@code DDSketches.collapsingLowestDense}; decoded sketches must match it to stay mergeable. */
    private static final IndexMapping MAPPING = new CubicallyInterpolatedMapping(RELATIVE_ACCURACY);


    private LatencySketches() {
    }

    /**
     * A new, empty latency sketch: {@code DDSketches.collapsingLowestDense(RELATIVE_ACCURACY, MAX_BINS)},
     * a cubically interpolated mapping with a dense store bounded to {@link #MAX_BINS} bins.
     * Lowest-collapsing because Handoff reports the median and the upper tail (p90, p99, max): if a
     * sketch ever has to give up accuracy it must be on the fastest acknowledgements, never on the
     * slow ones the SLA is about.
     */
    public static DDSketch create() {
        return DDSketches.collapsingLowestDense(RELATIVE_ACCURACY, MAX_BINS);
    }

    /**
     * Records one latency. Zero is valid (an acknowledgement at capture time) and is kept exactly
     * in the sketch's zero count; a negative latency means an ack before capture, which is a bug
     * upstream and must not be averaged away.
     */
    public static void add(DDSketch sketch, long millis) {
        Objects.requireNonNull(sketch, "sketch");
        if (millis < 0) {
            throw new IllegalArgumentException("latency must be a non-negative number of milliseconds, got " + millis);
        }
        sketch.accept(millis);
    }

    /**
     * The sketch as the official DDSketch protobuf message ({@code DDSketch.proto}), written by
     * {@link DDSketch#serialize()} without a protobuf runtime, so BI consumers in any language with a
     * DDSketch library can decode it and merge days into weeks themselves.
     */
    public static byte[] encode(DDSketch sketch) {
        Objects.requireNonNull(sketch, "sketch");
        ByteBuffer buffer = sketch.serialize();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /**
     * Reads a DDSketch protobuf message written by {@link #encode}, with the library's own
     * {@code DDSketchProtoBinding}; the result has the same bins, counts and quantiles.
     *
     * @throws IllegalArgumentException if the bytes are not a DDSketch message, use another index
     *     mapping or accuracy (so would not merge with Handoff's sketches), or hold negative latencies
     */
    public static DDSketch decode(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        DDSketch sketch;
        try {
            com.datadoghq.sketch.ddsketch.proto.DDSketch proto = com.datadoghq.sketch.ddsketch.proto.DDSketch.parseFrom(bytes);
            if (!proto.hasMapping()) {
                throw new IllegalArgumentException("it has no index mapping");
            }
            sketch = DDSketchProtoBinding.fromProto(() -> new CollapsingLowestDenseStore(MAX_BINS), proto);
        } catch (com.google.protobuf.InvalidProtocolBufferException | RuntimeException e) {
            throw new IllegalArgumentException("not a Handoff latency sketch (" + ENCODING + ", " + bytes.length + " bytes): "
                    + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        }
        String problem = incompatibility(sketch);
        if (problem != null) {
            throw new IllegalArgumentException("not a Handoff latency sketch (" + ENCODING + ", " + bytes.length + " bytes): " + problem);
        }
        return sketch;
    }

    /** Why a decoded sketch cannot be merged with Handoff's, or null. */
    private static String incompatibility(DDSketch sketch) {
        IndexMapping mapping = sketch.getIndexMapping();
        if (!(mapping instanceof CubicallyInterpolatedMapping) || Math.abs(mapping.relativeAccuracy() - RELATIVE_ACCURACY) > 1e-9) {
            return "its index mapping is " + mapping.getClass().getSimpleName() + " with relative accuracy "
                    + mapping.relativeAccuracy() + ", Handoff's sketches use CubicallyInterpolatedMapping with relative accuracy "
                    + RELATIVE_ACCURACY + ", so it would not merge with them";
        }
        if (!sketch.getNegativeValueStore().isEmpty()) {
            return "it holds negative values, which are not latencies";
        }
        return null;
    }

    /** A fresh sketch holding every latency of {@code parts}; the parts are left unchanged. */
    public static DDSketch merge(Collection<DDSketch> parts) {
        Objects.requireNonNull(parts, "parts");
        DDSketch merged = create();
        for (DDSketch part : parts) {
            merged.mergeWith(Objects.requireNonNull(part, "parts must not contain null"));
        }
        return merged;
    }

    /**
     * The lower quantile {@code q} as DESIGN.md section 6 defines it (value at rank
     * {@code floor(q * (n - 1))} of the sorted latencies), within 1 % relative error and rounded to
     * whole milliseconds; empty for an empty sketch. {@link DDSketch#getValueAtQuantile(double)}
     * computes {@code rank = q * (count - 1)} and returns the first bin whose cumulative count
     * exceeds {@code rank}, i.e. the bin holding the element at zero-based position
     * {@code floor(rank)}: exactly the lower quantile. Rounding adds at most 0.5 ms on top of the 1 %.
     */
    public static OptionalLong quantile(DDSketch sketch, double q) {
        Objects.requireNonNull(sketch, "sketch");
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile must be within [0, 1], got " + q);
        }
        if (sketch.isEmpty()) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Math.round(sketch.getValueAtQuantile(q)));
    }

    /** Lower median, see {@link #quantile}. */
    public static OptionalLong median(DDSketch sketch) {
        return quantile(sketch, 0.5);
    }

    /** Lower 90th percentile, see {@link #quantile}. */
    public static OptionalLong p90(DDSketch sketch) {
        return quantile(sketch, 0.9);
    }

    /** Lower 99th percentile, see {@link #quantile}. */
    public static OptionalLong p99(DDSketch sketch) {
        return quantile(sketch, 0.99);
    }

    /** Largest latency, within 1 % and rounded to whole milliseconds; empty for an empty sketch. */
    public static OptionalLong max(DDSketch sketch) {
        Objects.requireNonNull(sketch, "sketch");
        if (sketch.isEmpty()) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Math.round(sketch.getMaxValue()));
    }

    /**
     * Encoding of the rows Handoff keeps in its own stores and sends between instances: DDSketch's
     * compact variable-length encoding ({@link DDSketch#encode}), an order of magnitude smaller than the
     * protobuf for cohort-sized sketches (which writes every bin of the span) and merged straight into a
     * target without an intermediate sketch. Published topics always carry {@value #ENCODING}.
     */
    public static final String COMPACT_ENCODING = "ddsketch-compact";

    /** The sketch in the compact encoding, for stores and instance-to-instance answers. */
    public static LatencySketch toAvroCompact(DDSketch sketch) {
        Objects.requireNonNull(sketch, "sketch");
        com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput out =
                com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput.withInitialCapacity(64);
        try {
            sketch.encode(out, false);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return LatencySketch.newBuilder()
                .setEncoding(COMPACT_ENCODING)
                .setRelativeAccuracy(RELATIVE_ACCURACY)
                .setBytes(ByteBuffer.wrap(out.trimmedCopy()))
                .build();
    }

    /**
     * Adds the latencies of {@code part} (either encoding) to {@code target}. Compact parts are decoded
     * straight into the target, which is what makes range queries over thousands of rows cheap.
     */
    public static void mergeInto(DDSketch target, LatencySketch part) {
        Objects.requireNonNull(target, "target");
        if (part == null) {
            return;
        }
        if (COMPACT_ENCODING.equals(String.valueOf(part.getEncoding()))) {
            checkAccuracy(part);
            ByteBuffer buffer = part.getBytes().duplicate();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            try {
                target.decodeAndMergeWith(com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput.wrap(bytes));
            } catch (java.io.IOException | RuntimeException e) {
                throw new IllegalArgumentException("not a Handoff latency sketch (" + COMPACT_ENCODING + ", " + bytes.length
                        + " bytes): " + e, e);
            }
            return;
        }
        target.mergeWith(fromAvro(part));
    }

    private static void checkAccuracy(LatencySketch record) {
        if (record.getRelativeAccuracy() != RELATIVE_ACCURACY) {
            throw new IllegalArgumentException("unsupported LatencySketch relative_accuracy "
                    + record.getRelativeAccuracy() + "; Handoff sketches use " + RELATIVE_ACCURACY);
        }
    }

    /** The sketch as the Avro record published on the metrics topic. */
    public static LatencySketch toAvro(DDSketch sketch) {
        return LatencySketch.newBuilder()
                .setEncoding(ENCODING)
                .setRelativeAccuracy(RELATIVE_ACCURACY)
                .setBytes(ByteBuffer.wrap(encode(sketch)))
                .build();
    }

    /**
     * The sketch carried by an Avro record.
     *
     * @throws IllegalArgumentException for an encoding other than {@value #ENCODING}, another
     *     relative accuracy, or bytes {@link #decode} rejects
     */
    public static DDSketch fromAvro(LatencySketch record) {
        Objects.requireNonNull(record, "record");
        String encoding = String.valueOf(record.getEncoding());
        if (COMPACT_ENCODING.equals(encoding)) {
            DDSketch sketch = create();
            mergeInto(sketch, record);
            return sketch;
        }
        if (!ENCODING.equals(encoding)) {
            throw new IllegalArgumentException("unsupported LatencySketch encoding '" + encoding
                    + "'; only '" + ENCODING + "' and '" + COMPACT_ENCODING + "' are supported");
        }
        if (record.getRelativeAccuracy() != RELATIVE_ACCURACY) {
            throw new IllegalArgumentException("unsupported LatencySketch relative_accuracy "
                    + record.getRelativeAccuracy() + "; Handoff sketches use " + RELATIVE_ACCURACY);
        }
        if (record.getBytes() == null) {
            throw new IllegalArgumentException("LatencySketch has no bytes");
        }
        // duplicate() so reading does not move the position of the record's own buffer.
        ByteBuffer buffer = record.getBytes().duplicate();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return decode(bytes);
    }
}

package dev.handoff.streams.metrics;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import dev.handoff.avro.LatencySketch;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatencySketchesTest {

    private static final double[] REPORTED_QUANTILES = {0.5, 0.9, 0.99};
    private static final long SECOND = 1_000L;
    private static final long HOUR = 3_600_000L;
    private static final long DAY = 86_400_000L;

    /** Value at rank floor(q * (n - 1)) of the sorted values: DESIGN.md section 6. */
    static long exactLowerQuantile(long[] sorted, double q) {
        return sorted[(int) Math.floor(q * (sorted.length - 1))];
    }

    /**
     * The sketch guarantees 1 % on its double estimate; rounding to whole milliseconds may add up
     * to half a millisecond, which only matters below 50 ms.
     */
    static void assertWithinOnePercent(long exact, long estimate, String what) {
        double allowed = LatencySketches.RELATIVE_ACCURACY * exact + 0.5;
        assertTrue(Math.abs(estimate - exact) <= allowed,
                what + ": estimate " + estimate + " vs exact " + exact + " (allowed error " + allowed + ")");
    }

    private static DDSketch sketchOf(long... values) {
        DDSketch sketch = LatencySketches.create();
        for (long v : values) {
            LatencySketches.add(sketch, v);
        }
        return sketch;
    }

    private static void assertReportedQuantilesMatchExact(long[] values) {
        DDSketch sketch = sketchOf(values);
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        for (double q : REPORTED_QUANTILES) {
            assertWithinOnePercent(exactLowerQuantile(sorted, q), LatencySketches.quantile(sketch, q).orElseThrow(),
                    "q=" + q);
        }
        assertWithinOnePercent(sorted[sorted.length - 1], LatencySketches.max(sketch).orElseThrow(), "max");
        assertEquals(values.length, sketch.getCount());
    }

    @Test
    void uniformOneToTenThousandMillisQuantilesAreWithinOnePercentOfExactLowerQuantiles() {
        long[] values = new long[10_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = i + 1;
        }
        assertReportedQuantilesMatchExact(values);
        DDSketch sketch = sketchOf(values);
        // Exact lower quantiles: ranks 4999, 8999 and 9899 of 1..10000.
        assertWithinOnePercent(5_000, LatencySketches.median(sketch).orElseThrow(), "median");
        assertWithinOnePercent(9_000, LatencySketches.p90(sketch).orElseThrow(), "p90");
        assertWithinOnePercent(9_900, LatencySketches.p99(sketch).orElseThrow(), "p99");
    }

    @Test
    void skewedRealisticMixFromOneSecondToThirtyDaysIsWithinOnePercentOfExactLowerQuantiles() {
        Random random = new Random(20240607L);
        long[] values = new long[50_000];
        for (int i = 0; i < values.length; i++) {
            double roll = random.nextDouble();
            double centre;
            if (roll < 0.6) {
                centre = 20 * 60 * SECOND;      // most findings: acknowledged within the hour
            } else if (roll < 0.9) {
                centre = 6 * HOUR;              // next working day, roughly
            } else {
                centre = 5 * DAY;               // the long tail the SLA is about
            }
            long v = Math.round(centre * Math.exp(random.nextGaussian()));
            values[i] = Math.max(SECOND, Math.min(30 * DAY, v));
        }
        assertReportedQuantilesMatchExact(values);
    }

    @Test
    void quantileIsTheLowerQuantileNotAnInterpolationOrUpperQuantile() {
        // n = 2: rank floor(0.5 * 1) = 0, so the median is the smaller value; an upper quantile
        // would give 1000 and an interpolated one 505.
        assertEquals(OptionalLong.of(10), LatencySketches.median(sketchOf(10, 1_000)));
        // n = 4: rank floor(0.9 * 3) = 2.
        assertWithinOnePercent(300, LatencySketches.p90(sketchOf(100, 200, 300, 400)).orElseThrow(), "p90 of 4");
        // n = 3 with two zeros: rank 1 is a zero, which the sketch keeps exactly.
        assertEquals(OptionalLong.of(0), LatencySketches.median(sketchOf(0, 0, 5_000)));
    }

    @Test
    void zeroIsAValidLatencyAndIsKeptExactly() {
        DDSketch sketch = sketchOf(0);
        assertEquals(1, sketch.getCount());
        assertEquals(OptionalLong.of(0), LatencySketches.median(sketch));
        assertEquals(OptionalLong.of(0), LatencySketches.max(sketch));
    }

    @Test
    void negativeLatencyIsRejectedNamingTheValue() {
        DDSketch sketch = LatencySketches.create();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LatencySketches.add(sketch, -42));
        assertTrue(e.getMessage().contains("-42"), e.getMessage());
        assertTrue(sketch.isEmpty());
    }

    @Test
    void emptySketchHasNoQuantiles() {
        DDSketch empty = LatencySketches.create();
        assertEquals(OptionalLong.empty(), LatencySketches.median(empty));
        assertEquals(OptionalLong.empty(), LatencySketches.p90(empty));
        assertEquals(OptionalLong.empty(), LatencySketches.p99(empty));
        assertEquals(OptionalLong.empty(), LatencySketches.max(empty));
        assertEquals(OptionalLong.empty(), LatencySketches.quantile(empty, 0.25));
    }

    @Test
    void quantileOutsideZeroToOneIsRejected() {
        DDSketch sketch = sketchOf(5);
        assertThrows(IllegalArgumentException.class, () -> LatencySketches.quantile(sketch, 1.5));
        assertThrows(IllegalArgumentException.class, () -> LatencySketches.quantile(sketch, -0.1));
        assertThrows(IllegalArgumentException.class, () -> LatencySketches.quantile(sketch, Double.NaN));
    }

    @Test
    void encodeDecodeRoundTripPreservesCountMinMaxAndQuantiles() {
        DDSketch original = sketchOf(0, 0, 1, 7, 950, 61_000, 3 * HOUR, 2 * DAY, 29 * DAY);
        DDSketch decoded = LatencySketches.decode(LatencySketches.encode(original));
        assertEquals(original.getCount(), decoded.getCount());
        assertEquals(original.getMinValue(), decoded.getMinValue());
        assertEquals(original.getMaxValue(), decoded.getMaxValue());
        for (double q = 0; q <= 1.0; q += 0.05) {
            assertEquals(original.getValueAtQuantile(q), decoded.getValueAtQuantile(q), "q=" + q);
        }
        assertArrayEquals(LatencySketches.encode(original), LatencySketches.encode(decoded));
    }

    @Test
    void emptySketchRoundTripsToAnEmptySketch() {
        DDSketch decoded = LatencySketches.decode(LatencySketches.encode(LatencySketches.create()));
        assertTrue(decoded.isEmpty());
        assertEquals(OptionalLong.empty(), LatencySketches.median(decoded));
    }

    @Test
    void decodedSketchStillAcceptsAndMergesLikeAFreshOne() {
        DDSketch decoded = LatencySketches.decode(LatencySketches.encode(sketchOf(1_000, 2_000)));
        LatencySketches.add(decoded, 3_000);
        DDSketch merged = LatencySketches.merge(List.of(decoded, sketchOf(4_000)));
        assertEquals(4, merged.getCount());
        assertWithinOnePercent(2_000, LatencySketches.median(merged).orElseThrow(), "median");
    }

    @Test
    void decodeOfGarbageFailsClearly() {
        byte[] valid = LatencySketches.encode(sketchOf(1, 10, 100, 1_000));
        List<byte[]> garbage = new ArrayList<>();
        garbage.add(new byte[0]);
        garbage.add("definitely not a sketch".getBytes(StandardCharsets.UTF_8));
        garbage.add(Arrays.copyOf(valid, valid.length - 3));
        garbage.add(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
            (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
        for (byte[] bytes : garbage) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LatencySketches.decode(bytes), () -> "decoded " + Arrays.toString(bytes));
            assertTrue(e.getMessage().startsWith("not a Handoff latency sketch"), e.getMessage());
        }
    }

    @Test
    void decodeRejectsASketchOfAnotherRelativeAccuracyBecauseItWouldNotMerge() {
        DDSketch coarse = DDSketches.collapsingLowestDense(0.02, LatencySketches.MAX_BINS);
        coarse.accept(1_000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LatencySketches.decode(LatencySketches.encode(coarse)));
        assertTrue(e.getMessage().contains("relative accuracy"), e.getMessage());
    }

    @Test
    void decodeRejectsNegativeValues() {
        DDSketch signed = DDSketches.collapsingLowestDense(LatencySketches.RELATIVE_ACCURACY, LatencySketches.MAX_BINS);
        signed.accept(-5_000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LatencySketches.decode(LatencySketches.encode(signed)));
        assertTrue(e.getMessage().contains("negative"), e.getMessage());
    }

    @Test
    void avroRoundTripThroughTheWireFormatPreservesTheSketch() throws Exception {
        DDSketch original = sketchOf(0, 2_000, 45_000, 4 * HOUR, 3 * DAY);
        LatencySketch record = LatencySketches.toAvro(original);
        assertEquals("ddsketch-proto", record.getEncoding());
        assertEquals(0.01, record.getRelativeAccuracy());

        LatencySketch read = LatencySketch.fromByteBuffer(record.toByteBuffer());
        DDSketch decoded = LatencySketches.fromAvro(read);
        assertEquals(original.getCount(), decoded.getCount());
        for (double q : new double[] {0, 0.5, 0.9, 0.99, 1}) {
            assertEquals(LatencySketches.quantile(original, q), LatencySketches.quantile(decoded, q), "q=" + q);
        }
        // Reading must not consume the record's buffer: a second read sees the same sketch.
        assertEquals(original.getCount(), LatencySketches.fromAvro(read).getCount());
    }

    @Test
    void fromAvroRejectsAnUnknownEncodingNamingItAndTheSupportedOne() {
        LatencySketch record = LatencySketch.newBuilder(LatencySketches.toAvro(sketchOf(1)))
                .setEncoding("ddsketch").build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LatencySketches.fromAvro(record));
        assertTrue(e.getMessage().contains("'ddsketch'"), e.getMessage());
        assertTrue(e.getMessage().contains("'ddsketch-proto'"), e.getMessage());
    }

    @Test
    void fromAvroRejectsAnotherRelativeAccuracy() {
        LatencySketch record = LatencySketch.newBuilder(LatencySketches.toAvro(sketchOf(1)))
                .setRelativeAccuracy(0.05).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LatencySketches.fromAvro(record));
        assertTrue(e.getMessage().contains("0.05"), e.getMessage());
    }

    @Test
    void mergeReturnsAFreshSketchAndLeavesThePartsUnchanged() {
        DDSketch a = sketchOf(1_000, 2_000);
        DDSketch b = sketchOf(3_000);
        byte[] aBefore = LatencySketches.encode(a);
        byte[] bBefore = LatencySketches.encode(b);
        DDSketch merged = LatencySketches.merge(List.of(a, b));
        assertEquals(3, merged.getCount());
        LatencySketches.add(merged, 9_000);
        assertArrayEquals(aBefore, LatencySketches.encode(a));
        assertArrayEquals(bBefore, LatencySketches.encode(b));
        assertTrue(LatencySketches.merge(List.of()).isEmpty());
    }

    /**
     * A million latencies spread log-uniformly over 9 orders of magnitude (1 ms to 1e9 ms, about
     * 11.6 days) fill 1,047 bins; measured encoded size 8,399 bytes, asserted under 8.5 KiB (8,704).
     */
    @Test
    void millionValuesOverNineOrdersOfMagnitudeEncodeUnderEightAndAHalfKiB() {
        DDSketch sketch = LatencySketches.create();
        Random random = new Random(7L);
        for (int i = 0; i < 1_000_000; i++) {
            LatencySketches.add(sketch, Math.round(Math.pow(10, 9 * random.nextDouble())));
        }
        int size = LatencySketches.encode(sketch).length;
        assertEquals(1_000_000, sketch.getCount());
        assertTrue(size < 8_704, "encoded size " + size + " bytes");
    }

    /**
     * Across the whole long range (about 19 orders of magnitude) the store must collapse; the bound
     * is then 8 bytes per bin for MAX_BINS bins plus a small header, and the upper tail stays exact
     * to 1 % because only the lowest bins are merged. Measured: 2,048 bins, 16,410 bytes.
     */
    @Test
    void fullLongRangeCollapsesLowestBinsKeepingSizeBoundedAndTheTailAccurate() {
        DDSketch sketch = LatencySketches.create();
        Random random = new Random(11L);
        long[] values = new long[200_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = Math.round(Math.pow(10, 18.9 * random.nextDouble()));
            LatencySketches.add(sketch, values[i]);
        }
        int size = LatencySketches.encode(sketch).length;
        assertTrue(size <= 8 * LatencySketches.MAX_BINS + 64, "encoded size " + size + " bytes");
        Arrays.sort(values);
        Function<Double, Long> exact = q -> exactLowerQuantile(values, q);
        assertWithinOnePercent(exact.apply(0.99), LatencySketches.p99(sketch).orElseThrow(), "p99");
        assertWithinOnePercent(exact.apply(0.9), LatencySketches.p90(sketch).orElseThrow(), "p90");
    }
}

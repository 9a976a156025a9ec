package dev.handoff.streams.metrics;

import com.datadoghq.sketch.ddsketch.DDSketch;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LatencySketchesPropertiesTest {

    private static final double[] QUANTILES = {0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1};
    private static final long THIRTY_DAYS_MS = 30L * 86_400_000L;

    /** Latencies from 0 to 30 days, biased towards small values so every magnitude shows up. */
    @Provide
    Arbitrary<List<Long>> latencies() {
        return Arbitraries.longs()
                .between(0, THIRTY_DAYS_MS)
                .withDistribution(RandomDistribution.biased())
                .list().ofMinSize(1).ofMaxSize(400);
    }

    private static DDSketch sketchOf(List<Long> values) {
        DDSketch sketch = LatencySketches.create();
        values.forEach(v -> LatencySketches.add(sketch, v));
        return sketch;
    }

    private static List<DDSketch> randomSplit(List<Long> values, int parts, Random random) {
        List<DDSketch> sketches = new ArrayList<>();
        for (int i = 0; i < parts; i++) {
            sketches.add(LatencySketches.create());
        }
        values.forEach(v -> LatencySketches.add(sketches.get(random.nextInt(parts)), v));
        return sketches;
    }

    @Property(tries = 200)
    void mergingTheSketchesOfAnySplitGivesTheExactQuantilesOfTheWholeListWithinOnePercent(
            @ForAll("latencies") List<Long> values, @ForAll @IntRange(min = 1, max = 6) int parts,
            @ForAll Random random) {
        DDSketch merged = LatencySketches.merge(randomSplit(values, parts, random));

        assertEquals(values.size(), merged.getCount());
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        for (double q : QUANTILES) {
            LatencySketchesTest.assertWithinOnePercent(LatencySketchesTest.exactLowerQuantile(sorted, q),
                    LatencySketches.quantile(merged, q).orElseThrow(), "q=" + q);
        }
        LatencySketchesTest.assertWithinOnePercent(sorted[sorted.length - 1],
                LatencySketches.max(merged).orElseThrow(), "max");
    }

    @Property(tries = 200)
    void mergeIsOrderIndependent(
            @ForAll("latencies") List<Long> values, @ForAll @IntRange(min = 2, max = 6) int parts,
            @ForAll Random random) {
        List<DDSketch> split = randomSplit(values, parts, random);
        List<DDSketch> shuffled = new ArrayList<>(split);
        Collections.shuffle(shuffled, random);

        DDSketch inOrder = LatencySketches.merge(split);
        DDSketch reordered = LatencySketches.merge(shuffled);
        assertEquals(inOrder.getCount(), reordered.getCount());
        for (double q : QUANTILES) {
            assertEquals(LatencySketches.quantile(inOrder, q), LatencySketches.quantile(reordered, q), "q=" + q);
        }
        assertArrayEquals(LatencySketches.encode(inOrder), LatencySketches.encode(reordered));
    }

    @Property(tries = 200)
    void encodeThenDecodeIsIdentityOnCountAndQuantiles(@ForAll("latencies") List<Long> values) {
        DDSketch original = sketchOf(values);
        DDSketch decoded = LatencySketches.decode(LatencySketches.encode(original));

        assertEquals(original.getCount(), decoded.getCount());
        for (double q : QUANTILES) {
            assertEquals(original.getValueAtQuantile(q), decoded.getValueAtQuantile(q), "q=" + q);
        }
        assertEquals(original.getMaxValue(), decoded.getMaxValue());
    }

    @Property(tries = 200)
    void decodeOfArbitraryBytesEitherSucceedsOrFailsWithIllegalArgumentException(@ForAll byte[] bytes) {
        try {
            LatencySketches.decode(bytes);
        } catch (IllegalArgumentException expected) {
            // The only acceptable failure: a clear rejection, never an index or arithmetic error.
        }
    }
}

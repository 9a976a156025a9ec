package dev.handoff.bench;

import com.datadoghq.sketch.ddsketch.DDSketch;
import dev.handoff.streams.metrics.LatencySketches;

import java.util.Iterator;
import java.util.Locale;

/**
 * Prints the encoded size of a latency sketch by number of latencies (log-uniform 1 min..30 days) in
 * today's encoding and the two alternatives of {@link MetricsQueryBreakdownBenchmark}. Not a JMH
 * benchmark: {@code java -cp "benchmarks/target/classes:benchmarks/target/lib/*" dev.handoff.bench.SketchSizes}.
 */
public final class SketchSizes {

    private SketchSizes() {
    }

    public static void main(String[] args) {
        System.out.println("| latencies in sketch | non-empty bins | bin span | protobuf as written today | protobuf with sparse binCounts"
                + " | DDSketch native encoding |");
        for (int n : new int[] {20, 110, 200, 10_000}) {
            SyntheticMembers gen = new SyntheticMembers(3);
            DDSketch sketch = LatencySketches.create();
            for (int i = 0; i < n; i++) {
                LatencySketches.add(sketch, gen.latencyMillis());
            }
            int nonEmpty = 0;
            for (Iterator<?> it = sketch.getPositiveValueStore().getAscendingIterator(); it.hasNext(); it.next()) {
                nonEmpty++;
            }
            int span = sketch.getPositiveValueStore().getMaxIndex() - sketch.getPositiveValueStore().getMinIndex() + 1;
            System.out.printf(Locale.ROOT, "| %d | %d | %d | %d B | %d B | %d B |%n", n, nonEmpty, span, LatencySketches.encode(sketch).length,
                    MetricsQueryBreakdownBenchmark.sparseProto(sketch).length, MetricsQueryBreakdownBenchmark.nativeEncoding(sketch).length);
        }
    }
}

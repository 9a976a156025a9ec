package dev.handoff.bench;

import com.datadoghq.sketch.ddsketch.DDSketch;
import dev.handoff.avro.CycleWindow;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.avro.MetricDimension;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.WindowGranularity;
import dev.handoff.streams.metrics.CohortAccumulator;
import dev.handoff.streams.metrics.CohortMember;
import dev.handoff.streams.metrics.LatencySketches;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Write-side costs of the latency sketches: one latency into a DDSketch, one member into a
 * {@link CohortAccumulator} (body sketch, five stage sketches, four segment sketches, counts), a whole
 * cohort day row, and encode / decode of a sketch holding 10 000 latencies.
 *
 * <p>Run: {@code benchmarks/run SketchUpdate -f 1 -wi 3 -w 2 -i 5 -r 2}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SketchUpdateBenchmark {

    /** Power of two, so the index wraps with a mask. */
    private static final int PRECOMPUTED = 1 << 16;
    private static final int MEMBERS = 1 << 12;
    static final int SKETCH_SIZE = 10_000;

    @State(Scope.Thread)
    public static class LatencyState {
        final long[] latencies = new long[PRECOMPUTED];
        DDSketch sketch;
        int i;

        @Setup(Level.Trial)
        public void prepare() {
            SyntheticMembers gen = new SyntheticMembers(42);
            for (int k = 0; k < latencies.length; k++) {
                latencies[k] = gen.latencyMillis();
            }
        }

        @Setup(Level.Iteration)
        public void fresh() {
            sketch = LatencySketches.create();
        }
    }

    @State(Scope.Thread)
    public static class MemberState {
        static final Instant DAY = Instant.parse("2025-03-03T00:00:00Z");
        static final Instant NOW = DAY.plus(Duration.ofDays(45));
        final CohortMember[] members = new CohortMember[MEMBERS];
        CohortAccumulator acc;
        int i;

        @Setup(Level.Trial)
        public void prepare() {
            SyntheticMembers gen = new SyntheticMembers(7);
            SeverityBand[] bands = {SeverityBand.CRITICAL, SeverityBand.HIGH, SeverityBand.MEDIUM, SeverityBand.LOW};
            for (int k = 0; k < members.length; k++) {
                members[k] = gen.member(bands[k & 3], DAY, NOW);
            }
        }

        @Setup(Level.Iteration)
        public void fresh() {
            acc = new CohortAccumulator(NOW);
        }
    }

    @State(Scope.Benchmark)
    public static class EncodedState {
        DDSketch sketch;
        byte[] bytes;

        @Setup(Level.Trial)
        public void prepare() {
            SyntheticMembers gen = new SyntheticMembers(1);
            sketch = LatencySketches.create();
            for (int k = 0; k < SKETCH_SIZE; k++) {
                LatencySketches.add(sketch, gen.latencyMillis());
            }
            bytes = LatencySketches.encode(sketch);
            // Reported by the forked VM; copied into BENCHMARKS.md.
            System.out.println();
            int lo = sketch.getPositiveValueStore().getMinIndex();
            int hi = sketch.getPositiveValueStore().getMaxIndex();
            System.out.println("[sketch] " + SKETCH_SIZE + " latencies log-uniform 1 min..30 days: encoded size " + bytes.length
                    + " bytes (bin indexes " + lo + ".." + hi + ", " + (hi - lo + 1) + " contiguous bin counts)");
        }
    }

    /** One latency into a DDSketch (1 % accuracy, 2048 bins). */
    @Benchmark
    public void addLatency(LatencyState s) {
        LatencySketches.add(s.sketch, s.latencies[s.i++ & (PRECOMPUTED - 1)]);
    }

    /** One realistic member into a cohort accumulator: counts, outcome at as_of, body + 5 stage + 4 segment sketches. */
    @Benchmark
    public void addMember(MemberState s) {
        s.acc.add(s.members[s.i++ & (MEMBERS - 1)]);
    }

    /**
     * A whole day row as the metrics processor recomputes it: a fresh accumulator, 110 members (the
     * middle of the 20-200 used by the query benchmark), then both Avro rows (quantiles and 10 encoded sketches).
     */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void cohortDayRow(MemberState s, Blackhole bh) {
        CohortAccumulator acc = new CohortAccumulator(MemberState.NOW);
        int base = (s.i += 110) & (MEMBERS - 1);
        for (int k = 0; k < 110; k++) {
            acc.add(s.members[(base + k) & (MEMBERS - 1)]);
        }
        CohortAccumulator.Window w = new CohortAccumulator.Window(WindowGranularity.DAY, MemberState.DAY,
                MemberState.DAY.plus(Duration.ofDays(1)), SeverityBand.HIGH, MetricDimension.TEAM, "team-07");
        HandoffWindow h = acc.handoffWindow(w, MemberState.NOW);
        CycleWindow c = acc.cycleWindow(w, MemberState.NOW);
        bh.consume(h);
        bh.consume(c);
    }

    /** Encode (DDSketch protobuf) a sketch holding 10 000 latencies. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public byte[] encode10k(EncodedState s) {
        return LatencySketches.encode(s.sketch);
    }

    /** Decode (protobuf parse + DDSketchProtoBinding + compatibility check) a sketch holding 10 000 latencies. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public DDSketch decode10k(EncodedState s) {
        return LatencySketches.decode(s.bytes);
    }
}

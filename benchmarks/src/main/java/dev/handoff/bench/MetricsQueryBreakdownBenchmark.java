package dev.handoff.bench;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketchProtoBinding;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.store.Bin;
import dev.handoff.avro.CycleWindow;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.avro.LatencySketch;
import dev.handoff.avro.MetricDimension;
import dev.handoff.avro.SlaPolicy;
import dev.handoff.avro.StageLatency;
import dev.handoff.avro.WindowGranularity;
import dev.handoff.streams.metrics.CohortAccumulator;
import dev.handoff.streams.metrics.CohortKey;
import dev.handoff.streams.metrics.LatencySketches;
import dev.handoff.streams.metrics.MetricRows;
import dev.handoff.streams.metrics.Windows;
import dev.handoff.streams.query.MetricsJsonBench;
import dev.handoff.streams.query.MetricsRequest;
import dev.handoff.streams.sla.SlaPolicies;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where the time of the dashboard query ({@link MetricsQueryBenchmark#dashboard}) goes: each stage of
 * {@link MetricRows#read} timed alone over the same 90 days × 4 bands × 50 teams, plus two alternative
 * sketch encodings as what-if experiments (benchmark code only; main code is unchanged). Each benchmark
 * prepares only the inputs it needs, from the same fixture.
 *
 * <p>Run: {@code benchmarks/run MetricsQueryBreakdown -f 1 -wi 3 -w 2 -i 5 -r 2}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class MetricsQueryBreakdownBenchmark {

    @Param({"90"})
    public int days;

    @Param({"50"})
    public int teams;

    MetricsStoreFixture fixture;
    MetricRows.Selection selection;
    String from;
    String to;

    // raw values, as RocksDB holds them
    List<byte[]> handoffBytes;
    List<byte[]> cycleBytes;
    // typed rows and the group (band, key) each belongs to
    List<KeyValue<String, HandoffWindow>> handoffRows;
    List<KeyValue<String, CycleWindow>> cycleRows;
    int[] handoffGroup;
    int[] cycleGroup;
    List<CohortAccumulator.Window> groupWindows;
    // decoded sketches per group: [group][sketch slot 0..9] -> the parts to merge
    List<List<List<DDSketch>>> decoded;
    // merged accumulators and the final rows
    List<CohortAccumulator> accumulators;
    List<MetricRows.Row> result;
    MetricsRequest request;
    SlaPolicy policy;
    // alternative encodings of every sketch, per group and slot
    List<List<List<byte[]>>> nativeBytes;
    List<List<List<byte[]>>> sparseProtoBytes;
    List<List<List<byte[]>>> currentBytes;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) {
        String benchmark = params.getBenchmark();
        String name = benchmark.substring(benchmark.lastIndexOf('.') + 1);
        fixture = new MetricsStoreFixture(days, teams, 20250630L);
        selection = fixture.selection(null, days);
        from = MetricDimension.TEAM.name() + "|";
        to = MetricDimension.TEAM.name() + "|\uffff";
        switch (name) {
            case "rocksdbScanRaw" -> fixture.reopenRaw();
            case "avroDeserialize" -> {
                fixture.reopenRaw();
                handoffBytes = rawValues(fixture.rawHandoffDays);
                cycleBytes = rawValues(fixture.rawCycleDays);
            }
            case "scanTyped" -> {
            }
            default -> prepareRows(name);
        }
    }

    private void prepareRows(String name) {
        handoffRows = new ArrayList<>();
        cycleRows = new ArrayList<>();
        try (KeyValueIterator<String, HandoffWindow> it = fixture.handoffDays.range(from, to)) {
            it.forEachRemaining(handoffRows::add);
        }
        try (KeyValueIterator<String, CycleWindow> it = fixture.cycleDays.range(from, to)) {
            it.forEachRemaining(cycleRows::add);
        }
        Map<String, Integer> groups = new HashMap<>();
        groupWindows = new ArrayList<>();
        handoffGroup = new int[handoffRows.size()];
        cycleGroup = new int[cycleRows.size()];
        for (int i = 0; i < handoffRows.size(); i++) {
            CohortKey c = CohortKey.parse(handoffRows.get(i).key);
            handoffGroup[i] = groups.computeIfAbsent(c.band() + "|" + c.key(), g -> {
                groupWindows.add(new CohortAccumulator.Window(WindowGranularity.DAY, Windows.start(selection.from(), MetricsStoreFixture.ZONE),
                        Windows.end(selection.to(), MetricsStoreFixture.ZONE), c.band(), c.dimension(), c.key()));
                return groupWindows.size() - 1;
            });
        }
        for (int i = 0; i < cycleRows.size(); i++) {
            CohortKey c = CohortKey.parse(cycleRows.get(i).key);
            cycleGroup[i] = groups.get(c.band() + "|" + c.key());
        }
        switch (name) {
            case "sketchMerge" -> decoded = decodeAll();
            case "buildRows", "renderJson" -> {
                accumulators = accumulate();
                result = build(accumulators);
                request = new MetricsRequest(selection.from(), selection.to(), selection.bands(), MetricDimension.TEAM, null,
                        WindowGranularity.DAY);
                policy = SlaPolicies.defaultPolicy();
            }
            case "altCurrentProtoDecodeMerge", "altSparseProtoDecodeMerge", "altNativeDecodeMerge", "altProtoStreamingMerge" ->
                    encodeAlternatives(name);
            default -> {
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fixture.close();
    }

    // ------------------------------------------------------------------ the stages of MetricRows.read

    /** RocksDB alone: iterate both stores over the dimension's key range, keys and values as raw bytes. */
    @Benchmark
    public long rocksdbScanRaw() {
        long bytes = 0;
        Bytes lo = Bytes.wrap(from.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Bytes hi = Bytes.wrap(to.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        try (KeyValueIterator<Bytes, byte[]> it = fixture.rawHandoffDays.range(lo, hi)) {
            while (it.hasNext()) {
                bytes += it.next().value.length;
            }
        }
        try (KeyValueIterator<Bytes, byte[]> it = fixture.rawCycleDays.range(lo, hi)) {
            while (it.hasNext()) {
                bytes += it.next().value.length;
            }
        }
        return bytes;
    }

    /** RocksDB + key/value deserialization through the metered typed stores (what MetricRows.read iterates). */
    @Benchmark
    public void scanTyped(Blackhole bh) {
        try (KeyValueIterator<String, HandoffWindow> it = fixture.handoffDays.range(from, to)) {
            while (it.hasNext()) {
                bh.consume(it.next());
            }
        }
        try (KeyValueIterator<String, CycleWindow> it = fixture.cycleDays.range(from, to)) {
            while (it.hasNext()) {
                bh.consume(it.next());
            }
        }
    }

    /** Avro deserialization alone, of the values the scan returns. */
    @Benchmark
    public void avroDeserialize(Blackhole bh) {
        for (byte[] b : handoffBytes) {
            bh.consume(fixture.handoffSerde.deserializer().deserialize("bench", b));
        }
        for (byte[] b : cycleBytes) {
            bh.consume(fixture.cycleSerde.deserializer().deserialize("bench", b));
        }
    }

    /** CohortKey.parse of every key (done for both stores). */
    @Benchmark
    public void parseKeys(Blackhole bh) {
        for (KeyValue<String, HandoffWindow> kv : handoffRows) {
            bh.consume(CohortKey.parse(kv.key));
        }
        for (KeyValue<String, CycleWindow> kv : cycleRows) {
            bh.consume(CohortKey.parse(kv.key));
        }
    }

    /** LatencySketches.fromAvro of the 10 sketches of every row (body + 5 stages, 4 segments). */
    @Benchmark
    public void sketchDecode(Blackhole bh) {
        for (KeyValue<String, HandoffWindow> kv : handoffRows) {
            bh.consume(LatencySketches.fromAvro(kv.value.getSketch()));
            for (StageLatency s : kv.value.getStages()) {
                bh.consume(LatencySketches.fromAvro(s.getSketch()));
            }
        }
        for (KeyValue<String, CycleWindow> kv : cycleRows) {
            CycleWindow c = kv.value;
            bh.consume(LatencySketches.fromAvro(c.getHandoffSketch()));
            bh.consume(LatencySketches.fromAvro(c.getTriageSketch()));
            bh.consume(LatencySketches.fromAvro(c.getFixSketch()));
            bh.consume(LatencySketches.fromAvro(c.getVerificationSketch()));
        }
    }

    /** DDSketch.mergeWith of the already decoded sketches into one fresh sketch per (group, slot). */
    @Benchmark
    public void sketchMerge(Blackhole bh) {
        for (List<List<DDSketch>> group : decoded) {
            for (List<DDSketch> parts : group) {
                DDSketch target = LatencySketches.create();
                for (DDSketch p : parts) {
                    target.mergeWith(p);
                }
                bh.consume(target);
            }
        }
    }

    /** CohortAccumulator.add(row) for every deserialized row: decode + merge + counts, as MetricRows.read does. */
    @Benchmark
    public List<CohortAccumulator> accumulate() {
        List<CohortAccumulator> accs = new ArrayList<>();
        for (int g = 0; g < groupWindows.size(); g++) {
            accs.add(new CohortAccumulator(Instant.EPOCH));
        }
        for (int i = 0; i < handoffRows.size(); i++) {
            accs.get(handoffGroup[i]).add(handoffRows.get(i).value);
        }
        for (int i = 0; i < cycleRows.size(); i++) {
            accs.get(cycleGroup[i]).add(cycleRows.get(i).value);
        }
        return accs;
    }

    /** The 200 answer rows from merged accumulators: quantiles and 10 sketch encodings per row. */
    @Benchmark
    public List<MetricRows.Row> buildRows() {
        return build(accumulators);
    }

    /** MetricsJson.handoff + Jackson for the 200 answer rows (decodes each body sketch again for the distribution). */
    @Benchmark
    public String renderJson() {
        return MetricsJsonBench.handoffBody(request, result, policy, MetricsStoreFixture.ZONE.getId(), MetricsStoreFixture.NOW);
    }

    // ------------------------------------------------------------------ what-if: other sketch encodings

    /** Baseline for the alternatives: today's bytes (protobuf, contiguous bin counts), LatencySketches.decode + mergeWith. */
    @Benchmark
    public void altCurrentProtoDecodeMerge(Blackhole bh) {
        for (List<List<byte[]>> group : currentBytes) {
            for (List<byte[]> parts : group) {
                DDSketch target = LatencySketches.create();
                for (byte[] b : parts) {
                    target.mergeWith(LatencySketches.decode(b));
                }
                bh.consume(target);
            }
        }
    }

    /**
     * Today's bytes unchanged, merged straight into the target by {@link StreamingProtoSketchMerge}
     * (CodedInputStream, no protobuf objects, no intermediate sketch).
     */
    @Benchmark
    public void altProtoStreamingMerge(Blackhole bh) {
        StreamingProtoSketchMerge merger = new StreamingProtoSketchMerge();
        for (List<List<byte[]>> group : currentBytes) {
            for (List<byte[]> parts : group) {
                DDSketch target = LatencySketches.create();
                for (byte[] b : parts) {
                    merger.mergeInto(target, b);
                }
                bh.consume(target);
            }
        }
    }

    /** The same sketches as the official protobuf message with sparse binCounts (same .proto, any DDSketch reader). */
    @Benchmark
    public void altSparseProtoDecodeMerge(Blackhole bh) {
        for (List<List<byte[]>> group : sparseProtoBytes) {
            for (List<byte[]> parts : group) {
                DDSketch target = LatencySketches.create();
                for (byte[] b : parts) {
                    target.mergeWith(LatencySketches.decode(b));
                }
                bh.consume(target);
            }
        }
    }

    /** The same sketches in DDSketch's own compact binary encoding, decoded straight into the target (decodeAndMergeWith). */
    @Benchmark
    public void altNativeDecodeMerge(Blackhole bh) {
        try {
            for (List<List<byte[]>> group : nativeBytes) {
                for (List<byte[]> parts : group) {
                    DDSketch target = LatencySketches.create();
                    for (byte[] b : parts) {
                        target.decodeAndMergeWith(ByteArrayInput.wrap(b));
                    }
                    bh.consume(target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static List<byte[]> rawValues(org.apache.kafka.streams.state.KeyValueStore<Bytes, byte[]> store) {
        List<byte[]> out = new ArrayList<>();
        Bytes lo = Bytes.wrap((MetricDimension.TEAM.name() + "|").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Bytes hi = Bytes.wrap((MetricDimension.TEAM.name() + "|\uffff").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        try (KeyValueIterator<Bytes, byte[]> it = store.range(lo, hi)) {
            it.forEachRemaining(kv -> out.add(kv.value));
        }
        return out;
    }

    /** Every sketch of every row, per group and slot (0 body, 1-5 stages, 6-9 segments). */
    private List<List<List<LatencySketch>>> sketchesPerGroup() {
        List<List<List<LatencySketch>>> out = new ArrayList<>();
        for (int g = 0; g < groupWindows.size(); g++) {
            List<List<LatencySketch>> slots = new ArrayList<>();
            for (int s = 0; s < 10; s++) {
                slots.add(new ArrayList<>());
            }
            out.add(slots);
        }
        for (int i = 0; i < handoffRows.size(); i++) {
            HandoffWindow h = handoffRows.get(i).value;
            List<List<LatencySketch>> slots = out.get(handoffGroup[i]);
            slots.get(0).add(h.getSketch());
            List<StageLatency> stages = h.getStages();
            for (int s = 0; s < stages.size(); s++) {
                slots.get(1 + s).add(stages.get(s).getSketch());
            }
        }
        for (int i = 0; i < cycleRows.size(); i++) {
            CycleWindow c = cycleRows.get(i).value;
            List<List<LatencySketch>> slots = out.get(cycleGroup[i]);
            slots.get(6).add(c.getHandoffSketch());
            slots.get(7).add(c.getTriageSketch());
            slots.get(8).add(c.getFixSketch());
            slots.get(9).add(c.getVerificationSketch());
        }
        return out;
    }

    private List<List<List<DDSketch>>> decodeAll() {
        List<List<List<DDSketch>>> out = new ArrayList<>();
        for (List<List<LatencySketch>> group : sketchesPerGroup()) {
            List<List<DDSketch>> slots = new ArrayList<>();
            for (List<LatencySketch> parts : group) {
                slots.add(parts.stream().map(LatencySketches::fromAvro).toList());
            }
            out.add(slots);
        }
        return out;
    }

    private void encodeAlternatives(String name) {
        long current = 0;
        long sparse = 0;
        long nativeSize = 0;
        long count = 0;
        List<List<List<byte[]>>> cur = new ArrayList<>();
        List<List<List<byte[]>>> sp = new ArrayList<>();
        List<List<List<byte[]>>> nat = new ArrayList<>();
        for (List<List<LatencySketch>> group : sketchesPerGroup()) {
            List<List<byte[]>> c = new ArrayList<>();
            List<List<byte[]>> s = new ArrayList<>();
            List<List<byte[]>> n = new ArrayList<>();
            for (List<LatencySketch> parts : group) {
                List<byte[]> pc = new ArrayList<>();
                List<byte[]> ps = new ArrayList<>();
                List<byte[]> pn = new ArrayList<>();
                for (LatencySketch part : parts) {
                    ByteBuffer buffer = part.getBytes().duplicate();
                    byte[] bytes = new byte[buffer.remaining()];
                    buffer.get(bytes);
                    DDSketch sketch = LatencySketches.decode(bytes);
                    byte[] sparseBytes = sparseProto(sketch);
                    byte[] nativeBytesOne = nativeEncoding(sketch);
                    pc.add(bytes);
                    ps.add(sparseBytes);
                    pn.add(nativeBytesOne);
                    current += bytes.length;
                    sparse += sparseBytes.length;
                    nativeSize += nativeBytesOne.length;
                    count++;
                }
                c.add(pc);
                s.add(ps);
                n.add(pn);
            }
            cur.add(c);
            sp.add(s);
            nat.add(n);
        }
        System.out.printf(Locale.ROOT, "[encodings] %d sketches read by the dashboard query: current protobuf (contiguous) %.1f MB"
                        + " (avg %d B), protobuf with sparse binCounts %.1f MB (avg %d B), DDSketch native encoding %.1f MB (avg %d B)%n",
                count, current / 1e6, current / count, sparse / 1e6, sparse / count, nativeSize / 1e6, nativeSize / count);
        switch (name) {
            case "altCurrentProtoDecodeMerge" -> currentBytes = cur;
            case "altProtoStreamingMerge" -> {
                currentBytes = cur;
                checkStreamingMerge();
            }
            case "altSparseProtoDecodeMerge" -> sparseProtoBytes = sp;
            default -> nativeBytes = nat;
        }
    }

    /** The streaming merge must give the same sketch as decode + mergeWith: compared on every slot of every group. */
    private void checkStreamingMerge() {
        StreamingProtoSketchMerge merger = new StreamingProtoSketchMerge();
        int slots = 0;
        for (List<List<byte[]>> group : currentBytes) {
            for (List<byte[]> parts : group) {
                DDSketch expected = LatencySketches.create();
                DDSketch actual = LatencySketches.create();
                for (byte[] b : parts) {
                    expected.mergeWith(LatencySketches.decode(b));
                    merger.mergeInto(actual, b);
                }
                if (!java.util.Arrays.equals(LatencySketches.encode(expected), LatencySketches.encode(actual))) {
                    throw new IllegalStateException("streaming merge differs from decode + mergeWith");
                }
                slots++;
            }
        }
        System.out.println("[encodings] streaming protobuf merge gives byte-identical sketches on all " + slots + " (group, slot) merges");
    }

    /** The official DDSketch protobuf message with the positive store as a sparse binCounts map. */
    static byte[] sparseProto(DDSketch sketch) {
        com.datadoghq.sketch.ddsketch.proto.DDSketch dense = DDSketchProtoBinding.toProto(sketch);
        com.datadoghq.sketch.ddsketch.proto.Store.Builder positive = com.datadoghq.sketch.ddsketch.proto.Store.newBuilder();
        var bins = sketch.getPositiveValueStore().getAscendingIterator();
        while (bins.hasNext()) {
            Bin bin = bins.next();
            positive.putBinCounts(bin.getIndex(), bin.getCount());
        }
        return dense.toBuilder().setPositiveValues(positive).build().toByteArray();
    }

    /** DDSketch's own binary encoding (varint / varfloat, sparse or contiguous per store, whichever is smaller). */
    static byte[] nativeEncoding(DDSketch sketch) {
        GrowingByteArrayOutput out = GrowingByteArrayOutput.withInitialCapacity(256);
        try {
            sketch.encode(out, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.trimmedCopy();
    }

    private List<MetricRows.Row> build(List<CohortAccumulator> accs) {
        List<MetricRows.Row> out = new ArrayList<>(accs.size());
        for (int g = 0; g < accs.size(); g++) {
            CohortAccumulator.Window w = groupWindows.get(g);
            out.add(new MetricRows.Row(accs.get(g).handoffWindow(w, MetricsStoreFixture.NOW), accs.get(g).cycleWindow(w, MetricsStoreFixture.NOW)));
        }
        return out;
    }
}

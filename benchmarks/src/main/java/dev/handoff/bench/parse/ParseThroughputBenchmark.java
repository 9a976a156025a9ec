package dev.handoff.bench.parse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.handoff.ingest.ReportRecords;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportParsers;
import dev.handoff.ingest.parse.ReportSummary;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Parse + normalise throughput of a whole large report through {@link ReportParsers#parse} (format
 * detection, limits, the format's parser, the summary counts), single thread, one operation = one whole
 * file of {@code findings} findings read from a temporary file (page cache after the first read).
 *
 * <ul>
 * <li>{@code parse}: each {@code ParsedFinding} into a {@link Blackhole};</li>
 * <li>{@code parseToRecord}: each also turned into its Avro {@code FindingReported} by
 * {@link ReportRecords#toRecord} (envelope and finding id), the full normalisation the connector does
 * before producing.</li>
 * <li>{@code tokenize}: the floor, Jackson's tokenizer alone over the same bytes.</li>
 * </ul>
 * Each iteration also prints {@code [cpu]}: the operation's CPU time on the benchmark thread and in the whole
 * JVM (GC and JIT included), for findings per CPU-second on a shared machine.
 * Findings per second = {@code findings} / (seconds per operation). The reports come from
 * {@link LargeReports} at trial setup.
 *
 * <p>Run: {@code benchmarks/run ParseThroughput -f 1 -wi 3 -i 8}; memory flatness:
 * {@code benchmarks/run 'ParseThroughput.parse$' -p findings=100000,400000 -jvmArgs -Xmx64m -prof gc}
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Threads(1)
@Warmup(iterations = 3)
@Measurement(iterations = 8)
public class ParseThroughputBenchmark {

    /** Generous limits: the 400k-finding SARIF file is larger than the default 256 MiB. */
    static final ParseLimits LIMITS = new ParseLimits(16L << 30, 128, 4 * 1024 * 1024, 10_000_000);

    static final JsonFactory TOKENS = new JsonFactory();
    static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    @State(Scope.Benchmark)
    public static class Report {
        @Param({"SARIF", "TRIVY"})
        public String format;

        @Param({"100000"})
        public int findings;

        Path dir;
        Path file;
        final ReportParsers parsers = new ReportParsers();
        final ReportRecords records = new ReportRecords("sha256:bench-report", "ingest-connector/bench", null, null,
                Instant.parse("2025-03-03T12:00:00Z"));

        @Setup(Level.Trial)
        public void write() throws IOException {
            dir = Files.createTempDirectory("handoff-parse-bench-");
            long t0 = System.nanoTime();
            long bytes;
            if ("SARIF".equals(format)) {
                file = dir.resolve("large.sarif");
                bytes = LargeReports.sarif(file, findings);
            } else {
                file = dir.resolve("large-trivy.json");
                bytes = LargeReports.trivy(file, findings);
            }
            System.out.printf("%n[report] %s: %,d findings, %,d bytes (%.0f bytes/finding), written in %d ms%n", format, findings,
                    bytes, (double) bytes / findings, (System.nanoTime() - t0) / 1_000_000);
        }

        @TearDown(Level.Trial)
        public void delete() throws IOException {
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            String hwm = "?";
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("VmHWM:")) {
                        hwm = line.substring(6).trim();
                    }
                }
            } catch (IOException | RuntimeException ignored) {
                // not Linux: no RSS figure
            }
            System.out.printf("%n[memory] %s %,d findings: max heap %,d MB, sum of heap pool peaks %,d MB, peak RSS %s%n", format,
                    findings, Runtime.getRuntime().maxMemory() >> 20, peak >> 20, hwm);
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }

        private long thread0;
        private long process0;
        private long wall0;

        /** Around each single-shot operation: CPU of the benchmark thread and of the whole JVM (GC, JIT), as the sandbox is shared. */
        @Setup(Level.Iteration)
        public void cpuBefore() {
            thread0 = THREADS.getCurrentThreadCpuTime();
            process0 = OS.getProcessCpuTime();
            wall0 = System.nanoTime();
        }

        @TearDown(Level.Iteration)
        public void cpuAfter() {
            long thread = THREADS.getCurrentThreadCpuTime() - thread0;
            long process = OS.getProcessCpuTime() - process0;
            long wall = System.nanoTime() - wall0;
            System.out.printf("%n[cpu] %s %d findings: wall %d ms, thread cpu %d ms, process cpu %d ms -> %.0f findings/thread-cpu-s, %.0f findings/process-cpu-s%n",
                    format, findings, wall / 1_000_000, thread / 1_000_000, process / 1_000_000, findings * 1e9 / thread,
                    findings * 1e9 / process);
        }

        void check(ReportSummary summary) {
            if (summary.findings() != findings) {
                throw new IllegalStateException("parsed " + summary.findings() + " findings, expected " + findings + ": " + summary);
            }
        }
    }

    /** Floor: only Jackson's tokenizer over the same bytes (every token, string values materialised), no trees, no findings. */
    @Benchmark
    public long tokenize(Report r) throws IOException {
        long n = 0;
        try (InputStream in = Files.newInputStream(r.file); JsonParser p = TOKENS.createParser(in)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                n += t == JsonToken.VALUE_STRING || t == JsonToken.FIELD_NAME ? p.getText().length() : 1;
            }
        }
        return n;
    }

    @Benchmark
    public ReportSummary parse(Report r, Blackhole bh) throws IOException, ReportException {
        try (InputStream in = Files.newInputStream(r.file)) {
            ReportSummary s = r.parsers.parse(in, Optional.empty(), LIMITS, bh::consume);
            r.check(s);
            return s;
        }
    }

    @Benchmark
    public ReportSummary parseToRecord(Report r, Blackhole bh) throws IOException, ReportException {
        long[] ordinal = {0};
        try (InputStream in = Files.newInputStream(r.file)) {
            ReportSummary s = r.parsers.parse(in, Optional.empty(), LIMITS, f -> bh.consume(r.records.toRecord(f, ordinal[0]++)));
            r.check(s);
            return s;
        }
    }
}

package dev.handoff.bench;

import dev.handoff.avro.MetricDimension;
import dev.handoff.avro.SlaPolicy;
import dev.handoff.avro.WindowGranularity;
import dev.handoff.streams.metrics.MetricRows;
import dev.handoff.streams.query.MetricsJsonBench;
import dev.handoff.streams.query.MetricsRequest;
import dev.handoff.streams.sla.SlaPolicies;
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

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The target: "a query over 90 days × 4 severities × 50 teams answering in under 50 ms", against
 * real RocksDB stores filled as the metrics processor fills them ({@link MetricsStoreFixture}). Measures
 * one instance's local part of {@code GET /metrics/handoff} (no HTTP, no peers): {@link MetricRows#read}
 * for all teams and for one team, and the all-teams read plus the JSON body QueryServer writes.
 *
 * <p>Run: {@code benchmarks/run MetricsQueryBenchmark -f 1 -wi 3 -w 2 -i 5 -r 2}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class MetricsQueryBenchmark {

    /** Days of rows in the stores (day rows are never pruned, so a long-running instance holds more than it is asked for). */
    @Param({"90"})
    public int storedDays;

    /** Days the query covers, ending at the last stored day. */
    @Param({"90"})
    public int queryDays;

    @Param({"50"})
    public int teams;

    MetricsStoreFixture fixture;
    MetricRows.Selection allTeams;
    MetricRows.Selection oneTeam;
    MetricsRequest request;
    SlaPolicy policy;

    @Setup(Level.Trial)
    public void setUp() {
        fixture = new MetricsStoreFixture(storedDays, teams, 20250630L);
        allTeams = fixture.selection(null, queryDays);
        oneTeam = fixture.selection(MetricsStoreFixture.team(teams / 2), queryDays);
        request = new MetricsRequest(allTeams.from(), allTeams.to(), allTeams.bands(), MetricDimension.TEAM, null, WindowGranularity.DAY);
        policy = SlaPolicies.defaultPolicy();
        List<MetricRows.Row> rows = dashboard();
        String body = dashboardJson();
        System.out.printf(Locale.ROOT, "[query] all teams: %d merged rows, %d captured in total; one team: %d rows; JSON body %d chars%n",
                rows.size(), rows.stream().mapToLong(r -> r.handoff().getCaptured()).sum(), oneTeam().size(), body.length());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fixture.close();
    }

    /** (a) The full dashboard read: TEAM, every team, 4 bands, 90 days, merged per (band, team). */
    @Benchmark
    public List<MetricRows.Row> dashboard() {
        return MetricRows.read(fixture.handoffDays, fixture.cycleDays, allTeams, MetricsStoreFixture.ZONE, MetricsStoreFixture.NOW, MetricRows.Parts.HANDOFF);
    }

    /** (a') The same read for the five numbers only ({@code detail=five}: no stage decomposition). */
    @Benchmark
    public List<MetricRows.Row> dashboardFive() {
        return MetricRows.read(fixture.handoffDays, fixture.cycleDays, allTeams, MetricsStoreFixture.ZONE, MetricsStoreFixture.NOW, MetricRows.Parts.FIVE);
    }

    /** (b) One team: 4 bands, 90 days. */
    @Benchmark
    public List<MetricRows.Row> oneTeam() {
        return MetricRows.read(fixture.handoffDays, fixture.cycleDays, oneTeam, MetricsStoreFixture.ZONE, MetricsStoreFixture.NOW, MetricRows.Parts.HANDOFF);
    }

    /** (c) (a) plus the response body of /metrics/handoff: MetricsJson.handoff rendered and written by Jackson. */
    @Benchmark
    public String dashboardJson() {
        List<MetricRows.Row> rows = dashboard();
        Instant at = MetricsStoreFixture.NOW;
        return MetricsJsonBench.handoffBody(request, rows, policy, MetricsStoreFixture.ZONE.getId(), at);
    }
}

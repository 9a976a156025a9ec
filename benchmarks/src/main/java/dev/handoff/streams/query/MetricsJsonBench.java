package dev.handoff.streams.query;

import dev.handoff.avro.SlaPolicy;
import dev.handoff.streams.metrics.MetricRows;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Benchmark-only bridge (lives in the benchmarks module) to the package-private JSON rendering of
 * {@code GET /metrics/handoff}: {@link MetricsJson#handoff} then {@link Json#write}, as QueryServer does.
 */
public final class MetricsJsonBench {

    private MetricsJsonBench() {
    }

    /** The response body of /metrics/handoff for {@code rows}, without gauges. */
    public static String handoffBody(MetricsRequest req, List<MetricRows.Row> rows, SlaPolicy policy, String zone, Instant asOf) {
        return Json.write(MetricsJson.handoff(req, rows, Optional.empty(), policy, zone, asOf));
    }
}

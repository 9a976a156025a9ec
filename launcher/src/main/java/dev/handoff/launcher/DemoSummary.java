package dev.handoff.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/** The terminal view of the local mode: the five handoff numbers per severity, the queue, the failure modes, the alerts. */
final class DemoSummary {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String queryUrl;

    DemoSummary(String queryUrl) {
        this.queryUrl = queryUrl;
    }

    /** {@code /metrics/handoff} for the last 30 days, once its captured total reaches {@code findings} (or after {@code wait}). */
    JsonNode awaitMetrics(int findings, Duration wait) throws IOException, InterruptedException {
        long until = System.nanoTime() + wait.toNanos();
        JsonNode last = null;
        JsonNode previousRows = null;
        while (System.nanoTime() < until) {
            last = metrics();
            long captured = 0;
            for (JsonNode row : last.path("rows")) {
                captured += row.path("captured").asLong();
            }
            // settled: every finding counted, and the rows did not change over a refresh interval
            if (captured >= findings && last.path("rows").equals(previousRows)) {
                return last;
            }
            previousRows = last.path("rows");
            Thread.sleep(2_500);
        }
        return last;
    }

    JsonNode metrics() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(queryUrl + "/metrics/handoff?from=" + java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(30)))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("the metrics API answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** Failure modes over every row: breaches and no-acks by mode. */
    static Map<String, Long> failureModes(JsonNode metrics) {
        Map<String, Long> modes = new TreeMap<>();
        for (JsonNode row : metrics.path("rows")) {
            for (JsonNode m : row.path("handoff_breaches").path("by_mode")) {
                modes.merge(m.path("mode").asText(), m.path("count").asLong(), Long::sum);
            }
            for (JsonNode m : row.path("no_ack").path("by_mode")) {
                modes.merge(m.path("mode").asText(), m.path("count").asLong(), Long::sum);
            }
        }
        return modes;
    }

    void print(JsonNode metrics, Map<String, Long> alerts, PrintStream out) {
        out.println();
        out.printf("handoff, last 30 days (captured → acknowledged by a named owner), as of %s%n", metrics.path("as_of").asText());
        out.printf("  %-9s %8s %6s %10s %10s %8s %9s  %s%n", "severity", "captured", "acked", "median", "p90", "no-ack", "breaches", "SLA");
        for (JsonNode row : metrics.path("rows")) {
            JsonNode noAck = row.path("no_ack");
            out.printf("  %-9s %8d %6d %10s %10s %8s %9d  %s%n", row.path("band").asText(), row.path("captured").asLong(),
                    row.path("acknowledged").asLong(), duration(row.path("median_ms")), duration(row.path("p90_ms")),
                    noAck.path("rate").isNull() || noAck.path("rate").isMissingNode() ? "-" : Math.round(noAck.path("rate").asDouble() * 100) + "%",
                    row.path("handoff_breaches").path("count").asLong(),
                    row.path("sla").path("status").asText() + (row.path("sla").path("handoff").isNull() ? "" : " (" + row.path("sla").path("handoff").asText() + ")"));
        }
        JsonNode g = metrics.path("gauges");
        out.printf("  unrouted queue: %d open findings without a named active owner; ownership currency %s%n", g.path("unrouted_depth").asLong(),
                g.path("ownership_currency").isNumber() ? Math.round(g.path("ownership_currency").asDouble() * 100) + "%" : "-");
        out.printf("  failure modes (breaches and no-acks): %s%n", failureModes(metrics));
        long total = alerts.values().stream().mapToLong(Long::longValue).sum();
        out.printf("  alerts delivered to the local receiver: %d %s%n", total, alerts);
    }

    private static String duration(JsonNode ms) {
        if (ms == null || ms.isNull() || ms.isMissingNode()) {
            return "-";
        }
        Duration d = Duration.ofMillis(ms.asLong());
        if (d.toDays() > 0) {
            return d.toDays() + "d " + d.toHoursPart() + "h";
        }
        if (d.toHours() > 0) {
            return d.toHours() + "h " + d.toMinutesPart() + "m";
        }
        return d.toMinutes() + "m";
    }
}

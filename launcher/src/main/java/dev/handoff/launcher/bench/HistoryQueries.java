package dev.handoff.launcher.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a history query costs: {@code GET /findings/{id}} (the finding's state and its activity timeline) on the query
 * API of the service the bench has just run, for a sample of the programme's findings, one request at a time after a
 * few unmeasured warm-up requests. Where the timeline is read from is due to change; this figure shows the cost before
 * and after. A request that fails is counted, never thrown: the history query must not fail the bench.
 */
final class HistoryQueries {

    static final int WARM_UP = 20;
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** A service that stopped answering would otherwise hold the bench for {@link #TIMEOUT} per remaining finding. */
    static final int GIVE_UP_AFTER = 5;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int REASON_CHARS = 200;

    /** The findings asked for, unmeasured first, then measured; both spread over the programme. */
    record Plan(List<String> warmUp, List<String> measured) {
    }

    /**
     * The figures of the measured requests: latencies of the answered ones in nanoseconds, sorted; the timeline entries
     * they returned; those that failed (non-200 or no answer) with the first failure's reason; and those not asked
     * because the service had stopped answering.
     */
    record Result(int findings, long[] latencyNanos, long timelineEntries, int failed, String firstFailure, int notAsked) {

        /** The lower quantile, as the bench's other delays: the value at rank ⌊q·(n−1)⌋; -1 when nothing answered. */
        long quantileNanos(double q) {
            return latencyNanos.length == 0 ? -1 : latencyNanos[(int) Math.floor(q * (latencyNanos.length - 1))];
        }

        double meanTimelineEntries() {
            return latencyNanos.length == 0 ? Double.NaN : timelineEntries / (double) latencyNanos.length;
        }

        /** The printed figure, after {@code "history query: "}. */
        String format() {
            StringBuilder s = new StringBuilder("GET /findings/{id} for ").append(Formatting.count(findings)).append(" findings: ");
            if (latencyNanos.length == 0) {
                s.append("no answers");
            } else {
                s.append("p50 ").append(Formatting.millis(quantileNanos(0.5)))
                        .append(", p99 ").append(Formatting.millis(quantileNanos(0.99)))
                        .append(", max ").append(Formatting.millis(quantileNanos(1.0)))
                        .append(String.format(Locale.ROOT, "; %.1f timeline entries on average", meanTimelineEntries()));
            }
            s.append("; ").append(failed).append(" failed");
            if (notAsked > 0) {
                s.append(", ").append(notAsked).append(" not asked (gave up after ").append(GIVE_UP_AFTER).append(" failures in a row)");
            }
            return s.toString();
        }

        /** For run.json: latencies in milliseconds, null when nothing answered. */
        ObjectNode toJson() {
            ObjectNode n = JSON.createObjectNode();
            n.put("findings", findings);
            n.put("answered", latencyNanos.length);
            n.put("failed", failed);
            n.put("not_asked", notAsked);
            if (latencyNanos.length > 0) {
                n.put("p50_ms", quantileNanos(0.5) / 1e6);
                n.put("p99_ms", quantileNanos(0.99) / 1e6);
                n.put("max_ms", quantileNanos(1.0) / 1e6);
                n.put("mean_timeline_entries", meanTimelineEntries());
            }
            if (firstFailure != null) {
                n.put("first_failure", firstFailure);
            }
            return n;
        }
    }

    private HistoryQueries() {
    }

    /**
     * {@code measured} ids spread evenly over {@code ids} (each from the middle of its stretch, so neither end is
     * favoured), and {@code warmUp} ids spread over the rest: warming up on the measured findings would put their
     * data in the caches before they are timed. Deterministic for the same ids; all ids when there are fewer.
     */
    static Plan plan(List<String> ids, int measured, int warmUp) {
        boolean[] taken = new boolean[ids.size()];
        List<String> m = new ArrayList<>();
        for (int i : spread(ids.size(), measured)) {
            taken[i] = true;
            m.add(ids.get(i));
        }
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            if (!taken[i]) {
                rest.add(ids.get(i));
            }
        }
        // A programme smaller than the sample leaves no other finding to warm up on.
        List<String> pool = rest.isEmpty() ? m : rest;
        List<String> w = new ArrayList<>();
        for (int i : spread(pool.size(), warmUp)) {
            w.add(pool.get(i));
        }
        return new Plan(w, m);
    }

    /** {@code n} distinct indices of {@code 0..size-1}, one from the middle of each of {@code n} equal stretches. */
    static int[] spread(int size, int n) {
        int k = Math.min(Math.max(n, 0), size);
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = (int) ((2L * i + 1) * size / (2L * k));
        }
        return out;
    }

    /** Asks the query API at {@code 127.0.0.1:port} (where the bench binds it) for every finding of the plan, in turn. */
    static Result run(int port, Plan plan) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        int inARow = 0;
        for (String id : plan.warmUp()) {
            inARow = ask(http, port, id).ok() ? 0 : inARow + 1;
            if (inARow >= GIVE_UP_AFTER) {
                break;
            }
        }
        long[] latencies = new long[plan.measured().size()];
        int answered = 0;
        long entries = 0;
        int failed = 0;
        String firstFailure = null;
        inARow = 0;
        int asked = 0;
        for (String id : plan.measured()) {
            if (inARow >= GIVE_UP_AFTER) {
                break;
            }
            asked++;
            Answer a = ask(http, port, id);
            if (a.ok()) {
                latencies[answered++] = a.nanos();
                entries += a.timelineEntries();
                inARow = 0;
            } else {
                failed++;
                inARow++;
                if (firstFailure == null) {
                    firstFailure = a.failure();
                }
            }
        }
        long[] sorted = Arrays.copyOf(latencies, answered);
        Arrays.sort(sorted);
        return new Result(plan.measured().size(), sorted, entries, failed, firstFailure, plan.measured().size() - asked);
    }

    /** One request's outcome: the time to the whole body and the timeline's length, or why it failed. */
    private record Answer(long nanos, int timelineEntries, String failure) {
        boolean ok() {
            return failure == null;
        }
    }

    private static Answer ask(HttpClient http, int port, String findingId) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/findings/"
                    + URLEncoder.encode(findingId, StandardCharsets.UTF_8).replace("+", "%20"))).timeout(TIMEOUT).GET().build();
            long started = System.nanoTime();
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            long took = System.nanoTime() - started;
            // Parsed after the clock stops: the figure is the service's answer, not this client's JSON parsing.
            if (r.statusCode() != 200) {
                return new Answer(took, 0, "HTTP " + r.statusCode() + " for finding " + findingId + ": " + shorten(r.body()));
            }
            JsonNode timeline = JSON.readTree(r.body()).path("timeline");
            if (!timeline.isArray()) {
                return new Answer(took, 0, "HTTP 200 for finding " + findingId + " without a \"timeline\" array: " + shorten(r.body()));
            }
            return new Answer(took, timeline.size(), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(0, 0, "interrupted while asking for finding " + findingId);
        } catch (IOException | RuntimeException e) {
            // Timeouts (HttpTimeoutException), refused connections and unreadable bodies alike: counted, not thrown.
            return new Answer(0, 0, "finding " + findingId + ": " + e);
        }
    }

    private static String shorten(String body) {
        String text = body == null ? "" : body.strip();
        if (text.isEmpty()) {
            return "empty body";
        }
        return text.length() > REASON_CHARS ? text.substring(0, REASON_CHARS) + "…" : text;
    }
}

package dev.handoff.launcher.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HistoryQueriesTest {

    private static List<String> ids(int n) {
        return IntStream.range(0, n).mapToObj(i -> String.format("f-%04d", i)).toList();
    }

    @Test
    void theMeasuredFindingsAreSpreadEvenlyFromTheMiddleOfEachStretch() {
        HistoryQueries.Plan plan = HistoryQueries.plan(ids(1000), 200, 20);
        assertEquals(200, plan.measured().size());
        assertEquals(200, new HashSet<>(plan.measured()).size(), "no finding twice");
        // Strides of 5, each taken at its middle: 2, 7, ..., 997.
        assertEquals("f-0002", plan.measured().get(0));
        assertEquals("f-0007", plan.measured().get(1));
        assertEquals("f-0997", plan.measured().get(199));
        assertEquals(plan, HistoryQueries.plan(ids(1000), 200, 20), "the same ids give the same sample");
    }

    @Test
    void warmUpFindingsAreNotAmongTheMeasuredOnes() {
        HistoryQueries.Plan plan = HistoryQueries.plan(ids(1000), 200, 20);
        assertEquals(20, plan.warmUp().size());
        assertEquals(20, new HashSet<>(plan.warmUp()).size());
        assertTrue(plan.warmUp().stream().noneMatch(plan.measured()::contains), plan.toString());
    }

    @Test
    void aProgrammeSmallerThanTheSampleIsAskedWholeAndWarmsUpOnItsOwnFindings() {
        HistoryQueries.Plan plan = HistoryQueries.plan(ids(50), 200, 20);
        assertEquals(ids(50), plan.measured());
        assertEquals(20, new HashSet<>(plan.warmUp()).size());
        assertTrue(plan.measured().containsAll(plan.warmUp()));

        HistoryQueries.Plan none = HistoryQueries.plan(List.of(), 200, 20);
        assertTrue(none.measured().isEmpty() && none.warmUp().isEmpty());
        assertEquals(0, HistoryQueries.spread(10, 0).length);
    }

    @Test
    void theLinePrintsLowerQuantilesTheMeanTimelineAndTheFailures() {
        long[] latencies = IntStream.rangeClosed(1, 200).mapToLong(ms -> ms * 1_000_000L).toArray();
        HistoryQueries.Result r = new HistoryQueries.Result(200, latencies, 1460, 0, null, 0);
        // Rank ⌊q·(n−1)⌋ as the breach delays: p50 the 100th value, p99 the 198th.
        assertEquals("GET /findings/{id} for 200 findings: p50 100 ms, p99 198 ms, max 200 ms; 7.3 timeline entries on average; 0 failed",
                r.format());

        HistoryQueries.Result partly = new HistoryQueries.Result(200, new long[] {1_200_000, 1_300_000, 2_000_000}, 6, 2,
                "HTTP 503 for finding f-1: busy", 195);
        assertEquals("GET /findings/{id} for 200 findings: p50 1.3 ms, p99 1.3 ms, max 2.0 ms; 2.0 timeline entries on average;"
                + " 2 failed, 195 not asked (gave up after 5 failures in a row)", partly.format());

        HistoryQueries.Result nothing = new HistoryQueries.Result(200, new long[0], 0, 200, "finding f-1: refused", 0);
        assertEquals("GET /findings/{id} for 200 findings: no answers; 200 failed", nothing.format());
        assertFalse(nothing.toJson().has("p50_ms"), "no latency where nothing answered");
    }

    @Test
    void latenciesUnderTenMillisecondsKeepADecimal() {
        assertEquals("0.4 ms", Formatting.millis(420_000));
        assertEquals("9.9 ms", Formatting.millis(9_940_000));
        assertEquals("10 ms", Formatting.millis(9_960_000));
        assertEquals("48 ms", Formatting.millis(48_400_000));
    }

    @Test
    void theRunJsonCarriesTheFiguresInMilliseconds() {
        HistoryQueries.Result r = new HistoryQueries.Result(4, new long[] {1_000_000, 2_000_000, 3_000_000}, 9, 1, "HTTP 404 for finding x", 0);
        JsonNode n = r.toJson();
        assertEquals(4, n.path("findings").asInt());
        assertEquals(3, n.path("answered").asInt());
        assertEquals(1, n.path("failed").asInt());
        assertEquals(2.0, n.path("p50_ms").asDouble());
        assertEquals(3.0, n.path("max_ms").asDouble());
        assertEquals(3.0, n.path("mean_timeline_entries").asDouble());
        assertEquals("HTTP 404 for finding x", n.path("first_failure").asText());
    }

    @Test
    void aNonOkAnswerIsCountedAsFailedAndTheFirstOneIsKept() throws IOException {
        List<String> asked = new CopyOnWriteArrayList<>();
        HttpServer server = serve(path -> {
            asked.add(path);
            return path.startsWith("/findings/gone") ? Map.entry(404, "{\"error\":\"no finding\"}")
                    : Map.entry(200, "{\"state\":{},\"timeline\":[{},{},{}]}");
        });
        try {
            HistoryQueries.Plan plan = new HistoryQueries.Plan(List.of("w-1"), List.of("a", "gone-1", "b c", "gone-2"));
            HistoryQueries.Result r = HistoryQueries.run(server.getAddress().getPort(), plan);
            assertEquals(List.of("/findings/w-1", "/findings/a", "/findings/gone-1", "/findings/b c", "/findings/gone-2"), asked,
                    "warm-up first, then the sample in order, one at a time, ids encoded");
            assertEquals(4, r.findings());
            assertEquals(2, r.latencyNanos().length);
            assertEquals(3.0, r.meanTimelineEntries());
            assertEquals(2, r.failed());
            assertEquals(0, r.notAsked());
            assertEquals("HTTP 404 for finding gone-1: {\"error\":\"no finding\"}", r.firstFailure());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aServiceThatStopsAnsweringIsGivenUpOnWithoutFailingTheRun() throws IOException {
        HttpServer server = serve(path -> Map.entry(500, ""));
        try {
            List<String> sample = ids(40);
            HistoryQueries.Result r = HistoryQueries.run(server.getAddress().getPort(), new HistoryQueries.Plan(ids(20), sample));
            assertEquals(HistoryQueries.GIVE_UP_AFTER, r.failed());
            assertEquals(40 - HistoryQueries.GIVE_UP_AFTER, r.notAsked());
            assertEquals("HTTP 500 for finding f-0000: empty body", r.firstFailure());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void findingIdsComeOncePerFindingInTheOrderOfTheirFirstCapture() {
        ProgrammeGeneratorTest.Collected c = ProgrammeGeneratorTest.generate(9, 5_000);
        Map<String, Instant> firstCapture = new LinkedHashMap<>();
        c.truths.stream().filter(t -> t.kind() == TruthEvent.Kind.CAPTURE).forEach(t -> firstCapture.putIfAbsent(t.findingId(), t.time()));
        List<String> ids = c.truth.findingIds();
        assertEquals(c.truth.findings(), ids.size());
        assertEquals(firstCapture.keySet(), Set.copyOf(ids));
        for (int i = 1; i < ids.size(); i++) {
            assertFalse(firstCapture.get(ids.get(i)).isBefore(firstCapture.get(ids.get(i - 1))), "in capture order at " + i);
        }
        assertEquals(ids, c.truth.findingIds(), "the same order every time");
    }

    /** A query API stand-in on 127.0.0.1 that answers each path with the given status and body. */
    private static HttpServer serve(Function<String, Map.Entry<Integer, String>> answer) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        server.createContext("/", exchange -> {
            Map.Entry<Integer, String> a = answer.apply(exchange.getRequestURI().getPath());
            byte[] body = a.getValue().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(a.getKey(), body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server;
    }
}

package dev.handoff.ingest.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.avro.FindingReported;
import dev.handoff.ingest.cli.IngestCli;
import dev.handoff.ingest.intake.ReportMutations.Expect;
import dev.handoff.ingest.intake.ReportMutations.Sample;
import dev.handoff.ingest.intake.ReportMutations.Upload;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bad input never takes the HTTP intake down (DESIGN.md section 7), against a real broker: thousands of seeded
 * mutations of the sample reports of every supported format ({@link ReportMutations}), with the unmutated samples
 * in between. Every answer is a 2xx with the report's count, or a 4xx whose JSON error says what is wrong; never a
 * 5xx. The intake is healthy afterwards, and every finding of every accepted report is on findings.reported
 * (read committed) exactly once, and nothing of a refused one. Every eighth upload also goes through the CLI's parse,
 * which must agree. {@code -Dhandoff.fuzz.seed=N} runs another seed, {@code -Dhandoff.fuzz.mutations=N} another count.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IntakeFuzzIT {

    private static final long SEED = Long.getLong("handoff.fuzz.seed", 20261123L);
    private static final int UPLOADS = Integer.getInteger("handoff.fuzz.mutations", 2000);
    private static final long MAX_BYTES = 4_000_000;
    private static final int MAX_STRING = 1_000_000;
    private static final String CI = "ci-token-0123456789abcdef";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** What a specific refusal names: a position, a limit, a format, the rule broken, or the field or part concerned. */
    private static final Pattern SPECIFIC = Pattern.compile("line \\d+|column \\d+|limit|format|DOCTYPE|entity|UTF|ISO-8601|scanned_at|part named"
            + "|no report|multipart|boundary|finding \\d+|field|missing|expected|unexpected|must|not a|empty|encoding|refused", Pattern.CASE_INSENSITIVE);
    private static final Pattern LEAK = Pattern.compile("\\n\\s+at |internal error|NullPointer|ClassCast|IndexOutOfBounds|IllegalState"
            + "|java\\.lang\\.|org\\.eclipse\\.jetty|io\\.javalin");

    @TempDir
    Path temp;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    private LocalKafka kafka;
    private IntakeServer intake;

    @BeforeAll
    void start() {
        kafka = LocalKafka.start();
        Map<String, String> config = new HashMap<>();
        config.put("intake.port", "0");
        config.put("bootstrap.servers", kafka.bootstrapServers());
        config.put("topic.prefix", "fz-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        config.put("intake.token.ci-pipeline", "ingest:" + CI);
        config.put("ingest.limit.bytes", Long.toString(MAX_BYTES));
        config.put("ingest.limit.string", Integer.toString(MAX_STRING));
        intake = IntakeServer.start(IntakeSettings.from(config, Map.of()));
        kafka.createTopics(intake.topics().newTopics((short) 1));
    }

    @AfterAll
    void stop() {
        if (intake != null) {
            intake.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    /** What one upload got. */
    private record Outcome(Upload upload, int index, int status, String body, String problem) {
    }

    @Test
    void everyMutatedReportIsAcceptedWholeOrRefusedWithAReasonAndTheIntakeStaysUp() throws Exception {
        long started = System.nanoTime();
        List<Sample> samples = ReportMutations.load();
        ReportMutations mutations = new ReportMutations(samples, SEED, MAX_BYTES, MAX_STRING);
        Map<String, Long> accepted = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
        AtomicInteger cliChecked = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < UPLOADS; i++) {
                int index = i;
                done.add(clients.submit(() -> {
                    Upload u = mutations.upload(index);
                    Outcome o = send(u, index, accepted);
                    outcomes.add(o);
                    if (index % 8 == 0 && o.problem() == null) {
                        String disagreement = cliAgrees(u, o);
                        cliChecked.incrementAndGet();
                        if (disagreement != null) {
                            outcomes.add(new Outcome(u, index, o.status(), o.body(), disagreement));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            clients.shutdown();
        }
        long sentAt = System.nanoTime();

        List<String> problems = new ArrayList<>();
        outcomes.stream().filter(o -> o.problem() != null).forEach(o -> problems.add("#" + o.index() + " " + o.upload().op() + " of "
                + o.upload().sample().name() + ": " + o.problem()));

        // Still up: healthy, and a plain report is still taken whole.
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(uri("/health")).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (health.statusCode() != 200 || !health.body().contains("UP")) {
            problems.add("the health check answered " + health.statusCode() + " " + health.body());
        }
        Sample last = samples.stream().filter(s -> s.name().startsWith("trivy/scheme_2_many")).findFirst().orElseThrow();
        Outcome after = send(new Upload("valid sample", last, last.bytes(), Map.of("source", "fuzz/after/" + SEED), Map.of(), Expect.ACCEPT),
                -1, accepted);
        if (after.problem() != null) {
            problems.add("after the fuzzing: " + after.problem());
        }

        // Every finding of every accepted report on the log once; nothing of any other report.
        Map<String, List<FindingReported>> onLog = findingsByReport();
        long findings = 0;
        for (Map.Entry<String, Long> a : accepted.entrySet()) {
            List<FindingReported> got = onLog.getOrDefault(a.getKey(), List.of());
            Set<String> eventIds = got.stream().map(FindingReported::getEventId).collect(Collectors.toSet());
            findings += a.getValue();
            if (got.size() != a.getValue() || eventIds.size() != a.getValue()) {
                problems.add("report " + a.getKey() + " was accepted with " + a.getValue() + " findings; the log holds " + got.size()
                        + " (" + eventIds.size() + " distinct)");
            }
        }
        Set<String> strays = new HashSet<>(onLog.keySet());
        strays.removeAll(accepted.keySet());
        if (!strays.isEmpty()) {
            problems.add("findings of reports that were never accepted are on the log: " + strays);
        }
        onLog.values().stream().flatMap(List::stream).filter(f -> String.valueOf(f).contains("root:x:0:0")).findAny()
                .ifPresent(f -> problems.add("a finding carries the content of /etc/passwd: an external entity was read"));
        long doneAt = System.nanoTime();

        Map<String, Map<Integer, Integer>> byOp = new TreeMap<>();
        Map<Integer, Integer> byStatus = new TreeMap<>();
        Map<String, Integer> refusals = new TreeMap<>();
        for (Outcome o : outcomes) {
            if (o.problem() != null && o.status() == 0) {
                continue;
            }
            byOp.computeIfAbsent(o.upload().op(), k -> new TreeMap<>()).merge(o.status(), 1, Integer::sum);
            byStatus.merge(o.status(), 1, Integer::sum);
            if (o.status() >= 400) {
                refusals.merge(o.status() + " " + shape(o.body()), 1, Integer::sum);
            }
        }
        System.out.printf("IntakeFuzzIT seed=%d: %d uploads (%d of them checked against the CLI too), by status %s; %d reports accepted with"
                        + " %d findings, all on findings.reported once; sent in %.1f s, checked in %.1f s more%n",
                SEED, UPLOADS, cliChecked.get(), byStatus, accepted.size(), findings, (sentAt - started) / 1e9, (doneAt - sentAt) / 1e9);
        byOp.forEach((op, statuses) -> System.out.printf("  %-40s %s%n", op, statuses));
        System.out.println("  most frequent refusals:");
        refusals.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(25)
                .forEach(e -> System.out.printf("  %5d  %s%n", e.getValue(), e.getKey()));
        if (!problems.isEmpty()) {
            fail(problems.size() + " problems (seed " + SEED + "):\n  " + problems.stream().limit(40).collect(Collectors.joining("\n  ")));
        }
        assertEquals(200, health.statusCode());
    }

    /** Posts one upload and judges the answer; a problem is what the intake did wrong. */
    private Outcome send(Upload u, int index, Map<String, Long> accepted) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri("/v1/reports" + query(u.query())))
                .timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofByteArray(u.body()))
                .header("Authorization", "Bearer " + CI);
        u.headers().forEach(b::header);
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            return new Outcome(u, index, 0, "", "no answer: " + e);
        }
        int status = r.statusCode();
        String body = r.body();
        String problem = null;
        JsonNode json = null;
        try {
            json = MAPPER.readTree(body);
        } catch (Exception e) {
            problem = status + " with a body that is not JSON: " + abbreviate(body);
        }
        if (status >= 500) {
            problem = "answered " + status + ": " + abbreviate(body);
        } else if (problem != null) {
            // already said
        } else if (status == 202 || status == 200) {
            long findings = json.path("findings").asLong(-1);
            String id = json.path("report_id").asText("");
            if (findings < 0 || id.isEmpty() || json.path("format").asText("").isEmpty()) {
                problem = status + " without report_id, format and findings: " + abbreviate(body);
            } else if (status == 202 && accepted.putIfAbsent(id, findings) != null) {
                problem = "202 twice for report " + id;
            } else if (status == 200 && !json.path("duplicate").asBoolean()) {
                problem = "200 that is not a duplicate: " + abbreviate(body);
            }
            if (problem == null && u.expect() == Expect.REFUSE) {
                problem = "accepted (" + findings + " findings, " + json.path("format").asText() + ") but must be refused";
            } else if (problem == null && u.expect() == Expect.ACCEPT && (status != 202 || findings != u.sample().findings())) {
                problem = status + " with " + findings + " findings; the sample holds " + u.sample().findings();
            }
        } else if (status >= 400) {
            String error = json.path("error").asText("");
            if (error.isBlank()) {
                problem = status + " without an error message: " + abbreviate(body);
            } else if (LEAK.matcher(error).find()) {
                problem = status + " whose message leaks internals: " + abbreviate(error);
            } else if (!SPECIFIC.matcher(error).find() || error.length() < 20) {
                problem = status + " whose message does not say what is wrong: " + abbreviate(error);
            } else if (u.expect() == Expect.ACCEPT) {
                problem = "refused (" + status + ": " + abbreviate(error) + ") but is a valid report";
            }
        } else {
            problem = "answered " + status;
        }
        return new Outcome(u, index, status, body, problem);
    }

    /**
     * The CLI parses what the intake parses (the spool connector too): with the same bytes and format it must come to
     * the same verdict and count, with exit code 0 or 3 and a message, never a stack trace.
     */
    private String cliAgrees(Upload u, Outcome o) throws Exception {
        if (!u.headers().isEmpty() || u.query().containsKey("scanned_at") || u.body().length == 0 || u.body().length > MAX_BYTES
                || o.status() == 414 || u.query().values().stream().anyMatch(v -> v != null && v.length() > 1_024)) {
            return null; // multipart, compressed, time, size, URL and parameter answers are the intake's own, before parsing
        }
        Path file = Files.write(temp.resolve("upload-" + o.index()), u.body());
        List<String> args = new ArrayList<>(List.of("parse", "--max-bytes", Long.toString(MAX_BYTES), "--max-string", Integer.toString(MAX_STRING)));
        String format = u.query().get("format");
        if (format != null && !format.isBlank()) {
            args.addAll(List.of("--format", format));
        }
        args.add(file.toString());
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new IngestCli()).setOut(new PrintWriter(java.io.Writer.nullWriter()))
                .setErr(new PrintWriter(err)).execute(args.toArray(String[]::new));
        Files.delete(file);
        boolean httpAccepted = o.status() < 300;
        if (exit != 0 && exit != IngestCli.REFUSED && !(exit == 2 && o.status() == 415)) {
            return "the CLI exited " + exit + ": " + abbreviate(err.toString());
        }
        if (LEAK.matcher(err.toString()).find()) {
            return "the CLI printed internals: " + abbreviate(err.toString());
        }
        if ((exit == 0) != httpAccepted && o.status() != 413) {
            return "the intake answered " + o.status() + " but the CLI exited " + exit + ": " + abbreviate(err.toString());
        }
        if (httpAccepted && exit == 0) {
            long findings = MAPPER.readTree(o.body()).path("findings").asLong();
            if (!err.toString().contains(": " + findings + " finding")) {
                return "the intake counted " + findings + " findings, the CLI: " + abbreviate(err.toString());
            }
        }
        return null;
    }

    private Map<String, List<FindingReported>> findingsByReport() {
        Properties p = kafka.clientProperties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "fuzz-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        String topic = intake.topics().name(Topics.FINDINGS_REPORTED);
        var deserializer = intake.topics().valueSerde(Topics.FINDINGS_REPORTED).deserializer();
        Map<String, List<FindingReported>> out = new HashMap<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            // To the end of every partition as it is now: every accepted report was committed before its answer.
            Map<org.apache.kafka.common.TopicPartition, Long> ends = null;
            Instant deadline = Instant.now().plusSeconds(60);
            while (Instant.now().isBefore(deadline)) {
                for (var r : c.poll(Duration.ofMillis(200))) {
                    FindingReported f = deserializer.deserialize(topic, r.value());
                    out.computeIfAbsent(String.valueOf(f.getReportId()), k -> new ArrayList<>()).add(f);
                }
                if (ends == null && !c.assignment().isEmpty()) {
                    ends = c.endOffsets(c.assignment());
                }
                if (ends != null && ends.entrySet().stream().allMatch(e -> c.position(e.getKey()) >= e.getValue())) {
                    break;
                }
            }
        }
        return out;
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + intake.port() + path);
    }

    private static String query(Map<String, String> q) {
        if (q.isEmpty()) {
            return "";
        }
        return "?" + q.entrySet().stream().map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    /** A refusal's message with positions, numbers and quoted values blurred, so refusals of one kind count together. */
    private static String shape(String body) {
        String error;
        try {
            error = MAPPER.readTree(body).path("error").asText(body);
        } catch (Exception e) {
            error = body;
        }
        return abbreviate(error.replaceAll("'[^']*'", "'…'").replaceAll("\"[^\"]*\"", "\"…\"").replaceAll("\\d+", "N"), 110);
    }

    private static String abbreviate(String s) {
        return abbreviate(s, 300);
    }

    private static String abbreviate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max) + "…";
    }
}

package dev.handoff.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.avro.ActivityKind;
import dev.handoff.avro.FindingActivity;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.FindingStatus;
import dev.handoff.ingest.intake.IntakeServer;
import dev.handoff.ingest.intake.IntakeSettings;
import dev.handoff.launcher.audit.AuditTrail;
import dev.handoff.launcher.audit.Rfc4180;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import dev.handoff.streams.HandoffStreamsApp;
import dev.handoff.streams.HandoffTopology;
import dev.handoff.streams.StreamsSettings;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code ack}, {@code status} and {@code export activity} against a real local mode: the in-process broker, the
 * streams service with its query API and the HTTP intake, found through a run file, and one real scanner report
 * sent through the intake.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalModeCommandsIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String TOKEN = "local-token-0123456789abcdef";
    private static final String ACTOR = "local-user";
    private static final String ALICE_TOKEN = "alice-token-0123456789abcdef";
    private static final int PARTITIONS = 3;

    private final HttpClient http = HttpClient.newHttpClient();
    private LocalKafka kafka;
    private HandoffStreamsApp streams;
    private IntakeServer intake;
    private Topics topics;
    private Path stateDir;
    private Path runFile;
    private String queryUrl;
    private String intakeUrl;
    private String findingId;
    private Instant scannedAt;

    private Path temp;

    @BeforeAll
    void startTheLocalModeAndSendOneReport() throws Exception {
        temp = Files.createTempDirectory("cli-it-");
        kafka = LocalKafka.start();
        String prefix = "cli-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        topics = new Topics(prefix, PARTITIONS, SchemaRegistries.fromConfig(Map.of(SchemaRegistries.URL_CONFIG, "embedded")));
        kafka.createTopics(topics.newTopics((short) 1));
        kafka.createTopics(HandoffTopology.newInternalTopics(topics, PARTITIONS, (short) 1));

        Map<String, String> config = new HashMap<>();
        config.put("bootstrap.servers", kafka.bootstrapServers());
        config.put("application.id", "cli-it-" + UUID.randomUUID());
        stateDir = Files.createTempDirectory("cli-it-streams-");
        config.put("state.dir", stateDir.toString());
        config.put(StreamsSettings.TOPIC_PREFIX, prefix);
        config.put(StreamsSettings.TOPIC_PARTITIONS, Integer.toString(PARTITIONS));
        config.put(StreamsSettings.QUERY_HOST, "127.0.0.1");
        config.put(StreamsSettings.QUERY_PORT, "0");
        config.put(StreamsSettings.METRICS_REFRESH_INTERVAL, "PT1S");
        streams = new HandoffStreamsApp(StreamsSettings.from(config, Map.of()));
        streams.start();
        queryUrl = "http://localhost:" + streams.queryPort();

        intake = IntakeServer.start(IntakeSettings.from(Map.of("intake.port", "0", "bootstrap.servers", kafka.bootstrapServers(),
                "topic.prefix", prefix, "intake.token." + ACTOR, "ingest,acknowledge,read:" + TOKEN,
                "intake.token.alice", "acknowledge:" + ALICE_TOKEN), Map.of()));
        intakeUrl = "http://localhost:" + intake.port();

        Map<String, String> run = new HashMap<>();
        run.put(LocalRun.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        run.put(LocalRun.TOPIC_PREFIX, prefix);
        run.put(LocalRun.SCHEMA_REGISTRY_URL, "embedded");
        run.put(LocalRun.QUERY_URL, queryUrl);
        run.put(LocalRun.INTAKE_URL, intakeUrl);
        run.put(LocalRun.INTAKE_TOKEN, TOKEN);
        run.put(LocalRun.OWNER_TOKEN_PREFIX + "alice", ALICE_TOKEN);
        runFile = LocalRun.write(temp.resolve("local.properties"), run).file();

        scannedAt = Instant.now().minus(Duration.ofMinutes(5)).truncatedTo(ChronoUnit.SECONDS);
        byte[] report = Files.readAllBytes(Path.of(getClass().getResource("/scans/dependabot_graphql_h2.json").toURI()));
        HttpResponse<String> sent = http.send(HttpRequest.newBuilder(URI.create(intakeUrl + "/v1/reports?scanned_at=" + scannedAt))
                .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofByteArray(report)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, sent.statusCode(), sent.body());
        assertEquals(1, MAPPER.readTree(sent.body()).path("findings").asInt(), sent.body());

        // No asset register is loaded, so the finding waits in the unrouted queue: that is where its id shows.
        findingId = await("the finding in the unrouted queue", () -> {
            JsonNode q = getJson(queryUrl + "/queues/unrouted");
            return q != null && q.path("depth").asInt() == 1 ? Optional.of(q.path("items").get(0).path("finding_id").asText()) : Optional.empty();
        });
    }

    @AfterAll
    void stop() throws Exception {
        if (intake != null) {
            intake.close();
        }
        if (streams != null) {
            streams.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        for (Path dir : new Path[] {stateDir, temp}) {
            if (dir != null) {
                try (var paths = Files.walk(dir)) {
                    paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    record Run(int exit, String out, String err) {
        String all() {
            return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    private static Run handoff(String... args) {
        CommandLine cli = HandoffCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        Run run = new Run(exit, out.toString(), err.toString());
        System.out.println("$ handoff " + String.join(" ", args) + "\n" + run.all());
        return run;
    }

    @Test
    @Order(1)
    void ackAcknowledgesThroughTheIntakeAndTheQueryApiShowsIt() throws Exception {
        Run ack = handoff("ack", findingId, "--note", "mine, patching today", "--run-file", runFile.toString());

        assertEquals(0, ack.exit(), ack.all());
        assertTrue(ack.out().matches("(?s)sent:\\s+ACKNOWLEDGE of " + findingId + " accepted by the intake as event cmd-[0-9a-f-]{36}\n.*"), ack.all());
        assertTrue(ack.out().contains("applied:  " + findingId + " is ACKNOWLEDGED, acknowledged by " + ACTOR), ack.all());
        assertTrue(ack.out().contains(ACTOR + " was not the routed owner (it was unrouted): the finding was reassigned to " + ACTOR + " first"),
                ack.all());
        JsonNode state = getJson(queryUrl + "/findings/" + findingId).path("state");
        assertEquals("ACKNOWLEDGED", state.path("status").asText(), state.toString());
        assertEquals(ACTOR, state.path("acknowledged_by").asText(), state.toString());
        assertEquals(ACTOR, state.path("owner_id").asText(), state.toString());
    }

    @Test
    @Order(2)
    void ackOfAFindingThatIsNotOpenIsRefusedAndNothingIsSent() throws Exception {
        int before = timeline(findingId).size();
        Run again = handoff("ack", findingId, "--run-file", runFile.toString());

        assertEquals(1, again.exit(), again.all());
        assertTrue(again.err().contains("finding " + findingId + " is ACKNOWLEDGED (acknowledged by " + ACTOR + " at "), again.all());
        assertTrue(again.err().contains("an acknowledgement is accepted from [OPEN] only"), again.all());
        assertTrue(again.err().contains("nothing was sent"), again.all());
        assertEquals("", again.out(), again.all());
        assertEquals(before, timeline(findingId).size());
    }

    @Test
    @Order(3)
    void statusShowsEveryPartUpTheFindingsTheQueueAndTheHandoffNumbers() throws Exception {
        awaitCommitted(Topics.FINDINGS_STATE, FindingState.class, s -> s.getFindingId().equals(findingId)
                && s.getStatus() == FindingStatus.ACKNOWLEDGED);
        String band = getJson(queryUrl + "/findings/" + findingId).path("state").path("band").asText();
        await("a metrics row for the acknowledged finding", () -> {
            JsonNode rows = getJson(queryUrl + "/metrics/handoff?detail=five").path("rows");
            for (JsonNode r : rows) {
                if (r.path("band").asText().equals(band) && r.path("acknowledged").asInt() == 1) {
                    return Optional.of(r);
                }
            }
            return Optional.empty();
        });

        Run status = handoff("status", "--run-file", runFile.toString());

        assertEquals(0, status.exit(), status.all());
        String out = status.out();
        assertTrue(out.startsWith("Handoff local mode (run file " + runFile + ")\n"), status.all());
        assertTrue(out.matches("(?s).*\nbroker\\s+UP\\s+" + kafka.bootstrapServers() + ", cluster \\S+, 1 node; \\d+ topics with prefix '"
                + topics.prefix().replace(".", "\\.") + "' \\(all " + Topics.ALL.size() + " Handoff topics\\)\n.*"), status.all());
        assertTrue(out.contains("\nstreams   UP        " + queryUrl + " RUNNING\n"), status.all());
        assertTrue(out.contains("\nintake    UP        " + intakeUrl + "\n"), status.all());
        assertTrue(out.contains("\nalerter   -         not part of this run (no alerter.url in the run file, no --alerter-url)\n"), status.all());
        assertTrue(out.contains("\nfindings            1 in " + topics.name(Topics.FINDINGS_STATE) + ": 1 ACKNOWLEDGED\n"), status.all());
        assertTrue(out.contains("\nunrouted            0 waiting for a named owner\n"), status.all());
        assertTrue(out.matches("(?s).*\n {10}" + band + " +1 +1 +\\d+m \\d{2}s +\\d+m \\d{2}s +0% \\(0 of 1\\) +0 +GREEN\n.*"), status.all());
        assertTrue(out.endsWith("all up\n"), status.all());
    }

    /** A real Trivy report from the shared corpus, with its independently computed facts beside it. */
    private static final Path TRIVY = Path.of("..", "ingest-connector", "src", "test", "resources", "scans", "trivy", "scheme_2_many_vulns.json");

    @Test
    @Order(5)
    void ingestPostsARealReportToTheLocalIntakeOnceAndRefusesABadOneWithTheIntakesReason() throws Exception {
        JsonNode expected = MAPPER.readTree(Files.readAllBytes(Path.of(TRIVY + ".expected.json")));
        Run first = handoff("ingest", TRIVY.toString(), "--asset", "payments-api", "--run-file", runFile.toString());
        assertEquals(0, first.exit(), first.all());
        assertTrue(first.out().matches("(?s)accepted: report rpt-[0-9a-f]+ \\(trivy\\): " + expected.path("findings").asInt()
                + " findings \\(.*\\) onto " + topics.name(Topics.FINDINGS_REPORTED) + "\n.*"), first.all());
        expected.path("severities").fields().forEachRemaining(e ->
                assertTrue(first.out().contains(e.getKey() + " " + e.getValue().asInt()), e + " in " + first.all()));
        // No asset register is loaded: every finding of the report lands in the unrouted queue, where the query API counts them.
        await("the report's findings in the unrouted queue", () -> {
            JsonNode q = getJson(queryUrl + "/queues/unrouted");
            return q != null && q.path("depth").asInt() == expected.path("findings").asInt() ? Optional.of(true) : Optional.empty();
        });

        Run again = handoff("ingest", TRIVY.toString(), "--asset", "payments-api", "--run-file", runFile.toString());
        assertEquals(0, again.exit(), again.all());
        assertTrue(again.out().startsWith("already recorded: report "), again.all());

        Path bad = Files.writeString(temp.resolve("not-a-report.json"), "{\"hello\": \"world\"}");
        Run refused = handoff("ingest", bad.toString(), "--run-file", runFile.toString());
        assertEquals(1, refused.exit(), refused.all());
        assertTrue(refused.err().contains("the intake refused " + bad + " (HTTP 415): "), refused.all());
        assertTrue(refused.err().contains("unrecognised report format"), refused.all());

        Run parse = handoff("ingest", "parse", TRIVY.toString());
        assertEquals(0, parse.exit(), "handoff-ingest's parse stays a subcommand: " + parse.all());
        Run usage = handoff("ingest");
        assertEquals(2, usage.exit(), usage.all());
        assertTrue(usage.err().contains("FILE"), usage.all());
    }

    @Test
    @Order(4)
    void exportActivityWritesTheAuditTimelineAsRfc4180CsvWithTheControlsEachRowEvidences() throws Exception {
        // A comment through the intake: free text with a comma, which the CSV must quote.
        HttpResponse<String> comment = http.send(HttpRequest.newBuilder(URI.create(intakeUrl + "/v1/findings/" + findingId + "/comment"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"note\": \"seen, \\\"patching\\\" today\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, comment.statusCode(), comment.body());
        awaitCommitted(Topics.FINDINGS_ACTIVITY, FindingActivity.class, a -> a.getFindingId().equals(findingId)
                && a.getKind() == ActivityKind.COMMENTED);
        Path csvFile = temp.resolve("audit.csv");

        Run export = handoff("export", "activity", "--finding", findingId, "--csv", "--out", csvFile.toString(), "--run-file", runFile.toString());

        assertEquals(0, export.exit(), export.all());
        assertEquals("", export.out(), "the CSV went to the file");
        assertTrue(export.err().contains("exported "), export.all());
        String raw = Files.readString(csvFile, StandardCharsets.UTF_8);
        List<List<String>> records = Rfc4180.parse(raw);
        assertEquals(AuditTrail.COLUMNS, records.get(0), "header row");
        List<Map<String, String>> rows = records.subList(1, records.size()).stream().map(r -> {
            assertEquals(AuditTrail.COLUMNS.size(), r.size(), r.toString());
            Map<String, String> row = new HashMap<>();
            IntStream.range(0, r.size()).forEach(i -> row.put(AuditTrail.COLUMNS.get(i), r.get(i)));
            return row;
        }).toList();
        assertEquals(timeline(findingId).size(), rows.size(), "one row per activity entry the query API shows");

        Map<String, String> captured = only(rows, "CAPTURED");
        assertEquals("CAPTURE", captured.get("stage"));
        assertEquals(scannedAt.toString(), captured.get("time"));
        assertEquals("identification", captured.get("evidence"));
        assertEquals("NIST SP 800-53 RA-5", captured.get("controls"));
        assertTrue(captured.get("details").startsWith("tool: GitHub"), captured.toString());

        Map<String, String> acked = only(rows, "ACKNOWLEDGED");
        assertEquals("ACKNOWLEDGEMENT", acked.get("stage"));
        assertEquals(ACTOR, acked.get("actor"));
        assertEquals(ACTOR, acked.get("owner"));
        assertEquals("status OPEN -> ACKNOWLEDGED; note: mine, patching today", acked.get("details"),
                "the ack note travels with the acknowledgement into the audit row");
        assertEquals("timely handling", acked.get("evidence"));
        assertEquals("SOC 2 CC7.1; ISO/IEC 27001:2022 A.8.8", acked.get("controls"));
        assertTrue(acked.get("cause_event_id").startsWith("cmd-"), acked.toString());
        assertEquals("handoff-streams", acked.get("source"));

        Map<String, String> commented = only(rows, "COMMENTED");
        assertEquals("note: seen, \"patching\" today", commented.get("details"));
        assertEquals("", commented.get("controls"));
        assertTrue(raw.contains(",\"note: seen, \"\"patching\"\" today\","), "the comma field is quoted and its quotes doubled:\n" + raw);
        assertTrue(raw.endsWith("\r\n") && raw.split("\r\n", -1).length == records.size() + 1, "CRLF after every record");
        List<String> times = rows.stream().map(r -> r.get("time")).toList();
        assertEquals(times.stream().sorted().toList(), times, "event-time order");

        Run ndjson = handoff("export", "activity", "--finding", findingId, "--ndjson", "--run-file", runFile.toString());
        assertEquals(0, ndjson.exit(), ndjson.all());
        List<String> lines = ndjson.out().lines().toList();
        assertEquals(rows.size(), lines.size(), ndjson.all());
        JsonNode ackLine = lines.stream().map(LocalModeCommandsIT::json).filter(j -> j.path("activity").asText().equals("ACKNOWLEDGED"))
                .findFirst().orElseThrow();
        assertEquals("SOC 2 CC7.1", ackLine.path("controls").get(0).asText());
    }

    @Test
    void exportOfAFindingWithoutActivityFailsAndWritesNoFile() {
        Path csvFile = temp.resolve("none.csv");
        Run export = handoff("export", "activity", "--finding", "f1-00000000000000000000000000000000", "--csv", "--out", csvFile.toString(),
                "--run-file", runFile.toString());

        assertEquals(1, export.exit(), export.all());
        assertTrue(export.err().contains("no activity for finding f1-00000000000000000000000000000000 in " + topics.name(Topics.FINDINGS_ACTIVITY)),
                export.all());
        assertFalse(Files.exists(csvFile));
    }

    @Test
    void exportWithoutAFormatIsBadUsage() {
        Run export = handoff("export", "activity", "--finding", "f1-x", "--run-file", runFile.toString());

        assertEquals(2, export.exit(), export.all());
        assertTrue(export.err().contains("--csv"), export.all());
    }

    @Test
    void ackOfAnUnknownFindingIsRefusedBeforeAnythingIsSent() throws Exception {
        long commandsBefore = committedCount(Topics.FINDINGS_COMMANDS);
        Run ack = handoff("ack", "f1-ffffffffffffffffffffffffffffffff", "--run-file", runFile.toString());

        assertEquals(1, ack.exit(), ack.all());
        assertTrue(ack.err().startsWith("handoff ack: no finding f1-ffffffffffffffffffffffffffffffff in the local Handoff"), ack.all());
        assertTrue(ack.err().contains("nothing was sent"), ack.all());
        assertEquals(commandsBefore, committedCount(Topics.FINDINGS_COMMANDS));
    }

    @Test
    void ackAsAnOwnerWithoutATokenOfTheirsIsRefusedInsteadOfRecordedUnderAnotherName() {
        Run ack = handoff("ack", findingId, "--as", "bob", "--run-file", runFile.toString());

        assertEquals(1, ack.exit(), ack.all());
        assertTrue(ack.err().contains("cannot acknowledge as bob: the intake records the actor of the bearer token"), ack.all());
        assertTrue(ack.err().contains("holds no token for bob (intake.token.bob)"), ack.all());
        assertEquals("", ack.out(), ack.all());
    }

    @Test
    void ackAsAnOwnerUsesTheTokenTheRunFileHoldsForThem() throws Exception {
        HttpResponse<String> manual = http.send(HttpRequest.newBuilder(URI.create(intakeUrl + "/v1/findings"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"title\": \"SQL injection in /search\", \"severity\": \"high\","
                        + " \"rule_id\": \"PT-" + UUID.randomUUID() + "\", \"host\": \"shop.example.com\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, manual.statusCode(), manual.body());
        String id = MAPPER.readTree(manual.body()).path("finding_id").asText();
        await("the manual finding in the query API", () -> Optional.ofNullable(getJson(queryUrl + "/findings/" + id)));

        Run ack = handoff("ack", id, "--as", "alice", "--run-file", runFile.toString());

        assertEquals(0, ack.exit(), ack.all());
        assertTrue(ack.out().contains("applied:  " + id + " is ACKNOWLEDGED, acknowledged by alice at "), ack.all());
        JsonNode state = getJson(queryUrl + "/findings/" + id).path("state");
        assertEquals("alice", state.path("acknowledged_by").asText(), state.toString());
    }

    @Test
    void aTokenTheIntakeDoesNotKnowIsRefusedWithTheIntakesReason() throws Exception {
        // A run file without the query API: nothing to look the finding up in first, so the intake itself answers.
        Path intakeOnly = LocalRun.write(temp.resolve("intake-only.properties"), Map.of(LocalRun.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
                LocalRun.INTAKE_URL, intakeUrl, LocalRun.INTAKE_TOKEN, TOKEN)).file();

        Run ack = handoff("ack", findingId, "--token", "not-a-token-0123456789", "--run-file", intakeOnly.toString());

        assertEquals(1, ack.exit(), ack.all());
        assertTrue(ack.err().contains("the intake refused the acknowledgement (HTTP 401): the bearer token is not known to this intake"), ack.all());
        assertEquals("", ack.out(), ack.all());
    }

    @Test
    void withoutARunFileEveryCommandSaysNoLocalHandoffIsRunning() {
        Path missing = temp.resolve("nothing-here.properties");
        for (String[] args : List.of(new String[] {"ack", "f1-x"}, new String[] {"status"},
                new String[] {"export", "activity", "--finding", "f1-x", "--csv"})) {
            String[] withFile = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of("--run-file",
                    missing.toString())).toArray(String[]::new);
            Run r = handoff(withFile);
            assertEquals(1, r.exit(), r.all());
            assertTrue(r.err().contains("no local Handoff is running: start it with ./handoff demo (no run file at " + missing), r.all());
        }
    }

    @Test
    void statusSaysWhichPartIsDownAndExitsOne() throws Exception {
        Map<String, String> values = new HashMap<>(LocalRun.read(runFile).values());
        values.remove(LocalRun.PID);
        values.put(LocalRun.INTAKE_URL, "http://localhost:" + freePort());
        Path broken = LocalRun.write(temp.resolve("broken.properties"), values).file();

        Run status = handoff("status", "--run-file", broken.toString());

        assertEquals(1, status.exit(), status.all());
        assertTrue(status.out().contains("\nintake    DOWN      cannot reach the intake at " + values.get(LocalRun.INTAKE_URL)
                + "/health (connection refused)"), status.all());
        assertTrue(status.out().contains("\nstreams   UP "), status.all());
        assertTrue(status.out().endsWith("not all up: intake DOWN\n"), status.all());
    }

    // ------------------------------------------------------------------ helpers

    private static Map<String, String> only(List<Map<String, String>> rows, String activity) {
        List<Map<String, String>> matching = rows.stream().filter(r -> r.get("activity").equals(activity)).toList();
        assertEquals(1, matching.size(), activity + " rows: " + rows);
        return matching.get(0);
    }

    private List<JsonNode> timeline(String id) throws Exception {
        List<JsonNode> entries = new ArrayList<>();
        getJson(queryUrl + "/findings/" + id).path("timeline").forEach(entries::add);
        return entries;
    }

    private JsonNode getJson(String url) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? MAPPER.readTree(r.body()) : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static JsonNode json(String line) {
        try {
            return MAPPER.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }

    /** Polls until {@code probe} answers; fails naming what did not happen. Never asserts on how long it took. */
    private static <T> T await(String what, Supplier<Optional<T>> probe) {
        Instant deadline = Instant.now().plusSeconds(90);
        while (Instant.now().isBefore(deadline)) {
            Optional<T> value = probe.get();
            if (value.isPresent()) {
                return value.get();
            }
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
        }
        return fail("gave up waiting for " + what);
    }

    /** Waits until a committed record of {@code topic} matches, read with a read_committed consumer of the test's own. */
    private <V extends org.apache.avro.specific.SpecificRecord> void awaitCommitted(TopicDef<V> topic, Class<V> type,
                                                                                  java.util.function.Predicate<V> matches) {
        var deserializer = topics.valueSerde(topic).deserializer();
        try (KafkaConsumer<String, byte[]> consumer = committedConsumer()) {
            List<TopicPartition> partitions = IntStream.range(0, topics.partitions(topic))
                    .mapToObj(p -> new TopicPartition(topics.name(topic), p)).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await("a committed " + type.getSimpleName() + " on " + topics.name(topic), () -> {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() != null && matches.test(deserializer.deserialize(r.topic(), r.value()))) {
                        return Optional.of(true);
                    }
                }
                return Optional.empty();
            });
        }
    }

    private long committedCount(TopicDef<?> topic) {
        try (KafkaConsumer<String, byte[]> consumer = committedConsumer()) {
            List<TopicPartition> partitions = IntStream.range(0, topics.partitions(topic))
                    .mapToObj(p -> new TopicPartition(topics.name(topic), p)).toList();
            return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private KafkaConsumer<String, byte[]> committedConsumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static int freePort() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}

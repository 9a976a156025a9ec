package dev.handoff.ingest.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.avro.CommandKind;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.LifecycleCommand;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.AckLinks;
import dev.handoff.schemas.Topics;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP intake on loopback against a real broker: status codes, auth, transactions, idempotency, commands, ack links. */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IntakeIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String CI = "ci-token-0123456789abcdef";
    private static final String ANA = "ana-token-0123456789abcdef";
    private static final String SECRET = "ack-secret-0123456789abcdef";
    private static final String AUDITOR = "auditor-token-0123456789abcdef";
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalKafka kafka;
    private IntakeServer intake;
    private String prefix;
    private final Map<String, String> config = new HashMap<>();

    @BeforeAll
    void start() {
        kafka = LocalKafka.start();
        prefix = "in-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        config.put("intake.port", "0");
        config.put("bootstrap.servers", kafka.bootstrapServers());
        config.put("topic.prefix", prefix);
        config.put("intake.token.ci-pipeline", "ingest:" + CI);
        config.put("intake.token.u-ana", "acknowledge:" + ANA);
        config.put("intake.token.auditor", "read:" + AUDITOR);
        config.put("intake.ack.secret", SECRET);
        config.put("ingest.limit.bytes", "2000000");
        intake = IntakeServer.start(IntakeSettings.from(config, Map.of()));
        List<NewTopic> topics = new ArrayList<>(intake.topics().newTopics((short) 1));
        // A findings topic that takes small records only: the broker rejects a huge finding mid-report.
        topics.removeIf(t -> t.name().equals(intake.topics().name(Topics.FINDINGS_REPORTED)));
        topics.add(new NewTopic(intake.topics().name(Topics.FINDINGS_REPORTED), 3, (short) 1).configs(Map.of("max.message.bytes", "20000")));
        kafka.createTopics(topics);
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

    record Answer(int status, String body) {
        JsonNode json() throws Exception {
            return MAPPER.readTree(body);
        }
    }

    private Answer post(String path, String token, byte[] body, Map<String, String> headers) throws Exception {
        return post(intake, path, token, body, headers);
    }

    private Answer post(IntakeServer to, String path, String token, byte[] body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + to.port() + path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        headers.forEach(b::header);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    private static byte[] corpus(String name) throws Exception {
        return Files.readAllBytes(Path.of(IntakeIT.class.getResource("/scans/" + name).toURI()));
    }

    @Test
    void aReportIsAcceptedWithCountsAndARetryLandsOnce() throws Exception {
        byte[] report = corpus("trivy/scheme_2_many_vulns.json");
        Answer first = post("/v1/reports?asset=payments-api", CI, report, Map.of());
        assertEquals(202, first.status(), first.body());
        assertEquals(5, first.json().path("findings").asLong());
        assertEquals("trivy", first.json().path("format").asText());
        assertEquals(3, first.json().path("by_severity").path("MEDIUM").asLong());
        Answer retry = post("/v1/reports?asset=payments-api", CI, report, Map.of());
        assertEquals(200, retry.status(), retry.body());
        assertTrue(retry.json().path("duplicate").asBoolean());
        assertEquals(first.json().path("report_id"), retry.json().path("report_id"));
        String reportId = first.json().path("report_id").asText();
        long landed = committed(Topics.FINDINGS_REPORTED, FindingReported.class).stream()
                .filter(f -> reportId.equals(f.getReportId())).count();
        assertEquals(5, landed, "the retried upload landed once");
    }

    private Answer get(IntakeServer to, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + to.port() + path)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body());
    }

    /** A second intake started after the upload (a restart, or another instance) recognises the retry from the receipts topic. */
    @Test
    void aRetryAfterARestartLandsOnceAndItsReceiptCanBeRead() throws Exception {
        byte[] report = corpus("grype/grype_0.28.0_check_all_fields.json");
        String key = "ci-run-" + UUID.randomUUID();
        Answer first = post("/v1/reports?source=restart-test", CI, report, Map.of("Idempotency-Key", key));
        assertEquals(202, first.status(), first.body());
        String reportId = first.json().path("report_id").asText();
        long findings = first.json().path("findings").asLong();
        assertTrue(findings > 0, first.body());

        try (IntakeServer restarted = IntakeServer.start(IntakeSettings.from(config, Map.of()))) {
            Answer retry = post(restarted, "/v1/reports?source=restart-test", CI, report, Map.of("Idempotency-Key", key));
            assertEquals(200, retry.status(), retry.body());
            assertTrue(retry.json().path("duplicate").asBoolean(), retry.body());
            assertEquals(reportId, retry.json().path("report_id").asText());
            assertEquals(first.json().path("by_severity"), retry.json().path("by_severity"));

            Answer receipt = get(restarted, "/v1/reports/" + reportId, AUDITOR);
            assertEquals(200, receipt.status(), receipt.body());
            assertEquals(findings, receipt.json().path("findings").asLong());
            assertEquals("ci-pipeline", receipt.json().path("accepted_by").asText());
            assertEquals("restart-test", receipt.json().path("source").asText());
            assertEquals(403, get(restarted, "/v1/reports/" + reportId, CI).status(), "reading receipts needs the 'read' role");
            assertEquals(401, get(restarted, "/v1/reports/" + reportId, null).status());
            Answer missing = get(restarted, "/v1/reports/rpt-0000", AUDITOR);
            assertEquals(404, missing.status(), missing.body());
            assertTrue(missing.json().path("error").asText().contains("rpt-0000"), missing.body());
        }
        long landed = committed(Topics.FINDINGS_REPORTED, FindingReported.class).stream()
                .filter(f -> reportId.equals(f.getReportId())).count();
        assertEquals(findings, landed, "the upload retried on the restarted intake landed once");
    }

    @Test
    void badRequestsSayWhatIsWrong() throws Exception {
        assertEquals(401, post("/v1/reports", null, corpus("trivy/scheme_2_many_vulns.json"), Map.of()).status());
        assertEquals(401, post("/v1/reports", "not-a-known-token-at-all", corpus("trivy/scheme_2_many_vulns.json"), Map.of()).status());
        Answer forbidden = post("/v1/reports", ANA, corpus("trivy/scheme_2_many_vulns.json"), Map.of());
        assertEquals(403, forbidden.status());
        assertTrue(forbidden.json().path("error").asText().contains("'ingest' role"), forbidden.body());
        Answer unknown = post("/v1/reports", CI, "hello, world".getBytes(), Map.of());
        assertEquals(415, unknown.status());
        assertTrue(unknown.json().path("error").asText().contains("known formats: sarif"), unknown.body());
        Answer badFormat = post("/v1/reports?format=docx", CI, "{}".getBytes(), Map.of());
        assertEquals(415, badFormat.status());
        Answer malformed = post("/v1/reports", CI, "{\"SchemaVersion\": 2, \"ArtifactName\": \"x\", \"Results\": [ {\"Target\": ".getBytes(), Map.of());
        assertEquals(400, malformed.status(), malformed.body());
        assertTrue(malformed.json().path("error").asText().contains("line 1"), malformed.body());
        Answer xxe = post("/v1/reports", CI, corpus("dependency_check/ADVERSARIAL_xxe_external_entities.xml"), Map.of());
        assertEquals(400, xxe.status());
        assertTrue(xxe.json().path("error").asText().contains("DOCTYPE"), xxe.body());
        Answer big = post("/v1/reports", CI, new byte[2_100_000], Map.of());
        assertEquals(413, big.status(), big.body());
    }

    /** A finding larger than one Kafka record can hold fails the producer; the intake says so before sending it. */
    @Test
    void aFindingTooLargeForOneRecordIsA413AndNothingOfItsReportLands() throws Exception {
        String description = "\u20ac".repeat(400_000); // 1.2 MB in UTF-8, under the 2 MB body limit
        String csv = "title,severity,host,description\nSmall,high,db-1.example.com,fine\nHuge,high,db-2.example.com," + description + "\n";
        Answer r = post("/v1/reports?source=too-large-test", CI, csv.getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.of());
        assertEquals(413, r.status(), r.body());
        assertTrue(r.json().path("error").asText().contains("finding 2 ('Huge') is "), r.body());
        assertEquals(0, committed(Topics.FINDINGS_REPORTED, FindingReported.class).stream()
                .filter(f -> f.getSource().equals("too-large-test")).count());
        Answer next = post("/v1/reports?source=too-large-test-next", CI, corpus("grype/grype_0.28.0_check_all_fields.json"), Map.of());
        assertEquals(202, next.status(), "the intake takes the next report: " + next.body());
    }

    /** scanned_at becomes every finding's event time; one handoff-streams would refuse is refused here, where the client hears of it. */
    @Test
    void aScanTimeInTheFutureOrBefore1970IsRefused() throws Exception {
        byte[] report = corpus("trivy/scheme_2_many_vulns.json");
        for (String t : List.of("9999-12-31T23:59:59Z", Instant.now().plusSeconds(3600).toString(), "1969-07-20T20:17:00Z", "-0001-01-01T00:00:00Z")) {
            Answer r = post("/v1/reports?source=scanned-at-test&scanned_at=" + t, CI, report, Map.of());
            assertEquals(400, r.status(), t + ": " + r.body());
            assertTrue(r.json().path("error").asText().startsWith("scanned_at "), r.body());
        }
        Answer past = post("/v1/reports?source=scanned-at-test&scanned_at=" + Instant.now().minusSeconds(86_400), CI, report, Map.of());
        assertEquals(202, past.status(), past.body());
    }

    /** The intake never inflates a body (a gzip bomb claims gigabytes in kilobytes): a compressed one is refused, saying so. */
    @Test
    void aCompressedUploadIsRefusedSayingSendItUncompressed() throws Exception {
        java.io.ByteArrayOutputStream bomb = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(bomb)) {
            gz.write(new byte[10_000_000]);
        }
        Answer r = post("/v1/reports?source=gzip-test", CI, bomb.toByteArray(), Map.of("Content-Encoding", "gzip"));
        assertEquals(415, r.status(), r.body());
        assertTrue(r.json().path("error").asText().contains("compressed uploads are not taken (Content-Encoding: gzip)"), r.body());
    }

    /** A long source or asset reaches the intake (Jetty's buffer is 64 KiB) and is refused there, saying which and how long. */
    @Test
    void aParameterLongerThanANameIsA400SayingWhichAndHowLong() throws Exception {
        Answer r = post("/v1/reports?source=" + "s".repeat(20_000), CI, corpus("trivy/scheme_2_many_vulns.json"), Map.of());
        assertEquals(400, r.status(), r.body());
        assertTrue(r.json().path("error").asText().contains("query parameter 'source' is 20000 characters long, over the limit of 1024"), r.body());
        Answer asset = post("/v1/reports?asset=" + "a".repeat(1_025), CI, corpus("trivy/scheme_2_many_vulns.json"), Map.of());
        assertEquals(400, asset.status(), asset.body());
        assertTrue(asset.json().path("error").asText().contains("query parameter 'asset' is 1025 characters long, over the limit of 1024"), asset.body());
    }

    /** Jetty refuses a URL over its buffer before the intake sees the request; the answer is still JSON saying why. */
    @Test
    void aRequestJettyRefusesIsAnsweredInJsonSayingWhy() throws Exception {
        // A small body: Jetty answers before reading it and closes, and unread bytes would reset the connection.
        Answer r = post("/v1/reports?source=" + "s".repeat(100_000), CI, "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.of());
        assertEquals(414, r.status(), r.body());
        assertTrue(r.json().path("error").asText().contains("the request URL is too long"), r.body());
    }

    /** Jetty's multipart reader fails on a body cut short or without its boundary; that is a bad request, not the intake's error. */
    @Test
    void aMultipartBodyThatCannotBeReadIsA400SayingSo() throws Exception {
        byte[] report = corpus("trivy/scheme_2_many_vulns.json");
        byte[] whole = ("--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"trivy.json\"\r\n\r\n"
                + new String(report, java.nio.charset.StandardCharsets.UTF_8) + "\r\n--b0undary--\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Answer ok = post("/v1/reports?source=multipart-test", CI, whole, Map.of("Content-Type", "multipart/form-data; boundary=b0undary"));
        assertEquals(202, ok.status(), ok.body());
        for (Map.Entry<String, byte[]> bad : Map.of(
                "multipart/form-data; boundary=b0undary", java.util.Arrays.copyOf(whole, whole.length / 2),
                "multipart/form-data; boundary=another", whole,
                "multipart/form-data", whole).entrySet()) {
            Answer r = post("/v1/reports?source=multipart-test-bad", CI, bad.getValue(), Map.of("Content-Type", bad.getKey()));
            assertEquals(400, r.status(), bad.getKey() + ": " + r.body());
            assertTrue(r.json().path("error").asText().contains("multipart/form-data body cannot be read"), r.body());
        }
    }

    @Test
    void aReportTheBrokerRejectsHalfwayLandsNotAtAll() throws Exception {
        StringBuilder csv = new StringBuilder("title,severity,host,description\n");
        for (int i = 0; i < 20; i++) {
            String description = i == 10 ? "x".repeat(30_000) : "fine";
            csv.append("Finding ").append(i).append(",high,db-").append(i).append(".example.com,").append(description).append('\n');
        }
        Answer r = post("/v1/reports?source=halfway-test", CI, csv.toString().getBytes(), Map.of());
        assertEquals(413, r.status(), "the report's fault, and a retry never lands: " + r.body());
        assertTrue(r.json().path("error").asText().contains("nothing of the report was recorded"), r.body());
        long landed = committed(Topics.FINDINGS_REPORTED, FindingReported.class).stream()
                .filter(f -> f.getSource().equals("halfway-test")).count();
        assertEquals(0, landed, "the transaction was aborted: not one of the 20 findings is visible");
        Answer next = post("/v1/reports", CI, corpus("bandit/dd.json"), Map.of());
        assertEquals(202, next.status(), "the intake recovers for the next report: " + next.body());
    }

    @Test
    void commandsAndAcknowledgementLinksBecomeLifecycleCommands() throws Exception {
        Answer ack = post("/v1/findings/f1-00000000000000000000000000000001/acknowledge", ANA, "{\"note\": \"mine\"}".getBytes(), Map.of());
        assertEquals(202, ack.status(), ack.body());
        Answer reassign = post("/v1/findings/f1-00000000000000000000000000000001/reassign", ANA, "{}".getBytes(), Map.of());
        assertEquals(400, reassign.status());
        assertTrue(reassign.json().path("error").asText().contains("to_owner_id"), reassign.body());
        assertEquals(404, post("/v1/findings/f1-1/fly", ANA, new byte[0], Map.of()).status());

        String token = new AckLinks(SECRET).sign("f1-00000000000000000000000000000002", "u-bob", Instant.now().plusSeconds(600));
        URI link = URI.create("http://localhost:" + intake.port() + "/v1/ack/" + token);
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(link).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode(), page.body());
        assertTrue(page.body().contains("<form method=\"post\" action=\"/v1/ack/" + token + "\">"), page.body());
        assertTrue(committed(Topics.FINDINGS_COMMANDS, LifecycleCommand.class).stream().noneMatch(c -> c.getActor().getId().equals("u-bob")),
                "opening the link (as a mail scanner does) acknowledges nothing");
        HttpResponse<String> confirmed = http.send(HttpRequest.newBuilder(link).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, confirmed.statusCode(), confirmed.body());
        assertTrue(confirmed.body().contains("acknowledged by u-bob"), confirmed.body());
        String expired = new AckLinks(SECRET).sign("f1-00000000000000000000000000000003", "u-bob", Instant.now().minusSeconds(1));
        assertEquals(410, http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + intake.port() + "/v1/ack/" + expired))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        String forged = new AckLinks("another-secret-0123456789").sign("f1-00000000000000000000000000000003", "u-bob", Instant.now().plusSeconds(60));
        assertEquals(400, http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + intake.port() + "/v1/ack/" + forged)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());

        List<LifecycleCommand> commands = committed(Topics.FINDINGS_COMMANDS, LifecycleCommand.class);
        assertTrue(commands.stream().anyMatch(c -> c.getKind() == CommandKind.ACKNOWLEDGE && c.getActor().getId().equals("u-ana")
                && "mine".equals(c.getNote())), commands.toString());
        assertTrue(commands.stream().anyMatch(c -> c.getKind() == CommandKind.ACKNOWLEDGE && c.getActor().getId().equals("u-bob")
                && c.getFindingId().equals("f1-00000000000000000000000000000002")), commands.toString());
        assertEquals(2, commands.size(), "refused commands and links produce nothing");
    }

    @Test
    void aManualFindingIsRecorded() throws Exception {
        Answer r = post("/v1/findings", CI, "{\"title\": \"Default admin password on the router\", \"severity\": \"critical\", \"host\": \"rt-1.example.com\"}".getBytes(), Map.of());
        assertEquals(202, r.status(), r.body());
        String id = r.json().path("finding_id").asText();
        assertTrue(committed(Topics.FINDINGS_REPORTED, FindingReported.class).stream().anyMatch(f -> f.getFindingId().equals(id)));
        assertEquals(400, post("/v1/findings", CI, "{\"title\": \"no severity\"}".getBytes(), Map.of()).status());
    }

    private <T> List<T> committed(dev.handoff.schemas.TopicDef<?> def, Class<T> type) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "intake-it-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        String topic = intake.topics().name(def);
        List<T> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            long idleSince = System.nanoTime();
            long deadline = System.nanoTime() + Duration.ofSeconds(8).toNanos();
            while (System.nanoTime() < deadline && (out.isEmpty() || System.nanoTime() - idleSince < Duration.ofSeconds(2).toNanos())) {
                var records = c.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    idleSince = System.nanoTime();
                }
                records.forEach(r -> out.add(type.cast(intake.topics().valueSerde(def).deserializer().deserialize(topic, r.value()))));
            }
        }
        return out;
    }
}

package dev.handoff.ingest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.avro.FindingReported;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.FindingIds;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code handoff-ingest parse} and {@code send} on real corpus files, sending to a real broker. */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IngestCliIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private LocalKafka kafka;
    private Topics topics;

    @BeforeAll
    void start() {
        kafka = LocalKafka.start();
        topics = new Topics("cli-" + UUID.randomUUID().toString().substring(0, 8) + ".", 3, new EmbeddedSchemaRegistry());
        kafka.createTopics(topics.newTopics((short) 1));
    }

    @AfterAll
    void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    private static Path corpus(String name) throws Exception {
        return Path.of(IngestCliIT.class.getResource("/scans/" + name).toURI());
    }

    record Run(int exit, String out, String err) {
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new IngestCli()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void parsePrintsOneJsonObjectPerFindingAndASummary() throws Exception {
        Run r = run("parse", corpus("trivy/misconfigurations_and_secrets.json").toString());
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(5, lines.size());
        for (String line : lines) {
            JsonNode f = MAPPER.readTree(line);
            assertTrue(f.path("finding_id").asText().startsWith("f1-"), line);
            assertTrue(f.has("severity_label") && f.has("band") && f.has("target"), line);
        }
        assertTrue(r.err().contains("5 findings (trivy)"), r.err());
    }

    @Test
    void parseRefusesAnUnsafeReportWithExitCode3() throws Exception {
        Run r = run("parse", corpus("dependency_check/ADVERSARIAL_xxe_external_entities.xml").toString());
        assertEquals(IngestCli.REFUSED, r.exit());
        assertTrue(r.err().contains("DOCTYPE"), r.err());
        assertEquals("", r.out());
        Run unknown = run("parse", "--format", "nope", corpus("trivy/misconfigurations_and_secrets.json").toString());
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("known formats: sarif"), unknown.err());
    }

    @Test
    void sendProducesTheWholeReportInOneTransactionAndTheSameEventIdsWhenRepeated() throws Exception {
        String file = corpus("nessus/nessus_with_cvssv3.nessus").toString();
        Run first = run("send", file, "--bootstrap-servers", kafka.bootstrapServers(), "--topic-prefix", topics.prefix(),
                "--asset", "scan-net-1", "--no-progress");
        assertEquals(0, first.exit(), first.err());
        Run again = run("send", file, "--bootstrap-servers", kafka.bootstrapServers(), "--topic-prefix", topics.prefix(), "--no-progress");
        assertEquals(0, again.exit(), again.err());
        Run refused = run("send", corpus("dependency_check/ADVERSARIAL_xxe_external_entities.xml").toString(),
                "--bootstrap-servers", kafka.bootstrapServers(), "--topic-prefix", topics.prefix(), "--no-progress");
        assertEquals(IngestCli.REFUSED, refused.exit());
        assertTrue(refused.err().contains("nothing was sent"), refused.err());

        List<FindingReported> records = readCommitted(98);
        assertEquals(98, records.size(), "49 findings, sent twice; nothing of the refused report");
        Set<String> eventIds = new HashSet<>();
        for (FindingReported r : records) {
            eventIds.add(r.getEventId().toString());
            assertEquals(FindingIds.of(r), r.getFindingId(), "the key function of schemas");
        }
        assertEquals(49, eventIds.size(), "the same report gets the same event ids, so consumers deduplicate it");
        assertTrue(records.subList(0, 49).stream().allMatch(r -> "scan-net-1".equals(r.getTarget().getAssetHint())), "--asset");
    }

    private List<FindingReported> readCommitted(int atLeast) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "cli-it-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        String topic = topics.name(Topics.FINDINGS_REPORTED);
        List<ConsumerRecord<String, byte[]>> raw = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(300)).forEach(raw::add);
                if (raw.size() >= atLeast) {
                    // one more poll: anything beyond would be a failure the assertion should see
                    c.poll(Duration.ofMillis(1000)).forEach(raw::add);
                    break;
                }
            }
        }
        raw.sort(java.util.Comparator.comparing((ConsumerRecord<String, byte[]> r) -> r.timestamp()));
        List<FindingReported> out = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : raw) {
            out.add(topics.valueSerde(Topics.FINDINGS_REPORTED).deserializer().deserialize(topic, r.value()));
        }
        out.sort(java.util.Comparator.comparing(r -> r.getRecordedTime()));
        return out;
    }
}

package dev.handoff.ingest.connect;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.FindingReported;
import dev.handoff.schemas.FindingIds;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.connect.converters.ByteArrayConverter;
import org.apache.kafka.connect.storage.StringConverter;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The spool connector in Kafka's real Connect runtime ({@link EmbeddedConnectCluster}: a distributed worker and
 * a KRaft broker in this JVM), with exactly-once source support enabled on the worker.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpoolSourceConnectorIT {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private EmbeddedConnectCluster connect;

    @BeforeAll
    void start() {
        Properties broker = new Properties();
        broker.put("transaction.state.log.replication.factor", "1");
        broker.put("transaction.state.log.min.isr", "1");
        broker.put("offsets.topic.replication.factor", "1");
        Map<String, String> worker = new HashMap<>();
        worker.put("exactly.once.source.support", "enabled");
        worker.put("key.converter", StringConverter.class.getName());
        worker.put("value.converter", ByteArrayConverter.class.getName());
        worker.put("offset.flush.interval.ms", "500");
        // The connector is found on the classpath here; a packaged plugin also ships a ServiceLoader manifest.
        worker.put("plugin.discovery", "service_load"); // the jar's manifest must be enough
        connect = new EmbeddedConnectCluster.Builder()
                .name("spool-it")
                .numWorkers(1)
                .numBrokers(1)
                .brokerProps(broker)
                .workerProps(worker)
                .build();
        connect.start();
    }

    @AfterAll
    void stop() {
        if (connect != null) {
            connect.stop();
        }
    }

    private static Path corpus(String name) throws Exception {
        return Path.of(SpoolSourceConnectorIT.class.getResource("/scans/" + name).toURI());
    }

    /** Copies into the spool with an old modification time, so the file counts as stable at once. */
    private static void drop(Path spool, Path file, String name) throws Exception {
        Path tmp = spool.resolve("." + name);
        Files.copy(file, tmp);
        Files.setLastModifiedTime(tmp, FileTime.from(Instant.now().minusSeconds(60)));
        Files.move(tmp, spool.resolve(name));
    }

    private String newTopic(String prefix) {
        String topic = prefix + "findings.reported";
        connect.kafka().createTopic(topic, 3);
        return topic;
    }

    private Map<String, String> connectorConfig(Path spool, String prefix, int batch) {
        Map<String, String> c = new HashMap<>();
        c.put("connector.class", SpoolSourceConnector.class.getName());
        c.put("tasks.max", "1");
        c.put("exactly.once.support", "required");
        c.put(SpoolSourceConfig.SPOOL_DIR, spool.toString());
        c.put(SpoolSourceConfig.TOPIC_PREFIX, prefix);
        c.put(SpoolSourceConfig.BATCH_SIZE, Integer.toString(batch));
        c.put(SpoolSourceConfig.MIN_AGE_MS, "1000");
        c.put(SpoolSourceConfig.POLL_INTERVAL_MS, "100");
        c.put(SpoolSourceConfig.REGISTRY_URL, SchemaRegistries.EMBEDDED);
        return c;
    }

    @Test
    void emitsEveryFindingOnceMovesReportsAndRefusesTheXxeReport(@TempDir Path spool) throws Exception {
        String prefix = "spool-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        String topic = newTopic(prefix);
        drop(spool, corpus("trivy/scheme_2_many_vulns.json"), "trivy.json");
        drop(spool, corpus("sarif/codeql_2.5.4_codeQL-output.sarif"), "codeql.sarif");
        drop(spool, corpus("dependency_check/ADVERSARIAL_xxe_external_entities.xml"), "xxe.xml");
        Files.writeString(spool.resolve("half-written.json.part"), "{\"Results\": [");

        String name = "spool-basic";
        connect.configureConnector(name, connectorConfig(spool, prefix, 10));
        connect.assertions().assertConnectorAndExactlyNumTasksAreRunning(name, 1, "the spool connector did not start");

        await(Duration.ofSeconds(60), () -> Files.exists(spool.resolve("processed/trivy.json"))
                && Files.exists(spool.resolve("processed/codeql.sarif")) && Files.exists(spool.resolve("error/xxe.xml")));
        List<FindingReported> records = readCommitted(topic, 77, Duration.ofSeconds(30));
        assertEquals(77, records.size(), "5 + 72 findings, nothing of the refused report");
        Map<String, Long> byReport = records.stream().collect(Collectors.groupingBy(r -> r.getReportId().toString(),
                TreeMap::new, Collectors.counting()));
        assertEquals(List.of(5L, 72L), byReport.values().stream().sorted().toList(), byReport.toString());
        assertEquals(77, records.stream().map(r -> r.getEventId().toString()).distinct().count(), "event ids are unique");
        for (FindingReported r : records) {
            assertEquals(FindingIds.of(r), r.getFindingId());
            assertEquals("ingest-connector/connect", r.getSource().toString());
        }
        String why = Files.readString(spool.resolve("error/xxe.xml.error.txt"));
        assertTrue(why.contains("UNSAFE") && why.contains("DOCTYPE"), why);
        assertTrue(Files.exists(spool.resolve("half-written.json.part")), "a .part file is never picked up");
        assertFalse(Files.exists(spool.resolve("trivy.json")));
        connect.deleteConnector(name);
    }

    @Test
    void aStopMidDirectoryResumesWithoutDuplicatesOrLoss(@TempDir Path spool, @TempDir Path work) throws Exception {
        String prefix = "spool-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        String topic = newTopic(prefix);
        int big = 3000;
        drop(spool, generatedTrivy(work.resolve("gen.json"), big, "a"), "big-a.json");
        drop(spool, generatedTrivy(work.resolve("gen2.json"), 700, "b"), "big-b.json");
        drop(spool, corpus("nessus/nessus_with_cvssv3.nessus"), "nessus.nessus");
        drop(spool, corpus("trivy/scheme_2_many_vulns.json"), "trivy.json");
        long expected = big + 700 + 49 + 5;

        String name = "spool-restart";
        connect.configureConnector(name, connectorConfig(spool, prefix, 25));
        connect.assertions().assertConnectorAndExactlyNumTasksAreRunning(name, 1, "the spool connector did not start");
        // Stop once part of the directory is committed.
        await(Duration.ofSeconds(60), () -> countCommitted(topic) >= 400);
        connect.stopConnector(name);
        connect.assertions().assertConnectorIsStopped(name, "the connector did not stop");
        long before = countCommitted(topic);
        assertTrue(before < expected, "stopped mid-directory: " + before + " of " + expected);
        long stillSpooled;
        try (var files = Files.list(spool)) {
            stillSpooled = files.filter(Files::isRegularFile).count();
        }
        assertTrue(stillSpooled > 0, "some reports are still in the spool");

        connect.resumeConnector(name);
        connect.assertions().assertConnectorAndExactlyNumTasksAreRunning(name, 1, "the spool connector did not resume");
        await(Duration.ofSeconds(120), () -> Files.exists(spool.resolve("processed/big-a.json"))
                && Files.exists(spool.resolve("processed/big-b.json")) && Files.exists(spool.resolve("processed/nessus.nessus"))
                && Files.exists(spool.resolve("processed/trivy.json")));

        List<FindingReported> records = readCommitted(topic, expected, Duration.ofSeconds(60));
        Map<String, Long> perEvent = records.stream().collect(Collectors.groupingBy(r -> r.getEventId().toString(), Collectors.counting()));
        List<String> dups = perEvent.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).limit(10).toList();
        assertTrue(dups.isEmpty(), "duplicated event ids: " + dups);
        assertEquals(expected, records.size(), "every finding exactly once (stopped at " + before + ")");
        Map<String, List<Long>> ordinals = new HashMap<>();
        for (String id : perEvent.keySet()) {
            int slash = id.lastIndexOf('/');
            ordinals.computeIfAbsent(id.substring(0, slash), k -> new ArrayList<>()).add(Long.parseLong(id.substring(slash + 1)));
        }
        List<Long> sizes = new ArrayList<>();
        for (List<Long> o : ordinals.values()) {
            o.sort(null);
            for (int i = 0; i < o.size(); i++) {
                assertEquals(i, o.get(i), "ordinals of a report are 0..n-1 without a gap");
            }
            sizes.add((long) o.size());
        }
        sizes.sort(null);
        assertEquals(List.of(5L, 49L, 700L, (long) big), sizes);
        connect.deleteConnector(name);
    }

    /** A Trivy report of {@code n} distinct vulnerabilities. */
    private static Path generatedTrivy(Path to, int n, String tag) throws Exception {
        ObjectNode report = (ObjectNode) MAPPER.readTree(corpus("trivy/scheme_2_many_vulns.json").toFile());
        ArrayNode results = (ArrayNode) report.get("Results");
        ObjectNode first = (ObjectNode) results.get(0);
        ObjectNode template = (ObjectNode) first.get("Vulnerabilities").get(0);
        ArrayNode vulns = MAPPER.createArrayNode();
        for (int i = 0; i < n; i++) {
            ObjectNode v = template.deepCopy();
            v.put("VulnerabilityID", "CVE-2099-" + (10000 + i));
            v.put("PkgName", "pkg-" + tag + "-" + i);
            vulns.add(v);
        }
        first.set("Vulnerabilities", vulns);
        results.removeAll();
        results.add(first);
        MAPPER.writeValue(to.toFile(), report);
        return to;
    }

    private KafkaConsumer<String, byte[]> consumer() {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, connect.kafka().bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private long countCommitted(String topic) {
        try (KafkaConsumer<String, byte[]> c = consumer()) {
            var parts = c.partitionsFor(topic).stream()
                    .map(pi -> new org.apache.kafka.common.TopicPartition(topic, pi.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            long n = 0;
            Map<org.apache.kafka.common.TopicPartition, Long> end = c.endOffsets(parts);
            Instant deadline = Instant.now().plusSeconds(10);
            while (Instant.now().isBefore(deadline) && parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                n += c.poll(Duration.ofMillis(200)).count();
            }
            return n;
        }
    }

    /** Everything committed on {@code topic}: waits for {@code expected}, then 3 s more for any surplus. */
    private List<FindingReported> readCommitted(String topic, long expected, Duration timeout) {
        Topics topics = new Topics(topic.substring(0, topic.length() - "findings.reported".length()), 3, SchemaRegistries.embedded());
        Deserializer<FindingReported> values = topics.valueSerde(Topics.FINDINGS_REPORTED).deserializer();
        List<FindingReported> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = consumer()) {
            c.subscribe(List.of(topic));
            Instant deadline = Instant.now().plus(timeout);
            Instant quietUntil = null;
            while (Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    FindingReported f = values.deserialize(topic, r.value());
                    assertEquals(f.getFindingId().toString(), r.key(), "the key is the finding id");
                    out.add(f);
                }
                if (out.size() >= expected) {
                    if (quietUntil == null) {
                        quietUntil = Instant.now().plusSeconds(3);
                    } else if (Instant.now().isAfter(quietUntil)) {
                        break;
                    }
                }
            }
        }
        return out;
    }

    private static void await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                fail("condition not met within " + timeout);
            }
            Thread.sleep(100);
        }
    }
}

package dev.handoff.ingest.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.avro.FindingReported;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A report upload interrupted by a broker restart lands whole or not at all: the broker stops while the intake's
 * transaction has written part of a large report, and starts again on the same data and port. The upload answers
 * 202 (it all landed) or 503 saying nothing was recorded; a retry with the same Idempotency-Key then lands it, and
 * in the end every finding of the report is on {@code findings.reported} exactly once.
 */
@Tag("integration")
class IntakeBrokerRestartIT {

    private static final String TOKEN = "ci-token-0123456789abcdef";
    private static final int FINDINGS = 30_000;
    private static final String SOURCE = "ci/restart-test";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * @param downSeconds how long the broker stays away: a quick restart lets the open transaction finish (the report
     *                    lands whole); a long one outlasts the intake's 20 s wait, so it aborts (nothing lands) and the
     *                    retry lands it
     */
    @ParameterizedTest(name = "broker away {0} s")
    @ValueSource(ints = {0, 25})
    void anUploadInterruptedByABrokerRestartLandsWholeOrNotAtAllAndItsRetryLandsOnce(int downSeconds, @TempDir Path data) throws Exception {
        LocalKafka kafka = LocalKafka.builder().dataDirectory(data).start();
        IntakeServer intake = null;
        try {
            Map<String, String> config = new HashMap<>();
            config.put("intake.port", "0");
            config.put("bootstrap.servers", kafka.bootstrapServers());
            config.put("topic.prefix", "restart-" + UUID.randomUUID().toString().substring(0, 8) + ".");
            config.put("intake.token.ci-pipeline", "ingest,read:" + TOKEN);
            intake = IntakeServer.start(IntakeSettings.from(config, Map.of()));
            kafka.createTopics(intake.topics().newTopics((short) 1));
            String topic = intake.topics().name(Topics.FINDINGS_REPORTED);
            byte[] report = report();

            CompletableFuture<HttpResponse<String>> first = upload(intake, report);
            awaitUncommittedRecords(kafka, topic);
            boolean answeredBeforeTheStop = first.isDone();
            kafka.close(); // mid-transaction: part of the report is on the log, uncommitted
            System.out.printf("IntakeBrokerRestartIT: broker stopped %s the upload's answer, away for %d s%n",
                    answeredBeforeTheStop ? "after" : "before", downSeconds);
            Thread.sleep(downSeconds * 1000L);
            kafka = LocalKafka.builder().dataDirectory(data).start();
            assertEquals(config.get("bootstrap.servers"), kafka.bootstrapServers(), "the broker is back where the intake looks for it");

            HttpResponse<String> answer = first.get(180, TimeUnit.SECONDS);
            System.out.printf("IntakeBrokerRestartIT: the interrupted upload answered %d %s%n", answer.statusCode(), answer.body());
            if (answer.statusCode() == 503) {
                assertTrue(answer.body().contains("nothing of it was recorded"), answer.body());
            } else {
                assertEquals(202, answer.statusCode(), "either it landed whole or it was refused: " + answer.body());
            }

            // The client retries with the same key until the intake confirms; a 503 while Kafka settles is a refusal too.
            JsonNode receipt = null;
            for (int attempt = 1; attempt <= 10 && receipt == null; attempt++) {
                HttpResponse<String> retry = upload(intake, report).get(180, TimeUnit.SECONDS);
                System.out.printf("IntakeBrokerRestartIT: retry %d answered %d %s%n", attempt, retry.statusCode(), retry.body());
                if (retry.statusCode() == 200 || retry.statusCode() == 202) {
                    receipt = new ObjectMapper().readTree(retry.body());
                } else {
                    assertEquals(503, retry.statusCode(), retry.body());
                    Thread.sleep(1_000);
                }
            }
            if (receipt == null) {
                fail("the intake never took the report after the broker came back");
            }
            assertEquals(FINDINGS, receipt.path("findings").asInt(), receipt.toString());
            assertEquals(answer.statusCode() == 202, receipt.path("duplicate").asBoolean(),
                    "a report that landed the first time is answered as a duplicate, one that did not lands now: " + receipt);

            Map<String, Integer> copies = committedFindings(kafka, intake.topics(), topic);
            assertEquals(FINDINGS, copies.size(), "every finding of the report is on the log");
            Set<Integer> counts = new HashSet<>(copies.values());
            assertEquals(Set.of(1), counts, "and each exactly once");
        } finally {
            if (intake != null) {
                intake.close();
            }
            kafka.close();
        }
    }

    /** A CSV report of {@value #FINDINGS} distinct findings, a few MB: long enough to stop the broker inside it. */
    private static byte[] report() {
        StringBuilder csv = new StringBuilder("title,severity,host,cve,description\n");
        for (int i = 0; i < FINDINGS; i++) {
            csv.append("Outdated package ").append(i).append(",high,host-").append(i % 500).append(".example.com,CVE-2024-")
                    .append(10_000 + i).append(",a finding of the restart test with some text to make the report longer\n");
        }
        return csv.toString().getBytes(StandardCharsets.UTF_8);
    }

    private CompletableFuture<HttpResponse<String>> upload(IntakeServer intake, byte[] report) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://localhost:" + intake.port() + "/v1/reports?format=generic-csv&source="
                                + SOURCE.replace("/", "%2F")))
                        .header("Authorization", "Bearer " + TOKEN)
                        .header("Idempotency-Key", "restart-test-1")
                        .timeout(Duration.ofSeconds(170))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(report)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until records of the open transaction are on the log (read_uncommitted end offsets move). */
    private static void awaitUncommittedRecords(LocalKafka kafka, String topic) throws InterruptedException {
        Properties p = kafka.clientProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            Instant deadline = Instant.now().plusSeconds(120);
            while (Instant.now().isBefore(deadline)) {
                long written = consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
                if (written > 1_000) {
                    return;
                }
                Thread.sleep(20);
            }
        }
        fail("the intake wrote nothing of the report within 120 s");
    }

    /** Copies per finding id of this test's report on the topic, read_committed. */
    private static Map<String, Integer> committedFindings(LocalKafka kafka, Topics topics, String topic) {
        Properties p = kafka.clientProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, Integer> copies = new HashMap<>();
        try (KafkaConsumer<String, FindingReported> consumer = new KafkaConsumer<>(p, topics.keySerde().deserializer(),
                topics.valueSerde(Topics.FINDINGS_REPORTED).deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            Instant deadline = Instant.now().plusSeconds(60);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp)) && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, FindingReported> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value().getSource().equals(SOURCE)) {
                        copies.merge(r.value().getFindingId(), 1, Integer::sum);
                    }
                }
            }
        }
        return copies;
    }
}

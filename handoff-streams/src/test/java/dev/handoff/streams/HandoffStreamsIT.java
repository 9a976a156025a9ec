package dev.handoff.streams;

import dev.handoff.avro.AlertLevel;
import dev.handoff.avro.CommandKind;
import dev.handoff.avro.DeadLetter;
import dev.handoff.avro.DeadLetterKind;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.FindingStatus;
import dev.handoff.avro.LifecycleCommand;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SlaBreach;
import dev.handoff.avro.SlaKind;
import dev.handoff.avro.UnroutedEvent;
import dev.handoff.avro.UnroutedEventKind;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;

import static dev.handoff.streams.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole streams flow on a real broker with exactly-once v2 and three partitions: reference data
 * fanned out, findings routed and queued, an acknowledgement, an SLA breach on the stream clock, and a
 * bad record dead-lettered, all read back from the output topics with read_committed.
 */
@Tag("integration")
class HandoffStreamsIT {

    private static final String IMAGE = "registry.example.com/payments/api";

    @TempDir
    Path stateDir;

    @Test
    void findingsFlowFromCaptureToStateAlertsAndDeadLettersOnARealBroker() throws Exception {
        try (LocalKafka kafka = LocalKafka.start()) {
            String prefix = "it-" + UUID.randomUUID().toString().substring(0, 8) + ".";
            Map<String, String> config = new HashMap<>();
            config.put("bootstrap.servers", kafka.bootstrapServers());
            config.put("application.id", prefix + "streams");
            config.put("state.dir", stateDir.toString());
            config.put("commit.interval.ms", "100");
            config.put("num.stream.threads", "1");
            config.put(StreamsSettings.TOPIC_PREFIX, prefix);
            config.put(StreamsSettings.TOPIC_PARTITIONS, "3");
            config.put(StreamsSettings.SLA_CLOCK, "stream");
            config.put(StreamsSettings.QUERY_PORT, "0");
            StreamsSettings settings = StreamsSettings.from(config, Map.of());
            Topics topics = new Topics(prefix, 3, SchemaRegistries.embedded());
            kafka.createTopics(topics.newTopics((short) 1));
            kafka.createTopics(HandoffTopology.newInternalTopics(topics, 3, (short) 1));

            try (HandoffStreamsApp app = new HandoffStreamsApp(settings)) {
                KafkaStreams streams = app.start();
                Fixtures.await("streams RUNNING", () -> streams.state() == KafkaStreams.State.RUNNING);

                send(kafka, topics, Topics.OWNERS, "u-ana", Fixtures.person("u-ana", true, "payments"));
                send(kafka, topics, Topics.OWNERS, "u-lead", Fixtures.person("u-lead", true, "payments"));
                send(kafka, topics, Topics.TEAMS, "payments", Fixtures.team("payments", "u-lead", List.of()));
                send(kafka, topics, Topics.ASSETS, "api", Fixtures.asset("api", IMAGE, "u-ana", "payments"));

                FindingReported critical = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.CRITICAL, T0);
                FindingReported high = Fixtures.finding(IMAGE, "CVE-2022-22965", SeverityBand.HIGH, T0);
                FindingReported orphan = Fixtures.finding("registry.example.com/nobody/worker", "CVE-2023-1", SeverityBand.MEDIUM, T0);
                for (FindingReported f : List.of(critical, high, orphan)) {
                    send(kafka, topics, Topics.FINDINGS_REPORTED, f.getFindingId(), f);
                }
                LifecycleCommand ack = Fixtures.command(high.getFindingId(), CommandKind.ACKNOWLEDGE, "u-ana", T0.plusSeconds(1800));
                send(kafka, topics, Topics.FINDINGS_COMMANDS, ack.getFindingId(), ack);
                // A rescan five hours later moves the critical finding's partition past its 13:00 deadline.
                FindingReported rescan = FindingReported.newBuilder(Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.CRITICAL,
                        T0.plus(Duration.ofHours(5)))).build();
                send(kafka, topics, Topics.FINDINGS_REPORTED, rescan.getFindingId(), rescan);
                sendRaw(kafka, topics.name(Topics.FINDINGS_COMMANDS), high.getFindingId(), "not avro".getBytes(StandardCharsets.UTF_8));

                Map<String, FindingState> states = latestByKey(kafka, topics, Topics.FINDINGS_STATE,
                        m -> m.size() == 3 && m.get(high.getFindingId()).getStatus() == FindingStatus.ACKNOWLEDGED
                                && m.get(critical.getFindingId()).getCaptureCount() == 2
                                && "u-ana".equals(m.get(critical.getFindingId()).getOwnerId()));
                FindingState c = states.get(critical.getFindingId());
                assertEquals(T0, c.getCapturedAt(), "t0 is the first capture's event time");
                assertNotNull(c.getRoutedAt());
                assertTrue(!c.getRoutedAt().isBefore(T0), "no stage before t0");
                assertEquals(T0.plusSeconds(1800), states.get(high.getFindingId()).getAcknowledgedAt());
                FindingState o = states.get(orphan.getFindingId());
                assertEquals(null, o.getOwnerId());
                assertTrue(o.getFailureModes().contains(FailureMode.ASSET_BINDING_GAP));

                List<SlaBreach> alerts = readUntil(kafka, topics, Topics.ALERTS_SLA_BREACH,
                        l -> l.stream().anyMatch(a -> a.getLevel() == AlertLevel.BREACH));
                SlaBreach breach = alerts.stream().filter(a -> a.getLevel() == AlertLevel.BREACH).findFirst().orElseThrow();
                assertEquals(critical.getFindingId(), breach.getFindingId());
                assertEquals(SlaKind.HANDOFF, breach.getSla());
                assertEquals(T0.plus(Duration.ofHours(4)), breach.getDeadline());
                assertEquals(1, alerts.stream().filter(a -> a.getAlertId().equals(breach.getAlertId())).count(), "emitted once");
                assertTrue(alerts.stream().noneMatch(a -> a.getFindingId().equals(high.getFindingId())), "acknowledged in time");

                List<UnroutedEvent> unrouted = readUntil(kafka, topics, Topics.ALERTS_UNROUTED,
                        l -> l.stream().anyMatch(u -> orphan.getFindingId().equals(u.getFindingId())));
                assertTrue(unrouted.stream().anyMatch(u -> u.getKind() == UnroutedEventKind.ENTERED
                        && orphan.getFindingId().equals(u.getFindingId())));

                List<DeadLetter> dead = readUntil(kafka, topics, Topics.DEADLETTER, l -> !l.isEmpty());
                assertEquals(DeadLetterKind.DESERIALIZATION, dead.get(0).getErrorKind());
                assertEquals(topics.name(Topics.FINDINGS_COMMANDS), dead.get(0).getOriginalTopic());
                assertEquals(KafkaStreams.State.RUNNING, streams.state(), "bad input does not stop the app");

                java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
                java.net.http.HttpResponse<String> finding = http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://localhost:" + app.queryPort() + "/findings/" + critical.getFindingId())).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(200, finding.statusCode(), finding.body());
                assertTrue(finding.body().contains("\"captured_at\":\"" + T0 + "\""), finding.body());
                assertTrue(finding.body().contains("\"SLA_BREACHED\""), "the breach is on the finding's timeline");
            }
        }
    }

    private static <V extends SpecificRecord> void send(LocalKafka kafka, Topics topics, TopicDef<V> topic, String key, V value) {
        try (KafkaProducer<String, V> p = new KafkaProducer<>(kafka.clientProperties(), new StringSerializer(),
                topics.valueSerde(topic).serializer())) {
            p.send(new ProducerRecord<>(topics.name(topic), key, value)).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sendRaw(LocalKafka kafka, String topic, String key, byte[] value) throws Exception {
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(kafka.clientProperties(), new StringSerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }

    private static <V extends SpecificRecord> Map<String, V> latestByKey(LocalKafka kafka, Topics topics, TopicDef<V> topic,
                                                                         Predicate<Map<String, V>> done) {
        Map<String, V> latest = new HashMap<>();
        consume(kafka, topics, topic, (k, v) -> latest.put(k, v), () -> done.test(latest));
        return latest;
    }

    private static <V extends SpecificRecord> List<V> readUntil(LocalKafka kafka, Topics topics, TopicDef<V> topic, Predicate<List<V>> done) {
        List<V> all = new ArrayList<>();
        consume(kafka, topics, topic, (k, v) -> all.add(v), () -> done.test(all));
        return all;
    }

    private static <V extends SpecificRecord> void consume(LocalKafka kafka, Topics topics, TopicDef<V> topic,
                                                           java.util.function.BiConsumer<String, V> sink,
                                                           java.util.function.BooleanSupplier done) {
        Properties c = kafka.clientProperties();
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(c, new StringDeserializer(), topics.valueSerde(topic).deserializer())) {
            consumer.subscribe(List.of(topics.name(topic)));
            Instant deadline = Instant.now().plusSeconds(60);
            while (!done.getAsBoolean()) {
                if (Instant.now().isAfter(deadline)) {
                    throw new AssertionError("gave up waiting for " + topics.name(topic) + " after 60 s");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(r -> sink.accept(r.key(), r.value()));
            }
        }
    }

}

package dev.handoff.streams.query;

import dev.handoff.streams.Fixtures;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.avro.CommandKind;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.SeverityBand;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import dev.handoff.streams.HandoffTopology;
import dev.handoff.streams.stages.StoreNames;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.handoff.streams.query.QueryFixtures.IMAGE;
import static dev.handoff.streams.query.QueryFixtures.T0;
import static dev.handoff.streams.query.QueryFixtures.UNKNOWN_IMAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The query API of two instances of the streams app on a real broker: every finding answers from either
 * instance (forwarded to the one that holds it), and the queue and owner views gather both instances.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QueryApiIT {

    private static final int PARTITIONS = 2;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Object changes = new Object();
    private long changeCount;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private LocalKafka kafka;
    private Topics topics;
    private KafkaProducer<String, byte[]> producer;
    private final List<Instance> instances = new ArrayList<>();

    private final List<FindingReported> bound = new ArrayList<>();
    private final List<FindingReported> unbound = new ArrayList<>();
    private FindingReported acknowledged;

    @BeforeAll
    void startTwoInstancesAndRecordFindings(@TempDir Path stateDirs) throws Exception {
        kafka = LocalKafka.start();
        topics = new Topics("qit-" + UUID.randomUUID().toString().substring(0, 8) + ".", PARTITIONS, new EmbeddedSchemaRegistry());
        List<NewTopic> declared = new ArrayList<>(topics.newTopics((short) 1));
        declared.addAll(HandoffTopology.newInternalTopics(topics, PARTITIONS, (short) 1));
        kafka.createTopics(declared);
        Properties producerProps = kafka.clientProperties();
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());

        String applicationId = "query-it-" + UUID.randomUUID();
        instances.add(Instance.start(applicationId, kafka.bootstrapServers(), topics, stateDirs.resolve("a"), this::changed));
        instances.add(Instance.start(applicationId, kafka.bootstrapServers(), topics, stateDirs.resolve("b"), this::changed));
        // Data goes in only once each instance actively holds one findings partition, so answers must cross instances.
        awaitUntil("both instances RUNNING, each active for one findings partition", () -> instances.stream().allMatch(i ->
                i.streams.state() == KafkaStreams.State.RUNNING && i.activeFindingPartitions().size() == 1));

        send(Topics.OWNERS, "u-ana", Fixtures.person("u-ana", true, "payments"));
        send(Topics.OWNERS, "u-lead", Fixtures.person("u-lead", true, "payments"));
        send(Topics.TEAMS, "payments", Fixtures.team("payments", "u-lead", List.of()));
        send(Topics.ASSETS, "api", Fixtures.asset("api", IMAGE, "u-ana", "payments"));
        // Findings captured before the fan-out reached their partition would be routed later, with other times.
        awaitUntil("reference data fanned out to every findings partition", () -> instances.stream().allMatch(i ->
                i.local(StoreNames.ASSETS, "api") && i.local(StoreNames.OWNERS, "u-ana") && i.local(StoreNames.TEAMS, "payments")));

        pickFindingsSpreadOverBothPartitions();
        for (FindingReported f : Stream.concat(bound.stream(), unbound.stream()).toList()) {
            send(Topics.FINDINGS_REPORTED, f.getFindingId(), f);
        }
        awaitUntil("every finding in the state, bound ones routed to u-ana", () -> bound.stream().allMatch(f ->
                "u-ana".equals(stateOf(f).path("owner_id").asText(null))) && unbound.stream().allMatch(f ->
                "UNROUTED".equals(stateOf(f).path("route").asText(null))));

        acknowledged = bound.get(0);
        send(Topics.FINDINGS_COMMANDS, acknowledged.getFindingId(),
                Fixtures.command(acknowledged.getFindingId(), CommandKind.ACKNOWLEDGE, "u-ana", T0.plusSeconds(1800)));
        awaitUntil("the acknowledgement applied", () -> "ACKNOWLEDGED".equals(stateOf(acknowledged).path("status").asText(null)));
        // The timeline is read from findings.activity, committed records only: it may trail the state by a commit.
        awaitUntil("the acknowledgement on the timeline", () -> kinds(timelineOf(acknowledged)).contains("ACKNOWLEDGED"));
        awaitUntil("every capture on its timeline", () -> Stream.concat(bound.stream(), unbound.stream())
                .allMatch(f -> kinds(timelineOf(f)).contains("CAPTURED")));
    }

    @AfterAll
    void stopEverything() {
        instances.forEach(Instance::close);
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void everyFindingAnswersFromEitherInstanceWithItsTimelineInEventTimeOrder() throws Exception {
        for (Instance instance : instances) {
            Set<Integer> here = instance.activeFindingPartitions();
            assertTrue(Stream.concat(bound.stream(), unbound.stream()).anyMatch(f -> !here.contains(partitionOf(f))),
                    "some findings live on the other instance, so this instance must forward");
            for (FindingReported f : Stream.concat(bound.stream(), unbound.stream()).toList()) {
                Answer a = get(instance, "/findings/" + f.getFindingId());
                assertEquals(200, a.status, a.body.toString());
                JsonNode state = a.body.get("state");
                assertEquals(f.getFindingId(), state.get("finding_id").asText());
                assertEquals(f.getEventTime().toString(), state.get("captured_at").asText());
                assertEquals(f.getTitle(), state.get("title").asText());
                JsonNode timeline = a.body.get("timeline");
                assertTrue(timeline.size() >= 3, "captured, enriched, routed or unrouted: " + timeline);
                List<Instant> times = new ArrayList<>();
                timeline.forEach(entry -> {
                    assertEquals(f.getFindingId(), entry.get("finding_id").asText());
                    times.add(Instant.parse(entry.get("event_time").asText()));
                });
                assertEquals(times.stream().sorted().toList(), times, "timeline in event-time order");
                assertTrue(kinds(timeline).contains("CAPTURED"));
            }
            JsonNode ackTimeline = get(instance, "/findings/" + acknowledged.getFindingId()).body.get("timeline");
            List<String> ackTimes = new ArrayList<>();
            ackTimeline.forEach(e -> {
                if (e.get("kind").asText().equals("ACKNOWLEDGED")) {
                    ackTimes.add(e.get("event_time").asText());
                }
            });
            assertEquals(List.of(T0.plusSeconds(1800).toString()), ackTimes, ackTimeline.toString());
        }
    }

    @Test
    void unroutedQueueListsTheUnboundFindingsFromEitherInstance() throws Exception {
        Set<String> expected = unbound.stream().map(FindingReported::getFindingId).collect(Collectors.toSet());
        for (Instance instance : instances) {
            Answer a = get(instance, "/queues/unrouted");
            assertEquals(200, a.status, a.body.toString());
            assertEquals(unbound.size(), a.body.get("depth").asInt(), a.body.toString());
            JsonNode items = a.body.get("items");
            Set<String> ids = new HashSet<>();
            List<Instant> entered = new ArrayList<>();
            for (JsonNode item : items) {
                ids.add(item.get("finding_id").asText());
                entered.add(Instant.parse(item.get("entered_at").asText()));
                assertEquals("ASSET_BINDING_GAP", item.get("cause").asText());
                assertTrue(item.get("title").asText().endsWith(" in " + UNKNOWN_IMAGE), item.toString());
                assertTrue(item.get("asset_id").isNull());
                assertTrue(item.get("time_in_queue_ms").asLong() > 0);
                assertEquals(Duration.ofMillis(item.get("time_in_queue_ms").asLong()), Duration.parse(item.get("time_in_queue").asText()));
            }
            assertEquals(expected, ids, "one unbound finding per partition: the list needs both instances");
            assertEquals(entered.stream().sorted().toList(), entered, "oldest first");
            assertEquals(entered.get(0).toString(), a.body.get("oldest_entered_at").asText());
            assertNotNull(Instant.parse(a.body.get("as_of").asText()));
        }
    }

    @Test
    void ownerViewListsTheRoutedFindingsFromEitherInstance() throws Exception {
        Set<String> expected = bound.stream().map(FindingReported::getFindingId).collect(Collectors.toSet());
        for (Instance instance : instances) {
            Answer a = get(instance, "/owners/u-ana/open");
            assertEquals(200, a.status, a.body.toString());
            assertEquals("u-ana", a.body.get("owner_id").asText());
            assertEquals(bound.size(), a.body.get("count").asInt(), a.body.toString());
            Map<String, JsonNode> byId = new java.util.HashMap<>();
            a.body.get("items").forEach(item -> byId.put(item.get("finding_id").asText(), item));
            assertEquals(expected, byId.keySet());
            JsonNode acked = byId.get(acknowledged.getFindingId());
            assertEquals("ACKNOWLEDGED", acked.get("status").asText());
            assertEquals(T0.plusSeconds(1800).toString(), acked.get("acknowledged_at").asText());
            for (JsonNode item : byId.values()) {
                assertEquals(T0.toString(), item.get("captured_at").asText());
                assertFalse(item.get("band").isNull());
                assertFalse(item.get("handoff_deadline").isNull());
                if (item != acked) {
                    assertEquals("OPEN", item.get("status").asText());
                    assertTrue(item.get("acknowledged_at").isNull());
                }
            }
            assertEquals(0, get(instance, "/owners/u-nobody/open").body.get("count").asInt());
        }
    }

    @Test
    void unknownFindingsRoutesAndBadIdsAnswerWithJsonErrors() throws Exception {
        for (Instance instance : instances) {
            Answer missing = get(instance, "/findings/f1-doesnotexist");
            assertEquals(404, missing.status);
            assertEquals("no finding f1-doesnotexist", missing.body.get("error").asText());
            assertTrue(missing.contentType.startsWith("application/json"), missing.contentType);

            Answer noRoute = get(instance, "/nothing/here");
            assertEquals(404, noRoute.status);
            assertTrue(noRoute.body.get("error").asText().contains("/nothing/here"), noRoute.body.toString());

            Answer badId = get(instance, "/findings/a%7Cb");
            assertEquals(400, badId.status);
            assertTrue(badId.body.get("error").asText().contains("'|'"), badId.body.toString());
        }
    }

    @Test
    void healthIsUpOnBothInstances() throws Exception {
        for (Instance instance : instances) {
            Answer a = get(instance, "/health");
            assertEquals(200, a.status);
            assertEquals("UP", a.body.get("status").asText());
            assertEquals("RUNNING", a.body.get("streams_state").asText());
            assertEquals(instance.advertised, a.body.get("instance").asText());
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Three findings on the API image and one on an unknown image in each partition, so neither instance holds all. */
    private void pickFindingsSpreadOverBothPartitions() {
        int[] boundPer = new int[PARTITIONS];
        int[] unboundPer = new int[PARTITIONS];
        for (int n = 1; n < 1000 && (bound.size() < 3 * PARTITIONS || unbound.size() < PARTITIONS); n++) {
            String cve = "CVE-2024-" + (10_000 + n);
            FindingReported onApi = Fixtures.finding(IMAGE, cve, SeverityBand.HIGH, T0);
            if (boundPer[partitionOf(onApi)]++ < 3) {
                bound.add(onApi);
            }
            FindingReported onUnknown = Fixtures.finding(UNKNOWN_IMAGE, cve, SeverityBand.MEDIUM, T0.plusSeconds(n));
            if (unboundPer[partitionOf(onUnknown)]++ < 1) {
                unbound.add(onUnknown);
            }
        }
        assertEquals(3 * PARTITIONS, bound.size());
        assertEquals(PARTITIONS, unbound.size());
    }

    /** The producer's default partitioner for a String key. */
    private static int partitionOf(FindingReported f) {
        return Utils.toPositive(Utils.murmur2(f.getFindingId().getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
    }

    private <V extends SpecificRecord> void send(TopicDef<V> topic, String key, V value) throws ExecutionException, InterruptedException {
        String name = topics.name(topic);
        producer.send(new ProducerRecord<>(name, key, topics.valueSerde(topic).serializer().serialize(name, value))).get();
    }

    /** The finding's state as instance A's query API shows it; a missing node while it is not there yet. */
    private JsonNode stateOf(FindingReported f) {
        return viewOf(f).path("state");
    }

    /** The finding's timeline as instance A's query API shows it; a missing node (no entries) while it is not there yet. */
    private JsonNode timelineOf(FindingReported f) {
        return viewOf(f).path("timeline");
    }

    private JsonNode viewOf(FindingReported f) {
        try {
            Answer a = get(instances.get(0), "/findings/" + f.getFindingId());
            return a.status == 200 ? a.body : MAPPER.missingNode();
        } catch (IOException | InterruptedException e) {
            return MAPPER.missingNode();
        }
    }

    private static List<String> kinds(JsonNode timeline) {
        List<String> kinds = new ArrayList<>();
        timeline.forEach(e -> kinds.add(e.get("kind").asText()));
        return kinds;
    }

    private Answer get(Instance instance, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(instance.base + path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), MAPPER.readTree(r.body()), r.headers().firstValue("Content-Type").orElse(""));
    }

    private void changed() {
        synchronized (changes) {
            changeCount++;
            changes.notifyAll();
        }
    }

    /**
     * Re-checks {@code condition} whenever an instance changes state, and at least every 100 ms for what
     * changes without a state transition (store contents), until it holds or the deadline passes. The
     * condition runs outside the lock so a stream thread reporting a transition is never held up by it.
     */
    private void awaitUntil(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            long seen;
            synchronized (changes) {
                seen = changeCount;
            }
            if (condition.getAsBoolean()) {
                return;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("timed out after " + WAIT.toSeconds() + " s waiting for " + what + "; states "
                        + instances.stream().map(i -> i.advertised + "=" + i.streams.state()).toList());
            }
            synchronized (changes) {
                if (changeCount == seen) {
                    changes.wait(Math.max(1, Math.min(100, left / 1_000_000)));
                }
            }
        }
    }

    private record Answer(int status, JsonNode body, String contentType) {
    }

    /** One instance of the streams app with its query server, as the service wires them. */
    private static final class Instance implements AutoCloseable {
        final QueryServer server;
        final KafkaStreams streams;
        final ActivityHistory history;
        final String advertised;
        final String base;
        final Topics topics;

        private Instance(QueryServer server, KafkaStreams streams, ActivityHistory history, String advertised, Topics topics) {
            this.server = server;
            this.streams = streams;
            this.history = history;
            this.advertised = advertised;
            this.base = "http://" + advertised;
            this.topics = topics;
        }

        static Instance start(String applicationId, String bootstrap, Topics topics, Path stateDir, Runnable onChange) {
            QueryServer server = QueryServer.start("localhost", 0);
            String advertised = "localhost:" + server.port();
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, advertised);
            props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
            props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
            props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1");
            props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, "true");
            KafkaStreams streams = new KafkaStreams(HandoffTopology.build(topics), props);
            streams.setStateListener((now, before) -> onChange.run());
            ActivityHistory history = new ActivityHistory(props, topics.name(Topics.FINDINGS_ACTIVITY),
                    topics.valueSerde(Topics.FINDINGS_ACTIVITY).deserializer(), Duration.ofSeconds(10));
            server.attach(new QueryService(streams, advertised, history, java.time.ZoneId.of("UTC")));
            streams.start();
            return new Instance(server, streams, history, advertised, topics);
        }

        /** Partitions of the findings topic whose active task runs here, per the group's metadata. */
        Set<Integer> activeFindingPartitions() {
            if (streams.state() != KafkaStreams.State.RUNNING) {
                return Set.of();
            }
            String reported = topics.name(Topics.FINDINGS_REPORTED);
            return streams.metadataForAllStreamsClients().stream()
                    .filter(m -> (m.host() + ":" + m.port()).equals(advertised))
                    .flatMap(m -> m.topicPartitions().stream())
                    .filter(tp -> tp.topic().equals(reported))
                    .map(tp -> tp.partition())
                    .collect(Collectors.toSet());
        }

        /** Whether this instance's local copy of a reference store holds {@code key} (false while not queryable). */
        boolean local(String store, String key) {
            try {
                ReadOnlyKeyValueStore<String, Object> s = streams.store(
                        StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.keyValueStore()));
                return s.get(key) != null;
            } catch (InvalidStateStoreException e) {
                return false;
            }
        }

        @Override
        public void close() {
            server.close();
            history.close();
            streams.close(Duration.ofSeconds(10));
        }
    }
}

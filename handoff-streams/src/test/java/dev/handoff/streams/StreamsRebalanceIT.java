package dev.handoff.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import dev.handoff.streams.query.AvroJson;
import dev.handoff.streams.stages.StoreNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
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
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * DESIGN §7 across a rebalance: two instances of the streams app (same application id, their own state directories
 * and query ports, in this JVM) share a generated programme on a real broker; once part of the input is committed, one
 * of them is stopped cleanly, its tasks move to the other, and it is started again on the same state directory and
 * takes its share back. What the pair leaves on {@code findings.state}, {@code alerts.sla-breach} and
 * {@code metrics.handoff} ({@code read_committed}) must equal what one uninterrupted instance leaves with the same
 * programme under its own topic prefix and application id ({@link RunComparison}). Then both instances' query APIs must
 * answer for findings held by either one with the state {@code findings.state} last recorded for them.
 *
 * <p>Phases as in {@link StreamsCrashIT}: each run's instances load the directory and stop, then the programme is
 * published and the instances started on it. Both runs go side by side to keep the test short; its summary line is
 * also in {@code target/streams-rebalance-it/summary.txt}.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamsRebalanceIT {

    private static final int PARTITIONS = 4;
    private static final int FINDINGS = Integer.getInteger("handoff.rebalance.findings", 1_500);
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(150);
    /** Findings of each partition asked for on both query APIs. */
    private static final int QUERIED_PER_PARTITION = 25;
    private static final Set<KafkaStreams.State> DEAD = EnumSet.of(KafkaStreams.State.PENDING_ERROR, KafkaStreams.State.ERROR,
            KafkaStreams.State.PENDING_SHUTDOWN, KafkaStreams.State.NOT_RUNNING);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path outDir = Path.of("target", "streams-rebalance-it");
    private final List<Instance> running = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private LocalKafka kafka;

    @BeforeAll
    void startBroker() throws IOException {
        Files.createDirectories(outDir);
        kafka = LocalKafka.builder()
                // Both instances of a run join the group's first generation and share the work from the first record,
                // instead of the first one taking every task and handing half over a moment later.
                .brokerProperty("group.initial.rebalance.delay.ms", "1500")
                .start();
    }

    @AfterEach
    void stopInstances() {
        List.copyOf(running).parallelStream().forEach(Instance::stop);
    }

    @AfterAll
    void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void twoInstancesOneRestartedMidRunLeaveWhatOneUninterruptedInstanceLeavesAndBothAnswerForEveryFinding(@TempDir Path root)
            throws Exception {
        Instant started = Instant.now();
        RunComparison.Steps steps = new RunComparison.Steps();
        GeneratedProgramme programme = GeneratedProgramme.generate(20261124L, FINDINGS, GeneratedProgramme.baseFor(Instant.now()));
        Run reference = new Run("reference");
        Run shared = new Run("shared");
        Instance single = new Instance("single", reference, root);
        Instance a = new Instance("a", shared, root);
        Instance b = new Instance("b", shared, root);

        // The directory first; then the programme, published while no instance runs.
        for (Run r : List.of(reference, shared)) {
            GeneratedProgramme.declareTopics(kafka, r.topics);
            GeneratedProgramme.publish(kafka.bootstrapServers(), r.topics, programme.reference);
        }
        loadDirectory(List.of(reference, shared), single, a, b);
        for (Run r : List.of(reference, shared)) {
            GeneratedProgramme.publish(kafka.bootstrapServers(), r.topics, programme.input);
        }
        steps.mark("directory");

        single.start();
        a.start();
        b.start();
        Stop stop = stopMidRun(shared, a, b);
        steps.mark("until the stop");
        b.start();
        awaitSharing(a, b);
        double rejoined = progress(shared);
        steps.mark("until b is back");

        CompletableFuture<Duration> uninterrupted = CompletableFuture.supplyAsync(() -> RunComparison.awaitFinished(
                kafka.bootstrapServers(), reference.applicationId, reference.topics, RUN_TIMEOUT, single::dead));
        RunComparison.awaitFinished(kafka.bootstrapServers(), shared.applicationId, shared.topics, RUN_TIMEOUT,
                () -> a.dead() != null ? a.dead() : b.dead());
        uninterrupted.join();
        awaitSharing(a, b);
        Set<Integer> aAfter = a.findingPartitions();
        Set<Integer> bAfter = b.findingPartitions();
        steps.mark("restart to the end");

        RunComparison.Outputs expected = RunComparison.read(kafka.bootstrapServers(), reference.topics);
        RunComparison.Outputs actual = RunComparison.read(kafka.bootstrapServers(), shared.topics);
        steps.mark("reading");
        Queried queried = queryBoth(actual, a, b);
        steps.mark("queries");

        String summary = String.format("%d input records; b held findings partitions %s and was stopped cleanly with %.0f%% of the"
                        + " findings and commands committed (%.0f%% once it had left, %.1f s later), then restarted and held findings partitions again"
                        + " with %.0f%% committed; at the end a holds %s and b %s;"
                        + " uninterrupted: %s; rebalanced: %s; %s; %s; %d s in all",
                programme.input.size(), stop.bHeld(), stop.before() * 100, stop.after() * 100, stop.closing().toMillis() / 1000.0, rejoined * 100, aAfter, bAfter,
                expected.summary(), actual.summary(), queried, steps, Duration.between(started, Instant.now()).toSeconds());
        System.out.println("StreamsRebalanceIT: " + summary);
        Files.writeString(outDir.resolve("summary.txt"), summary + System.lineSeparator());

        RunComparison.assertDisturbedRunEqualsUninterrupted(programme.findings, expected, actual, "the rebalanced run", "the run shared by two instances, one stopped and restarted");
        assertTrue(queried.problems().isEmpty(), "every sampled finding must answer from both query APIs with its last state, but "
                + queried.problems().size() + " answers were wrong:\n" + String.join("\n", queried.problems().stream().limit(10).toList()));
    }

    /**
     * Every instance loads the directory on its own state directory and stops: when the findings come, every lifecycle
     * task already holds the directory, wherever it runs.
     */
    private void loadDirectory(List<Run> runs, Instance... instances) {
        try {
            for (Instance i : instances) {
                i.start();
            }
            for (Run r : runs) {
                RunComparison.awaitConsumed(kafka.bootstrapServers(), r.applicationId, r.topics, RUN_TIMEOUT);
            }
        } finally {
            List.of(instances).parallelStream().forEach(Instance::stop);
        }
    }

    /** Where the stop landed: b's findings partitions and the share of the input committed before and after it. */
    private record Stop(Set<Integer> bHeld, double before, double after, Duration closing) {
    }

    /**
     * Stops b cleanly once 15% of the findings and commands are committed while it holds findings partitions:
     * its tasks commit, close and move to a, which restores their state from the changelogs and carries on.
     */
    private Stop stopMidRun(Run run, Instance a, Instance b) {
        try (Admin admin = Admin.create(RunComparison.clientProps(kafka.bootstrapServers()))) {
            Instant deadline = Instant.now().plus(RUN_TIMEOUT);
            while (true) {
                for (Instance i : List.of(a, b)) {
                    if (i.dead() != null) {
                        fail(i.dead() + " before the stop");
                    }
                }
                if (Instant.now().isAfter(deadline)) {
                    fail("run " + run.name + " did not reach the stop point within " + RUN_TIMEOUT + ": "
                            + Math.round(RunComparison.progress(admin, run.applicationId, run.topics) * 100) + "% consumed, b holds "
                            + b.findingPartitions());
                }
                Set<Integer> held = b.findingPartitions();
                double before = RunComparison.progress(admin, run.applicationId, run.topics);
                if (before >= 0.15 && !held.isEmpty()) {
                    Instant stopping = Instant.now();
                    b.stop();
                    Duration closing = Duration.between(stopping, Instant.now());
                    double after = RunComparison.progress(admin, run.applicationId, run.topics);
                    assertTrue(after < 0.9, "the stop must land mid-run, but " + Math.round(after * 100) + "% of the input was"
                            + " committed by then: make the programme larger");
                    return new Stop(held, before, after, closing);
                }
                RunComparison.pause(Duration.ofMillis(10));
            }
        }
    }

    /** What the query APIs answered: how many findings held by which instance, and every wrong answer. */
    private record Queried(int findings, Map<String, Integer> byHolder, int forwarded, List<String> problems) {

        @Override
        public String toString() {
            return findings + " findings asked on both query APIs (held by " + byHolder + ", " + forwarded + " answers forwarded)";
        }
    }

    /**
     * Asks both instances' query APIs for {@link #QUERIED_PER_PARTITION} findings of every partition. Kafka Streams'
     * metadata says which instance holds each; both instances' metadata must agree, the sample must hold findings of
     * both, and every answer must be the finding's last record on {@code findings.state}, whichever instance answers.
     */
    private Queried queryBoth(RunComparison.Outputs actual, Instance a, Instance b) throws IOException, InterruptedException {
        Map<Integer, List<String>> byPartition = new TreeMap<>();
        Map<String, HostInfo> holders = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (String id : new TreeSet<>(actual.states().keySet())) {
            KeyQueryMetadata here = a.metadataFor(id);
            KeyQueryMetadata there = b.metadataFor(id);
            if (!here.equals(there)) {
                problems.add(id + ": a's metadata says " + here + ", b's " + there);
                continue;
            }
            List<String> ids = byPartition.computeIfAbsent(here.partition(), p -> new ArrayList<>());
            if (ids.size() < QUERIED_PER_PARTITION) {
                ids.add(id);
                holders.put(id, here.activeHost());
            }
        }
        Map<HostInfo, String> names = Map.of(a.self(), "a", b.self(), "b");
        Map<String, Integer> byHolder = new TreeMap<>();
        holders.values().forEach(h -> byHolder.merge(names.getOrDefault(h, h.toString()), 1, Integer::sum));
        assertEquals(Set.of("a", "b"), byHolder.keySet(), "the sampled findings must be held by a and by b: " + byHolder);

        int forwarded = 0;
        for (Map.Entry<String, HostInfo> e : holders.entrySet()) {
            String id = e.getKey();
            JsonNode last = MAPPER.readTree(AvroJson.toJson(actual.states().get(id)).toString());
            for (Instance asked : List.of(a, b)) {
                if (!asked.self().equals(e.getValue())) {
                    forwarded++;
                }
                HttpResponse<String> r = asked.get("/findings/" + URLEncoder.encode(id, StandardCharsets.UTF_8));
                if (r.statusCode() != 200) {
                    problems.add(id + " on " + asked.name + ": HTTP " + r.statusCode() + " " + r.body());
                    continue;
                }
                JsonNode state = MAPPER.readTree(r.body()).get("state");
                if (!last.equals(state)) {
                    problems.add(id + " on " + asked.name + ": answered " + state + "\n  but findings.state last holds " + last);
                }
            }
        }
        return new Queried(holders.size(), byHolder, forwarded, problems);
    }

    /** Until both instances run and hold findings partitions between them: the restarted one has its share back. */
    private void awaitSharing(Instance a, Instance b) {
        awaitUntil("instances a and b RUNNING and sharing the findings partitions", () -> {
            for (Instance i : List.of(a, b)) {
                if (i.dead() != null) {
                    fail(i.dead());
                }
            }
            Set<Integer> onA = a.findingPartitions();
            Set<Integer> onB = b.findingPartitions();
            return !onA.isEmpty() && !onB.isEmpty() && onA.size() + onB.size() == PARTITIONS;
        }, () -> "a holds " + a.findingPartitions() + " (" + a.streams.state() + "), b holds " + b.findingPartitions()
                + " (" + b.streams.state() + ")");
    }

    private double progress(Run run) {
        try (Admin admin = Admin.create(RunComparison.clientProps(kafka.bootstrapServers()))) {
            return RunComparison.progress(admin, run.applicationId, run.topics);
        }
    }

    private void awaitUntil(String what, BooleanSupplier condition, Supplier<String> state) {
        Instant deadline = Instant.now().plus(RUN_TIMEOUT);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                fail("not " + what + " within " + RUN_TIMEOUT + ": " + state.get());
            }
            RunComparison.pause(Duration.ofMillis(100));
        }
    }

    /** One run of the programme: its topic prefix, topics and application id. */
    private final class Run {
        final String name;
        final String prefix;
        final String applicationId;
        final Topics topics;

        Run(String name) {
            this.name = name;
            this.prefix = "rebalance-" + name + "-" + UUID.randomUUID().toString().substring(0, 8) + ".";
            this.applicationId = prefix + "streams";
            this.topics = new Topics(prefix, PARTITIONS, SchemaRegistries.embedded());
        }

        Map<String, String> config(Path stateDir) {
            Map<String, String> c = new LinkedHashMap<>(GeneratedProgramme.appSettings(PARTITIONS));
            c.put("bootstrap.servers", kafka.bootstrapServers());
            c.put("application.id", applicationId);
            c.put("processing.guarantee", "exactly_once_v2");
            c.put("state.dir", stateDir.toString());
            c.put(StreamsSettings.TOPIC_PREFIX, prefix);
            return c;
        }
    }

    /** One instance of the app in this JVM, on its own state directory; started again, it is a new app on the same one. */
    private final class Instance {
        final String name;
        final Run run;
        final Path stateDir;
        HandoffStreamsApp app;
        KafkaStreams streams;
        String base;
        HostInfo self;

        Instance(String name, Run run, Path root) throws IOException {
            this.name = name;
            this.run = run;
            this.stateDir = Files.createDirectories(root.resolve("state-" + run.name + "-" + name));
        }

        void start() {
            app = new HandoffStreamsApp(StreamsSettings.from(run.config(stateDir), Map.of()));
            running.add(this);
            streams = app.start();
            base = "http://127.0.0.1:" + app.queryPort();
            self = null;
        }

        void stop() {
            if (running.remove(this)) {
                app.close();
            }
        }

        /** Null while it runs, else what is wrong. */
        String dead() {
            KafkaStreams.State s = streams.state();
            return DEAD.contains(s) ? "instance " + name + " of run " + run.name + " is " + s : null;
        }

        /** This instance as the group's metadata names it: the instance its query API says it is. */
        HostInfo self() {
            if (self == null) {
                try {
                    self = HostInfo.buildFromEndpoint(MAPPER.readTree(get("/health").body()).get("instance").asText());
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException("instance " + name + ": /health did not answer: " + e, e);
                }
            }
            return self;
        }

        /** The findings partitions whose lifecycle task is active here (none unless RUNNING). */
        Set<Integer> findingPartitions() {
            if (streams.state() != KafkaStreams.State.RUNNING) {
                return Set.of();
            }
            String reported = run.topics.name(Topics.FINDINGS_REPORTED);
            return streams.metadataForLocalThreads().stream().flatMap(t -> t.activeTasks().stream())
                    .flatMap(t -> t.topicPartitions().stream()).filter(tp -> tp.topic().equals(reported))
                    .map(tp -> tp.partition()).collect(Collectors.toCollection(TreeSet::new));
        }

        KeyQueryMetadata metadataFor(String findingId) {
            return streams.queryMetadataForKey(StoreNames.FINDING_STATE, findingId, new StringSerializer());
        }

        HttpResponse<String> get(String path) throws IOException, InterruptedException {
            return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }
}

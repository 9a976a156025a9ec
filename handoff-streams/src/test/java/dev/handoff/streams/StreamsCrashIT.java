package dev.handoff.streams;

import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * DESIGN §7 under a crash: the streams app runs as a child JVM ({@link HandoffStreamsMain} with a properties file) on a
 * real broker and is killed with SIGKILL in the middle of a generated programme, once some of its output is committed
 * and much of its input is not, then started again on the same state directory. What it leaves on
 * {@code findings.state}, {@code alerts.sla-breach} and {@code metrics.handoff} ({@code read_committed}) must equal what
 * an uninterrupted run of the same programme leaves under its own topic prefix and application id: nothing lost,
 * nothing doubled ({@link RunComparison}).
 *
 * <p>Each run first loads the directory with a short start of the app and stops it, then the programme's findings are
 * published and the app started on them ({@link GeneratedProgramme} says why the order is then fixed). The two runs
 * go side by side to keep the test short. Each child's output is in {@code target/streams-crash-it/}.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamsCrashIT {

    private static final int PARTITIONS = 4;
    private static final int FINDINGS = Integer.getInteger("handoff.crash.findings", 1_500);
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(150);
    /** Set -Dhandoff.crash.guarantee=at_least_once to see the test catch what exactly-once prevents. */
    private static final String GUARANTEE = System.getProperty("handoff.crash.guarantee", "exactly_once_v2");

    private final Path outDir = Path.of("target", "streams-crash-it");
    private final List<Process> children = new ArrayList<>();
    private LocalKafka kafka;

    @BeforeAll
    void startBroker() throws IOException {
        Files.createDirectories(outDir);
        kafka = LocalKafka.builder()
                // The in-process start that loads the directory does not leave the group on close: a 3 s session lets
                // the children in soon after.
                .brokerProperty("group.min.session.timeout.ms", "1000")
                // Its open transactions hold back every read_committed reader until aborted; the restarted instance
                // fences them at once (same state directory, same process id), this is the fallback.
                .brokerProperty("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000")
                .start();
    }

    @AfterEach
    void killChildren() throws InterruptedException {
        for (Process p : children) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        children.clear();
    }

    @AfterAll
    void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void anAppKilledMidStreamAndRestartedLeavesWhatAnUninterruptedRunLeaves(@TempDir Path root) throws Exception {
        Instant started = Instant.now();
        RunComparison.Steps steps = new RunComparison.Steps();
        GeneratedProgramme programme = GeneratedProgramme.generate(20261123L, FINDINGS, GeneratedProgramme.baseFor(Instant.now()));
        Run a = new Run("a", root);
        Run b = new Run("b", root);

        // The directory first, alone; then the programme, published while no instance runs.
        for (Run r : List.of(a, b)) {
            r.declareTopics();
            GeneratedProgramme.publish(kafka.bootstrapServers(), r.topics, programme.reference);
        }
        loadDirectory(a, b);
        for (Run r : List.of(a, b)) {
            GeneratedProgramme.publish(kafka.bootstrapServers(), r.topics, programme.input);
        }
        steps.mark("directory");

        Process runA = a.startChild(1);
        Process first = b.startChild(1);
        Kill kill = killMidStream(b, first);
        long stateBeforeKill = b.stableEnd(Topics.FINDINGS_STATE);
        long breachesBeforeKill = b.stableEnd(Topics.ALERTS_SLA_BREACH);
        steps.mark("until the kill");
        Process second = b.startChild(2);

        CompletableFuture<Duration> uninterrupted = CompletableFuture.supplyAsync(() ->
                RunComparison.awaitFinished(kafka.bootstrapServers(), a.applicationId, a.topics, RUN_TIMEOUT, () -> a.dead(runA, 1)));
        RunComparison.awaitFinished(kafka.bootstrapServers(), b.applicationId, b.topics, RUN_TIMEOUT, () -> b.dead(second, 2));
        uninterrupted.join();
        steps.mark("restart to the end");
        RunComparison.Outputs expected = RunComparison.read(kafka.bootstrapServers(), a.topics);
        RunComparison.Outputs actual = RunComparison.read(kafka.bootstrapServers(), b.topics);

        steps.mark("reading");
        String summary = String.format("%s: %d input records; run b killed with %.0f%% of the findings and commands consumed,"
                        + " findings.state and alerts.sla-breach committed up to offsets %d and %d, and %d records of its"
                        + " output in the transaction the kill cut short; uninterrupted: %s; crashed: %s; %s; %d s in all",
                GUARANTEE, programme.input.size(), kill.consumed() * 100, stateBeforeKill, breachesBeforeKill, kill.uncommitted(),
                expected.summary(), actual.summary(), steps, Duration.between(started, Instant.now()).toSeconds());
        System.out.println("StreamsCrashIT: " + summary);
        Files.writeString(outDir.resolve("summary.txt"), summary + System.lineSeparator());

        RunComparison.assertDisturbedRunEqualsUninterrupted(programme.findings, expected, actual, "the crashed run", "the run killed with SIGKILL and restarted");

        for (Process p : List.of(runA, second)) {
            p.destroy();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "an instance did not stop on SIGTERM");
        }
    }

    /**
     * Both runs load the directory with an in-process start of the app on their own state directories, which their
     * children then take over: when the findings come, every lifecycle task already holds the directory.
     */
    private void loadDirectory(Run... runs) {
        List<HandoffStreamsApp> apps = new ArrayList<>();
        try {
            for (Run r : runs) {
                HandoffStreamsApp app = new HandoffStreamsApp(StreamsSettings.from(r.phaseOneConfig(), Map.of()));
                apps.add(app);
                app.start();
            }
            for (Run r : runs) {
                r.awaitDirectoryFannedOut();
            }
        } finally {
            apps.parallelStream().forEach(HandoffStreamsApp::close);
        }
    }

    /** When the kill landed: the share of the input consumed, and records written in the transaction it cut short. */
    private record Kill(double consumed, long uncommitted) {
    }

    /**
     * Kills the child with SIGKILL once a sixth of the findings and commands are consumed and output is committed, at
     * a moment when its open transaction has written records the broker holds uncommitted: the kill cuts a transaction
     * short. At least once has no transactions: it is killed 250 ms after a commit, half its commit interval.
     */
    private Kill killMidStream(Run run, Process child) throws Exception {
        Instant deadline = Instant.now().plus(RUN_TIMEOUT);
        boolean transactional = GUARANTEE.startsWith("exactly_once");
        try (Admin admin = Admin.create(RunComparison.clientProps(kafka.bootstrapServers()))) {
            long uncommitted = 0;
            while (true) {
                if (!child.isAlive()) {
                    fail("run " + run.name + " died before the kill:\n" + run.tail(1));
                }
                if (Instant.now().isAfter(deadline)) {
                    fail("run " + run.name + " did not reach the kill point within " + RUN_TIMEOUT + ":\n" + run.tail(1));
                }
                if (RunComparison.progress(admin, run.applicationId, run.topics) >= 0.15 && run.stableEnd(Topics.FINDINGS_STATE) > 0) {
                    if (!transactional) {
                        Thread.sleep(250);
                        break;
                    }
                    uncommitted = run.uncommittedOutput(admin);
                    if (uncommitted > 0) {
                        break;
                    }
                }
                Thread.sleep(10);
            }
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the killed instance did not exit");
            assertEquals(137, child.exitValue(), "destroyForcibly() is SIGKILL on Linux: 128 + 9");
            double done = RunComparison.progress(admin, run.applicationId, run.topics);
            assertTrue(done < 0.9, "the kill must land mid-stream, but " + Math.round(done * 100) + "% of the input was"
                    + " consumed by then: make the programme larger");
            return new Kill(done, uncommitted);
        }
    }

    /** One run of the programme: its topics, application id, state directory and children. */
    private final class Run {
        final String name;
        final String prefix;
        final String applicationId;
        final Topics topics;
        final Path stateDir;
        final Path properties;

        Run(String name, Path root) throws IOException {
            this.name = name;
            this.prefix = "crash-" + name + "-" + UUID.randomUUID().toString().substring(0, 8) + ".";
            this.applicationId = prefix + "streams";
            this.topics = new Topics(prefix, PARTITIONS, SchemaRegistries.embedded());
            this.stateDir = Files.createDirectories(root.resolve("state-" + name));
            this.properties = root.resolve("streams-" + name + ".properties");
            Files.writeString(properties, config().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(System.lineSeparator(), "", System.lineSeparator())));
            Files.copy(properties, outDir.resolve(properties.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }

        /** The settings of the children, in their properties file. */
        Map<String, String> config() {
            Map<String, String> c = phaseOneConfig();
            // Static membership: the restarted instance takes the killed one's place in the group at once, instead of
            // waiting for its session to time out; and a long session rides out pauses on a busy machine.
            c.put("group.instance.id", prefix + "instance");
            c.put("session.timeout.ms", "30000");
            return c;
        }

        /** The in-process start that loads the directory leaves the group when its short session times out. */
        Map<String, String> phaseOneConfig() {
            Map<String, String> c = new LinkedHashMap<>(GeneratedProgramme.appSettings(PARTITIONS));
            c.put("bootstrap.servers", kafka.bootstrapServers());
            c.put("application.id", applicationId);
            c.put("processing.guarantee", GUARANTEE);
            c.put("state.dir", stateDir.toString());
            c.put(StreamsSettings.TOPIC_PREFIX, prefix);
            c.put("session.timeout.ms", "3000");
            c.put("heartbeat.interval.ms", "500");
            return c;
        }

        void declareTopics() {
            GeneratedProgramme.declareTopics(kafka, topics);
        }

        /** Every reference record is on every partition of the fan-out topic and consumed there. */
        void awaitDirectoryFannedOut() {
            RunComparison.awaitConsumed(kafka.bootstrapServers(), applicationId, topics, RUN_TIMEOUT);
        }

        Process startChild(int n) throws IOException {
            Path log = outDir.resolve("run-" + name + "-" + n + ".log");
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                    HandoffStreamsMain.class.getName(), properties.toString());
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            children.add(p);
            return p;
        }

        /** Null while {@code child} runs, else why it is a problem. */
        String dead(Process child, int n) {
            return child.isAlive() ? null : "run " + name + "'s instance " + n + " exited with " + child.exitValue() + ":\n" + tail(n);
        }

        /** The sum of the last stable offsets of {@code topic}: how far its committed records reach. */
        long stableEnd(dev.handoff.schemas.TopicDef<?> topic) {
            try (Admin admin = Admin.create(RunComparison.clientProps(kafka.bootstrapServers()))) {
                Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
                for (int p = 0; p < topics.partitions(topic); p++) {
                    specs.put(new TopicPartition(topics.name(topic), p), OffsetSpec.latest());
                }
                return admin.listOffsets(specs, new org.apache.kafka.clients.admin.ListOffsetsOptions(
                                org.apache.kafka.common.IsolationLevel.READ_COMMITTED)).all().get().values().stream()
                        .mapToLong(i -> i.offset()).sum();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        /**
         * Records on the run's output topics that no transaction has committed or aborted yet: the high watermarks
         * (what a read_uncommitted reader reaches) less the last stable offsets.
         */
        long uncommittedOutput(Admin admin) throws Exception {
            Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
            for (dev.handoff.schemas.TopicDef<?> t : List.of(Topics.FINDINGS_STATE, Topics.FINDINGS_ACTIVITY, Topics.ALERTS_SLA_BREACH,
                    Topics.METRICS_HANDOFF)) {
                for (int p = 0; p < topics.partitions(t); p++) {
                    specs.put(new TopicPartition(topics.name(t), p), OffsetSpec.latest());
                }
            }
            long high = sum(admin.listOffsets(specs, new org.apache.kafka.clients.admin.ListOffsetsOptions(
                    org.apache.kafka.common.IsolationLevel.READ_UNCOMMITTED)).all().get());
            long stable = sum(admin.listOffsets(specs, new org.apache.kafka.clients.admin.ListOffsetsOptions(
                    org.apache.kafka.common.IsolationLevel.READ_COMMITTED)).all().get());
            return high - stable;
        }

        private static long sum(Map<TopicPartition, org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo> offsets) {
            return offsets.values().stream().mapToLong(i -> i.offset()).sum();
        }

        String tail(int n) {
            try {
                List<String> lines = Files.readAllLines(outDir.resolve("run-" + name + "-" + n + ".log"));
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }
    }
}

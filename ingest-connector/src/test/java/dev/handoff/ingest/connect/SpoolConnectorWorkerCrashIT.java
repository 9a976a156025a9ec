package dev.handoff.ingest.connect;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.avro.FindingReported;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static dev.handoff.ingest.connect.SpoolFixtures.corpus;
import static dev.handoff.ingest.connect.SpoolFixtures.drop;
import static dev.handoff.ingest.connect.SpoolFixtures.findings;
import static dev.handoff.ingest.connect.SpoolFixtures.reportId;
import static dev.handoff.ingest.connect.SpoolFixtures.trivy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The installed plugin in a real Kafka Connect distributed worker, a child JVM, killed with SIGKILL in the middle of
 * a large report and replaced by a new worker with the same configuration: with exactly-once source support, a
 * {@code read_committed} reader sees every finding exactly once.
 *
 * <p>The worker's class path is this test's, less this project's own classes and jars and the plugin's own
 * dependencies, so the connector can only come from {@code plugin.path}, where the plugin directory the build
 * assembled is installed as {@code docs/connect-spool-connector.md} says (copied into a plugin.path directory).
 * The broker runs in this JVM ({@link LocalKafka}). Each worker's output goes to
 * {@code target/connect-crash-it/worker-<n>.log}.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpoolConnectorWorkerCrashIT {

    private static final String CONNECTOR_CLASS = SpoolSourceConnector.class.getName();
    private static final String SOURCE = "ingest-connector/connect";
    private static final String CONNECTOR = "handoff-spool";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Jars the worker itself needs even though the plugin ships its own copy: a Kafka distribution's libs/ has them too. */
    private static final List<String> WORKER_ALSO_SHIPS = List.of("jackson-", "commons-lang3-");

    private final Path pluginDir = Path.of(required("handoff.connect.plugin.dir"));
    private final Path outDir = Path.of(required("handoff.connect.it.dir"));
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Process> workers = new ArrayList<>();
    private LocalKafka kafka;

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + property + " is not set: run this test through the connect-it"
                    + " failsafe execution of ingest-connector/pom.xml (./mvnw -pl ingest-connector -am verify)");
        }
        return value;
    }

    @BeforeAll
    void startBroker() throws IOException {
        assertTrue(Files.isDirectory(pluginDir), "no plugin directory at " + pluginDir + ": the package phase assembles it");
        Files.createDirectories(outDir);
        kafka = LocalKafka.builder()
                // Short group sessions, so the replacement worker need not wait 10 s for the killed one to time out.
                .brokerProperty("group.min.session.timeout.ms", "1000")
                // The killed worker's open transaction holds back every read_committed reader of the offsets topic,
                // the new worker's included, until it times out: look for timed-out transactions every second.
                .brokerProperty("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000")
                .start();
    }

    @AfterEach
    void killWorkers() throws InterruptedException {
        for (Process p : workers) {
            p.destroyForcibly();
            p.waitFor();
        }
        workers.clear();
    }

    @AfterAll
    void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void thePluginHoldsTheConnectorAndItsDependenciesButNotKafkaSlf4jOrTheIntakesJars() throws IOException {
        Set<String> jars;
        try (Stream<Path> files = Files.list(pluginDir)) {
            jars = files.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
        for (String wanted : List.of("handoff-ingest-connector-", "handoff-schemas-", "avro-", "jackson-databind-", "commons-compress-")) {
            assertTrue(jars.stream().anyMatch(j -> j.startsWith(wanted)), "the plugin has no " + wanted + "*.jar: " + jars);
        }
        for (String unwanted : List.of("kafka-clients-", "connect-", "slf4j-", "javalin-", "jetty-", "websocket-", "kotlin-",
                "picocli-", "zstd-", "lz4-", "snappy-", "logback-")) {
            assertTrue(jars.stream().noneMatch(j -> j.startsWith(unwanted)), "the plugin must not ship " + unwanted + "*.jar: " + jars);
        }
        assertTrue(jars.stream().allMatch(j -> j.endsWith(".jar")), "only jars: " + jars);

        Path zip = pluginDir.resolveSibling(pluginDir.getFileName() + ".zip");
        Set<String> zipped;
        try (ZipFile z = new ZipFile(zip.toFile())) {
            zipped = z.stream().map(ZipEntry::getName).collect(Collectors.toCollection(TreeSet::new));
        }
        Set<String> expected = new TreeSet<>();
        expected.add(pluginDir.getFileName() + "/");
        jars.forEach(j -> expected.add(pluginDir.getFileName() + "/" + j));
        assertEquals(expected, zipped, "the zip holds the plugin directory itself, to unzip into a plugin.path directory");
    }

    @Test
    void aWorkerKilledMidReportLosesAndDuplicatesNothingOnceAnotherTakesOver(@TempDir Path root) throws Exception {
        Instant started = Instant.now();
        // Install the plugin as the doc says: its directory, copied into a directory listed in plugin.path.
        Path plugins = root.resolve("connect-plugins");
        copyTree(pluginDir, plugins.resolve(pluginDir.getFileName()));
        Path workerProps = workerProperties(root, plugins, freePort());
        String rest = "http://127.0.0.1:" + port(workerProps);
        Process first = startWorker(1, workerProps); // it starts while the reports are made

        Path spool = Files.createDirectories(root.resolve("spool"));
        Path gen = Files.createDirectories(root.resolve("gen"));
        Instant old = Instant.now().minusSeconds(600);
        // Files are taken oldest first: a small one, the large one (where the kill lands), then three more.
        Map<String, Path> files = new LinkedHashMap<>();
        files.put("first.json", corpus("trivy/scheme_2_many_vulns.json"));
        files.put("big.json", trivy(gen.resolve("big.json"), 40_000, "big"));
        files.put("codeql.sarif", corpus("sarif/codeql_2.5.4_codeQL-output.sarif"));
        files.put("nessus.nessus", corpus("nessus/nessus_with_cvssv3.nessus"));
        files.put("after.json", trivy(gen.resolve("after.json"), 3_000, "after"));
        Map<String, Long> expectedPerReport = new LinkedHashMap<>();
        Map<String, String> reportOfFile = new HashMap<>();
        int i = 0;
        for (Map.Entry<String, Path> f : files.entrySet()) {
            String id = reportId(f.getValue(), SOURCE);
            expectedPerReport.put(id, findings(f.getValue()));
            reportOfFile.put(f.getKey(), id);
            drop(spool, f.getValue(), f.getKey(), old.plusSeconds(i++));
        }
        long expectedTotal = expectedPerReport.values().stream().mapToLong(Long::longValue).sum();
        String bigReport = reportOfFile.get("big.json");
        long bigTotal = expectedPerReport.get(bigReport);
        assertEquals(40_000, bigTotal);

        String prefix = "crash-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        String topic = prefix + "findings.reported";
        kafka.createTopics(List.of(new NewTopic(topic, 3, (short) 1)));
        Path registry = root.resolve("schemas");

        Map<String, Integer> seen = new HashMap<>();
        Deserializer<FindingReported> values = new Topics(prefix, 3, SchemaRegistries.embedded(registry))
                .valueSerde(Topics.FINDINGS_REPORTED).deserializer();
        try (KafkaConsumer<String, byte[]> consumer = committedReader(topic)) {
            awaitRest(first, rest, 1);
            createConnector(first, rest, spool, prefix, registry);

            // Kill once a tenth of the large report is committed: some 70 transactions of it are still to come.
            await(Duration.ofSeconds(120), "part of big.json committed by worker 1 (see worker-1.log)", first,
                    () -> readSome(consumer, values, seen) && count(seen, bigReport) >= bigTotal / 10);
            first.destroyForcibly();
            assertTrue(first.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the killed worker did not exit");
            assertEquals(137, first.exitValue(), "worker 1 died of SIGKILL");
            readToEnd(consumer, values, seen);
            long before = total(seen);
            long bigBefore = count(seen, bigReport);
            assertTrue(bigBefore > 0 && bigBefore < bigTotal, "the kill landed inside big.json: " + bigBefore + " of " + bigTotal);
            assertTrue(Files.exists(spool.resolve("big.json")), "big.json is still in the spool after the kill");

            Process second = startWorker(2, workerProps);
            awaitRest(second, rest, 2);
            await(Duration.ofSeconds(240), "every report in processed/ by worker 2 (see worker-2.log)", second,
                    () -> files.keySet().stream().allMatch(name -> Files.exists(spool.resolve("processed").resolve(name))));
            // A file moves only once all its records are committed, so everything is below the end offsets now.
            readToEnd(consumer, values, seen);

            List<String> duplicated = seen.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).sorted()
                    .limit(10).toList();
            Set<String> expectedIds = new TreeSet<>();
            expectedPerReport.forEach((report, n) -> {
                for (long o = 0; o < n; o++) {
                    expectedIds.add(report + "/" + o);
                }
            });
            List<String> missing = expectedIds.stream().filter(id -> !seen.containsKey(id)).limit(10).toList();
            List<String> unexpected = seen.keySet().stream().filter(id -> !expectedIds.contains(id)).limit(10).toList();
            String summary = String.format("committed before the kill: %d (big.json: %d of %d); after the restart: %d distinct of %d"
                            + " expected, %d records read; %s", before, bigBefore, bigTotal, seen.size(), expectedTotal, total(seen),
                    Duration.between(started, Instant.now()));
            System.out.println("SpoolConnectorWorkerCrashIT: " + summary);
            Files.writeString(outDir.resolve("summary.txt"), summary + System.lineSeparator());

            assertTrue(duplicated.isEmpty(), "event ids committed more than once: " + duplicated + "; " + summary);
            assertTrue(missing.isEmpty(), "event ids never committed: " + missing + "; " + summary);
            assertTrue(unexpected.isEmpty(), "event ids of no expected finding: " + unexpected + "; " + summary);
            assertEquals(expectedTotal, total(seen), summary);
            try (Stream<Path> errors = Files.list(spool.resolve("error"))) {
                assertEquals(List.of(), errors.map(p -> p.getFileName().toString()).toList(), "nothing refused");
            }
            try (Stream<Path> left = Files.list(spool)) {
                assertEquals(List.of(), left.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList(),
                        "nothing left in the spool");
            }

            second.destroy(); // a clean stop this time
            assertTrue(second.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "worker 2 did not stop on SIGTERM");
        }
    }

    // ------------------------------------------------------------------ the worker

    private Path workerProperties(Path root, Path plugins, int port) throws IOException {
        String group = "handoff-crash-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> p = new LinkedHashMap<>();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("group.id", group);
        p.put("listeners", "http://127.0.0.1:" + port);
        p.put("rest.advertised.host.name", "127.0.0.1");
        p.put("plugin.path", plugins.toString());
        p.put("exactly.once.source.support", "enabled");
        p.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        p.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        p.put("config.storage.topic", group + "-configs");
        p.put("offset.storage.topic", group + "-offsets");
        p.put("status.storage.topic", group + "-status");
        p.put("config.storage.replication.factor", "1");
        p.put("offset.storage.replication.factor", "1");
        p.put("offset.storage.partitions", "3");
        p.put("status.storage.replication.factor", "1");
        p.put("status.storage.partitions", "1");
        // The killed worker is gone for good: its task goes to the new worker as soon as the group notices.
        p.put("session.timeout.ms", "3000");
        p.put("heartbeat.interval.ms", "500");
        p.put("scheduled.rebalance.max.delay.ms", "0");
        // ... and the open transaction of the killed one times out after 5 s instead of 60 (see startBroker).
        p.put("producer.transaction.timeout.ms", "5000");
        // The connector comes from the ServiceLoader manifest its jar ships; no scan of every jar on the class path.
        p.put("plugin.discovery", "service_load");
        Path file = root.resolve("worker.properties");
        Files.writeString(file, p.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(System.lineSeparator(), "", System.lineSeparator())));
        Files.copy(file, outDir.resolve("worker.properties"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return file;
    }

    private static int port(Path workerProps) throws IOException {
        String listener = Files.readAllLines(workerProps).stream().filter(l -> l.startsWith("listeners=")).findFirst().orElseThrow();
        return Integer.parseInt(listener.substring(listener.lastIndexOf(':') + 1));
    }

    private Process startWorker(int n, Path workerProps) throws IOException {
        Path log = outDir.resolve("worker-" + n + ".log");
        Path logback = outDir.resolve("worker-logback.xml");
        Files.writeString(logback, """
                <configuration>
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
                  </appender>
                  <logger name="org.apache.kafka.connect" level="INFO"/>
                  <logger name="org.apache.kafka.connect.runtime.isolation" level="INFO"/>
                  <logger name="org.reflections" level="ERROR"/>
                  <logger name="dev.handoff" level="INFO"/>
                  <root level="WARN"><appender-ref ref="OUT"/></root>
                </configuration>
                """);
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx768m", "-Dlogback.configurationFile=" + logback,
                "-cp", workerClasspath(),
                "org.apache.kafka.connect.cli.ConnectDistributed", workerProps.toString());
        Files.writeString(outDir.resolve("worker-command.txt"), String.join(System.lineSeparator(), command));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        workers.add(p);
        return p;
    }

    /**
     * This JVM's class path without this project's classes and jars, nor the plugin's own dependencies (but for
     * those the worker needs itself): the connector and what it needs can then only come from plugin.path.
     */
    private String workerClasspath() throws IOException {
        String raw = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Set<String> pluginJars;
        try (Stream<Path> files = Files.list(pluginDir)) {
            pluginJars = files.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
        List<String> kept = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        for (String entry : raw.split(File.pathSeparator)) {
            if (entry.isBlank()) {
                continue;
            }
            Path path = Path.of(entry);
            String name = path.getFileName().toString();
            boolean ours = name.startsWith("handoff-") || name.equals("classes") || name.equals("test-classes")
                    || path.toString().contains(File.separator + "dev" + File.separator + "handoff" + File.separator);
            boolean pluginsOwn = pluginJars.contains(name) && WORKER_ALSO_SHIPS.stream().noneMatch(name::startsWith);
            (ours || pluginsOwn ? dropped : kept).add(entry);
        }
        Files.write(outDir.resolve("worker-classpath-dropped.txt"), dropped);
        for (String only : List.of("dev/handoff/ingest/connect/SpoolSourceConnector.class", "dev/handoff/avro/FindingReported.class",
                "org/apache/avro/Schema.class")) {
            assertTrue(dropped.stream().anyMatch(e -> holds(e, only)), "no " + only + " on this JVM's class path to drop: " + dropped);
            List<String> holders = kept.stream().filter(e -> holds(e, only)).toList();
            assertEquals(List.of(), holders, "the worker's class path would still hold " + only);
        }
        return String.join(File.pathSeparator, kept);
    }

    /** Whether the class path entry {@code entry} (a jar or a directory) holds {@code resource}. */
    private static boolean holds(String entry, String resource) {
        Path path = Path.of(entry);
        if (Files.isDirectory(path)) {
            return Files.exists(path.resolve(resource));
        }
        if (!Files.isRegularFile(path)) {
            return false;
        }
        try (ZipFile jar = new ZipFile(path.toFile())) {
            return jar.getEntry(resource) != null;
        } catch (IOException e) {
            return false;
        }
    }

    private void awaitRest(Process worker, String rest, int n) throws Exception {
        HttpRequest plugins = HttpRequest.newBuilder(URI.create(rest + "/connector-plugins")).timeout(Duration.ofSeconds(10)).build();
        String[] body = {""};
        await(Duration.ofSeconds(120), "worker " + n + "'s REST API at " + rest + " (see worker-" + n + ".log)", worker, () -> {
            try {
                HttpResponse<String> r = http.send(plugins, HttpResponse.BodyHandlers.ofString());
                body[0] = r.body();
                return r.statusCode() == 200;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
        assertTrue(body[0].contains(CONNECTOR_CLASS), "worker " + n + " did not load the connector from plugin.path: " + body[0]);
    }

    private void createConnector(Process worker, String rest, Path spool, String prefix, Path registry) throws Exception {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("connector.class", CONNECTOR_CLASS);
        c.put("tasks.max", "1");
        c.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        c.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        c.put("exactly.once.support", "required");
        c.put(SpoolSourceConfig.SPOOL_DIR, spool.toString());
        c.put(SpoolSourceConfig.TOPIC_PREFIX, prefix);
        c.put(SpoolSourceConfig.BATCH_SIZE, "500");
        c.put(SpoolSourceConfig.MIN_AGE_MS, "1000");
        c.put(SpoolSourceConfig.POLL_INTERVAL_MS, "200");
        c.put(SpoolSourceConfig.REGISTRY_URL, "embedded:" + registry);
        c.put(SpoolSourceConfig.SOURCE, SOURCE);
        HttpRequest put = HttpRequest.newBuilder(URI.create(rest + "/connectors/" + CONNECTOR + "/config"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(c))).build();
        String[] last = {""};
        // Until the worker has joined its group, it answers 409 or 503 (rebalance in progress): try again.
        await(Duration.ofSeconds(120), "the connector created on worker 1", worker, () -> {
            try {
                HttpResponse<String> r = http.send(put, HttpResponse.BodyHandlers.ofString());
                last[0] = r.statusCode() + " " + r.body();
                if (r.statusCode() / 100 == 4 && r.statusCode() != 409) {
                    fail("the worker refused the connector config: " + last[0]);
                }
                return r.statusCode() / 100 == 2;
            } catch (IOException e) {
                last[0] = e.toString();
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
    }

    // ------------------------------------------------------------------ reading what is committed

    private KafkaConsumer<String, byte[]> committedReader(String topic) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> parts = c.partitionsFor(topic).stream().map(pi -> new TopicPartition(topic, pi.partition())).toList();
        c.assign(parts);
        c.seekToBeginning(parts);
        return c;
    }

    /** One poll's committed records into {@code seen} (event id to times read); always true, to sit in a condition. */
    private static boolean readSome(KafkaConsumer<String, byte[]> c, Deserializer<FindingReported> values, Map<String, Integer> seen) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
            FindingReported f = values.deserialize(r.topic(), r.value());
            assertEquals(f.getFindingId(), r.key(), "the key is the finding id");
            seen.merge(f.getEventId(), 1, Integer::sum);
        }
        return true;
    }

    /** Reads up to the last stable offsets: everything committed so far, and nothing of an open transaction. */
    private static void readToEnd(KafkaConsumer<String, byte[]> c, Deserializer<FindingReported> values, Map<String, Integer> seen) {
        Map<TopicPartition, Long> end = c.endOffsets(c.assignment());
        Instant deadline = Instant.now().plusSeconds(120);
        while (end.entrySet().stream().anyMatch(e -> c.position(e.getKey()) < e.getValue())) {
            if (Instant.now().isAfter(deadline)) {
                fail("could not read up to the end offsets " + end + " within 120 s");
            }
            readSome(c, values, seen);
        }
    }

    private static long count(Map<String, Integer> seen, String report) {
        return seen.entrySet().stream().filter(e -> e.getKey().startsWith(report + "/")).mapToLong(Map.Entry::getValue).sum();
    }

    private static long total(Map<String, Integer> seen) {
        return seen.values().stream().mapToLong(Integer::longValue).sum();
    }

    // ------------------------------------------------------------------ small things

    /** Waits for {@code condition}; fails on {@code timeout} (a hang, not slowness: the deadlines are generous) or when the worker dies. */
    private void await(Duration timeout, String what, Process worker, BooleanSupplier condition) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (!worker.isAlive()) {
                fail("the worker died (exit " + worker.exitValue() + ") while waiting for " + what + ":\n" + tail(worker));
            }
            if (Instant.now().isAfter(deadline)) {
                fail("no " + what + " within " + timeout + ":\n" + tail(worker));
            }
            Thread.sleep(100);
        }
    }

    private String tail(Process worker) {
        int n = workers.indexOf(worker) + 1;
        try {
            List<String> lines = Files.readAllLines(outDir.resolve("worker-" + n + ".log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}

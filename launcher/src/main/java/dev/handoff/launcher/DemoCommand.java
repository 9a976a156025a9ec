package dev.handoff.launcher;

import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SourceTool;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.FindingIds;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import dev.handoff.schemas.registry.SchemaRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.streams.HandoffStreamsApp;
import dev.handoff.streams.HandoffTopology;
import dev.handoff.streams.StreamsSettings;
import org.apache.kafka.clients.admin.NewTopic;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.HashMap;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./handoff demo}: the local mode on its embedded default. It starts the real in-process broker,
 * declares every Handoff topic, runs the streams service with its query API, proves the path with one
 * finding written through the Schema-Registry serde and read back from the service, and serves until
 * Ctrl-C. The intake and the alerter join it as their issues land.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start the local mode: an in-process Kafka broker, every Handoff topic and the streams service.")
public final class DemoCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--once", description = "Exit after the start-up check instead of serving until Ctrl-C.")
    boolean once;

    @Option(names = "--topic-prefix", defaultValue = Topics.DEFAULT_PREFIX,
            description = "Prefix of every topic name (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Option(names = "--partitions", defaultValue = "" + Topics.DEFAULT_PARTITIONS,
            description = "Partitions of finding-keyed topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--query-port", defaultValue = "8090",
            description = "Port of the streams query API (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int queryPort;

    private final PrintStream out = System.out;
    private volatile HandoffStreamsApp stopFirst;
    private volatile java.nio.file.Path stateDir;

    @Override
    public Integer call() throws Exception {
        if (queryPort < 0 || queryPort > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--query-port must be between 0 and 65535, was " + queryPort);
        }
        out.println("Handoff local mode: starting an in-process Kafka broker (KRaft, one node)...");
        LocalKafka kafka = LocalKafka.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            out.println("\nshutting down...");
            stopStreams();
            kafka.close();
            stopped.countDown();
        }, "handoff-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        SchemaRegistry registry = SchemaRegistries.fromConfig(Map.of(SchemaRegistries.URL_CONFIG, "embedded"));
        Topics topics = new Topics(prefix, partitions, registry);
        kafka.createTopics(topics.newTopics((short) 1));
        kafka.createTopics(HandoffTopology.internalTopics(topics).stream().map(n -> new NewTopic(n, partitions, (short) 1)).toList());
        out.printf("broker:   %s%n", kafka.bootstrapServers());
        out.printf("registry: embedded (schema.registry.url=embedded)%n");
        out.printf("topics:   %d declared with prefix '%s'%n", Topics.ALL.size(), prefix);

        Map<String, String> config = new HashMap<>();
        config.put("bootstrap.servers", kafka.bootstrapServers());
        config.put("application.id", "handoff-local-streams");
        stateDir = Files.createTempDirectory("handoff-local-streams-");
        config.put("state.dir", stateDir.toString());
        config.put(StreamsSettings.TOPIC_PREFIX, prefix);
        config.put(StreamsSettings.TOPIC_PARTITIONS, Integer.toString(partitions));
        config.put(StreamsSettings.QUERY_HOST, "127.0.0.1");
        config.put(StreamsSettings.QUERY_PORT, Integer.toString(queryPort));
        HandoffStreamsApp streamsApp = new HandoffStreamsApp(StreamsSettings.from(config, System.getenv()));
        streamsApp.start();
        stopFirst = streamsApp;
        String api = "http://localhost:" + streamsApp.queryPort();
        out.printf("streams:  running, query API at %s (/findings/{id}, /queues/unrouted, /owners/{id}/open, /metrics/handoff, /health)%n", api);
        out.printf("dashboard: %s/   (Prometheus text at %s/metrics)%n", api, api);

        FindingReported echoed = roundTrip(kafka, topics);
        out.printf("check:    wrote and read back finding %s (%s, %s) on %s%n", echoed.getFindingId(),
                echoed.getVulnerabilityIds().get(0).getId(), echoed.getScannerBand(), topics.name(Topics.FINDINGS_REPORTED));
        String state = awaitFinding(api, echoed.getFindingId());
        out.printf("check:    %s/findings/%s answers: %s%n", api, echoed.getFindingId(), state);
        out.println("services: the intake and the alerter are not built yet (issues D, E); the streams service is live.");

        if (once) {
            Runtime.getRuntime().removeShutdownHook(hook);
            stopStreams();
            kafka.close();
            return 0;
        }
        out.println("The broker stays up for your own clients. Press Ctrl-C to stop.");
        stopped.await();
        return 0;
    }

    /** Stops the streams service and removes its temporary state (a kept data directory comes with --data-dir, issue F). */
    private void stopStreams() {
        if (stopFirst != null) {
            stopFirst.close();
        }
        if (stateDir != null) {
            try (var paths = Files.walk(stateDir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (java.io.IOException e) {
                out.println("could not remove " + stateDir + ": " + e.getMessage());
            }
        }
    }

    /** Polls the streams query API until the finding's state is there; returns a one-line summary. */
    private static String awaitFinding(String api, String findingId) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Instant deadline = Instant.now().plusSeconds(60);
        String last = "no answer";
        while (Instant.now().isBefore(deadline)) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + "/findings/" + findingId))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    JsonNode state = new ObjectMapper().readTree(r.body()).path("state");
                    return "status " + state.path("status").asText() + ", band " + state.path("band").asText()
                            + ", captured_at " + state.path("captured_at").asText() + ", failure modes "
                            + state.path("failure_modes") + " (no asset register loaded yet)";
                }
                last = r.statusCode() + " " + r.body();
            } catch (java.io.IOException e) {
                last = e.toString();
            }
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
        }
        throw new IllegalStateException("start-up check failed: the streams service did not report finding " + findingId
                + " within 60 s (last answer: " + last + ")");
    }

    /** Writes one finding through the real serde and reads it back, so a broken event path shows at start-up. */
    private static FindingReported roundTrip(LocalKafka kafka, Topics topics) {
        FindingReported finding = sampleFinding();
        String topic = topics.name(Topics.FINDINGS_REPORTED);
        Properties producerProps = kafka.clientProperties();
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        try (KafkaProducer<String, FindingReported> producer = new KafkaProducer<>(producerProps,
                topics.keySerde().serializer(), topics.valueSerde(Topics.FINDINGS_REPORTED).serializer())) {
            producer.send(new ProducerRecord<>(topic, finding.getFindingId(), finding)).get();
        } catch (Exception e) {
            throw new IllegalStateException("start-up check failed: could not write a finding to " + topic + ": " + e, e);
        }
        Properties consumerProps = kafka.clientProperties();
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "handoff-demo-check-" + UUID.randomUUID());
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, FindingReported> consumer = new KafkaConsumer<>(consumerProps,
                topics.keySerde().deserializer(), topics.valueSerde(Topics.FINDINGS_REPORTED).deserializer())) {
            consumer.subscribe(List.of(topic));
            Instant deadline = Instant.now().plusSeconds(60);
            while (Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, FindingReported> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value().getEventId().equals(finding.getEventId())) {
                        return r.value();
                    }
                }
            }
        }
        throw new IllegalStateException("start-up check failed: the finding written to " + topic + " was not read back within 60 s");
    }

    private static FindingReported sampleFinding() {
        Instant now = Instant.now();
        FindingReported finding = FindingReported.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setEventTime(now)
                .setRecordedTime(now)
                .setSource("launcher/start-up-check")
                .setFindingId("")
                .setSourceTool(new SourceTool("Trivy", "0.50.1"))
                .setVulnerabilityIds(List.of(new VulnerabilityId(VulnerabilityIdKind.CVE, "CVE-2021-44228")))
                .setTitle("log4j-core: Remote code injection in Log4j")
                .setScannerSeverity("CRITICAL")
                .setScannerBand(SeverityBand.CRITICAL)
                .setTarget(FindingTarget.newBuilder()
                        .setImage("registry.example.com/payments/api")
                        .setPackagePurl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
                        .build())
                .build();
        return FindingIds.withId(finding);
    }
}

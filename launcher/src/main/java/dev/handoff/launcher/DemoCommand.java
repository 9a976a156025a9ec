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
 * {@code ./handoff demo}: the local mode on its embedded default ({@link LocalMode}: broker, topics, streams service,
 * intake, alerter, local alert receiver). It proves the event path with one finding written through the serde and
 * read back from the service, replays the sample programme ({@link DemoProgramme}) unless {@code --no-replay},
 * prints the five handoff numbers per severity, and serves until Ctrl-C.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start the local mode: an in-process Kafka broker, every topic, the streams service, the intake and the alerter; "
                + "replay a sample programme and print the handoff numbers.")
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
            description = "Port of the streams query API and dashboard (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int queryPort;

    @Option(names = "--intake-port", defaultValue = "8091",
            description = "Port of the HTTP intake (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int intakePort;

    @Option(names = "--alerts-port", defaultValue = "8092",
            description = "Port of the local webhook receiver the alerter delivers to (default: ${DEFAULT-VALUE}).")
    int alertsPort;

    @Option(names = "--alerter-port", defaultValue = "8093",
            description = "Port of the alerter's /metrics and /health (default: ${DEFAULT-VALUE}).")
    int alerterPort;

    @Option(names = "--run-file", description = "Where to write the run file (default: ~/.handoff/local.properties or $HANDOFF_LOCAL_FILE).")
    java.nio.file.Path runFile;

    @Option(names = "--no-replay", description = "Start empty, for real use: no sample programme, SLA timers on the wall clock.")
    boolean noReplay;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Keep the broker's data, schemas, streams state and secrets in DIR, so a restart on it carries on where the last "
                    + "run stopped (default: temporary directories removed on exit). The sample programme is replayed into a new DIR only.")
    java.nio.file.Path dataDir;

    @Option(names = "--seed", defaultValue = "7", description = "Seed of the sample programme (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--days", defaultValue = "21", description = "Days of history the sample programme covers (default: ${DEFAULT-VALUE}).")
    int days;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        for (int port : new int[] {queryPort, intakePort, alertsPort, alerterPort}) {
            if (port < 0 || port > 65535) {
                throw new CommandLine.ParameterException(spec.commandLine(), "ports must be between 0 and 65535, was " + port);
            }
        }
        if (days < 2 || days > 60) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--days must be between 2 and 60, was " + days);
        }
        long t0 = System.nanoTime();
        DataDir data;
        try {
            data = dataDir == null ? null : DataDir.open(dataDir);
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        boolean replay = !noReplay && replayInto(data);
        out.println("Handoff local mode: starting an in-process Kafka broker (KRaft, one node), the streams service, the intake and the alerter...");
        if (data != null) {
            out.printf("data:      %s (%s)%n", data.root(), data.fresh() ? "new" : "kept from the last run"
                    + data.replayedAt().map(at -> ", sample programme replayed at " + at).orElse(""));
        }
        LocalMode local = LocalMode.start(new LocalMode.Options(prefix, partitions, queryPort, intakePort, alertsPort, alerterPort, replay, data));
        CountDownLatch stopped = new CountDownLatch(1);
        LocalRun run = writeRunFile(local);
        Thread hook = new Thread(() -> {
            out.println("\nshutting down...");
            run.delete();
            local.close();
            stopped.countDown();
        }, "handoff-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        out.printf("broker:    %s (schema registry: %s)%n", local.kafka.bootstrapServers(), local.registryUrl);
        out.printf("topics:    %d declared with prefix '%s'%n", Topics.ALL.size(), prefix);
        out.printf("streams:   query API %s (/findings/{id}, /queues/unrouted, /owners/{id}/open, /metrics/handoff, /health)%n", local.queryUrl());
        out.printf("intake:    %s (POST /v1/reports, /v1/findings/{id}/acknowledge ...; bearer token %s)%n", local.intakeUrl(), local.token);
        out.printf("alerter:   delivering to the local receiver %s (counts at http://127.0.0.1:%d/)%n", local.inbox.url(), local.inbox.port());
        out.printf("run file:  %s (./handoff status, ack, export read it)%n", run.file());

        FindingReported echoed = roundTrip(local.kafka, local.topics);
        String state = awaitFinding(local.queryUrl(), echoed.getFindingId());
        out.printf("check:     wrote finding %s through the serde; the streams service answers: %s%n", echoed.getFindingId(), state);

        if (replay) {
            if (data != null) {
                data.replayStarted();
            }
            DemoProgramme programme = DemoProgramme.build(seed, Instant.now(), Duration.ofDays(days));
            DemoReplay.Summary replayed = new DemoReplay(local, out).run(programme);
            if (data != null) {
                data.replayDone();
            }
            out.printf("replay:    done: %d reports, %d findings, %d commands (%d skipped: unrouted) in %d s%n", replayed.reports(),
                    replayed.findings(), replayed.commands(), replayed.skipped(), Duration.ofNanos(System.nanoTime() - t0).toSeconds());
            if (!local.awaitStreamsCaughtUp(Duration.ofSeconds(120))) {
                out.println("replay:    the streams service is still working through the replay after 120 s; the numbers below are partial");
            }
            DemoSummary summary = new DemoSummary(local.queryUrl());
            summary.print(summary.awaitMetrics(replayed.findings(), Duration.ofSeconds(90)), local.inbox.counts(), out);
        } else if (data != null && !data.fresh()) {
            // A restart: the numbers of what the directory holds, once the restored service has published them.
            DemoSummary summary = new DemoSummary(local.queryUrl());
            summary.print(summary.awaitMetrics(1, Duration.ofSeconds(60)), local.inbox.counts(), out);
        }
        out.printf("%ndashboard: %s/%n", local.queryUrl());
        out.printf("ready in %d s%n", Duration.ofNanos(System.nanoTime() - t0).toSeconds());

        if (once) {
            Runtime.getRuntime().removeShutdownHook(hook);
            run.delete();
            local.close();
            return 0;
        }
        out.println("Everything stays up for your own clients and scanners. Press Ctrl-C to stop.");
        stopped.await();
        return 0;
    }

    /**
     * Whether to replay the sample programme: always without a data directory; into a data directory only when it is new,
     * since a second replay would double the programme and an interrupted one cannot be told apart from real data.
     */
    private boolean replayInto(DataDir data) {
        if (data == null) {
            return true;
        }
        switch (data.replay()) {
            case DONE:
                return false;
            case INTERRUPTED:
                throw new CommandLine.ParameterException(spec.commandLine(), "the sample programme's replay into " + data.root()
                        + " was interrupted; remove the directory to replay it again, or add --no-replay to start on what it holds");
            default:
                if (!data.fresh()) {
                    throw new CommandLine.ParameterException(spec.commandLine(), data.root() + " holds the data of a --no-replay run;"
                            + " the sample programme is replayed into a new directory only (add --no-replay to start on it)");
                }
                return true;
        }
    }

    /** The run file {@code ./handoff status|ack|export} find this local mode through; deleted on a clean stop. */
    private LocalRun writeRunFile(LocalMode local) throws java.io.IOException {
        Map<String, String> v = new HashMap<>();
        v.put(LocalRun.BOOTSTRAP_SERVERS, local.kafka.bootstrapServers());
        v.put(LocalRun.TOPIC_PREFIX, prefix);
        v.put(LocalRun.SCHEMA_REGISTRY_URL, local.registryUrl);
        v.put(LocalRun.QUERY_URL, local.queryUrl());
        v.put(LocalRun.INTAKE_URL, local.intakeUrl());
        v.put(LocalRun.INTAKE_TOKEN, local.token);
        v.put(LocalRun.ALERTS_URL, local.inbox.url());
        if (local.alerterUrl() != null) {
            v.put(LocalRun.ALERTER_URL, local.alerterUrl());
        }
        return LocalRun.write(runFile != null ? runFile : LocalRun.defaultFile(), v);
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
                            + state.path("failure_modes");
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

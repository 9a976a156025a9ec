package dev.handoff.launcher;

import dev.handoff.alerter.Alerter;
import dev.handoff.alerter.AlerterSettings;
import dev.handoff.alerter.Channels;
import dev.handoff.ingest.intake.IntakeServer;
import dev.handoff.ingest.intake.IntakeSettings;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import dev.handoff.streams.HandoffStreamsApp;
import dev.handoff.streams.HandoffTopology;
import dev.handoff.streams.StreamsSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * Everything of Handoff in one JVM, on its embedded default: a real in-process Kafka broker (KRaft), every topic,
 * the embedded schema registry, the streams service with its query API and dashboard, the HTTP intake, the alerter,
 * and a local webhook receiver the alerter delivers to. Secrets (the intake token, the acknowledgement-link secret)
 * are generated for the run.
 */
final class LocalMode implements AutoCloseable {

    /** What to start. Ports of 0 pick free ones; a null {@code dataDir} keeps everything in temporary directories. */
    record Options(String prefix, int partitions, int queryPort, int intakePort, int alertsPort, int alerterMetricsPort, boolean replayClock,
                   DataDir dataDir) {
    }

    static final String STREAMS_APPLICATION_ID = "handoff-local-streams";

    final Options options;
    final LocalKafka kafka;
    final Topics topics;
    final HandoffStreamsApp streams;
    final IntakeServer intake;
    final AlertInbox inbox;
    final Alerter alerter;
    final String token;
    final String registryUrl;
    private final Path stateDir;
    private final boolean temporaryState;

    private LocalMode(Options o, LocalKafka broker, Map<String, String> kafkaClient) {
        this.options = o;
        DataDir data = o.dataDir();
        this.token = data == null ? "local-" + random(16) : data.token();
        String ackSecret = data == null ? random(24) : data.ackSecret();
        this.registryUrl = data == null ? SchemaRegistries.EMBEDDED : data.registryUrl();
        this.temporaryState = data == null;
        kafka = broker != null ? broker : data == null ? LocalKafka.start() : LocalKafka.builder().dataDirectory(data.kafka()).start();
        // How the services reach Kafka: the broker's plain listener, or the settings given (a SASL listener in tests).
        Map<String, String> client = kafkaClient != null ? kafkaClient : Map.of("bootstrap.servers", kafka.bootstrapServers());
        try {
            topics = new Topics(o.prefix(), o.partitions(), SchemaRegistries.fromConfig(Map.of(SchemaRegistries.URL_CONFIG, registryUrl)));
            kafka.createTopics(topics.newTopics((short) 1));
            kafka.createTopics(HandoffTopology.newInternalTopics(topics, o.partitions(), (short) 1));

            Map<String, String> s = new HashMap<>();
            s.putAll(client);
            s.put("application.id", STREAMS_APPLICATION_ID);
            stateDir = data == null ? Files.createTempDirectory("handoff-local-streams-") : Files.createDirectories(data.streamsState());
            s.put("state.dir", stateDir.toString());
            s.put(SchemaRegistries.URL_CONFIG, registryUrl);
            s.put(StreamsSettings.TOPIC_PREFIX, o.prefix());
            s.put(StreamsSettings.TOPIC_PARTITIONS, Integer.toString(o.partitions()));
            s.put(StreamsSettings.QUERY_HOST, "127.0.0.1");
            s.put(StreamsSettings.QUERY_PORT, Integer.toString(o.queryPort()));
            // A replay of past weeks runs its SLA timers on the events' own time, so deadlines pass as the replay does.
            s.put(StreamsSettings.SLA_CLOCK, o.replayClock() ? "stream" : "wall");
            s.put(StreamsSettings.METRICS_CLOCK, "wall");
            s.put(StreamsSettings.METRICS_REFRESH_INTERVAL, "PT2S");
            streams = new HandoffStreamsApp(StreamsSettings.from(s, Map.of()));
            streams.start();

            Map<String, String> i = new HashMap<>();
            i.put("intake.port", Integer.toString(o.intakePort()));
            i.putAll(client);
            i.put("topic.prefix", o.prefix());
            i.put("intake.token.local-user", "ingest,acknowledge,read:" + token);
            i.put("intake.ack.secret", ackSecret);
            i.put("schema.registry.url", registryUrl);
            intake = IntakeServer.start(IntakeSettings.from(i, Map.of()));

            inbox = new AlertInbox(o.alertsPort());
            Map<String, String> a = new HashMap<>();
            a.putAll(client);
            a.put("topic.prefix", o.prefix());
            a.put("alerter.instance.id", "local");
            a.put("alerter.ack.secret", ackSecret);
            a.put("schema.registry.url", registryUrl);
            a.put("alerter.ack.base-url", "http://localhost:" + intake.port());
            a.put("alerter.target.local.type", "webhook");
            a.put("alerter.target.local.url", inbox.url());
            a.put("alerter.target.local.timeout", "PT5S");
            a.put("alerter.owner.targets", "local");
            a.put("alerter.soc.targets", "local");
            a.put("alerter.unrouted.targets", "local");
            a.put("alerter.metrics.port", Integer.toString(o.alerterMetricsPort()));
            if (o.replayClock()) {
                // Past weeks replayed in a minute: receipts dated at the request, no wall-clock digests or escalations.
                a.put("alerter.receipt.time", "request");
                a.put("alerter.digest.interval", "PT0S");
                a.put("alerter.escalation.after", "PT0S");
                a.put("alerter.quiet.bands", "");
            }
            AlerterSettings alerterSettings = AlerterSettings.from(a, Map.of());
            alerter = Alerter.start(alerterSettings, Channels.standard(alerterSettings));
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    static LocalMode start(Options options) {
        return new LocalMode(options, null, null);
    }

    /** On a broker started by the caller (and closed with this), the services reaching it with {@code kafkaClient}. */
    static LocalMode on(LocalKafka kafka, Options options, Map<String, String> kafkaClient) {
        return new LocalMode(options, kafka, kafkaClient);
    }

    /**
     * Waits until the streams service has committed every input record (its group's committed offsets reach the
     * read-committed end of every partition it reads, repartition topics included); returns whether it did in time.
     */
    boolean awaitStreamsCaughtUp(Duration wait) throws InterruptedException {
        long until = System.nanoTime() + wait.toNanos();
        try (Admin admin = Admin.create(kafka.clientProperties())) {
            while (System.nanoTime() < until) {
                try {
                    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(STREAMS_APPLICATION_ID)
                            .partitionsToOffsetAndMetadata().get();
                    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                    committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
                    var ends = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
                    boolean caughtUp = !committed.isEmpty() && committed.entrySet().stream()
                            .allMatch(e -> e.getValue() != null && e.getValue().offset() >= ends.get(e.getKey()).offset());
                    if (caughtUp) {
                        return true;
                    }
                } catch (ExecutionException e) {
                    // the group is rebalancing or a partition is moving: ask again
                }
                Thread.sleep(500);
            }
        }
        return false;
    }

    String queryUrl() {
        return "http://localhost:" + streams.queryPort();
    }

    String intakeUrl() {
        return "http://localhost:" + intake.port();
    }

    String alerterUrl() {
        return alerter.metricsPort() < 0 ? null : "http://localhost:" + alerter.metricsPort();
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    @Override
    public void close() {
        closeQuietly(alerter);
        closeQuietly(inbox);
        closeQuietly(intake);
        closeQuietly(streams);
        closeQuietly(kafka);
        if (stateDir != null && temporaryState) {
            try (var paths = Files.walk(stateDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // best effort: a temporary directory
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            System.err.println("while stopping " + c.getClass().getSimpleName() + ": " + e);
        }
    }
}

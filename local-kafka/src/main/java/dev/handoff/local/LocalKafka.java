package dev.handoff.local;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.metadata.bootstrap.BootstrapMetadata;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) running inside this JVM,
 * for integration tests and the one-command local mode. Replication factor 1.
 *
 * <p>By default the broker is Kafka's test kit on free ports with temporary data removed on {@link #close()}.
 * With {@link Builder#dataDirectory(Path)} it is a {@code KafkaRaftServer} (what {@code kafka-server-start}
 * runs) on a directory formatted once and kept: closing and starting again on the same directory gives the
 * same cluster, topics, offsets and transactions, on the same ports when they are free (decision 0007).
 */
public final class LocalKafka implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalKafka.class);
    private static final String WARM_UP_TOPIC = "__local_kafka_warm_up";

    private final AutoCloseable server;
    private final Path baseDirectory;
    private final String bootstrapServers;
    private final boolean persistent;
    private final String saslBootstrapServers;

    private LocalKafka(AutoCloseable server, Path baseDirectory, String bootstrapServers, boolean persistent, String saslBootstrapServers) {
        this.server = server;
        this.baseDirectory = baseDirectory;
        this.bootstrapServers = bootstrapServers;
        this.persistent = persistent;
        this.saslBootstrapServers = saslBootstrapServers;
    }

    /** Starts a broker with the default settings. */
    public static LocalKafka start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The {@code bootstrap.servers} value for clients of this broker. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * The {@code bootstrap.servers} of the SASL_PLAINTEXT listener (mechanism PLAIN) that {@link Builder#saslPlain} adds;
     * the plain listener of {@link #bootstrapServers()} stays open beside it.
     */
    public String saslBootstrapServers() {
        if (saslBootstrapServers == null) {
            throw new IllegalStateException("this broker has no SASL listener: start it with LocalKafka.builder().saslPlain(users)");
        }
        return saslBootstrapServers;
    }

    /** Client properties with {@code bootstrap.servers} set, a fresh copy on each call. */
    public Properties clientProperties() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return props;
    }

    /** Where the broker keeps its logs and metadata. */
    public Path dataDirectory() {
        return baseDirectory;
    }

    /** Whether the data outlives {@link #close()} ({@link Builder#dataDirectory(Path)}). */
    public boolean persistent() {
        return persistent;
    }

    /**
     * Creates the topics that do not exist yet and waits until they are ready; topics that already
     * exist are left as they are, so a caller may declare its topics on every start.
     */
    public void createTopics(Collection<NewTopic> topics) {
        if (topics.isEmpty()) {
            return;
        }
        try (Admin admin = Admin.create(clientProperties())) {
            Map<String, Throwable> failures = new LinkedHashMap<>();
            admin.createTopics(topics).values().forEach((name, future) -> {
                try {
                    future.get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        failures.put(name, e.getCause());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while creating topics", e);
                }
            });
            if (!failures.isEmpty()) {
                throw new IllegalStateException("could not create topics on the local broker: " + failures.entrySet().stream()
                        .map(e -> e.getKey() + ": " + e.getValue().getMessage())
                        .collect(Collectors.joining("; ")));
            }
            awaitTopics(admin, topics.stream().map(NewTopic::name).toList());
        }
    }

    /**
     * Waits until every partition of {@code names} answers a ListOffsets request. That request is served by the
     * partition's leader replica, so it succeeds only once the broker acts as leader, not merely when the metadata
     * says so: a producer that writes in between gets NOT_LEADER_OR_FOLLOWER, and an idempotent producer whose first
     * batch is refused that way while a later one is taken loses the first batch to OUT_OF_ORDER_SEQUENCE.
     */
    private static void awaitTopics(Admin admin, List<String> names) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (true) {
            try {
                Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
                admin.describeTopics(names).allTopicNames().get().forEach((name, d) ->
                        d.partitions().forEach(p -> partitions.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
                admin.listOffsets(partitions).all().get();
                return;
            } catch (ExecutionException e) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("topics " + names + " were created but their partitions have no working leader after 60 s",
                            e.getCause());
                }
                pause(Duration.ofMillis(50));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for topics " + names, e);
            }
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (Exception e) {
            log.warn("local Kafka broker did not shut down cleanly: {}", e.toString());
        } finally {
            if (!persistent) {
                deleteQuietly(baseDirectory);
            }
        }
    }

    /** Round-trips one record so the first real client does not pay for metadata, group and coordinator start-up. */
    private void warmUp() {
        createTopics(List.of(new NewTopic(WARM_UP_TOPIC, 1, (short) 1)));
        Properties producerProps = clientProperties();
        producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps)) {
            producer.send(new ProducerRecord<>(WARM_UP_TOPIC, "warm-up", "ping")).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("local Kafka broker started but refused a warm-up write: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during warm-up", e);
        }
        Properties consumerProps = clientProperties();
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "local-kafka-warm-up-" + UUID.randomUUID());
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps)) {
            consumer.subscribe(List.of(WARM_UP_TOPIC));
            Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
            while (Instant.now().isBefore(deadline)) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    consumer.commitSync();
                    return;
                }
            }
            throw new IllegalStateException("local Kafka broker started but the warm-up record could not be read back within 60 s");
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** A started {@link PersistentBroker}; package-private for it. */
    static LocalKafka ofRaftServer(AutoCloseable server, Path directory, String bootstrapServers, boolean keep, String saslBootstrapServers) {
        return new LocalKafka(server, directory, bootstrapServers, keep, saslBootstrapServers);
    }

    static void deleteQuietly(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            log.warn("could not remove local Kafka data directory {}: {}", dir, e.toString());
        }
    }

    /** Settings of a {@link LocalKafka}; every one has a working default. */
    public static final class Builder {
        private final Map<String, String> brokerProperties = new TreeMap<>();
        private int defaultPartitions = 1;
        private boolean warmUp = true;
        private Path dataDirectory;
        private Map<String, String> saslUsers;

        private Builder() {
        }

        /**
         * Add a SASL_PLAINTEXT listener with mechanism PLAIN and these users (name to password), at
         * {@link LocalKafka#saslBootstrapServers()}; for tests of the services' Kafka security settings. Runs the
         * {@code KafkaRaftServer} flavour (on a temporary directory unless {@link #dataDirectory} is set too).
         */
        public Builder saslPlain(Map<String, String> users) {
            if (users.isEmpty()) {
                throw new IllegalArgumentException("saslPlain needs at least one user");
            }
            this.saslUsers = new TreeMap<>(users);
            return this;
        }

        /**
         * Keep the broker's data in {@code directory} (created when missing, formatted on first use) instead of a
         * temporary directory, so a later start on it finds its topics and records again.
         */
        public Builder dataDirectory(Path directory) {
            this.dataDirectory = directory.toAbsolutePath();
            return this;
        }

        /** Partition count for topics auto-created by clients (Kafka Streams creates its own explicitly). */
        public Builder defaultPartitions(int partitions) {
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be at least 1, was " + partitions);
            }
            this.defaultPartitions = partitions;
            return this;
        }

        /** Any broker setting, for example {@code transaction.max.timeout.ms}. */
        public Builder brokerProperty(String key, String value) {
            brokerProperties.put(key, value);
            return this;
        }

        /** Skip the warm-up round trip (it costs about a second and saves the first client the same). */
        public Builder skipWarmUp() {
            this.warmUp = false;
            return this;
        }

        public LocalKafka start() {
            if (dataDirectory != null || saslUsers != null) {
                Map<String, String> props = defaults();
                props.putAll(brokerProperties);
                LocalKafka kafka = PersistentBroker.start(dataDirectory, props, saslUsers);
                if (warmUp) {
                    kafka.warmUp();
                }
                return kafka;
            }
            long started = System.nanoTime();
            Path base;
            try {
                base = Files.createTempDirectory("handoff-local-kafka-");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a data directory for the local Kafka broker", e);
            }
            MetadataVersion version = MetadataVersion.latestProduction();
            BootstrapMetadata bootstrap = BootstrapMetadata.fromVersions(version,
                    Feature.PRODUCTION_FEATURES.stream().collect(Collectors.toMap(
                            Feature::featureName, f -> f.defaultLevel(version), (a, b) -> a, TreeMap::new)),
                    "handoff-local-kafka");
            TestKitNodes nodes = new TestKitNodes.Builder(bootstrap)
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .setBaseDirectory(base)
                    .build();
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
            defaults().forEach(builder::setConfigProp);
            brokerProperties.forEach(builder::setConfigProp);
            KafkaClusterTestKit cluster = null;
            try {
                cluster = builder.build();
                formatQuietly(cluster);
                cluster.startup();
                cluster.waitForReadyBrokers();
                KafkaClusterTestKit testKit = cluster;
                LocalKafka kafka = new LocalKafka(testKit::close, base, testKit.bootstrapServers(), false, null);
                if (warmUp) {
                    kafka.warmUp();
                }
                log.info("local Kafka broker {} up at {} in {} ms (data in {})", version, kafka.bootstrapServers(),
                        Duration.ofNanos(System.nanoTime() - started).toMillis(), base);
                return kafka;
            } catch (Exception e) {
                if (cluster != null) {
                    try {
                        cluster.close();
                    } catch (Exception suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                deleteQuietly(base);
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw new IllegalStateException("local Kafka broker failed to start: " + e, e);
            }
        }

        /**
         * Kafka's storage formatter prints its bootstrap records to {@code System.out} and the test kit
         * offers no way to redirect it; a user of the local mode should not see them, so they go to the
         * debug log. Formatting takes well under a second, before any service of ours writes output.
         */
        private static void formatQuietly(KafkaClusterTestKit cluster) throws Exception {
            synchronized (System.class) {
                PrintStream original = System.out;
                ByteArrayOutputStream captured = new ByteArrayOutputStream();
                System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
                try {
                    cluster.format();
                } finally {
                    System.setOut(original);
                    log.debug("storage formatter said: {}", captured.toString(StandardCharsets.UTF_8).trim());
                }
            }
        }

        private Map<String, String> defaults() {
            Map<String, String> props = new LinkedHashMap<>();
            // One broker: every internal topic must live with a single replica.
            props.put("offsets.topic.replication.factor", "1");
            props.put("offsets.topic.num.partitions", "5");
            props.put("transaction.state.log.replication.factor", "1");
            props.put("transaction.state.log.min.isr", "1");
            props.put("transaction.state.log.num.partitions", "5");
            props.put("share.coordinator.state.topic.replication.factor", "1");
            props.put("share.coordinator.state.topic.min.isr", "1");
            props.put("default.replication.factor", "1");
            props.put("min.insync.replicas", "1");
            props.put("num.partitions", Integer.toString(defaultPartitions));
            // Groups start at once instead of waiting 3 s for more members that will not come.
            props.put("group.initial.rebalance.delay.ms", "0");
            // Topics are declared, never created by a typo in a client.
            props.put("auto.create.topics.enable", "false");
            props.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
            return props;
        }
    }

    /** For diagnostics: the topics on the broker. */
    public List<String> listTopics() {
        try (Admin admin = Admin.create(clientProperties())) {
            return new ArrayList<>(new TreeSet<>(admin.listTopics().names().get()));
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list topics: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}

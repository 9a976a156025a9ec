package dev.handoff.streams;

import dev.handoff.schemas.Topics;
import dev.handoff.schemas.kafka.KafkaClientSettings;
import dev.handoff.schemas.registry.SchemaRegistries;
import dev.handoff.streams.query.ActivityHistory;
import dev.handoff.streams.query.QueryServer;
import dev.handoff.streams.query.QueryService;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

/** The streams service: wires configuration, declares its fan-out topic, starts and stops. */
public final class HandoffStreamsApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HandoffStreamsApp.class);
    /** Bound on reading one finding's history from findings.activity for the query API. */
    private static final Duration HISTORY_TIMEOUT = Duration.ofSeconds(10);

    private final StreamsSettings settings;
    private final Topics topics;
    private KafkaStreams streams;
    private QueryServer queryServer;
    private ActivityHistory history;

    public HandoffStreamsApp(StreamsSettings settings) {
        settings.lifecycle(); // fail at construction on a bad setting, naming it
        settings.metrics();
        settings.metricsClock();
        settings.queryPort();
        BoundedRocksDbConfig.validate(settings.asMap());
        this.settings = settings;
        this.topics = new Topics(settings.topicPrefix(), settings.partitions(),
                SchemaRegistries.fromConfig(Map.copyOf(settings.asMap())));
    }

    public Topics topics() {
        return topics;
    }

    public KafkaStreams start() {
        log.info("handoff-streams starting with {}", settings.asMap());
        declareInternalTopics();
        // The query server listens first: Kafka Streams must be told the advertised host:port at construction.
        queryServer = QueryServer.start(settings.get(StreamsSettings.QUERY_HOST), settings.queryPort());
        String advertised = Optional.ofNullable(settings.get(StreamsConfig.APPLICATION_SERVER_CONFIG))
                .orElse("localhost:" + queryServer.port());
        Properties props = settings.streamsProperties();
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, advertised);
        streams = new KafkaStreams(HandoffTopology.build(topics, settings.lifecycle(), settings.metrics(), settings.metricsClock()), props);
        history = new ActivityHistory(KafkaClientSettings.properties(KafkaClientSettings.of(settings.asMap())),
                topics.name(Topics.FINDINGS_ACTIVITY), topics.valueSerde(Topics.FINDINGS_ACTIVITY).deserializer(), HISTORY_TIMEOUT);
        queryServer.attach(new QueryService(streams, advertised, history, settings.metrics().zone()));
        log.info("handoff-streams query API on port {} (advertised as {})", queryServer.port(), advertised);
        streams.setUncaughtExceptionHandler(e -> {
            log.error("stream thread failed; replacing it", e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.start();
        return streams;
    }

    /**
     * Its own topics must have exactly as many partitions as the findings topics they are co-partitioned with, and the
     * cohort-partials topic must be compacted (it is a store's changelog, decision 0010). A topic created by an earlier
     * build, which did not compact it, is switched to compaction here.
     */
    private void declareInternalTopics() {
        Properties admin = KafkaClientSettings.properties(KafkaClientSettings.of(settings.asMap()));
        try (Admin client = Admin.create(admin)) {
            for (NewTopic topic : HandoffTopology.newInternalTopics(topics, settings.partitions(), (short) -1)) {
                try {
                    client.createTopics(List.of(topic)).all().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create " + topic.name() + ": " + e.getCause(), e);
                    }
                    alignConfigs(client, topic);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void alignConfigs(Admin client, NewTopic topic) throws InterruptedException {
        if (topic.configs() == null || topic.configs().isEmpty()) {
            return;
        }
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic.name());
        try {
            Config actual = client.describeConfigs(List.of(resource)).all().get().get(resource);
            List<AlterConfigOp> changes = new ArrayList<>();
            topic.configs().forEach((name, wanted) -> {
                ConfigEntry entry = actual.get(name);
                if (entry == null || !wanted.equals(entry.value())) {
                    log.warn("internal topic {} has {}={}, which this build needs to be {}: changing it", topic.name(), name,
                            entry == null ? null : entry.value(), wanted);
                    changes.add(new AlterConfigOp(new ConfigEntry(name, wanted), AlterConfigOp.OpType.SET));
                }
            });
            if (!changes.isEmpty()) {
                client.incrementalAlterConfigs(Map.of(resource, changes)).all().get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot check or set the configs of " + topic.name() + " (" + topic.configs() + "): "
                    + e.getCause(), e);
        }
    }

    /** Port of the query API, once started. */
    public int queryPort() {
        return queryServer.port();
    }

    @Override
    public void close() {
        if (queryServer != null) {
            queryServer.close();
        }
        if (history != null) {
            history.close();
        }
        if (streams != null) {
            // Leave the group on a clean stop: Streams members otherwise stay until the session times out (45 s), and a
            // restarted or remaining instance waits that long before it gets the partitions.
            streams.close(CloseOptions.timeout(Duration.ofSeconds(30))
                    .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        }
    }
}

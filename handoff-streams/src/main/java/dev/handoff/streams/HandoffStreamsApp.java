package dev.handoff.streams;

import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

/** The streams service: wires configuration, declares its fan-out topic, starts and stops. */
public final class HandoffStreamsApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HandoffStreamsApp.class);

    private final StreamsSettings settings;
    private final Topics topics;
    private KafkaStreams streams;

    public HandoffStreamsApp(StreamsSettings settings) {
        settings.lifecycle(); // fail at construction on a bad setting, naming it
        this.settings = settings;
        this.topics = new Topics(settings.topicPrefix(), settings.partitions(),
                SchemaRegistries.fromConfig(Map.copyOf(settings.asMap())));
    }

    public Topics topics() {
        return topics;
    }

    public KafkaStreams start() {
        log.info("handoff-streams starting with {}", settings.asMap());
        declareFanoutTopic();
        streams = new KafkaStreams(HandoffTopology.build(topics, settings.lifecycle()), settings.streamsProperties());
        streams.setUncaughtExceptionHandler(e -> {
            log.error("stream thread failed; replacing it", e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.start();
        return streams;
    }

    /** The fan-out topic must have exactly as many partitions as the findings topics it is co-partitioned with. */
    private void declareFanoutTopic() {
        Properties admin = new Properties();
        admin.put("bootstrap.servers", settings.get("bootstrap.servers"));
        try (Admin client = Admin.create(admin)) {
            client.createTopics(List.of(new NewTopic(HandoffTopology.fanoutTopic(topics), settings.partitions(), (short) -1)))
                    .all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create " + HandoffTopology.fanoutTopic(topics) + ": " + e.getCause(), e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        if (streams != null) {
            streams.close(Duration.ofSeconds(30));
        }
    }
}

package dev.handoff.streams;

import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The streams app declares its own topics at start (decision 0010): missing ones are created with the findings'
 * partition count, and a cohort-partials topic created without compaction (by hand, or by a tool that did not know
 * better) is switched to compaction, since it is the partials store's changelog and a restore reads all of it.
 */
@Tag("integration")
class InternalTopicsIT {

    @TempDir
    Path stateDir;

    @Test
    void theAppCreatesItsTopicsAndCompactsACohortPartialsTopicCreatedWithoutCompaction() throws Exception {
        try (LocalKafka kafka = LocalKafka.start()) {
            String prefix = "it-" + UUID.randomUUID().toString().substring(0, 8) + ".";
            Topics topics = new Topics(prefix, 3, SchemaRegistries.embedded());
            kafka.createTopics(topics.newTopics((short) 1));
            String members = HandoffTopology.cohortPartialsTopic(topics);
            kafka.createTopics(List.of(new NewTopic(members, 3, (short) 1)
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE))));

            Map<String, String> config = new HashMap<>();
            config.put("bootstrap.servers", kafka.bootstrapServers());
            config.put("application.id", prefix + "streams");
            config.put("state.dir", stateDir.toString());
            config.put(StreamsSettings.TOPIC_PREFIX, prefix);
            config.put(StreamsSettings.TOPIC_PARTITIONS, "3");
            config.put(StreamsSettings.QUERY_PORT, "0");
            try (HandoffStreamsApp app = new HandoffStreamsApp(StreamsSettings.from(config, Map.of()))) {
                KafkaStreams streams = app.start();
                Fixtures.await("streams RUNNING", () -> streams.state() == KafkaStreams.State.RUNNING);
            }

            try (Admin admin = Admin.create(kafka.clientProperties())) {
                assertTrue(admin.listTopics().names().get().containsAll(HandoffTopology.internalTopics(topics)));
                for (String name : HandoffTopology.internalTopics(topics)) {
                    assertEquals(3, admin.describeTopics(List.of(name)).allTopicNames().get().get(name).partitions().size(), name);
                }
                ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, members);
                Config actual = admin.describeConfigs(List.of(resource)).all().get().get(resource);
                assertEquals(TopicConfig.CLEANUP_POLICY_COMPACT, actual.get(TopicConfig.CLEANUP_POLICY_CONFIG).value(),
                        "switched to compaction at start");
            }
        }
    }
}

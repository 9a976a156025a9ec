package dev.handoff.alerter;

import dev.handoff.schemas.Topics;
import dev.handoff.schemas.kafka.KafkaClientSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** The alerter's internal topic, {@code <prefix>alerter.pending}: its schedule (see {@link Job}). */
public final class AlerterTopics {

    public static final String PENDING = "alerter.pending";

    private AlerterTopics() {
    }

    /** The partition count of a topic just created: its metadata may take a moment to reach every broker. */
    private static int describeCreated(Admin admin, String topic) throws InterruptedException, ExecutionException,
            java.util.concurrent.TimeoutException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions().size();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > until) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    public static String pending(Topics topics) {
        return topics.prefix() + PENDING;
    }

    /**
     * Creates the schedule topic when missing, compacted, with the partition count of {@code notify.requests} (so
     * the range assignor gives one instance the same partition of every input and of the schedule), and checks that
     * the inputs agree on that count. Returns the count.
     */
    public static int ensure(Map<String, String> kafka, Topics topics) {
        Properties p = KafkaClientSettings.properties(kafka);
        String bootstrapServers = kafka.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
        List<String> inputs = List.of(topics.name(Topics.NOTIFY_REQUESTS), topics.name(Topics.ALERTS_SLA_BREACH),
                topics.name(Topics.ALERTS_UNROUTED), topics.name(Topics.FINDINGS_STATE));
        try (Admin admin = Admin.create(p)) {
            Map<String, TopicDescription> described;
            try {
                described = admin.describeTopics(inputs).allTopicNames().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    throw new IllegalStateException("the alerter's input topics do not all exist (" + String.join(", ", inputs)
                            + "); create Handoff's topics first (the launcher does, see README)", e.getCause());
                }
                throw new IllegalStateException("cannot describe the input topics: " + e.getCause(), e.getCause());
            }
            int partitions = described.get(inputs.get(0)).partitions().size();
            for (String t : inputs) {
                int n = described.get(t).partitions().size();
                if (n != partitions) {
                    throw new IllegalStateException("the alerter's inputs must share one partition count: " + inputs.get(0) + " has "
                            + partitions + ", " + t + " has " + n);
                }
            }
            String pending = pending(topics);
            try {
                admin.createTopics(List.of(new NewTopic(pending, partitions, (short) -1)
                        .configs(Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "0"))))
                        .all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create " + pending + ": " + e.getCause(), e.getCause());
                }
            }
            int existing = describeCreated(admin, pending);
            if (existing != partitions) {
                throw new IllegalStateException(pending + " has " + existing + " partitions but the inputs have " + partitions
                        + "; recreate it with " + partitions);
            }
            return partitions;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the topics", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot describe the alerter's topics: " + e.getCause(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Kafka at " + bootstrapServers + " did not answer within 30 s", e);
        }
    }
}

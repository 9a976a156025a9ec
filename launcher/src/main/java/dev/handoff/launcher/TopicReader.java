package dev.handoff.launcher;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * Reads topic partitions from the beginning to their current end, read_committed, without a consumer group
 * (nothing is committed): a snapshot of what the log holds now, for {@code status} and {@code export}.
 */
final class TopicReader implements AutoCloseable {

    private final String bootstrapServers;
    private final KafkaConsumer<String, byte[]> consumer;

    TopicReader(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "handoff-cli-" + ProcessHandle.current().pid());
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(ConsumerConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, "3000");
        p.put(ConsumerConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, "5000");
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** The topic's partition count; fails when the topic does not exist. */
    int partitions(String topic) {
        List<PartitionInfo> info;
        try {
            info = consumer.partitionsFor(topic);
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw unreachable();
        } catch (KafkaException e) {
            throw new CommandFailure("cannot read the partitions of " + topic + " from Kafka at " + bootstrapServers + ": " + e.getMessage());
        }
        if (info == null || info.isEmpty()) {
            throw new CommandFailure("topic " + topic + " does not exist on " + bootstrapServers + " (is the topic prefix right?)");
        }
        return info.size();
    }

    /** Hands every committed record of {@code partitions} to {@code each}, from the beginning to the end they had when called. */
    void readToEnd(List<TopicPartition> partitions, Duration timeout, Consumer<ConsumerRecord<String, byte[]>> each) {
        Instant deadline = Instant.now().plus(timeout);
        try {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // read_committed: the end is the last stable offset, so an open transaction's records are not waited for.
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (!partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp))) {
                if (Instant.now().isAfter(deadline)) {
                    throw new CommandFailure("could not read " + partitions + " to its end within " + timeout.toSeconds() + " s");
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    each.accept(r);
                }
            }
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw unreachable();
        } catch (KafkaException e) {
            throw new CommandFailure("cannot read " + partitions + " from Kafka at " + bootstrapServers + ": " + e.getMessage());
        }
    }

    private CommandFailure unreachable() {
        return new CommandFailure("Kafka at " + bootstrapServers + " did not answer within 10 s: is the local Handoff running?");
    }

    @Override
    public void close() {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
    }
}

package dev.handoff.launcher.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * How far a consumer group (a Kafka Streams application) is through a set of topics, from its committed offsets and
 * the topics' end offsets. Kafka Streams commits its consumer position once a partition's buffer is drained, which is
 * past any transaction marker, so "done" is every committed offset at its end offset.
 */
final class GroupLag implements AutoCloseable {

    private final Admin admin;
    private final String group;
    private final List<TopicPartition> partitions;

    GroupLag(Admin admin, String group, Collection<String> topics, int partitionsPerTopic, Map<String, Integer> exceptions) {
        this.admin = admin;
        this.group = group;
        this.partitions = topics.stream().flatMap(t -> java.util.stream.IntStream.range(0, exceptions.getOrDefault(t, partitionsPerTopic))
                .mapToObj(p -> new TopicPartition(t, p))).toList();
    }

    /** Records committed so far (the sum of committed offsets) and records remaining (end minus committed). */
    record Position(long committed, long remaining) {
    }

    Position position() {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get();
            long done = 0;
            long remaining = 0;
            for (TopicPartition tp : partitions) {
                OffsetAndMetadata c = committed.get(tp);
                long at = c == null ? 0 : c.offset();
                done += at;
                remaining += Math.max(0, ends.get(tp).offset() - at);
            }
            return new Position(done, remaining);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read the offsets of " + group + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Polls until nothing remains; {@code progress} sees each position. Fails after {@code timeout} without progress. */
    Position await(Duration poll, Duration timeout, Consumer<Position> progress) {
        long lastChange = System.nanoTime();
        Position last = null;
        while (true) {
            Position p = position();
            progress.accept(p);
            if (p.remaining() == 0) {
                return p;
            }
            if (last == null || p.committed() != last.committed()) {
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > timeout.toNanos()) {
                throw new IllegalStateException(group + " made no progress for " + timeout.toSeconds() + " s with "
                        + p.remaining() + " records left; see the log above for the cause");
            }
            last = p;
            try {
                Thread.sleep(poll.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    @Override
    public void close() {
        // the Admin belongs to the caller
    }
}

package dev.handoff.streams.query;

import dev.handoff.avro.FindingActivity;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A finding's history, read from {@code findings.activity} (decision 0015): the topic is the audit record and is kept
 * without time limit, so no store keeps a second copy. A read takes the finding's partition (where the default
 * partitioner puts its key), seeks it by timestamp to the finding's capture (the lifecycle processor never writes a
 * finding's activity with a timestamp before its {@code captured_at}), and reads it read_committed to its current end,
 * keeping the records with the finding's key. Only those are decoded.
 *
 * <p>The cost grows with the records written to the partition since the capture: a finding of last week costs a week
 * of its partition. The seek is a lower bound, never late, but it can be early: transaction markers carry the broker's
 * wall-clock time, so where records carry event times well before the time they were processed (a replay, a backfill,
 * the bench) the first marker after the capture time comes early in the partition, and the read starts there. The view
 * shows committed activity only, so it may trail the state by up to a commit interval.
 *
 * <p>Thread-safe: each read borrows a consumer of its own from a small pool.
 */
public final class ActivityHistory implements AutoCloseable {

    /** Consumers kept open between reads; a burst of more concurrent reads opens (and then closes) extra ones. */
    static final int POOLED = 4;
    private static final Duration POLL = Duration.ofMillis(100);
    private static final AtomicInteger CLIENT_IDS = new AtomicInteger();

    private final Properties config;
    private final String topic;
    private final Deserializer<FindingActivity> values;
    private final Duration timeout;
    private final BlockingQueue<KafkaConsumer<byte[], byte[]>> idle = new ArrayBlockingQueue<>(POOLED);
    private volatile boolean closed;

    /**
     * @param clientConfig the service's Kafka client settings (bootstrap servers, security); consumer settings are added
     * @param topic        the {@code findings.activity} topic's name
     * @param values       its value deserializer
     * @param timeout      bound on one read, metadata included
     */
    public ActivityHistory(Properties clientConfig, String topic, Deserializer<FindingActivity> values, Duration timeout) {
        this.config = new Properties();
        this.config.putAll(clientConfig);
        this.config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        this.config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // A read stops at the end it took at its start, so a fetch there has nothing to wait for. With the default
        // (500 ms) a pooled consumer's last fetch of one read sat on the broker and held up the next read by as much.
        this.config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10");
        // Most of what a read fetches is other findings' records, skipped undecoded: fetch them in fewer, larger
        // round trips (at most this much buffered per pooled consumer).
        this.config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(8 << 20));
        this.config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        // A missing topic is an answer to give, not one to create.
        this.config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        this.config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
        this.config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.topic = Objects.requireNonNull(topic, "topic");
        this.values = Objects.requireNonNull(values, "values");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * The finding's activities in event-time order (entries of one moment in log order), each event id once.
     *
     * @param capturedAt the finding's {@code captured_at}: no activity of it is on the log with an earlier timestamp
     * @throws QueryException (503) when Kafka does not answer or the read does not finish within the timeout
     */
    public List<FindingActivity> read(String findingId, Instant capturedAt) {
        if (closed) {
            throw QueryException.unavailable("the service is stopping", null);
        }
        KafkaConsumer<byte[], byte[]> consumer = borrow();
        boolean healthy = false;
        try {
            List<FindingActivity> found = read(consumer, findingId, capturedAt);
            healthy = true;
            return found;
        } finally {
            giveBack(consumer, healthy);
        }
    }

    private List<FindingActivity> read(KafkaConsumer<byte[], byte[]> consumer, String findingId, Instant capturedAt) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String what = "the history of finding " + findingId + " in " + topic;
        try {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic);
            if (partitions == null || partitions.isEmpty()) {
                throw QueryException.unavailable(what + ": the topic does not exist", null);
            }
            byte[] key = findingId.getBytes(StandardCharsets.UTF_8);
            TopicPartition tp = new TopicPartition(topic, BuiltInPartitioner.partitionForKey(key, partitions.size()));
            List<TopicPartition> assigned = List.of(tp);
            consumer.assign(assigned);
            // read_committed: the end is the last stable offset, so an open transaction is not waited for.
            long end = consumer.endOffsets(assigned).get(tp);
            OffsetAndTimestamp from = consumer.offsetsForTimes(Map.of(tp, capturedAt.toEpochMilli())).get(tp);
            if (from == null || from.offset() >= end) {
                return List.of();
            }
            consumer.seek(tp, from.offset());
            List<FindingActivity> found = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            while (consumer.position(tp) < end) {
                if (System.nanoTime() - deadline > 0) {
                    throw QueryException.unavailable(what + " was not read within " + timeout.toMillis() + " ms (offsets "
                            + from.offset() + " to " + end + " of partition " + tp.partition() + ", at "
                            + consumer.position(tp) + "); retry, or export it with ./handoff export activity", null);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    if (r.value() != null && Arrays.equals(key, r.key())) {
                        FindingActivity a = decode(r);
                        if (seen.add(a.getEventId())) {
                            found.add(a);
                        }
                    }
                }
            }
            // List.sort is stable: the entries of one moment stay in the order the lifecycle processor wrote them.
            found.sort(Comparator.comparing(FindingActivity::getEventTime));
            return found;
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw QueryException.unavailable(what + ": Kafka did not answer within " + timeout.toMillis() + " ms", e);
        } catch (KafkaException e) {
            throw QueryException.unavailable(what + ": " + e.getMessage(), e);
        }
    }

    private FindingActivity decode(ConsumerRecord<byte[], byte[]> r) {
        try {
            return values.deserialize(r.topic(), r.value());
        } catch (RuntimeException e) {
            throw QueryException.unavailable("cannot decode " + r.topic() + " partition " + r.partition() + " offset " + r.offset()
                    + ": " + e.getMessage(), e);
        }
    }

    private KafkaConsumer<byte[], byte[]> borrow() {
        KafkaConsumer<byte[], byte[]> c = idle.poll();
        if (c != null) {
            return c;
        }
        Properties p = new Properties();
        p.putAll(config);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "handoff-history-" + CLIENT_IDS.incrementAndGet());
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Pools a consumer that finished its read; one that failed mid-read, or one too many, is closed. */
    private void giveBack(KafkaConsumer<byte[], byte[]> consumer, boolean healthy) {
        if (healthy && !closed) {
            consumer.unsubscribe();
            if (idle.offer(consumer)) {
                if (closed && idle.remove(consumer)) {
                    close(consumer);
                }
                return;
            }
        }
        close(consumer);
    }

    private static void close(KafkaConsumer<byte[], byte[]> consumer) {
        try {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(1)));
        } catch (RuntimeException ignored) {
            // Closing an idle reader: nothing to lose.
        }
    }

    @Override
    public void close() {
        closed = true;
        KafkaConsumer<byte[], byte[]> c;
        while ((c = idle.poll()) != null) {
            close(c);
        }
    }
}

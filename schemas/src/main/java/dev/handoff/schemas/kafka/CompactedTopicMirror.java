package dev.handoff.schemas.kafka;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * An in-memory mirror of a compacted topic, by key: read from the beginning (read_committed, all partitions, no
 * consumer group) on a daemon thread and kept up to date; a tombstone removes the key. Services use it for small
 * tables every instance needs whole: the intake's report receipts, the alerter's owners and teams.
 *
 * <p>The topic may not exist yet when the mirror starts (services may start before the topics are created); the
 * mirror waits for it. {@link #awaitLoaded} tells when everything committed before the start has been read. Memory is
 * bounded by {@code capacity}: beyond it the least recently used keys go (for tables that must stay whole, give a
 * capacity above their size). Unreadable values are skipped with a warning, never stop the mirror.
 */
public final class CompactedTopicMirror<V> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CompactedTopicMirror.class);

    private final String topic;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Deserializer<V> deserializer;
    private final Function<V, String> keyOf;
    private final Map<String, V> values;
    private final CountDownLatch loaded = new CountDownLatch(1);
    private final Thread reader;
    private volatile boolean running = true;
    private volatile String problem;

    /**
     * @param connection how to reach Kafka ({@link KafkaClientSettings#of}); copied, not changed
     * @param keyOf the key a value is kept under (usually the record key; for values that carry their own id, that id)
     */
    public CompactedTopicMirror(Properties connection, String topic, Deserializer<V> deserializer, Function<V, String> keyOf,
                                int capacity, String clientId) {
        this.topic = topic;
        this.deserializer = deserializer;
        this.keyOf = keyOf;
        this.values = Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > capacity;
            }
        });
        Properties p = new Properties();
        p.putAll(connection);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        this.reader = new Thread(this::follow, clientId);
        reader.setDaemon(true);
        reader.start();
    }

    public Optional<V> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /** Remembers a value this service just committed itself (the mirror reads it too, a little later). */
    public void put(V value) {
        values.put(keyOf.apply(value), value);
    }

    /** A copy of the values, for scans of small tables. */
    public List<V> values() {
        synchronized (values) {
            return List.copyOf(values.values());
        }
    }

    public int size() {
        return values.size();
    }

    public String topic() {
        return topic;
    }

    /** Waits until everything committed on the topic before the mirror started has been read. */
    public boolean awaitLoaded(Duration timeout) throws InterruptedException {
        return loaded.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean isLoaded() {
        return loaded.getCount() == 0;
    }

    /** Why the mirror is not loaded yet, for an error answer. */
    public String notLoadedReason() {
        String p = problem;
        return "still reading " + topic + (p == null ? "" : " (" + p + ")");
    }

    private void follow() {
        try {
            List<TopicPartition> partitions = awaitPartitions();
            if (partitions == null) {
                return;
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long read = 0;
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    read++;
                    if (r.value() == null) {
                        if (r.key() != null) {
                            values.remove(r.key());
                        }
                        continue;
                    }
                    try {
                        V value = deserializer.deserialize(r.topic(), r.value());
                        values.put(keyOf.apply(value), value);
                    } catch (RuntimeException e) {
                        log.warn("{}: skipping an unreadable record at partition {} offset {}: {}", topic, r.partition(), r.offset(), e.toString());
                    }
                }
                if (loaded.getCount() > 0 && caughtUp(end)) {
                    log.info("{} loaded: {} records read, {} kept", topic, read, values.size());
                    loaded.countDown();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (KafkaException e) {
            problem = e.toString();
            log.error("the mirror of {} stopped: {}", topic, e.toString());
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /** The topic's partitions, once it exists. */
    private List<TopicPartition> awaitPartitions() {
        long warnAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (running) {
            try {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(2));
                if (infos != null && !infos.isEmpty()) {
                    problem = null;
                    return infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
                }
                problem = "topic " + topic + " does not exist yet";
            } catch (WakeupException e) {
                return null;
            } catch (KafkaException e) {
                problem = e.getMessage();
            }
            if (System.nanoTime() > warnAt) {
                log.warn("still waiting for {}: {}", topic, problem);
                warnAt = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return null;
            }
        }
        return null;
    }

    private boolean caughtUp(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

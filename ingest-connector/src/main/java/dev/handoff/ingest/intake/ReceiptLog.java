package dev.handoff.ingest.intake;

import dev.handoff.avro.ReportReceipt;
import dev.handoff.schemas.Topics;
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

/**
 * The intake's memory of accepted reports, kept on the compacted {@code intake.receipts} topic. The intake writes
 * a receipt in the same transaction as the report's findings; this reader follows the topic (read_committed, from
 * the beginning, no consumer group) so that every intake instance, including one restarted a minute ago, answers
 * a retried upload from the first answer instead of producing the report again.
 *
 * <p>Memory is bounded: the newest {@code capacity} receipts are kept (least recently used go first). A retry of a
 * report older than that lands again; its findings carry the same event ids ({@code <report id>/<ordinal>}), so
 * handoff-streams drops them as duplicates.
 */
final class ReceiptLog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReceiptLog.class);

    private final String topic;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Deserializer<ReportReceipt> deserializer;
    private final Map<String, ReportReceipt> receipts;
    private final CountDownLatch loaded = new CountDownLatch(1);
    private final Thread reader;
    private volatile boolean running = true;
    private volatile String problem;

    ReceiptLog(String bootstrapServers, Topics topics, int capacity) {
        this.topic = topics.name(Topics.INTAKE_RECEIPTS);
        this.deserializer = topics.valueSerde(Topics.INTAKE_RECEIPTS).deserializer();
        this.receipts = Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, ReportReceipt> eldest) {
                return size() > capacity;
            }
        });
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "handoff-intake-receipts");
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        this.reader = new Thread(this::follow, "intake-receipts");
        reader.setDaemon(true);
        reader.start();
    }

    /** The receipt of {@code reportId}, if this intake has seen it. */
    Optional<ReportReceipt> get(String reportId) {
        return Optional.ofNullable(receipts.get(reportId));
    }

    /** Remembers a receipt this intake just committed (the reader will see it too, a little later). */
    void put(ReportReceipt receipt) {
        receipts.put(receipt.getReportId(), receipt);
    }

    /**
     * Waits until every receipt committed before this intake started has been read. Until then a retried upload
     * cannot be recognised, so reports are refused (503) rather than produced twice.
     */
    boolean awaitLoaded(Duration timeout) throws InterruptedException {
        return loaded.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Why the receipts are not loaded yet, for the 503 answer. */
    String notLoadedReason() {
        String p = problem;
        return "the intake is still reading its receipts from " + topic + (p == null ? "" : " (" + p + ")")
                + "; retry in a few seconds";
    }

    int size() {
        return receipts.size();
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
                        receipts.remove(r.key());
                        continue;
                    }
                    try {
                        ReportReceipt receipt = deserializer.deserialize(r.topic(), r.value());
                        receipts.putIfAbsent(receipt.getReportId(), receipt);
                    } catch (RuntimeException e) {
                        log.warn("{}: skipping an unreadable receipt at {}-{}@{}: {}", topic, r.topic(), r.partition(), r.offset(), e.toString());
                    }
                }
                if (loaded.getCount() > 0 && caughtUp(end)) {
                    log.info("intake receipts loaded: {} records read from {}, {} remembered", read, topic, receipts.size());
                    loaded.countDown();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (KafkaException e) {
            problem = e.toString();
            log.error("the intake receipts reader stopped: {}", e.toString());
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /** The receipts topic's partitions, once it exists (the intake may start before its topics are created). */
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

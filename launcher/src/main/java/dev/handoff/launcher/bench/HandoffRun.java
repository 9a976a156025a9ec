package dev.handoff.launcher.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.schemas.Topics;
import dev.handoff.streams.HandoffStreamsApp;
import dev.handoff.streams.HandoffTopology;
import dev.handoff.streams.StreamsSettings;
import dev.handoff.streams.metrics.GaugeSnapshot;
import dev.handoff.streams.metrics.GaugeStore;
import dev.handoff.streams.metrics.MetricsNames;
import dev.handoff.streams.query.AvroJson;
import dev.handoff.streams.stages.StoreNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The full handoff-streams service ({@link HandoffStreamsApp}, exactly-once v2) on the bench's broker: started first so it
 * takes in the directory and the SLA policy, paused while the anchors run, then resumed on the whole backlog and timed
 * until every input and internal topic is consumed. Afterwards it reads the final metric rows, the gauges and the size
 * of the state.
 */
final class HandoffRun implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String bootstrap;
    private final Topics topics;
    private final Admin admin;
    private final Path stateDir;
    private final String appId;
    private final StreamsSettings settings;
    private HandoffStreamsApp app;
    private final List<String> consumed;
    private KafkaStreams streams;

    /** Per store: the live size (SST files plus memtables) and keys, from Kafka Streams' RocksDB metrics. */
    record StoreSize(String store, long sstBytes, long memtableBytes, long keys) {
        long bytes() {
            return sstBytes + memtableBytes;
        }
    }

    HandoffRun(String bootstrap, Topics topics, Admin admin, Path stateDir, Map<String, String> overrides) {
        this.bootstrap = bootstrap;
        this.topics = topics;
        this.admin = admin;
        this.stateDir = stateDir;
        this.appId = topics.prefix() + "handoff-streams";
        Map<String, String> s = new HashMap<>(overrides);
        s.put("bootstrap.servers", bootstrap);
        s.put("application.id", appId);
        s.put("state.dir", stateDir.toString());
        s.put(StreamsSettings.TOPIC_PREFIX, topics.prefix());
        s.put(StreamsSettings.TOPIC_PARTITIONS, Integer.toString(topics.partitions(Topics.FINDINGS_REPORTED)));
        s.put(StreamsSettings.QUERY_HOST, "127.0.0.1");
        s.put(StreamsSettings.QUERY_PORT, "0");
        // A replay of past weeks: SLA timers on the events' clock, as ./handoff demo replays; rows as of now.
        s.putIfAbsent(StreamsSettings.SLA_CLOCK, "stream");
        s.putIfAbsent(StreamsSettings.METRICS_CLOCK, "wall");
        s.putIfAbsent("metrics.recording.level", "INFO");
        this.settings = StreamsSettings.from(s, Map.of());
        this.app = new HandoffStreamsApp(settings);
        List<String> c = new ArrayList<>(EventLog.TOPICS.stream().map(t -> topics.prefix() + t).toList());
        c.addAll(HandoffTopology.internalTopics(topics));
        this.consumed = c;
    }

    /** The settings the service runs with (defaults plus the bench's), for the report. */
    static Map<String, String> settings(Map<String, String> overrides) {
        Map<String, String> s = new TreeMap<>(StreamsSettings.defaults());
        s.putAll(overrides);
        return s;
    }

    /**
     * Starts the service and waits until the reference data has gone through the fan-out to every partition; then stops
     * it (its state stays in the state directory), so the backlog is produced while it is down, as after an outage.
     * (KafkaStreams.pause()/resume() would be quicker, but on a resumed backlog the 4.2 client processed receipts and
     * commands ahead of their captures: see BENCHMARKS.md.)
     */
    void startAndTakeInReference(List<String> referenceTopics) {
        streams = app.start();
        awaitRunning(streams, Duration.ofSeconds(180));
        List<String> reference = new ArrayList<>(referenceTopics);
        reference.add(HandoffTopology.fanoutTopic(topics));
        GroupLag lag = new GroupLag(admin, appId, reference, topics.partitions(Topics.FINDINGS_REPORTED),
                Map.of(referenceTopics.get(0), 1, referenceTopics.get(1), 1, referenceTopics.get(2), 1, referenceTopics.get(3), 1));
        lag.await(Duration.ofMillis(250), Duration.ofSeconds(120), p -> { });
    }

    /** Stops the service cleanly, keeping its state directory and committed offsets. */
    void stop() {
        app.close();
        streams = null;
    }

    KafkaStreams streams() {
        return streams;
    }

    /** The port the running service's query API listens on, at 127.0.0.1. */
    int queryPort() {
        return app.queryPort();
    }

    /**
     * Starts the service again on the backlog and waits until every input and internal topic is consumed; timed from
     * RUNNING (the start-up, group join and task creation are reported apart).
     */
    Anchors.Timing process(long events, java.util.function.LongConsumer progress, java.util.function.Consumer<Duration> startedIn) {
        long starting = System.nanoTime();
        app = new HandoffStreamsApp(settings);
        streams = app.start();
        awaitRunning(streams, Duration.ofSeconds(180));
        startedIn.accept(Duration.ofNanos(System.nanoTime() - starting));
        long started = System.nanoTime();
        int partitions = topics.partitions(Topics.FINDINGS_REPORTED);
        GroupLag inputs = new GroupLag(admin, appId, EventLog.TOPICS.stream().map(t -> topics.prefix() + t).toList(), partitions, Map.of());
        GroupLag all = new GroupLag(admin, appId, consumed, partitions, Map.of());
        inputs.await(Duration.ofMillis(500), Duration.ofSeconds(300), p -> progress.accept(p.committed()));
        all.await(Duration.ofMillis(200), Duration.ofSeconds(300), p -> { });
        return new Anchors.Timing(events, Duration.ofNanos(System.nanoTime() - started));
    }

    /**
     * Waits for the metrics refreshes after the last change (two {@code metrics.refresh.interval}s plus a commit), then
     * reads {@code metrics.handoff} (read_committed) and keeps the latest row per key of dimension ALL.
     */
    private Duration metricsCatchUp = Duration.ZERO;

    /**
     * How long after the backlog was consumed the last metric row was written (to within a second): the refresh
     * recomputes a bounded number of cohorts per run and takes a bounded share of the task's time, so after a backlog
     * the rows catch up over several runs.
     */
    Duration metricsCatchUp() {
        return metricsCatchUp;
    }

    List<JsonNode> finalRows(Duration refreshInterval) {
        String topic = topics.name(Topics.METRICS_HANDOFF);
        // A refresh recomputes a bounded number of days and cohorts per run, so after a backlog the rows catch up over
        // several runs; and a row waits for the finding partitions' refresh and then the merge's (decision 0014): wait
        // until two whole intervals (plus a commit) pass without a new row.
        Map<TopicPartition, Long> before = Map.of();
        long started = System.nanoTime();
        long stableSince = started;
        long giveUp = System.nanoTime() + Duration.ofMinutes(15).toNanos();
        while (System.nanoTime() < giveUp) {
            Map<TopicPartition, Long> now = endOffsets(topic);
            if (!now.equals(before)) {
                before = now;
                stableSince = System.nanoTime();
            } else if (System.nanoTime() - stableSince > refreshInterval.multipliedBy(2).plusSeconds(3).toNanos()) {
                break;
            }
            sleep(Duration.ofSeconds(1));
        }
        metricsCatchUp = Duration.ofNanos(stableSince - started);
        Deserializer<HandoffWindow> values = topics.valueSerde(Topics.METRICS_HANDOFF).deserializer();
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        Map<String, byte[]> latest = new LinkedHashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = consumer.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    // Only the workspace (dimension ALL) rows are checked and dumped; skip decoding the rest.
                    if (r.key().endsWith("|ALL|all")) {
                        latest.put(r.key(), r.value());
                    }
                }
            }
        }
        List<JsonNode> rows = new ArrayList<>();
        latest.forEach((k, v) -> rows.add(AvroJson.toJson(values.deserialize(topic, v))));
        return rows;
    }

    private Map<TopicPartition, Long> endOffsets(String topic) {
        try {
            Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < topics.partitions(Topics.METRICS_HANDOFF); p++) {
                latest.put(new TopicPartition(topic, p), org.apache.kafka.clients.admin.OffsetSpec.latest());
            }
            Map<TopicPartition, Long> out = new HashMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, info) -> out.put(tp, info.offset()));
            return out;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("cannot read the end offsets of " + topic + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The workspace gauges and the unrouted queue, read from the service's own stores as its query API does. */
    JsonNode gauges() {
        ReadOnlyKeyValueStore<String, String> store = streams.store(StoreQueryParameters.fromNameAndType(MetricsNames.GAUGES_STORE,
                QueryableStoreTypes.keyValueStore()));
        GaugeSnapshot g = GaugeStore.sum(store);
        ObjectNode n = JSON.createObjectNode();
        if (g != null) {
            n.put("unrouted_depth", g.unroutedDepth());
            n.put("open_findings", g.open());
            n.put("open_with_current_owner", g.openWithCurrentOwner());
            n.put("at", g.at().toString());
        }
        ReadOnlyKeyValueStore<String, Long> queue = streams.store(StoreQueryParameters.fromNameAndType(StoreNames.UNROUTED_QUEUE,
                QueryableStoreTypes.keyValueStore()));
        long depth = 0;
        try (KeyValueIterator<String, Long> it = queue.all()) {
            while (it.hasNext()) {
                it.next();
                depth++;
            }
        }
        n.put("queue_depth", depth);
        return n;
    }

    /** Live size of every store, summed over tasks, from the RocksDB metrics Kafka Streams records at INFO level. */
    List<StoreSize> storeSizes() {
        Map<String, long[]> byStore = new TreeMap<>();
        for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
            MetricName name = e.getKey();
            if (!"stream-state-metrics".equals(name.group())) {
                continue;
            }
            String store = name.tags().getOrDefault("rocksdb-state-id", name.tags().get("rocksdb-window-state-id"));
            if (store == null) {
                continue;
            }
            int slot = switch (name.name()) {
                case "total-sst-files-size" -> 0;
                case "size-all-mem-tables" -> 1;
                case "estimate-num-keys" -> 2;
                default -> -1;
            };
            if (slot >= 0 && e.getValue().metricValue() instanceof Number n) {
                byStore.computeIfAbsent(store, k -> new long[3])[slot] += n.longValue();
            }
        }
        List<StoreSize> out = new ArrayList<>();
        byStore.forEach((k, v) -> out.add(new StoreSize(k, v[0], v[1], v[2])));
        out.sort((a, b) -> Long.compare(b.bytes(), a.bytes()));
        return out;
    }

    /** Closes the service (RocksDB flushes its memtables) and returns the bytes its state directory holds on disk. */
    long closeAndMeasureDisk() {
        app.close();
        try (Stream<Path> files = Files.walk(stateDir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Kafka Streams' state, polled: the service sets its own listener-free instance up in start(). */
    static void awaitRunning(KafkaStreams streams, Duration timeout) {
        long until = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > until || streams.state() == KafkaStreams.State.ERROR || streams.state() == KafkaStreams.State.NOT_RUNNING) {
                throw new IllegalStateException("handoff-streams did not reach RUNNING within " + timeout.toSeconds() + " s (state "
                        + streams.state() + "); see the log above");
            }
            sleep(Duration.ofMillis(100));
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        app.close();
    }
}

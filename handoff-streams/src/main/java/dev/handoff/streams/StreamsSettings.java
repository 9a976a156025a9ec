package dev.handoff.streams;

import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import org.apache.kafka.streams.StreamsConfig;

import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The streams app's configuration: defaults, then a properties file, then environment overrides
 * ({@code HANDOFF_TOPIC_PREFIX} → {@code topic.prefix}, {@code KAFKA_BOOTSTRAP_SERVERS} →
 * {@code bootstrap.servers}). Defaults live here and nowhere else.
 */
public final class StreamsSettings {

    public static final String TOPIC_PREFIX = "topic.prefix";
    public static final String TOPIC_PARTITIONS = "topic.partitions";
    public static final String SLA_CLOCK = "sla.clock";
    public static final String SLA_PUNCTUATE_INTERVAL = "sla.punctuate.interval";
    public static final String SLA_MAX_ALERTS_PER_RUN = "sla.max.alerts.per.run";
    public static final String SLA_REMINDER_FIRST = "sla.reminder.first";
    public static final String SLA_REMINDER_FACTOR = "sla.reminder.factor";
    public static final String SLA_REMINDER_MAX = "sla.reminder.max";
    public static final String SLA_REMINDER_COUNT = "sla.reminder.count";
    public static final String QUERY_HOST = "query.host";
    public static final String QUERY_PORT = "query.port";
    public static final String UNROUTED_SNAPSHOT_INTERVAL = "unrouted.snapshot.interval";
    public static final String UNROUTED_DEPTH_LIMIT = "unrouted.depth.limit";
    public static final String UNROUTED_AGE_LIMIT = "unrouted.age.limit";
    public static final String UNROUTED_SNAPSHOT_REPLAY_GAP = "unrouted.snapshot.replay.gap";
    public static final String NOISE_PENDING = "noise.pending.threshold";
    public static final String NOISE_RECENT = "noise.recent.threshold";
    public static final String NOISE_WINDOW = "noise.window";
    public static final String METRICS_ZONE = "metrics.zone";
    public static final String METRICS_REFRESH_INTERVAL = "metrics.refresh.interval";
    /** {@code wall} or {@code stream}: the clock of the cohort refresh; by default the one of {@code sla.clock}. */
    public static final String METRICS_CLOCK = "metrics.clock";
    public static final String METRICS_GAUGE_RETENTION = "metrics.gauge.retention";
    public static final String METRICS_GAUGE_STEP = "metrics.gauge.step";

    /** Key prefixes that are Handoff's own and not passed to Kafka Streams. */
    private static final java.util.List<String> OWN_PREFIXES = java.util.List.of("topic.", "sla.", "query.", "noise.", "unrouted.",
            "metrics.");

    /** Every default, printed at start-up. */
    public static Map<String, String> defaults() {
        Map<String, String> d = new TreeMap<>();
        d.put(StreamsConfig.APPLICATION_ID_CONFIG, "handoff-streams");
        d.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092");
        d.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        d.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, "true");
        d.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "200");
        // The record cache folds repeated puts of a key until the commit; each eviction before it is a changelog write.
        // Each store's cache is a sorted map, so a larger cache makes every store access slower: 32 MiB was the best of
        // 8 / 32 / 128 MiB in the end-to-end bench (200 000 events: 2 765 / 2 619 / 2 273 events/s, 21.2 / 19.8 / 19.6
        // records written per event) once the stores whose keys never repeat were left uncached (decision 0011).
        d.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, Long.toString(32L * 1024 * 1024));
        // Kafka Streams' RocksDB defaults give each of ~240 stores (20 per task, 12 tasks) its own block cache and 3 x 16 MiB
        // memtables; one shared cache and memtable budget bounds them all.
        d.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbConfig.class.getName());
        d.put(BoundedRocksDbConfig.MEMORY_BYTES, Long.toString(BoundedRocksDbConfig.DEFAULT_MEMORY_BYTES));
        d.put(BoundedRocksDbConfig.WRITE_BUFFER_RATIO, Double.toString(BoundedRocksDbConfig.DEFAULT_WRITE_BUFFER_RATIO));
        d.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "2");
        d.put(TOPIC_PREFIX, Topics.DEFAULT_PREFIX);
        d.put(TOPIC_PARTITIONS, Integer.toString(Topics.DEFAULT_PARTITIONS));
        d.put(SchemaRegistries.URL_CONFIG, SchemaRegistries.EMBEDDED);
        d.put(SLA_CLOCK, "wall");
        d.put(SLA_PUNCTUATE_INTERVAL, "PT1S");
        d.put(SLA_MAX_ALERTS_PER_RUN, "500");
        d.put(SLA_REMINDER_FIRST, "PT1H");
        d.put(SLA_REMINDER_FACTOR, "2.0");
        d.put(SLA_REMINDER_MAX, "PT24H");
        d.put(SLA_REMINDER_COUNT, "10");
        d.put(QUERY_HOST, "0.0.0.0");
        d.put(QUERY_PORT, "8090");
        d.put(UNROUTED_SNAPSHOT_INTERVAL, "PT1M");
        d.put(UNROUTED_DEPTH_LIMIT, "50");
        d.put(UNROUTED_AGE_LIMIT, "PT4H");
        d.put(UNROUTED_SNAPSHOT_REPLAY_GAP, "PT1S");
        d.put(NOISE_PENDING, "20");
        d.put(NOISE_RECENT, "10");
        d.put(NOISE_WINDOW, "PT1H");
        d.put(METRICS_ZONE, "UTC");
        d.put(METRICS_REFRESH_INTERVAL, "PT10S");
        d.put(METRICS_GAUGE_RETENTION, "P90D");
        d.put(METRICS_GAUGE_STEP, "PT1M");
        return d;
    }

    private final Map<String, String> values;

    private StreamsSettings(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    /** Defaults overridden by {@code overrides} (a properties file, flags) and then by the environment. */
    public static StreamsSettings from(Map<String, String> overrides, Map<String, String> env) {
        Map<String, String> v = new TreeMap<>(defaults());
        v.putAll(overrides);
        env.forEach((name, value) -> {
            if (name.startsWith("HANDOFF_")) {
                v.put(toKey(name.substring("HANDOFF_".length())), value);
            } else if (name.startsWith("KAFKA_")) {
                v.put(toKey(name.substring("KAFKA_".length())), value);
            }
        });
        return new StreamsSettings(v);
    }

    private static String toKey(String envName) {
        return envName.toLowerCase(Locale.ROOT).replace('_', '.');
    }

    public String get(String key) {
        return values.get(key);
    }

    public String topicPrefix() {
        return values.get(TOPIC_PREFIX);
    }

    public int partitions() {
        String raw = values.get(TOPIC_PARTITIONS);
        try {
            int n = Integer.parseInt(raw.trim());
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(TOPIC_PARTITIONS + " must be a positive whole number, was '" + raw + "'");
        }
    }

    /** The properties handed to Kafka Streams (our own keys are left out). */
    public Properties streamsProperties() {
        Properties p = new Properties();
        values.forEach((k, val) -> {
            if (OWN_PREFIXES.stream().noneMatch(k::startsWith)) {
                p.put(k, val);
            }
        });
        return p;
    }

    /** The lifecycle processor's SLA settings, with errors that name the key at fault. */
    public dev.handoff.streams.stages.LifecycleSettings lifecycle() {
        String clock = values.get(SLA_CLOCK).trim().toUpperCase(Locale.ROOT);
        if (!clock.equals("WALL") && !clock.equals("STREAM")) {
            throw new IllegalArgumentException(SLA_CLOCK + " must be 'wall' (live) or 'stream' (replays), was '" + values.get(SLA_CLOCK) + "'");
        }
        return new dev.handoff.streams.stages.LifecycleSettings(
                dev.handoff.streams.stages.LifecycleSettings.Clock.valueOf(clock),
                duration(SLA_PUNCTUATE_INTERVAL), integer(SLA_MAX_ALERTS_PER_RUN),
                new dev.handoff.streams.sla.ReminderSchedule(duration(SLA_REMINDER_FIRST), decimal(SLA_REMINDER_FACTOR),
                        duration(SLA_REMINDER_MAX), integer(SLA_REMINDER_COUNT)),
                new dev.handoff.streams.noise.NoiseSettings(integer(NOISE_PENDING), integer(NOISE_RECENT), duration(NOISE_WINDOW)),
                new dev.handoff.streams.stages.LifecycleSettings.UnroutedLimits(duration(UNROUTED_SNAPSHOT_INTERVAL),
                        integer(UNROUTED_DEPTH_LIMIT), duration(UNROUTED_AGE_LIMIT), duration(UNROUTED_SNAPSHOT_REPLAY_GAP)));
    }

    /** The clock of the metrics refresh: {@code metrics.clock}, else {@code sla.clock}. */
    public dev.handoff.streams.stages.LifecycleSettings.Clock metricsClock() {
        String clock = values.getOrDefault(METRICS_CLOCK, values.get(SLA_CLOCK)).trim().toUpperCase(Locale.ROOT);
        if (!clock.equals("WALL") && !clock.equals("STREAM")) {
            throw new IllegalArgumentException(METRICS_CLOCK + " must be 'wall' or 'stream', was '" + clock.toLowerCase(Locale.ROOT) + "'");
        }
        return dev.handoff.streams.stages.LifecycleSettings.Clock.valueOf(clock);
    }

    /** The metrics processor's settings, with errors that name the key at fault. */
    public dev.handoff.streams.metrics.MetricsSettings metrics() {
        java.time.ZoneId zone;
        try {
            zone = java.time.ZoneId.of(values.get(METRICS_ZONE).trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(METRICS_ZONE + " must be a time zone id such as UTC or Europe/Berlin, was '"
                    + values.get(METRICS_ZONE) + "'");
        }
        return new dev.handoff.streams.metrics.MetricsSettings(zone, duration(METRICS_REFRESH_INTERVAL),
                duration(METRICS_GAUGE_RETENTION), duration(METRICS_GAUGE_STEP));
    }

    private java.time.Duration duration(String key) {
        try {
            return java.time.Duration.parse(values.get(key).trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + " must be an ISO-8601 duration such as PT1H or PT30S, was '" + values.get(key) + "'");
        }
    }

    /** Port of the query API; 0 picks a free one. */
    public int queryPort() {
        int port = integer(QUERY_PORT);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(QUERY_PORT + " must be between 0 and 65535, was " + port);
        }
        return port;
    }

    private int integer(String key) {
        try {
            return Integer.parseInt(values.get(key).trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + " must be a whole number, was '" + values.get(key) + "'");
        }
    }

    private double decimal(String key) {
        try {
            return Double.parseDouble(values.get(key).trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + " must be a number, was '" + values.get(key) + "'");
        }
    }

    public Map<String, String> asMap() {
        return values;
    }
}

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

    /** Every default, printed at start-up. */
    public static Map<String, String> defaults() {
        Map<String, String> d = new TreeMap<>();
        d.put(StreamsConfig.APPLICATION_ID_CONFIG, "handoff-streams");
        d.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092");
        d.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        d.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, "true");
        d.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "200");
        d.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "2");
        d.put(TOPIC_PREFIX, Topics.DEFAULT_PREFIX);
        d.put(TOPIC_PARTITIONS, Integer.toString(Topics.DEFAULT_PARTITIONS));
        d.put(SchemaRegistries.URL_CONFIG, SchemaRegistries.EMBEDDED);
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
            if (!k.equals(TOPIC_PREFIX) && !k.equals(TOPIC_PARTITIONS)) {
                p.put(k, val);
            }
        });
        return p;
    }

    public Map<String, String> asMap() {
        return values;
    }
}

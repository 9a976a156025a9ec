package dev.handoff.ingest.connect;

import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * Configuration of {@link SpoolSourceConnector} and its task. Every key is documented here and in
 * {@code docs/connect-spool-connector.md}.
 */
public final class SpoolSourceConfig extends AbstractConfig {

    public static final String SPOOL_DIR = "spool.dir";
    public static final String PROCESSED_DIR = "spool.processed.dir";
    public static final String ERROR_DIR = "spool.error.dir";
    public static final String FORMAT = "spool.format";
    public static final String MIN_AGE_MS = "spool.min.age.ms";
    public static final String BATCH_SIZE = "spool.batch.size";
    public static final String QUEUE_SIZE = "spool.queue.size";
    public static final String POLL_INTERVAL_MS = "spool.poll.interval.ms";
    public static final String TOPIC_PREFIX = "topic.prefix";
    public static final String SOURCE = "report.source";
    public static final String ASSET_HINT = "report.asset.hint";
    public static final String REGISTRY_URL = SchemaRegistries.URL_CONFIG;
    public static final String LIMIT_BYTES = "ingest.limit.bytes";
    public static final String LIMIT_DEPTH = "ingest.limit.depth";
    public static final String LIMIT_STRING = "ingest.limit.string";
    public static final String LIMIT_FINDINGS = "ingest.limit.findings";

    private static final String GROUP = "Spool";

    public static final ConfigDef CONFIG_DEF = configDef();

    private static ConfigDef configDef() {
        ParseLimits d = ParseLimits.defaults();
        int o = 0;
        return new ConfigDef()
                .define(SPOOL_DIR, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
                        "Directory watched for scanner reports. The worker needs read/write access: files are moved out of it.",
                        GROUP, ++o, ConfigDef.Width.LONG, "Spool directory")
                .define(PROCESSED_DIR, Type.STRING, "", Importance.MEDIUM,
                        "Where a report goes once every finding of it is committed to Kafka; empty means <spool.dir>/processed.",
                        GROUP, ++o, ConfigDef.Width.LONG, "Processed directory")
                .define(ERROR_DIR, Type.STRING, "", Importance.MEDIUM,
                        "Where a refused report goes, next to <name>.error.txt saying why; empty means <spool.dir>/error.",
                        GROUP, ++o, ConfigDef.Width.LONG, "Error directory")
                .define(FORMAT, Type.STRING, "", (name, value) -> {
                            String s = value == null ? "" : value.toString().trim();
                            if (!s.isEmpty() && ReportFormat.byName(s).isEmpty()) {
                                throw new ConfigException(name, value, "unknown format; known formats: " + ReportFormat.known());
                            }
                        }, Importance.MEDIUM,
                        "Format of every report in the spool (e.g. trivy, sarif, nessus); empty means detect it from each file's content.",
                        GROUP, ++o, ConfigDef.Width.SHORT, "Report format")
                .define(MIN_AGE_MS, Type.LONG, 5_000L, ConfigDef.Range.atLeast(0), Importance.MEDIUM,
                        "A file is picked up only when it was last modified at least this long ago, so files still being written are"
                                + " left alone. Names starting with '.' or ending with .tmp or .part are never picked up.",
                        GROUP, ++o, ConfigDef.Width.SHORT, "Minimum file age (ms)")
                .define(BATCH_SIZE, Type.INT, 1000, ConfigDef.Range.between(1, 1_000_000), Importance.MEDIUM,
                        "Most records returned by one poll (one transaction with exactly-once source support).",
                        GROUP, ++o, ConfigDef.Width.SHORT, "Batch size")
                .define(QUEUE_SIZE, Type.INT, 2000, ConfigDef.Range.between(1, 1_000_000), Importance.LOW,
                        "Most records the report's parser thread holds ready for the next polls. With the batch, this bounds the"
                                + " task's memory (about (queue + batch) records) whatever the report's size; a poll returns no more"
                                + " records than the queue holds, so keep it at least " + BATCH_SIZE + ".",
                        GROUP, ++o, ConfigDef.Width.SHORT, "Queue size")
                .define(POLL_INTERVAL_MS, Type.LONG, 1_000L, ConfigDef.Range.between(10, 3_600_000), Importance.LOW,
                        "How long a poll waits before looking at the spool again when there is nothing to emit.",
                        GROUP, ++o, ConfigDef.Width.SHORT, "Poll interval (ms)")
                .define(TOPIC_PREFIX, Type.STRING, Topics.DEFAULT_PREFIX, Importance.HIGH,
                        "Prefix of Handoff's topics; records go to <topic.prefix>findings.reported.",
                        GROUP, ++o, ConfigDef.Width.SHORT, "Topic prefix")
                .define(REGISTRY_URL, Type.STRING, SchemaRegistries.EMBEDDED, Importance.HIGH,
                        "Schema registry of the Avro values: http(s)://host:port[,...], 'embedded' (the worker JVM's in-memory"
                                + " registry, for tests only) or 'embedded:/dir'. Other keys of the connector config (basic.auth.user.info,"
                                + " schema.registry.request.timeout.ms, ...) are passed to the registry client as well.",
                        GROUP, ++o, ConfigDef.Width.LONG, "Schema registry URL")
                .define(SOURCE, Type.STRING, "ingest-connector/connect", Importance.LOW,
                        "The 'source' recorded on each event; also part of the report id (a hash of this and the file's bytes).",
                        GROUP, ++o, ConfigDef.Width.MEDIUM, "Event source")
                .define(ASSET_HINT, Type.STRING, "", Importance.LOW,
                        "When set, binds every finding to this asset (target.asset_hint).",
                        GROUP, ++o, ConfigDef.Width.MEDIUM, "Asset hint")
                .define(LIMIT_BYTES, Type.LONG, d.maxBytes(), ConfigDef.Range.atLeast(1), Importance.LOW,
                        "Largest report accepted, in bytes.", GROUP, ++o, ConfigDef.Width.SHORT, "Byte limit")
                .define(LIMIT_DEPTH, Type.INT, d.maxDepth(), ConfigDef.Range.atLeast(1), Importance.LOW,
                        "Deepest JSON/XML nesting accepted.", GROUP, ++o, ConfigDef.Width.SHORT, "Depth limit")
                .define(LIMIT_STRING, Type.INT, d.maxStringLength(), ConfigDef.Range.atLeast(1), Importance.LOW,
                        "Longest JSON string or XML text accepted, in characters.", GROUP, ++o, ConfigDef.Width.SHORT, "String limit")
                .define(LIMIT_FINDINGS, Type.INT, d.maxFindings(), ConfigDef.Range.atLeast(1), Importance.LOW,
                        "Most findings accepted in one report.", GROUP, ++o, ConfigDef.Width.SHORT, "Findings limit");
    }

    public SpoolSourceConfig(Map<?, ?> originals) {
        super(CONFIG_DEF, originals);
    }

    public Path spoolDir() {
        return Path.of(getString(SPOOL_DIR)).toAbsolutePath();
    }

    public Path processedDir() {
        String s = getString(PROCESSED_DIR).trim();
        return s.isEmpty() ? spoolDir().resolve("processed") : Path.of(s).toAbsolutePath();
    }

    public Path errorDir() {
        String s = getString(ERROR_DIR).trim();
        return s.isEmpty() ? spoolDir().resolve("error") : Path.of(s).toAbsolutePath();
    }

    public Optional<ReportFormat> format() {
        String s = getString(FORMAT).trim();
        return s.isEmpty() ? Optional.empty() : ReportFormat.byName(s);
    }

    public long minAgeMs() {
        return getLong(MIN_AGE_MS);
    }

    public int batchSize() {
        return getInt(BATCH_SIZE);
    }

    public int queueSize() {
        return getInt(QUEUE_SIZE);
    }

    public long pollIntervalMs() {
        return getLong(POLL_INTERVAL_MS);
    }

    public String topicPrefix() {
        return getString(TOPIC_PREFIX);
    }

    public String source() {
        return getString(SOURCE);
    }

    public String assetHint() {
        String s = getString(ASSET_HINT).trim();
        return s.isEmpty() ? null : s;
    }

    public ParseLimits limits() {
        return new ParseLimits(getLong(LIMIT_BYTES), getInt(LIMIT_DEPTH), getInt(LIMIT_STRING), getInt(LIMIT_FINDINGS));
    }

    static String describeKeys() {
        return Arrays.toString(CONFIG_DEF.names().toArray());
    }
}

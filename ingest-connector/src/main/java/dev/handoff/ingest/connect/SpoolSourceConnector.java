package dev.handoff.ingest.connect;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.ConnectorTransactionBoundaries;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Kafka Connect source connector that watches a spool directory for scanner reports, parses each
 * with Handoff's parsers and emits one record per finding to {@code <topic.prefix>findings.reported}:
 * key the finding id (string), value the Avro {@code FindingReported} in the Confluent wire format
 * (bytes; the worker must use {@code ByteArrayConverter} for values and {@code StringConverter} for keys).
 *
 * <p>One directory is one stream of files, so the connector runs a single task whatever
 * {@code tasks.max} says. It supports exactly-once source delivery: with
 * {@code exactly.once.source.support=enabled} on the (distributed) worker, each poll's records and their
 * source offsets commit in one transaction. See {@code docs/connect-spool-connector.md}.
 */
public final class SpoolSourceConnector extends SourceConnector {

    private Map<String, String> props;

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        new SpoolSourceConfig(props); // fail fast on a bad configuration
        this.props = new HashMap<>(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return SpoolSourceTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        return List.of(new HashMap<>(props));
    }

    @Override
    public void stop() {
        // nothing held
    }

    @Override
    public ConfigDef config() {
        return SpoolSourceConfig.CONFIG_DEF;
    }

    @Override
    public ExactlyOnceSupport exactlyOnceSupport(Map<String, String> connectorConfig) {
        return ExactlyOnceSupport.SUPPORTED;
    }

    @Override
    public ConnectorTransactionBoundaries canDefineTransactionBoundaries(Map<String, String> connectorConfig) {
        return ConnectorTransactionBoundaries.UNSUPPORTED;
    }

    /** The version of this module, from the jar manifest when packaged. */
    static final class Version {
        private Version() {
        }

        static String get() {
            String v = SpoolSourceConnector.class.getPackage().getImplementationVersion();
            return v == null ? "0.1.0-SNAPSHOT" : v;
        }
    }
}

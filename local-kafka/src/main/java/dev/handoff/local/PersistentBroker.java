package dev.handoff.local;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The {@link KafkaRaftServer} flavour of {@link LocalKafka}, for kept data and for a SASL listener: one server in
 * combined mode (broker and controller, node 1, a static one-voter quorum) on a directory it formats once. The
 * directory holds:
 * <ul>
 *   <li>{@code logs/}: the metadata log and every partition, as Kafka lays them out;</li>
 *   <li>{@value #STATE_FILE}: the cluster id and the last ports, so a restart answers where it did before.</li>
 * </ul>
 * A static quorum is what lets the ports change when the old ones are taken: the voter's address is configuration,
 * not part of the formatted log as with a dynamic quorum.
 */
final class PersistentBroker {

    static final String STATE_FILE = "local-kafka.properties";
    private static final Logger log = LoggerFactory.getLogger(PersistentBroker.class);
    private static final int NODE_ID = 1;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";

    private PersistentBroker() {
    }

    /**
     * @param directory where to keep the data, or null for a temporary directory removed on close
     * @param saslUsers users of an added SASL_PLAINTEXT listener (mechanism PLAIN), or null for none
     */
    static LocalKafka start(Path directory, Map<String, String> brokerDefaults, Map<String, String> saslUsers) {
        boolean keep = directory != null;
        if (!keep) {
            try {
                directory = Files.createTempDirectory("handoff-local-kafka-");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a data directory for the local Kafka broker", e);
            }
        }
        try {
            return start(directory, brokerDefaults, saslUsers, keep);
        } catch (RuntimeException e) {
            if (!keep) {
                LocalKafka.deleteQuietly(directory);
            }
            throw e;
        }
    }

    private static LocalKafka start(Path directory, Map<String, String> brokerDefaults, Map<String, String> saslUsers, boolean keep) {
        long started = System.nanoTime();
        Path logs = directory.resolve("logs");
        Path stateFile = directory.resolve(STATE_FILE);
        Properties state = new Properties();
        try {
            Files.createDirectories(logs);
            if (Files.exists(stateFile)) {
                try (InputStream in = Files.newInputStream(stateFile)) {
                    state.load(in);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use " + directory + " as the local Kafka broker's data directory: " + e.getMessage(), e);
        }
        boolean formatted = Files.exists(logs.resolve("meta.properties"));
        String clusterId = state.getProperty("cluster.id");
        if (formatted && clusterId == null) {
            throw new IllegalStateException(directory + " holds Kafka data but no " + STATE_FILE
                    + ": it was not made by Handoff's local mode; point --data-dir at an empty or Handoff-made directory");
        }
        if (!formatted) {
            clusterId = Uuid.randomUuid().toString();
        }
        int brokerPort = port(state.getProperty("broker.port"));
        int controllerPort = port(state.getProperty("controller.port"));
        if (controllerPort == brokerPort) {
            controllerPort = port(null);
        }
        int saslPort = saslUsers == null ? -1 : port(state.getProperty("sasl.port"));
        while (saslPort == brokerPort || saslPort == controllerPort) {
            saslPort = port(null);
        }

        Properties props = new Properties();
        props.putAll(brokerDefaults);
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(NODE_ID));
        props.put("controller.quorum.voters", NODE_ID + "@localhost:" + controllerPort);
        String sasl = saslUsers == null ? "" : ",SASL_PLAINTEXT://localhost:" + saslPort;
        props.put("listeners", "PLAINTEXT://localhost:" + brokerPort + "," + CONTROLLER_LISTENER + "://localhost:" + controllerPort + sasl);
        props.put("advertised.listeners", "PLAINTEXT://localhost:" + brokerPort + sasl);
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT"
                + (saslUsers == null ? "" : ",SASL_PLAINTEXT:SASL_PLAINTEXT"));
        if (saslUsers != null) {
            StringBuilder jaas = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
            saslUsers.forEach((user, password) -> jaas.append(" user_").append(user).append("=\"").append(password).append('"'));
            props.put("sasl.enabled.mechanisms", "PLAIN");
            props.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", jaas.append(';').toString());
        }
        props.put("controller.listener.names", CONTROLLER_LISTENER);
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("log.dirs", logs.toString());
        props.putIfAbsent("log.cleaner.dedupe.buffer.size", "2097152");
        KafkaConfig config = KafkaConfig.fromProps(props, false);

        if (!formatted) {
            format(clusterId, logs);
        }
        state.setProperty("cluster.id", clusterId);
        state.setProperty("broker.port", Integer.toString(brokerPort));
        state.setProperty("controller.port", Integer.toString(controllerPort));
        if (saslUsers != null) {
            state.setProperty("sasl.port", Integer.toString(saslPort));
        }
        try (OutputStream out = Files.newOutputStream(stateFile)) {
            state.store(out, "Handoff local Kafka broker: cluster id and last ports; the data is in logs/");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + stateFile + ": " + e.getMessage(), e);
        }

        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            stop(server);
            String hint = String.valueOf(e.getMessage()).contains("lock")
                    ? " (is another Handoff local mode running on " + directory + "?)" : "";
            throw new IllegalStateException("local Kafka broker on " + directory + " failed to start" + hint + ": " + e, e);
        }
        String bootstrap = "localhost:" + brokerPort;
        String saslBootstrap = saslUsers == null ? null : "localhost:" + saslPort;
        log.info("local Kafka broker {} up at {}{} in {} ms ({} data in {})", MetadataVersion.latestProduction(), bootstrap,
                saslUsers == null ? "" : " and SASL_PLAINTEXT " + saslBootstrap, Duration.ofNanos(System.nanoTime() - started).toMillis(),
                formatted ? "kept" : "new", directory);
        return LocalKafka.ofRaftServer(() -> stop(server), directory, bootstrap, keep, saslBootstrap);
    }

    private static void stop(KafkaRaftServer server) {
        server.shutdown();
        server.awaitShutdown();
    }

    /** Formats {@code logs} for a new cluster; the formatter's report of its bootstrap records goes to the debug log. */
    private static void format(String clusterId, Path logs) {
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(said, true, StandardCharsets.UTF_8))
                    .setNodeId(NODE_ID)
                    .setClusterId(clusterId)
                    .setDirectories(List.of(logs.toString()))
                    .setMetadataLogDirectory(logs.toString())
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setReleaseVersion(MetadataVersion.latestProduction())
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format " + logs + " for the local Kafka broker: " + e.getMessage(), e);
        } finally {
            log.debug("storage formatter said: {}", said.toString(StandardCharsets.UTF_8).trim());
        }
    }

    /** The remembered port when it is free, else a free one. */
    private static int port(String remembered) {
        if (remembered != null) {
            int p = Integer.parseInt(remembered.trim());
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
                return p;
            } catch (IOException taken) {
                log.info("port {} of the last run is taken; the local broker moves to a free one", p);
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port for the local Kafka broker", e);
        }
    }
}

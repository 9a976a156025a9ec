package dev.handoff.ingest.connect;

import dev.handoff.ingest.parse.ReportFormat;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpoolSourceConfigTest {

    @Test
    void defaultsDeriveTheDirectoriesAndTopic() {
        SpoolSourceConfig c = new SpoolSourceConfig(Map.of(SpoolSourceConfig.SPOOL_DIR, "/var/spool/handoff"));
        assertEquals(Path.of("/var/spool/handoff/processed"), c.processedDir());
        assertEquals(Path.of("/var/spool/handoff/error"), c.errorDir());
        assertEquals(1000, c.batchSize());
        assertEquals("handoff.", c.topicPrefix());
        assertEquals(Optional.empty(), c.format());
        assertEquals(Optional.of(ReportFormat.byName("sarif").orElseThrow()),
                new SpoolSourceConfig(Map.of(SpoolSourceConfig.SPOOL_DIR, "/x", SpoolSourceConfig.FORMAT, "SARIF")).format());
    }

    @Test
    void refusesAMissingDirectoryAnUnknownFormatAndAZeroBatch() {
        assertThrows(ConfigException.class, () -> new SpoolSourceConfig(Map.of()));
        ConfigException format = assertThrows(ConfigException.class,
                () -> new SpoolSourceConfig(Map.of(SpoolSourceConfig.SPOOL_DIR, "/x", SpoolSourceConfig.FORMAT, "nope")));
        assertTrue(format.getMessage().contains("known formats"), format.getMessage());
        assertThrows(ConfigException.class,
                () -> new SpoolSourceConfig(Map.of(SpoolSourceConfig.SPOOL_DIR, "/x", SpoolSourceConfig.BATCH_SIZE, "0")));
    }

    @Test
    void theConnectorDeclaresExactlyOnceSupportAndOneTask() {
        SpoolSourceConnector connector = new SpoolSourceConnector();
        assertEquals(ExactlyOnceSupport.SUPPORTED, connector.exactlyOnceSupport(Map.of()));
        connector.start(Map.of(SpoolSourceConfig.SPOOL_DIR, "/x"));
        assertEquals(1, connector.taskConfigs(8).size());
        assertTrue(connector.config().names().contains(SpoolSourceConfig.MIN_AGE_MS));
    }
}

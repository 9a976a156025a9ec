package dev.handoff.schemas;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServiceConfigTest {

    @Test
    void theFileOverridesTheDefaultsAndTheEnvironmentOverridesTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("svc.properties");
        Files.writeString(file, "intake.port=9000\nalerter.target.pd.routing-key=from-file\nkeep=me\n");
        Map<String, String> v = ServiceConfig.layered(Map.of("intake.port", "8091", "other", "default"),
                ServiceConfig.fileOf(new String[] {file.toString()}),
                Map.of("HANDOFF_ALERTER_TARGET_PD_ROUTING__KEY", "from-env", "KAFKA_BOOTSTRAP_SERVERS", "k:9092", "PATH", "/bin"));
        assertEquals("9000", v.get("intake.port"));
        assertEquals("from-env", v.get("alerter.target.pd.routing-key"));
        assertEquals("k:9092", v.get("bootstrap.servers"));
        assertEquals("default", v.get("other"));
        assertEquals("me", v.get("keep"));
        assertTrue(v.keySet().stream().noneMatch(k -> k.contains("path")), "only HANDOFF_ variables count");
    }

    @Test
    void aMissingSettingsFileIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServiceConfig.fileOf(new String[] {"/no/such.properties"}));
        assertTrue(e.getMessage().contains("/no/such.properties"), e.getMessage());
        assertEquals(Map.of(), ServiceConfig.fileOf(new String[0]));
    }
}

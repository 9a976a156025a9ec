package dev.handoff.schemas.kafka;

import dev.handoff.schemas.ServiceConfig;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KafkaClientSettingsTest {

    private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"svc\" password=\"s3cret\";";

    @Test
    void tlsAndSaslSettingsFromTheEnvironmentReachEveryClientAndServiceKeysDoNot() {
        Map<String, String> settings = ServiceConfig.layered(Map.of("bootstrap.servers", "localhost:9092", "topic.prefix", "handoff."),
                Map.of("ssl.truststore.location", "/etc/kafka/truststore.p12", "acks", "1"),
                Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9093,kafka-2:9093", "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                        "KAFKA_SASL_MECHANISM", "PLAIN", "KAFKA_SASL_JAAS_CONFIG", JAAS, "KAFKA_CLIENT_ID", "not-mine"));
        Map<String, String> kafka = KafkaClientSettings.of(settings);
        assertEquals(Map.of("bootstrap.servers", "kafka-1:9093,kafka-2:9093", "security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", JAAS, "ssl.truststore.location", "/etc/kafka/truststore.p12"), kafka,
                "connection settings pass; a producer's acks, the client id and Handoff's own keys do not");
        assertThrows(UnsupportedOperationException.class, () -> kafka.put("x", "y"));
    }

    @Test
    void theLogLineHidesSecrets() {
        Map<String, String> shown = KafkaClientSettings.describe(Map.of("bootstrap.servers", "k:9093", "sasl.jaas.config", JAAS,
                "ssl.keystore.password", "pw", "ssl.truststore.location", "/t.p12"));
        assertEquals("[hidden]", shown.get("sasl.jaas.config"));
        assertEquals("[hidden]", shown.get("ssl.keystore.password"));
        assertEquals("/t.p12", shown.get("ssl.truststore.location"));
        assertFalse(shown.toString().contains("s3cret"));
    }

    @Test
    void aMissingBootstrapIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KafkaClientSettings.of(Map.of("security.protocol", "SSL")));
        assertTrue(e.getMessage().contains("bootstrap.servers"), e.getMessage());
    }

    @Test
    void theSettingsAreOnesAKafkaClientAccepts() {
        // An admin client built from them starts (it validates every key and value) without a broker to talk to.
        Properties p = KafkaClientSettings.properties(KafkaClientSettings.of(Map.of("bootstrap.servers", "localhost:1",
                "security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN", "sasl.jaas.config", JAAS)));
        try (Admin admin = Admin.create(p)) {
            assertTrue(admin.metrics().size() > 0);
        }
    }
}

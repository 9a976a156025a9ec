package dev.handoff.schemas.kafka;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.CommonClientConfigs;

import java.util.Collections;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * The Kafka connection settings among a service's settings, for every client it builds (producers, consumers,
 * admin clients): {@code bootstrap.servers} and every other setting that all Kafka clients share, among them
 * {@code security.protocol}, {@code ssl.*}, {@code sasl.*} (with {@code sasl.jaas.config}) and
 * {@code client.dns.lookup}. Set them in the settings file or as {@code KAFKA_SECURITY_PROTOCOL=SASL_SSL}
 * ({@link dev.handoff.schemas.ServiceConfig}). Settings of one client kind (a producer's {@code acks}, a consumer's
 * {@code isolation.level}) are the service's to choose and are not taken; neither is {@code client.id}, which each
 * client sets for itself.
 */
public final class KafkaClientSettings {

    /** Every setting an admin client knows is one all clients share: connection, security, timeouts. */
    private static final Set<String> SHARED = AdminClientConfig.configNames();

    private KafkaClientSettings() {
    }

    /**
     * The shared client settings in {@code settings}, unmodifiable.
     *
     * @throws IllegalArgumentException when {@code bootstrap.servers} is missing
     */
    public static Map<String, String> of(Map<String, String> settings) {
        Map<String, String> kafka = new TreeMap<>();
        settings.forEach((k, v) -> {
            if (v != null && SHARED.contains(k) && !k.equals(CommonClientConfigs.CLIENT_ID_CONFIG)) {
                kafka.put(k, v);
            }
        });
        String bootstrap = kafka.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new IllegalArgumentException(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG + " is not set (KAFKA_BOOTSTRAP_SERVERS)");
        }
        return Collections.unmodifiableMap(kafka);
    }

    /** {@code kafka} as a fresh {@link Properties} that a client's own settings are added to. */
    public static Properties properties(Map<String, String> kafka) {
        Properties p = new Properties();
        p.putAll(kafka);
        return p;
    }

    /** The settings with secrets masked, for a start-up log line. */
    public static Map<String, String> describe(Map<String, String> kafka) {
        Map<String, String> shown = new TreeMap<>();
        kafka.forEach((k, v) -> shown.put(k, secret(k) ? "[hidden]" : v));
        return shown;
    }

    private static boolean secret(String key) {
        return key.contains("password") || key.equals("sasl.jaas.config") || key.endsWith(".key") || key.contains("secret");
    }
}

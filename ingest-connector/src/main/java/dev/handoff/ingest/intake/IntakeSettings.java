package dev.handoff.ingest.intake;

import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.schemas.ServiceConfig;
import dev.handoff.schemas.kafka.KafkaClientSettings;
import dev.handoff.schemas.registry.SchemaRegistries;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The intake's configuration: defaults, then a properties file, then the environment
 * ({@code HANDOFF_INTAKE_PORT} → {@code intake.port}). Tokens: one key per caller,
 * {@code intake.token.<actor id>=<role>[,<role>…]:<secret>}, roles {@code ingest}, {@code acknowledge},
 * {@code read}, {@code admin}; the actor id is recorded on the commands that caller sends.
 */
public record IntakeSettings(int port, Map<String, String> kafka, String topicPrefix, Map<String, String> registry, Map<String, Caller> tokens,
                             String ackSecret, Duration ackTtl, ParseLimits limits, int receiptsRemembered) {

    /** {@code bootstrap.servers}; every Kafka connection setting (TLS, SASL) is in {@link #kafka()}. */
    public String bootstrapServers() {
        return kafka.get("bootstrap.servers");
    }

    public String registryUrl() {
        return registry.get(dev.handoff.schemas.registry.SchemaRegistries.URL_CONFIG);
    }

    public enum Role { INGEST, ACKNOWLEDGE, READ, ADMIN }

    /** Who a bearer token belongs to. */
    public record Caller(String actorId, Set<Role> roles) {
        public boolean may(Role role) {
            return roles.contains(role) || roles.contains(Role.ADMIN);
        }
    }

    public static Map<String, String> defaults() {
        Map<String, String> d = new TreeMap<>();
        d.put("intake.port", "8091");
        d.put("bootstrap.servers", "localhost:9092");
        d.put("topic.prefix", "handoff.");
        d.put("schema.registry.url", "embedded");
        d.put("intake.ack.ttl", "P7D");
        d.put("intake.receipts.remembered", "100000");
        d.put("ingest.limit.bytes", Long.toString(ParseLimits.defaults().maxBytes()));
        d.put("ingest.limit.depth", Integer.toString(ParseLimits.defaults().maxDepth()));
        d.put("ingest.limit.string", Integer.toString(ParseLimits.defaults().maxStringLength()));
        d.put("ingest.limit.findings", Integer.toString(ParseLimits.defaults().maxFindings()));
        return d;
    }

    /** Defaults overridden by {@code overrides}, then by {@code HANDOFF_*} / {@code KAFKA_*} environment variables. */
    public static IntakeSettings from(Map<String, String> overrides, Map<String, String> env) {
        Map<String, String> v = ServiceConfig.layered(defaults(), overrides, env);
        Map<String, Caller> tokens = new LinkedHashMap<>();
        v.forEach((key, value) -> {
            if (key.startsWith("intake.token.")) {
                String actor = key.substring("intake.token.".length());
                int colon = value.indexOf(':');
                if (actor.isBlank() || colon <= 0 || colon == value.length() - 1) {
                    throw new IllegalArgumentException(key + " must be '<role>[,<role>…]:<secret>'");
                }
                Set<Role> roles = new java.util.HashSet<>();
                for (String r : value.substring(0, colon).split(",")) {
                    try {
                        roles.add(Role.valueOf(r.trim().toUpperCase(Locale.ROOT)));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(key + ": unknown role '" + r + "'; roles are ingest, acknowledge, read, admin");
                    }
                }
                String secret = value.substring(colon + 1);
                if (secret.length() < 16) {
                    throw new IllegalArgumentException(key + ": the token must be at least 16 characters");
                }
                tokens.put(secret, new Caller(actor, Set.copyOf(roles)));
            }
        });
        try {
            return new IntakeSettings(Integer.parseInt(v.get("intake.port").trim()), KafkaClientSettings.of(v), v.get("topic.prefix"),
                    SchemaRegistries.settingsIn(v), Map.copyOf(tokens), v.get("intake.ack.secret"), Duration.parse(v.get("intake.ack.ttl").trim()),
                    new ParseLimits(Long.parseLong(v.get("ingest.limit.bytes").trim()), Integer.parseInt(v.get("ingest.limit.depth").trim()),
                            Integer.parseInt(v.get("ingest.limit.string").trim()), Integer.parseInt(v.get("ingest.limit.findings").trim())),
                    positive("intake.receipts.remembered", v.get("intake.receipts.remembered")));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("bad intake setting: " + e.getMessage(), e);
        }
    }

    private static int positive(String key, String value) {
        int n = Integer.parseInt(value.trim());
        if (n < 1) {
            throw new IllegalArgumentException(key + " must be at least 1, was " + n);
        }
        return n;
    }
}

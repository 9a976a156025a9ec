package dev.handoff.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * How every Handoff service reads its settings: its defaults, then a properties file, then the environment.
 * {@code HANDOFF_INTAKE_PORT} sets {@code intake.port}: after the prefix, lower case, {@code _} for a dot and
 * {@code __} for a hyphen ({@code HANDOFF_ALERTER_TARGET_PD_ROUTING__KEY} → {@code alerter.target.pd.routing-key});
 * {@code KAFKA_BOOTSTRAP_SERVERS} sets {@code bootstrap.servers}, and any {@code KAFKA_X_Y} sets {@code x.y}
 * ({@code KAFKA_SECURITY_PROTOCOL}, {@code KAFKA_SASL_JAAS_CONFIG}; see {@link dev.handoff.schemas.kafka.KafkaClientSettings}).
 */
public final class ServiceConfig {

    private ServiceConfig() {
    }

    /** {@code defaults}, overridden by {@code overrides}, then by {@code env}. */
    public static Map<String, String> layered(Map<String, String> defaults, Map<String, String> overrides, Map<String, String> env) {
        Map<String, String> v = new HashMap<>(defaults);
        v.putAll(overrides);
        env.forEach((name, value) -> {
            if (name.startsWith("HANDOFF_")) {
                v.put(name.substring("HANDOFF_".length()).toLowerCase(Locale.ROOT).replace("__", "-").replace('_', '.'), value);
            } else if (name.startsWith("KAFKA_")) {
                v.put(name.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        return v;
    }

    /** The properties file named by the first argument, if any; a missing file is an error that names it. */
    public static Map<String, String> fileOf(String[] args) {
        Map<String, String> config = new HashMap<>();
        if (args.length == 0) {
            return config;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
            p.load(in);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("the settings file " + args[0] + " does not exist");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the settings file " + args[0], e);
        }
        p.forEach((k, val) -> config.put((String) k, (String) val));
        return config;
    }
}

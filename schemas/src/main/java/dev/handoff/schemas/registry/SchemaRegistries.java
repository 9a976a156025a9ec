package dev.handoff.schemas.registry;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the schema registry named by {@value #URL_CONFIG} in a Kafka-style configuration map.
 */
public final class SchemaRegistries {

    /** {@code http(s)://host:port[,…]}, {@code embedded}, or {@code embedded:/dir}; missing means embedded. */
    public static final String URL_CONFIG = "schema.registry.url";
    /** HTTP basic-auth credentials as {@code user:password}. */
    public static final String BASIC_AUTH_USER_INFO_CONFIG = "basic.auth.user.info";
    /** The same credentials under the prefixed name some Confluent clients use. */
    public static final String PREFIXED_BASIC_AUTH_USER_INFO_CONFIG = "schema.registry.basic.auth.user.info";
    /** Time limit of one HTTP request, in milliseconds (default 10000). */
    public static final String REQUEST_TIMEOUT_MS_CONFIG = "schema.registry.request.timeout.ms";
    /** Attempts per HTTP request before giving up on server and connection errors (default 4). */
    public static final String MAX_ATTEMPTS_CONFIG = "schema.registry.max.attempts";
    /** Back-off before the first retry, in milliseconds, doubling per retry (default 100). */
    public static final String RETRY_BACKOFF_MS_CONFIG = "schema.registry.retry.backoff.ms";
    /** Upper bound of the back-off between retries, in milliseconds (default 5000). */
    public static final String RETRY_BACKOFF_MAX_MS_CONFIG = "schema.registry.retry.backoff.max.ms";

    /** The value of {@value #URL_CONFIG} that selects the in-process registry. */
    public static final String EMBEDDED = "embedded";

    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistries.class);
    private static final String ACCEPTED_FORMS = "http://host:port or https://host:port (several comma-separated),"
            + " 'embedded', or 'embedded:/some/dir'";

    // One instance per JVM (and per directory) so that all serdes of a process see each other's schemas.
    private static final ConcurrentMap<Path, EmbeddedSchemaRegistry> PERSISTENT = new ConcurrentHashMap<>();
    private static final AtomicBoolean DEFAULT_LOGGED = new AtomicBoolean();
    private static volatile EmbeddedSchemaRegistry inMemory;

    private SchemaRegistries() {}

    /**
     * Returns the registry {@code config} asks for. Embedded registries are shared per JVM (and per
     * directory); their {@code close()} does nothing, so callers may close what they got.
     *
     * @throws IllegalArgumentException if {@value #URL_CONFIG} or a numeric setting has an invalid value
     */
    public static SchemaRegistry fromConfig(Map<String, ?> config) {
        Object value = config.get(URL_CONFIG);
        if (value == null || value.toString().isBlank()) {
            if (DEFAULT_LOGGED.compareAndSet(false, true)) {
                LOG.info("{} is not set: using the embedded schema registry of this JVM (set it to http://host:port to"
                        + " use a shared registry)", URL_CONFIG);
            }
            return embedded();
        }
        String url = value.toString().strip();
        String lower = url.toLowerCase(Locale.ROOT);
        if (lower.equals(EMBEDDED)) {
            return embedded();
        }
        if (lower.startsWith(EMBEDDED + ":")) {
            return embedded(directoryOf(url));
        }
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            return http(url, config);
        }
        throw new IllegalArgumentException(URL_CONFIG + " is '" + url + "', which is not a schema registry location;"
                + " use " + ACCEPTED_FORMS + ", or leave it unset for the embedded registry");
    }

    /**
     * The registry settings among a service's settings: {@value #URL_CONFIG}, every {@code schema.registry.*} key and
     * {@value #BASIC_AUTH_USER_INFO_CONFIG}, for {@link #fromConfig}.
     */
    public static Map<String, String> settingsIn(Map<String, String> settings) {
        Map<String, String> registry = new java.util.TreeMap<>();
        settings.forEach((k, v) -> {
            if (v != null && (k.startsWith("schema.registry.") || k.equals(BASIC_AUTH_USER_INFO_CONFIG))) {
                registry.put(k, v);
            }
        });
        return java.util.Collections.unmodifiableMap(registry);
    }

    /** The in-memory embedded registry shared by this JVM. */
    public static EmbeddedSchemaRegistry embedded() {
        EmbeddedSchemaRegistry registry = inMemory;
        if (registry == null) {
            synchronized (SchemaRegistries.class) {
                registry = inMemory;
                if (registry == null) {
                    registry = new EmbeddedSchemaRegistry();
                    inMemory = registry;
                }
            }
        }
        return registry;
    }

    /** The embedded registry of this JVM that persists to {@code dir}. */
    public static EmbeddedSchemaRegistry embedded(Path dir) {
        return PERSISTENT.computeIfAbsent(dir.toAbsolutePath().normalize(), EmbeddedSchemaRegistry::new);
    }

    private static Path directoryOf(String url) {
        String path = url.substring(EMBEDDED.length() + 1);
        if (path.startsWith("///")) {
            path = path.substring(2);
        } else if (path.startsWith("//")) {
            throw new IllegalArgumentException(URL_CONFIG + " is '" + url + "': a directory URL has no host; write"
                    + " embedded:/some/dir or embedded:///some/dir");
        }
        if (path.isBlank()) {
            throw new IllegalArgumentException(URL_CONFIG + " is '" + url + "' but names no directory; write"
                    + " embedded:/some/dir, or plain 'embedded' for no persistence");
        }
        try {
            return Path.of(path);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(URL_CONFIG + " is '" + url + "', whose directory is not a valid path ("
                    + e.getMessage() + "); write embedded:/some/dir", e);
        }
    }

    private static HttpSchemaRegistry http(String urls, Map<String, ?> config) {
        Object userInfo = config.get(BASIC_AUTH_USER_INFO_CONFIG);
        if (userInfo == null) {
            userInfo = config.get(PREFIXED_BASIC_AUTH_USER_INFO_CONFIG);
        }
        HttpSchemaRegistry.Builder builder = HttpSchemaRegistry.builder(urls)
                .basicAuthUserInfo(userInfo == null ? null : userInfo.toString());
        Long timeoutMs = longSetting(config, REQUEST_TIMEOUT_MS_CONFIG);
        if (timeoutMs != null) {
            builder.requestTimeout(Duration.ofMillis(timeoutMs));
        }
        Long attempts = longSetting(config, MAX_ATTEMPTS_CONFIG);
        if (attempts != null) {
            builder.maxAttempts((int) Math.min(attempts, Integer.MAX_VALUE));
        }
        Long backoffMs = longSetting(config, RETRY_BACKOFF_MS_CONFIG);
        if (backoffMs != null) {
            builder.initialBackoff(Duration.ofMillis(backoffMs));
        }
        Long maxBackoffMs = longSetting(config, RETRY_BACKOFF_MAX_MS_CONFIG);
        if (maxBackoffMs != null) {
            builder.maxBackoff(Duration.ofMillis(maxBackoffMs));
        }
        return builder.build();
    }

    private static Long longSetting(Map<String, ?> config, String key) {
        Object value = config.get(key);
        if (value == null) {
            return null;
        }
        if (value instanceof Number number) {
            return number.longValue();
        }
        try {
            return Long.parseLong(value.toString().strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " is '" + value + "', which is not a whole number; give a number"
                    + " such as 1000", e);
        }
    }
}

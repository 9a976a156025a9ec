package dev.handoff.schemas.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client of the Confluent-compatible Schema Registry REST API (Confluent, Apicurio ccompat, Karapace,
 * Redpanda), with caching, retries with back-off and fail-over between several base URLs.
 */
public final class HttpSchemaRegistry implements SchemaRegistry {

    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_ATTEMPTS = 4;
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(100);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(5);

    static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    static final String ACCEPT = "application/vnd.schemaregistry.v1+json, application/json";

    private static final Logger LOG = LoggerFactory.getLogger(HttpSchemaRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_QUOTED_BODY = 300;

    private final List<URI> baseUrls;
    private final Optional<String> authorization;
    private final Duration requestTimeout;
    private final int maxAttempts;
    private final long initialBackoffMs;
    private final long maxBackoffMs;
    private final HttpClient client;
    // The base URL that answered last; requests start there so a dead first URL costs only once.
    private final AtomicInteger preferredUrl = new AtomicInteger();
    // Futures rather than values so that concurrent callers of the same key share one HTTP request.
    private final ConcurrentMap<SubjectSchema, CompletableFuture<Integer>> idsBySubjectSchema =
            new ConcurrentHashMap<>();
    private final ConcurrentMap<Integer, CompletableFuture<Schema>> schemasById = new ConcurrentHashMap<>();

    private record SubjectSchema(String subject, Schema schema) {}

    /** One REST call, with the phrases its error messages need. */
    private record Call(String method, String path, String body, String goal, String rejection,
            String notFoundAdvice) {}

    /** A client with default settings for the given comma-separated base URLs. */
    public HttpSchemaRegistry(String urls) {
        this(builder(urls));
    }

    private HttpSchemaRegistry(Builder builder) {
        this.baseUrls = parseUrls(builder.urls);
        this.authorization = Optional.ofNullable(builder.basicAuthUserInfo).map(HttpSchemaRegistry::basicAuth);
        this.requestTimeout = builder.requestTimeout;
        this.maxAttempts = builder.maxAttempts;
        this.initialBackoffMs = builder.initialBackoff.toMillis();
        this.maxBackoffMs = Math.max(builder.maxBackoff.toMillis(), initialBackoffMs);
        this.client = HttpClient.newBuilder()
                .connectTimeout(requestTimeout)
                // HTTP/1.1 is what every registry speaks; it avoids h2c upgrade attempts on plain http.
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** Starts configuring a client for the given comma-separated base URLs. */
    public static Builder builder(String urls) {
        return new Builder(urls);
    }

    /** The base URLs in the order they are tried. */
    public List<URI> baseUrls() {
        return baseUrls;
    }

    @Override
    public int register(String subject, Schema schema) {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(schema, "schema");
        int id = cached(idsBySubjectSchema, new SubjectSchema(subject, schema), () -> registerRemotely(subject, schema));
        // The registry now holds this schema under that id, so a later lookup of the id needs no request.
        schemasById.putIfAbsent(id, CompletableFuture.completedFuture(schema));
        return id;
    }

    @Override
    public Schema schemaById(int id) {
        return cached(schemasById, id, () -> fetchRemotely(id));
    }

    private int registerRemotely(String subject, Schema schema) {
        String body;
        try {
            body = JSON.writeValueAsString(Map.of("schema", schema.toString()));
        } catch (JsonProcessingException e) {
            throw new SchemaRegistryException("could not encode schema " + schema.getFullName() + " as JSON: " + e.getMessage(), e);
        }
        Call call = new Call("POST", "/subjects/" + encodePathSegment(subject) + "/versions", body,
                "register schema " + schema.getFullName() + " under subject '" + subject + "'",
                "rejected schema for subject '" + subject + "'",
                "check that schema.registry.url is the registry's base URL (for Apicurio, the .../apis/ccompat/v7 path)");
        JsonNode answer = send(call);
        JsonNode id = answer.get("id");
        if (id == null || !id.canConvertToInt()) {
            throw new SchemaRegistryException("schema registry " + baseUrls + " answered the registration under subject '"
                    + subject + "' without a numeric \"id\": " + quote(answer.toString())
                    + ". Check that schema.registry.url points at a Confluent-compatible schema registry.");
        }
        LOG.debug("schema {} registered under subject '{}' with id {}", schema.getFullName(), subject, id.intValue());
        return id.intValue();
    }

    private Schema fetchRemotely(int id) {
        Call call = new Call("GET", "/schemas/ids/" + id, null,
                "fetch schema id " + id,
                "has no schema with id " + id,
                "the data refers to a schema this registry does not know; check that producers and consumers use the same schema.registry.url");
        JsonNode answer = send(call);
        String schemaType = answer.path("schemaType").asText("AVRO");
        if (!"AVRO".equalsIgnoreCase(schemaType)) {
            throw new SchemaRegistryException("schema id " + id + " in schema registry " + baseUrls + " is a " + schemaType
                    + " schema, not Avro; the topic holds data of a different producer, or the id is wrong");
        }
        JsonNode text = answer.get("schema");
        if (text == null || !text.isTextual()) {
            throw new SchemaRegistryException("schema registry " + baseUrls + " answered the lookup of schema id " + id
                    + " without a \"schema\" string: " + quote(answer.toString())
                    + ". Check that schema.registry.url points at a Confluent-compatible schema registry.");
        }
        try {
            return new Schema.Parser().parse(text.asText());
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException("schema id " + id + " from schema registry " + baseUrls
                    + " is not a valid Avro schema (" + e.getMessage() + "); the registry entry is broken, ask its operators", e);
        }
    }

    /** Sends the call, failing over between URLs and backing off between attempts, and returns the JSON answer. */
    private JsonNode send(Call call) {
        String lastError = "no request was sent";
        Throwable lastCause = null;
        int lastStatus = 0;
        int lastErrorCode = 0;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            int first = preferredUrl.get();
            for (int i = 0; i < baseUrls.size(); i++) {
                int index = (first + i) % baseUrls.size();
                URI base = baseUrls.get(index);
                HttpResponse<String> response;
                try {
                    response = client.send(request(base, call), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                } catch (ConnectException | HttpConnectTimeoutException e) {
                    // Nothing reached this server, so the next URL can be tried at once.
                    lastError = "cannot connect to " + base + ": " + describe(e);
                    lastCause = e;
                    lastStatus = 0;
                    lastErrorCode = 0;
                    continue;
                } catch (IOException e) {
                    lastError = "request to " + base + " failed: " + describe(e);
                    lastCause = e;
                    lastStatus = 0;
                    lastErrorCode = 0;
                    preferredUrl.set((index + 1) % baseUrls.size());
                    break;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SchemaRegistryException("interrupted while trying to " + call.goal + " at schema registry " + base, e);
                }
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    preferredUrl.set(index);
                    return parseAnswer(base, call, response.body());
                }
                SchemaRegistryException error = errorFor(base, call, status, response.body());
                if (!isRetryable(status)) {
                    throw error;
                }
                lastError = error.getMessage();
                lastCause = null;
                lastStatus = status;
                lastErrorCode = error.errorCode();
                preferredUrl.set((index + 1) % baseUrls.size());
                break;
            }
            if (attempt < maxAttempts) {
                long delay = backoffMs(attempt);
                LOG.warn("could not {} (attempt {} of {}), retrying in {} ms: {}", call.goal, attempt, maxAttempts, delay, lastError);
                pause(delay, call);
            }
        }
        throw new SchemaRegistryException("could not " + call.goal + " at schema registry " + baseUrls + ": gave up after "
                + maxAttempts + " attempt" + (maxAttempts == 1 ? "" : "s") + "; last error: " + lastError
                + ". Check that the registry is running and reachable, or raise schema.registry.max.attempts.",
                lastStatus, lastErrorCode, lastCause);
    }

    private HttpRequest request(URI base, Call call) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + call.path))
                .timeout(requestTimeout)
                .header("Accept", ACCEPT);
        authorization.ifPresent(value -> request.header("Authorization", value));
        if (call.body == null) {
            request.GET();
        } else {
            request.header("Content-Type", CONTENT_TYPE)
                    .POST(HttpRequest.BodyPublishers.ofString(call.body, StandardCharsets.UTF_8));
        }
        return request.build();
    }

    private JsonNode parseAnswer(URI base, Call call, String body) {
        try {
            JsonNode answer = JSON.readTree(body);
            if (answer != null && answer.isObject()) {
                return answer;
            }
        } catch (JsonProcessingException e) {
            // fall through to the error below, which quotes the body
        }
        throw new SchemaRegistryException("schema registry at " + base + " answered the request to " + call.goal
                + " with something that is not a JSON object: " + quote(body)
                + ". Check that schema.registry.url points at a Confluent-compatible schema registry.");
    }

    private SchemaRegistryException errorFor(URI base, Call call, int status, String body) {
        int errorCode = 0;
        String serverMessage = quote(body);
        try {
            JsonNode error = JSON.readTree(body);
            if (error != null && error.isObject()) {
                errorCode = error.path("error_code").asInt(0);
                serverMessage = error.path("message").asText(serverMessage);
            }
        } catch (JsonProcessingException e) {
            // not every proxy in front of a registry answers in JSON; the raw body is quoted instead
        }
        String message = "schema registry at " + base + " " + call.rejection + ": " + status + " " + meaning(status, errorCode)
                + (errorCode != 0 ? " (error_code " + errorCode + ")" : "") + ": " + sentence(serverMessage)
                + " " + advice(call, status) + ".";
        return new SchemaRegistryException(message, status, errorCode);
    }

    private static String meaning(int status, int errorCode) {
        return switch (status) {
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> switch (errorCode) {
                case 40401 -> "subject not found";
                case 40402 -> "version not found";
                case 40403 -> "schema not found";
                default -> "not found";
            };
            case 408 -> "request timeout";
            case 409 -> "incompatible with an earlier version";
            case 422 -> switch (errorCode) {
                case 42201 -> "invalid schema";
                case 42202 -> "invalid version";
                case 42203 -> "invalid compatibility level";
                default -> "unprocessable request";
            };
            case 429 -> "too many requests";
            default -> status >= 500 ? "server error" : "unexpected answer";
        };
    }

    private String advice(Call call, int status) {
        if (status == 401 || status == 403) {
            return authorization.isPresent()
                    ? "Check the credentials in basic.auth.user.info (user:password) and that this user may use the registry"
                    : "The registry needs credentials: set basic.auth.user.info=user:password";
        }
        if (status == 404) {
            return capitalize(call.notFoundAdvice);
        }
        if (status == 409) {
            return "Make the change compatible (for example give every new field a default) or change the subject's"
                    + " compatibility level, then retry";
        }
        if (status == 422) {
            return "Fix the schema (or the request) so that the registry accepts it";
        }
        if (isRetryable(status)) {
            return "The registry is failing or overloaded; check its health";
        }
        return "Check that schema.registry.url points at a Confluent-compatible schema registry";
    }

    private static boolean isRetryable(int status) {
        return status >= 500 || status == 429 || status == 408;
    }

    private long backoffMs(int attempt) {
        if (initialBackoffMs <= 0) {
            return 0;
        }
        long capped = (long) Math.min(initialBackoffMs * Math.pow(2, attempt - 1), maxBackoffMs);
        // Half fixed, half random: clients that failed together do not all come back at the same instant.
        return capped / 2 + ThreadLocalRandom.current().nextLong(capped - capped / 2 + 1);
    }

    private static void pause(long delayMs, Call call) {
        if (delayMs <= 0) {
            return;
        }
        try {
            Thread.sleep(delayMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("interrupted while waiting to retry: could not " + call.goal, e);
        }
    }

    /** Runs {@code load} once per key; a failed load is forgotten so that a later call tries again. */
    private static <K, V> V cached(ConcurrentMap<K, CompletableFuture<V>> cache, K key, Supplier<V> load) {
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> existing = cache.putIfAbsent(key, mine);
        if (existing == null) {
            try {
                V value = load.get();
                mine.complete(value);
                return value;
            } catch (RuntimeException | Error e) {
                cache.remove(key, mine);
                mine.completeExceptionally(e);
                throw e;
            }
        }
        try {
            return existing.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof SchemaRegistryException cause) {
                throw new SchemaRegistryException(cause.getMessage(), cause.status(), cause.errorCode(), cause);
            }
            throw new SchemaRegistryException("schema registry request failed: " + describe(e.getCause()), e.getCause());
        }
    }

    static String encodePathSegment(String segment) {
        // URLEncoder is for forms: it writes a space as '+', which in a path would be a literal plus.
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static List<URI> parseUrls(String urls) {
        if (urls == null || urls.isBlank()) {
            throw new IllegalArgumentException("no schema registry URL given: set schema.registry.url to"
                    + " http://host:port (several may be given, comma-separated)");
        }
        List<URI> result = new ArrayList<>();
        for (String part : urls.split(",")) {
            String url = part.trim();
            while (url.endsWith("/")) {
                url = url.substring(0, url.length() - 1);
            }
            if (url.isEmpty()) {
                continue;
            }
            URI uri;
            try {
                uri = URI.create(url);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("schema registry URL '" + url + "' is not a valid URL (" + e.getMessage()
                        + "); write it as http://host:port or https://host:port", e);
            }
            if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("schema registry URL '" + url
                        + "' is not an http or https URL with a host; write it as http://host:port or https://host:port");
            }
            result.add(uri);
        }
        if (result.isEmpty()) {
            throw new IllegalArgumentException("schema registry URL list '" + urls + "' names no URL; write http://host:port");
        }
        return List.copyOf(result);
    }

    private static String basicAuth(String userInfo) {
        if (userInfo.indexOf(':') < 0) {
            throw new IllegalArgumentException("basic.auth.user.info must be 'user:password', but has no ':'");
        }
        return "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    }

    private static String describe(Throwable e) {
        if (e == null) {
            return "unknown error";
        }
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : " (" + message + ")");
    }

    private static String quote(String body) {
        if (body == null || body.isBlank()) {
            return "(empty body)";
        }
        String text = body.strip();
        return text.length() <= MAX_QUOTED_BODY ? text : text.substring(0, MAX_QUOTED_BODY) + "…";
    }

    private static String sentence(String text) {
        return text.endsWith(".") ? text : text + ".";
    }

    private static String capitalize(String text) {
        return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    @Override
    public String toString() {
        return "HttpSchemaRegistry" + baseUrls;
    }

    /** Settings of an {@link HttpSchemaRegistry}; every setting has a default. */
    public static final class Builder {
        private final String urls;
        private String basicAuthUserInfo;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;

        private Builder(String urls) {
            this.urls = urls;
        }

        /** HTTP basic-auth credentials as {@code user:password}; null or blank for none. */
        public Builder basicAuthUserInfo(String userInfo) {
            this.basicAuthUserInfo = userInfo == null || userInfo.isBlank() ? null : userInfo;
            return this;
        }

        /** How long one request (and one connection attempt) may take. */
        public Builder requestTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("schema registry request timeout must be positive, was " + timeout);
            }
            this.requestTimeout = timeout;
            return this;
        }

        /** How many times a request is tried in all before giving up on 5xx, 429, timeouts and connection errors. */
        public Builder maxAttempts(int attempts) {
            if (attempts < 1) {
                throw new IllegalArgumentException("schema registry max attempts must be at least 1, was " + attempts);
            }
            this.maxAttempts = attempts;
            return this;
        }

        /** Back-off before the second attempt; it doubles for each further attempt, up to {@link #maxBackoff}. */
        public Builder initialBackoff(Duration backoff) {
            if (backoff.isNegative()) {
                throw new IllegalArgumentException("schema registry retry back-off must not be negative, was " + backoff);
            }
            this.initialBackoff = backoff;
            return this;
        }

        /** Upper bound of the back-off between two attempts. */
        public Builder maxBackoff(Duration backoff) {
            if (backoff.isNegative()) {
                throw new IllegalArgumentException("schema registry maximum retry back-off must not be negative, was " + backoff);
            }
            this.maxBackoff = backoff;
            return this;
        }

        public HttpSchemaRegistry build() {
            return new HttpSchemaRegistry(this);
        }
    }
}

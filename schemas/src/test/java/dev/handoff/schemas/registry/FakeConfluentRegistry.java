package dev.handoff.schemas.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.SchemaParseException;

/**
 * A Confluent-compatible schema registry on loopback, just large enough for the client's tests: it
 * records every request and can be told to answer the next requests (or all) with given errors.
 */
final class FakeConfluentRegistry implements AutoCloseable {

    record Request(String method, String rawPath, String contentType, String accept, String authorization, String body) {}

    record Reply(int status, String body) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Deque<Reply> scripted = new ConcurrentLinkedDeque<>();
    private volatile Reply always;
    private volatile CountDownLatch holdFirst;
    private volatile long delayMillis;
    private final AtomicInteger nextId = new AtomicInteger(100);
    private final Map<String, Integer> idsByCanonicalForm = new ConcurrentHashMap<>();
    private final Map<Integer, String> schemasById = new ConcurrentHashMap<>();

    FakeConfluentRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<Request> requests() {
        return requests;
    }

    /** The next request gets this answer instead of the normal one. */
    FakeConfluentRegistry thenReply(int status, String body) {
        scripted.add(new Reply(status, body));
        return this;
    }

    /** Every request gets this answer. */
    void alwaysReply(int status, String body) {
        always = new Reply(status, body);
    }

    /** The first request is held until the returned latch is released (or 10 s pass). */
    CountDownLatch holdFirstRequest() {
        CountDownLatch latch = new CountDownLatch(1);
        holdFirst = latch;
        return latch;
    }

    /** Every answer is delayed, to make concurrent callers overlap. */
    void delayEveryReply(long millis) {
        delayMillis = millis;
    }

    /** Stores a schema as if another client had registered it, returning its id. */
    int store(Schema schema) {
        return idFor(schema);
    }

    static String error(int errorCode, String message) {
        return "{\"error_code\":" + errorCode + ",\"message\":\"" + message + "\"}";
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            boolean first = requests.isEmpty();
            requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                    exchange.getRequestHeaders().getFirst("Content-Type"), exchange.getRequestHeaders().getFirst("Accept"),
                    exchange.getRequestHeaders().getFirst("Authorization"), body));
            awaitHoldAndDelay(first);
            Reply reply = scripted.poll();
            if (reply == null) {
                reply = always != null ? always : answer(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), body);
            }
            byte[] bytes = reply.body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/vnd.schemaregistry.v1+json");
            exchange.sendResponseHeaders(reply.status, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        } catch (IOException e) {
            // the client gave up on this request (a timeout test); nothing to answer
        }
    }

    private void awaitHoldAndDelay(boolean first) {
        try {
            CountDownLatch hold = holdFirst;
            if (first && hold != null) {
                hold.await(10, TimeUnit.SECONDS);
            }
            if (delayMillis > 0) {
                Thread.sleep(delayMillis);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Reply answer(String method, String path, String body) throws IOException {
        if (method.equals("POST") && path.startsWith("/subjects/") && path.endsWith("/versions")) {
            String text = JSON.readTree(body).path("schema").asText();
            Schema schema;
            try {
                schema = new Schema.Parser().parse(text);
            } catch (SchemaParseException e) {
                return new Reply(422, error(42201, "Invalid schema"));
            }
            return new Reply(200, "{\"id\":" + idFor(schema) + "}");
        }
        if (method.equals("GET") && path.startsWith("/schemas/ids/")) {
            int id = Integer.parseInt(path.substring("/schemas/ids/".length()));
            String text = schemasById.get(id);
            if (text == null) {
                return new Reply(404, error(40403, "Schema " + id + " not found"));
            }
            return new Reply(200, JSON.writeValueAsString(Map.of("schema", text, "schemaType", "AVRO")));
        }
        return new Reply(404, error(404, "HTTP 404 Not Found"));
    }

    private int idFor(Schema schema) {
        int id = idsByCanonicalForm.computeIfAbsent(SchemaNormalization.toParsingForm(schema), k -> nextId.getAndIncrement());
        schemasById.putIfAbsent(id, schema.toString());
        return id;
    }

    @Override
    public void close() {
        CountDownLatch hold = holdFirst;
        if (hold != null) {
            hold.countDown();
        }
        server.stop(0);
        executor.shutdownNow();
    }
}

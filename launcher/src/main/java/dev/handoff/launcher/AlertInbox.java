package dev.handoff.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The local mode's alert receiver: a webhook endpoint on loopback that the alerter delivers to, counting what
 * arrives by kind and honouring {@code Idempotency-Key} as webhook receivers must. {@code GET /} lists the counts.
 */
final class AlertInbox implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final Map<String, AtomicLong> byKind = new ConcurrentHashMap<>();
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    AlertInbox(int port) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on port " + port + " for the local alert receiver (--alerts-port)", e);
        }
        server.createContext("/alerts", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
            if (key == null || seen.add(key)) {
                try {
                    JsonNode doc = JSON.readTree(body);
                    String kind = doc.path("kind").asText("UNKNOWN") + ("RESOLVE".equals(doc.path("action").asText()) ? " (resolve)" : "");
                    byKind.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
                } catch (IOException e) {
                    byKind.computeIfAbsent("UNREADABLE", k -> new AtomicLong()).incrementAndGet();
                }
            }
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.createContext("/", exchange -> {
            byte[] out = JSON.writeValueAsBytes(counts());
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, out.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(out);
            }
        });
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "alert-inbox");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/alerts";
    }

    int port() {
        return server.getAddress().getPort();
    }

    Map<String, Long> counts() {
        Map<String, Long> out = new TreeMap<>();
        byKind.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    long total() {
        return byKind.values().stream().mapToLong(AtomicLong::get).sum();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

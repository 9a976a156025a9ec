package dev.handoff.alerter;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A real HTTP endpoint on loopback standing in for a webhook receiver: records every request and answers from a
 * per-path script (the n-th request to a path gets {@code script.apply(n)}). A receiver that honours
 * {@code Idempotency-Key} as documented: {@link #accepted} counts each key once.
 */
final class Receiver implements AutoCloseable {

    record Request(String path, Map<String, List<String>> headers, String body, int status) {
        String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name)) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }
    }

    /** A scripted answer: a status, an optional Retry-After, or a hang of {@code hangMillis} before answering. */
    record Answer(int status, String retryAfter, long hangMillis, String body) {
        static Answer ok() {
            return new Answer(200, null, 0, "ok");
        }

        static Answer status(int status) {
            return new Answer(status, null, 0, "status " + status);
        }
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, IntFunction<Answer>> scripts = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

    Receiver() throws IOException {
        this(0);
    }

    Receiver(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.createContext("/", this::handle);
        server.start();
    }

    URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    void script(String path, IntFunction<Answer> script) {
        scripts.put(path, script);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        int n = counts.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
        Answer a = scripts.getOrDefault(path, i -> Answer.ok()).apply(n);
        requests.add(new Request(path, Map.copyOf(exchange.getRequestHeaders()), body, a.status()));
        if (a.hangMillis() > 0) {
            try {
                Thread.sleep(a.hangMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (a.retryAfter() != null) {
            exchange.getResponseHeaders().add("Retry-After", a.retryAfter());
        }
        byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
        try {
            exchange.sendResponseHeaders(a.status(), out.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(out);
            }
        } catch (IOException clientGone) {
            // the alerter timed out and closed the connection
        }
    }

    List<Request> requests(String path) {
        List<Request> out = new ArrayList<>();
        for (Request r : requests) {
            if (r.path().equals(path)) {
                out.add(r);
            }
        }
        return out;
    }

    /** Distinct idempotency keys answered with 2xx on {@code path}: what a deduplicating receiver acted on. */
    List<String> accepted(String path) {
        return requests(path).stream().filter(r -> r.status() / 100 == 2).map(r -> r.header("Idempotency-Key")).distinct().toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

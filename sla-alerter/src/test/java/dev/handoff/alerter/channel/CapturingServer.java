package dev.handoff.alerter.channel;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A real HTTP endpoint on loopback standing in for Slack, Teams or a webhook receiver: it records every request as it
 * arrived (raw body bytes, headers) and answers what the test told it to, or never answers at all.
 */
final class CapturingServer implements AutoCloseable {

    /** The path part of {@link #url()}: it plays the secret that webhook URLs carry, which must never be shown. */
    static final String SECRET_PATH = "/services/T0000/B0000/s3cr3tT0k3nXyZ";

    record Request(String method, String path, Map<String, List<String>> headers, byte[] body) {

        String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private record Reply(int status, String body, String[] headers) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile Reply reply = new Reply(200, "ok", new String[0]);
    private volatile boolean silent;

    CapturingServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + SECRET_PATH);
    }

    /** Answers every request with {@code status}, {@code body} and header name/value pairs. */
    CapturingServer reply(int status, String body, String... headers) {
        reply = new Reply(status, body, headers);
        return this;
    }

    /** Reads each request and then never answers (until closed). */
    CapturingServer neverAnswer() {
        silent = true;
        return this;
    }

    List<Request> requests() {
        return requests;
    }

    /** The one request the test expected. */
    Request only() {
        assertEquals(1, requests.size(), "requests received");
        return requests.get(0);
    }

    /** A loopback URL where nothing listens: a port that was free a moment ago. */
    static URI closedPort() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        return URI.create("http://127.0.0.1:" + port + SECRET_PATH);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes();
            Map<String, List<String>> headers = new java.util.HashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
            requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), headers, body));
            if (silent) {
                closing.await(30, TimeUnit.SECONDS);
                return;
            }
            Reply r = reply;
            for (int i = 0; i + 1 < r.headers().length; i += 2) {
                exchange.getResponseHeaders().add(r.headers()[i], r.headers()[i + 1]);
            }
            byte[] out = r.body() == null ? new byte[0] : r.body().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(r.status(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(out);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}

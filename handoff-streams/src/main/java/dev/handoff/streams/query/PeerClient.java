package dev.handoff.streams.query;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.streams.state.HostInfo;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Calls the internal endpoints of the other instances of the application, each call bounded by one timeout. */
final class PeerClient {

    /** A peer's answer: its status and JSON body (an {@code {"error": ...}} object when it failed). */
    record Response(int status, JsonNode body) {

        String error() {
            String message = Json.text(body, "error");
            return message == null ? "HTTP " + status : message;
        }
    }

    private final HttpClient http;
    private final Duration timeout;

    PeerClient(Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    Duration timeout() {
        return timeout;
    }

    /** Starts a GET of {@code path} (already encoded) on {@code host}; the future fails if the peer does not answer in time. */
    CompletableFuture<Response> get(HostInfo host, String path) {
        HttpRequest request = HttpRequest.newBuilder(uri(host, path))
                .timeout(timeout)
                .header("Accept", "application/json")
                .GET()
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .thenApply(r -> new Response(r.statusCode(), body(r)));
    }

    /**
     * Waits for a started call. The request timeout covers the exchange; the extra second only guards
     * against a client that never completes the future, so a handler thread is never held for long.
     */
    Response await(CompletableFuture<Response> call) throws PeerFailure {
        try {
            return call.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new PeerFailure(cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw new PeerFailure("no answer within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerFailure("interrupted while waiting", e);
        }
    }

    /** {@code host:port}, as {@code application.server} spells it (HostInfo's own toString is for debugging). */
    static String endpoint(HostInfo host) {
        return host.host() + ":" + host.port();
    }

    static String segment(String raw) {
        return URLEncoder.encode(raw, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static URI uri(HostInfo host, String path) {
        String name = host.host().contains(":") && !host.host().startsWith("[") ? "[" + host.host() + "]" : host.host();
        return URI.create("http://" + name + ":" + host.port() + path);
    }

    private static JsonNode body(HttpResponse<String> response) {
        try {
            return Json.read(response.body());
        } catch (IllegalArgumentException e) {
            // A proxy or a foreign server may answer with HTML: keep the status, describe the body.
            return Json.object().put("error", "HTTP " + response.statusCode() + " with a body that is not JSON");
        }
    }

    /** The peer could not be reached or did not answer in time. */
    static final class PeerFailure extends Exception {
        PeerFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}

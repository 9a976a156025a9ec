package dev.handoff.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/** The HTTP calls of the subcommands to the local services, with failures worded for the terminal. */
final class LocalHttp {

    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    /** An HTTP answer: status and body. */
    record Answer(int status, String body) {

        boolean ok() {
            return status >= 200 && status < 300;
        }

        /** The body as JSON; an empty object when it is not JSON. */
        JsonNode json() {
            try {
                JsonNode node = MAPPER.readTree(body);
                return node == null ? MAPPER.createObjectNode() : node;
            } catch (IOException e) {
                return MAPPER.createObjectNode();
            }
        }

        /** For a 401 or 403, where the token sent came from; otherwise nothing. */
        String authHint(RunOptions run) {
            return status == 401 || status == 403 ? "; check " + (run.tokenGiven() ? "--token" : "the token in " + run.file()) : "";
        }

        /** The service's own reason: the {@code error} field of a JSON answer, else the body. */
        String reason() {
            JsonNode error = json().get("error");
            if (error != null && error.isTextual()) {
                return error.asText();
            }
            String text = body == null ? "" : body.strip();
            return text.isEmpty() ? "no reason given" : text.length() > 300 ? text.substring(0, 300) + "…" : text;
        }
    }

    /** {@code value} as one URL path segment. */
    static String segment(String value) {
        return java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** GET {@code url}; {@code service} names what answers it in errors ("the query API"). */
    Answer get(String url, String service) {
        return send(HttpRequest.newBuilder(uri(url, service)).timeout(TIMEOUT).GET().build(), url, service);
    }

    /** POST a JSON body with a bearer token. */
    Answer postJson(String url, String token, String json, String service) {
        HttpRequest request = HttpRequest.newBuilder(uri(url, service)).timeout(TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
        return send(request, url, service);
    }

    /** POST a file's bytes with a bearer token, allowing {@code timeout} for a large upload. */
    Answer postBytes(String url, String token, byte[] body, Duration timeout, String service) {
        HttpRequest request = HttpRequest.newBuilder(uri(url, service)).timeout(timeout)
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return send(request, url, service);
    }

    private Answer send(HttpRequest request, String url, String service) {
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body());
        } catch (ConnectException e) {
            throw new CommandFailure("cannot reach " + service + " at " + url + " (connection refused): is the local Handoff running?");
        } catch (HttpTimeoutException e) {
            throw new CommandFailure(service + " at " + url + " did not answer within "
                    + request.timeout().orElse(TIMEOUT).toSeconds() + " s");
        } catch (IOException e) {
            throw new CommandFailure("cannot reach " + service + " at " + url + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailure("interrupted while calling " + service);
        }
    }

    private static URI uri(String url, String service) {
        try {
            URI uri = URI.create(url);
            if (uri.getHost() == null || !(url.startsWith("http://") || url.startsWith("https://"))) {
                throw new IllegalArgumentException("not an absolute http(s) URL");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new CommandFailure("the address of " + service + " is not an http(s) URL: '" + url + "'");
        }
    }
}

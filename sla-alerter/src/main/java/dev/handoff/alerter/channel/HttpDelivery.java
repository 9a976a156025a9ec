package dev.handoff.alerter.channel;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;

/**
 * One HTTP POST of a JSON payload, and what its answer means for delivery: 2xx delivered; 408, 429 (honouring
 * {@code Retry-After}, in seconds or as an HTTP date) and 5xx retry; any other 4xx fails for good, keeping the
 * response; timeouts and connection errors retry. Shared by the HTTP channels; one instance per JVM is enough.
 */
public final class HttpDelivery {

    /** The longest response body kept for the dead-letter record. */
    public static final int KEPT_RESPONSE_CHARS = 2_000;

    private final HttpClient client;

    public HttpDelivery() {
        this(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build());
    }

    public HttpDelivery(HttpClient client) {
        this.client = client;
    }

    /** POSTs {@code json} to {@code url} with {@code headers} (Content-Type is set) within {@code timeout}. */
    public DeliveryResult postJson(URI url, byte[] json, Map<String, String> headers, Duration timeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(url)
                .timeout(timeout)
                .header("Content-Type", "application/json; charset=utf-8")
                .header("User-Agent", "handoff-sla-alerter")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json));
        headers.forEach(request::header);
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpTimeoutException e) {
            return DeliveryResult.retry("no answer within " + timeout + " from " + redact(url));
        } catch (IOException e) {
            return DeliveryResult.retry("cannot reach " + redact(url) + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return DeliveryResult.retry("interrupted while delivering to " + redact(url));
        }
        return interpret(response.statusCode(), response.body(), response.headers().firstValue("Retry-After"), Instant.now());
    }

    /** What a status code means for delivery. */
    public static DeliveryResult interpret(int status, String body, Optional<String> retryAfter, Instant now) {
        String kept = body == null ? "" : body.length() > KEPT_RESPONSE_CHARS ? body.substring(0, KEPT_RESPONSE_CHARS) + "…" : body;
        if (status >= 200 && status < 300) {
            return DeliveryResult.delivered("HTTP " + status);
        }
        if (status == 429) {
            return new DeliveryResult.Retry("rate limited (HTTP 429)", retryAfter.flatMap(v -> retryAfter(v, now)));
        }
        if (status == 408 || status >= 500) {
            return new DeliveryResult.Retry("HTTP " + status + (kept.isBlank() ? "" : ": " + kept), retryAfter.flatMap(v -> retryAfter(v, now)));
        }
        return new DeliveryResult.Failed("HTTP " + status + (kept.isBlank() ? "" : ": " + kept), status, kept);
    }

    /** A {@code Retry-After} value: delay-seconds or an HTTP date (RFC 9110 section 10.2.3). */
    static Optional<Duration> retryAfter(String value, Instant now) {
        String v = value.trim();
        try {
            long seconds = Long.parseLong(v);
            return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                return Optional.of(at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO);
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }

    /** The URL without path and query: webhook URLs carry their secret in the path, so logs and receipts never show it. */
    public static String redact(URI url) {
        return url.getScheme() + "://" + url.getAuthority() + "/…";
    }
}

package dev.handoff.alerter.channel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpDeliveryTest {

    private static final Instant NOW = Instant.parse("2026-11-23T09:00:00Z");

    private static DeliveryResult interpret(int status, String body, String retryAfter) {
        return HttpDelivery.interpret(status, body, Optional.ofNullable(retryAfter), NOW);
    }

    @ParameterizedTest
    @ValueSource(ints = {200, 201, 202, 204, 299})
    void anySuccessIsDelivered(int status) {
        assertEquals(new DeliveryResult.Delivered("HTTP " + status), interpret(status, "ok", null));
    }

    @ParameterizedTest
    @ValueSource(ints = {408, 500, 502, 503, 504, 599})
    void timeoutsAndServerErrorsAreRetried(int status) {
        DeliveryResult.Retry retry = assertInstanceOf(DeliveryResult.Retry.class, interpret(status, "upstream hiccup", null));
        assertEquals("HTTP " + status + ": upstream hiccup", retry.reason());
        assertEquals(Optional.empty(), retry.retryAfter());
    }

    @Test
    void rateLimitIsRetriedAfterTheSecondsGiven() {
        DeliveryResult.Retry retry = assertInstanceOf(DeliveryResult.Retry.class, interpret(429, "rate_limited", "7"));
        assertEquals("rate limited (HTTP 429)", retry.reason());
        assertEquals(Optional.of(Duration.ofSeconds(7)), retry.retryAfter());
    }

    @Test
    void unavailableHonoursRetryAfterToo() {
        DeliveryResult.Retry retry = assertInstanceOf(DeliveryResult.Retry.class, interpret(503, "", "120"));
        assertEquals("HTTP 503", retry.reason(), "an empty body adds nothing to the reason");
        assertEquals(Optional.of(Duration.ofMinutes(2)), retry.retryAfter());
    }

    @Test
    void rateLimitWithoutRetryAfterLeavesTheDelayToTheDispatcher() {
        DeliveryResult.Retry retry = assertInstanceOf(DeliveryResult.Retry.class, interpret(429, "", null));
        assertEquals(Optional.empty(), retry.retryAfter());
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 401, 403, 404, 405, 410, 413, 422, 301, 302})
    void otherAnswersFailForGoodKeepingTheResponse(int status) {
        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, interpret(status, "invalid_blocks", null));
        assertEquals(status, failed.status());
        assertEquals("invalid_blocks", failed.response());
        assertEquals("HTTP " + status + ": invalid_blocks", failed.reason());
    }

    @Test
    void keptResponseIsCapped() {
        String huge = "e".repeat(HttpDelivery.KEPT_RESPONSE_CHARS + 500);
        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, interpret(400, huge, null));
        assertEquals(HttpDelivery.KEPT_RESPONSE_CHARS + 1, failed.response().length());
        assertTrue(failed.response().endsWith("…"));
    }

    @Test
    void missingBodyIsKeptAsEmpty() {
        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, interpret(404, null, null));
        assertEquals("", failed.response());
        assertEquals("HTTP 404", failed.reason());
    }

    @Test
    void retryAfterInSeconds() {
        assertEquals(Optional.of(Duration.ofSeconds(7)), HttpDelivery.retryAfter("7", NOW));
        assertEquals(Optional.of(Duration.ofSeconds(7)), HttpDelivery.retryAfter(" 7 ", NOW));
        assertEquals(Optional.of(Duration.ZERO), HttpDelivery.retryAfter("0", NOW));
        assertEquals(Optional.empty(), HttpDelivery.retryAfter("-3", NOW), "a negative delay is not a delay");
    }

    @Test
    void retryAfterAsHttpDate() {
        assertEquals(Optional.of(Duration.ofSeconds(90)), HttpDelivery.retryAfter("Mon, 23 Nov 2026 09:01:30 GMT", NOW));
        assertEquals(Optional.of(Duration.ZERO), HttpDelivery.retryAfter("Mon, 23 Nov 2026 08:59:00 GMT", NOW), "a date in the past means now");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "soon", "7s", "1.5", "23 Nov 2026", "99999999999999999999"})
    void garbageRetryAfterIsIgnored(String value) {
        assertEquals(Optional.empty(), HttpDelivery.retryAfter(value, NOW));
    }

    @Test
    void redactedUrlKeepsOnlySchemeAndAuthority() {
        URI slack = URI.create("https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX");
        assertEquals("https://hooks.slack.com/…", HttpDelivery.redact(slack));
        URI workflow = URI.create("https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SECRET");
        assertEquals("https://prod-12.westeurope.logic.azure.com:443/…", HttpDelivery.redact(workflow));
    }
}

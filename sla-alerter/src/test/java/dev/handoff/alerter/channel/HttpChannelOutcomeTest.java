package dev.handoff.alerter.channel;

import dev.handoff.alerter.Alert;
import dev.handoff.avro.ChannelType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every HTTP channel must make of real endpoint behaviour: the answers Slack, Teams and webhook receivers give,
 * silence, and a closed port. Each channel's test extends this with its own accepted answer.
 */
abstract class HttpChannelOutcomeTest {

    protected final HttpDelivery http = new HttpDelivery();
    protected CapturingServer server;

    abstract Channel channel();

    abstract ChannelType type();

    /** What the service answers when it takes the message. */
    abstract int acceptedStatus();

    abstract String acceptedBody();

    @BeforeEach
    void startServer() throws IOException {
        server = new CapturingServer();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    protected Target target() {
        return target(server.url(), Duration.ofSeconds(5));
    }

    protected Target target(URI url, Duration timeout) {
        return Alerts.target(type(), url, type() == ChannelType.WEBHOOK ? "whsec-test" : null, timeout);
    }

    protected DeliveryResult deliver(Alert alert) {
        return channel().deliver(target(), alert);
    }

    @Test
    void acceptedAnswerIsDelivered() {
        server.reply(acceptedStatus(), acceptedBody());
        DeliveryResult result = deliver(Alerts.ownerNotification());
        assertEquals(new DeliveryResult.Delivered("HTTP " + acceptedStatus()), result);
        CapturingServer.Request request = server.only();
        assertEquals("POST", request.method());
        assertEquals(CapturingServer.SECRET_PATH, request.path(), "posts to the configured URL, path included");
        assertTrue(request.header("Content-Type").startsWith("application/json"), request.header("Content-Type"));
    }

    @Test
    void serverErrorIsRetried() {
        server.reply(500, "internal_error");
        DeliveryResult.Retry retry = assertInstanceOf(DeliveryResult.Retry.class, deliver(Alerts.ownerNotification()));
        assertEquals(Optional.empty(), retry.retryAfter());
    }

    @Test
    void rateLimitIsRetriedAfterWhatTheEndpointSaid() {
        server.reply(429, "rate_limited", "Retry-After", "7");
        DeliveryResult.Retry retry = assertInstanceOf(DeliveryResult.Retry.class, deliver(Alerts.ownerNotification()));
        assertEquals(Optional.of(Duration.ofSeconds(7)), retry.retryAfter());
    }

    @Test
    void notFoundFailsForGoodKeepingTheResponse() {
        server.reply(404, "no_service");
        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, deliver(Alerts.ownerNotification()));
        assertEquals(404, failed.status());
        assertEquals("no_service", failed.response());
    }

    @Test
    void goneFailsForGoodKeepingTheResponse() {
        server.reply(410, "channel_is_archived");
        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, deliver(Alerts.ownerNotification()));
        assertEquals(410, failed.status());
        assertEquals("channel_is_archived", failed.response());
    }

    @Test
    void noAnswerWithinTheTargetTimeoutIsRetried() {
        server.neverAnswer();
        DeliveryResult result = channel().deliver(target(server.url(), Duration.ofMillis(300)), Alerts.ownerNotification());
        DeliveryResult.Retry retry = assertInstanceOf(DeliveryResult.Retry.class, result);
        assertTrue(retry.reason().startsWith("no answer within PT0.3S"), retry.reason());
        assertEquals(1, server.requests().size(), "the request did arrive; only the answer was missing");
        assertSecretUrlNotShown(result);
    }

    @Test
    void refusedConnectionIsRetried() throws IOException {
        DeliveryResult result = channel().deliver(target(CapturingServer.closedPort(), Duration.ofSeconds(5)), Alerts.ownerNotification());
        DeliveryResult.Retry retry = assertInstanceOf(DeliveryResult.Retry.class, result);
        assertTrue(retry.reason().startsWith("cannot reach http://127.0.0.1:"), retry.reason());
        assertSecretUrlNotShown(result);
    }

    @Test
    void targetWithoutUrlFailsWithoutCallingAnything() {
        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class,
                channel().deliver(target(null, Duration.ofSeconds(5)), Alerts.ownerNotification()));
        assertEquals(0, failed.status());
        assertTrue(failed.reason().contains("alerter.target." + target().name() + ".url"), failed.reason());
        assertTrue(server.requests().isEmpty());
    }

    @Test
    void targetOfAnotherTypeFailsWithoutCallingAnything() {
        ChannelType other = type() == ChannelType.SLACK ? ChannelType.TEAMS : ChannelType.SLACK;
        Target wrong = new Target("misfiled", other, server.url(), null, null, null, Duration.ofSeconds(5), 0);
        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, channel().deliver(wrong, Alerts.ownerNotification()));
        assertTrue(failed.reason().contains("alerter.target.misfiled.type"), failed.reason());
        assertTrue(server.requests().isEmpty());
    }

    @Test
    void reportsItsType() {
        assertEquals(type(), channel().type());
    }

    static void assertSecretUrlNotShown(DeliveryResult result) {
        assertFalse(result.toString().contains("s3cr3t"), () -> "webhook URL path leaked: " + result);
    }
}

package dev.handoff.alerter;

import dev.handoff.alerter.channel.Channel;
import dev.handoff.alerter.channel.DeliveryResult;
import dev.handoff.alerter.channel.Target;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.SeverityBand;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-target guards: concurrency, rate limit and circuit breaker, with a channel that answers as told. */
class DeliveriesTest {

    private final AtomicReference<DeliveryResult> answer = new AtomicReference<>(DeliveryResult.delivered("ok"));
    private final Channel channel = new Channel() {
        @Override
        public ChannelType type() {
            return ChannelType.WEBHOOK;
        }

        @Override
        public DeliveryResult deliver(Target target, Alert alert) {
            return answer.get();
        }

        @Override
        public boolean endpointDeduplicates() {
            return true;
        }
    };

    private static AlerterSettings settings(String... kv) {
        Map<String, String> m = new java.util.HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return AlerterSettings.from(m, Map.of());
    }

    private static Target target(int perMinute) {
        return new Target("hook", ChannelType.WEBHOOK, java.net.URI.create("http://127.0.0.1:9/x"), null, null, List.of(), Duration.ofSeconds(1), perMinute);
    }

    private static final Alert ALERT = new Alert(DispatchKind.SLA_ALERT, Alert.Action.TRIGGER, "a1", "k1", "d1", "h", "s", SeverityBand.HIGH,
            Instant.now(), null, List.of(), "BREACH");

    private Deliveries.Completion runOne(Deliveries d, Target t) throws InterruptedException {
        assertNull(d.mayStart(t));
        d.start(t, ALERT, "job", 0, 1);
        for (int i = 0; i < 200; i++) {
            Deliveries.Completion c = d.completed().poll();
            if (c != null) {
                return c;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no completion");
    }

    @Test
    void aTargetTakesNoMoreThanItsConcurrencyAndItsRatePerMinute() {
        try (Deliveries d = new Deliveries(Map.of(ChannelType.WEBHOOK, channel), settings("alerter.target.concurrency", "2"))) {
            Target t = target(0);
            assertNull(d.mayStart(t));
            assertNull(d.mayStart(t));
            assertEquals("busy", d.mayStart(t));
            d.release(t);
            assertNull(d.mayStart(t), "a released slot can be taken again");
        }
        try (Deliveries d = new Deliveries(Map.of(ChannelType.WEBHOOK, channel), settings("alerter.target.concurrency", "10"))) {
            Target t = target(3);
            for (int i = 0; i < 3; i++) {
                assertNull(d.mayStart(t));
            }
            assertEquals("rate limited", d.mayStart(t), "the fourth in the same minute waits");
        }
    }

    @Test
    void consecutiveTransientFailuresOpenTheCircuitAndPermanentRefusalsDoNot() throws Exception {
        try (Deliveries d = new Deliveries(Map.of(ChannelType.WEBHOOK, channel),
                settings("alerter.breaker.failures", "3", "alerter.breaker.open", "PT1H"))) {
            Target t = target(0);
            answer.set(new DeliveryResult.Failed("HTTP 404", 404, "no"));
            for (int i = 0; i < 4; i++) {
                assertInstanceOf(DeliveryResult.Failed.class, runOne(d, t).result());
            }
            assertEquals(CircuitBreaker.State.CLOSED, d.breakerState(t), "a 404 is the message's problem, not the endpoint's");
            answer.set(DeliveryResult.retry("HTTP 503"));
            for (int i = 0; i < 3; i++) {
                assertInstanceOf(DeliveryResult.Retry.class, runOne(d, t).result());
            }
            assertEquals(CircuitBreaker.State.OPEN, d.breakerState(t));
            assertEquals("circuit open", d.mayStart(t), "no attempt while open: the deliveries wait for the next try");
        }
    }

    @Test
    void aChannelThatThrowsCountsAsATransientFailure() throws Exception {
        Channel broken = new Channel() {
            @Override
            public ChannelType type() {
                return ChannelType.WEBHOOK;
            }

            @Override
            public DeliveryResult deliver(Target target, Alert alert) {
                throw new IllegalStateException("bug");
            }

            @Override
            public boolean endpointDeduplicates() {
                return false;
            }
        };
        try (Deliveries d = new Deliveries(Map.of(ChannelType.WEBHOOK, broken), settings())) {
            DeliveryResult r = runOne(d, target(0)).result();
            assertInstanceOf(DeliveryResult.Retry.class, r);
            assertTrue(((DeliveryResult.Retry) r).reason().contains("bug"));
        }
    }
}

package dev.handoff.alerter;

import dev.handoff.alerter.channel.Target;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The alerter's Micrometer meters (served as Prometheus text on {@code /metrics}):
 * <ul>
 *   <li>{@code handoff_alerter_deliveries_total{channel,target,kind,outcome}}: finished deliveries, outcome
 *       {@code delivered} or {@code failed} (given up: dead-lettered);</li>
 *   <li>{@code handoff_alerter_retries_total{channel,target,reason}}: attempts that will be retried;</li>
 *   <li>{@code handoff_alerter_possible_duplicates_total{channel,target}}: re-sends after a crash to a channel that
 *       cannot deduplicate (the recipient may see the message twice);</li>
 *   <li>{@code handoff_alerter_deduplicated_total{kind}}: requests dropped because the same (finding, kind,
 *       deadline) was already delivered or pending;</li>
 *   <li>{@code handoff_alerter_digest_size}: findings per digest;</li>
 *   <li>{@code handoff_alerter_delivery_seconds{channel}}: the time of one attempt;</li>
 *   <li>{@code handoff_alerter_pending}: schedule entries waiting (deliveries, digest items, escalation timers);</li>
 *   <li>{@code handoff_alerter_escalations_total{outcome}}: escalation steps sent, or stopped by an acknowledgement;</li>
 *   <li>consumer lag ({@code kafka_consumer_fetch_manager_records_lag_max}) from Micrometer's Kafka client binder.</li>
 * </ul>
 */
final class AlerterMetrics {

    private final MeterRegistry registry;
    private final AtomicLong pending = new AtomicLong();

    AlerterMetrics(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("handoff.alerter.pending", pending);
    }

    MeterRegistry registry() {
        return registry;
    }

    void delivered(Target t, String kind, String outcome) {
        Counter.builder("handoff.alerter.deliveries").tag("channel", channel(t)).tag("target", t.name()).tag("kind", kind)
                .tag("outcome", outcome).register(registry).increment();
    }

    void retry(Target t, String reason) {
        Counter.builder("handoff.alerter.retries").tag("channel", channel(t)).tag("target", t.name()).tag("reason", reason)
                .register(registry).increment();
    }

    void possibleDuplicate(Target t) {
        Counter.builder("handoff.alerter.possible.duplicates").tag("channel", channel(t)).tag("target", t.name())
                .register(registry).increment();
    }

    void deduplicated(String kind) {
        Counter.builder("handoff.alerter.deduplicated").tag("kind", kind).register(registry).increment();
    }

    void escalation(String outcome) {
        Counter.builder("handoff.alerter.escalations").tag("outcome", outcome).register(registry).increment();
    }

    void digest(int size) {
        DistributionSummary.builder("handoff.alerter.digest.size").register(registry).record(size);
    }

    void attempt(Target t, long millis) {
        Timer.builder("handoff.alerter.delivery").tag("channel", channel(t)).register(registry).record(Duration.ofMillis(millis));
    }

    void pending(long n) {
        pending.set(n);
    }

    private static String channel(Target t) {
        return t.type().name().toLowerCase(Locale.ROOT);
    }
}

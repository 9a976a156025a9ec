package dev.handoff.alerter;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.alerter.channel.Channel;
import dev.handoff.alerter.channel.DeliveryResult;
import dev.handoff.alerter.channel.HttpDelivery;
import dev.handoff.alerter.channel.Target;
import dev.handoff.avro.ChannelType;

import java.util.Map;

/**
 * A plain JSON webhook for the dispatcher's tests, posting over real HTTP through {@link HttpDelivery} with the
 * {@code Idempotency-Key} header; the payload carries what the tests check (kind, action, findings, recipient).
 */
final class TestWebhook implements Channel {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpDelivery http = new HttpDelivery();

    @Override
    public ChannelType type() {
        return ChannelType.WEBHOOK;
    }

    @Override
    public DeliveryResult deliver(Target target, Alert alert) {
        ObjectNode body = JSON.createObjectNode()
                .put("kind", alert.kind().name())
                .put("action", alert.action().name())
                .put("alert_id", alert.alertId())
                .put("headline", alert.headline())
                .put("recipient", alert.recipient() == null ? null : alert.recipient().ownerId());
        var items = body.putArray("items");
        alert.items().forEach(i -> items.addObject().put("finding_id", i.findingId()).put("ack_link", i.ackLink()));
        try {
            return http.postJson(target.url(), JSON.writeValueAsBytes(body), Map.of("Idempotency-Key", alert.idempotencyKey()), target.timeout());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean endpointDeduplicates() {
        return true;
    }
}

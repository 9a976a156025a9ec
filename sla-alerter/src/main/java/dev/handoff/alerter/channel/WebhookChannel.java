package dev.handoff.alerter.channel;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.alerter.Alert;
import dev.handoff.avro.ChannelType;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The generic webhook: POSTs a stable, versioned JSON document of the alert, signed with HMAC-SHA256 when the target has
 * a secret, and carrying the alert's idempotency key so the receiver can drop a repeat. The document and the receiver's
 * side are described in docs/alerter/channels-webhook-slack-teams.md; a field is only ever added within one
 * {@link #SCHEMA_VERSION}.
 */
public final class WebhookChannel implements Channel {

    /** The version of the JSON document; raised only when a field changes meaning or disappears. */
    public static final int SCHEMA_VERSION = 1;
    public static final String IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
    public static final String TIMESTAMP_HEADER = "X-Handoff-Timestamp";
    public static final String SIGNATURE_HEADER = "X-Handoff-Signature";

    private final HttpDelivery http;
    private final Clock clock;

    public WebhookChannel(HttpDelivery http) {
        this(http, Clock.systemUTC());
    }

    /** With the clock the signature timestamp is read from. */
    public WebhookChannel(HttpDelivery http, Clock clock) {
        this.http = http;
        this.clock = clock;
    }

    @Override
    public ChannelType type() {
        return ChannelType.WEBHOOK;
    }

    @Override
    public DeliveryResult deliver(Target target, Alert alert) {
        Optional<DeliveryResult> misconfigured = JsonChannels.misconfigured(target, ChannelType.WEBHOOK);
        if (misconfigured.isPresent()) {
            return misconfigured.get();
        }
        byte[] body = JsonChannels.bytes(document(alert));
        // Signed per attempt, so a retry hours later still passes the receiver's freshness check.
        long timestamp = clock.instant().getEpochSecond();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(IDEMPOTENCY_KEY_HEADER, alert.idempotencyKey());
        headers.put(TIMESTAMP_HEADER, Long.toString(timestamp));
        if (!JsonChannels.blank(target.secret())) {
            headers.put(SIGNATURE_HEADER, "sha256=" + sign(target.secret(), timestamp, body));
        }
        return JsonChannels.post(http, target, body, headers);
    }

    /** The receiver drops a repeated Idempotency-Key (a documented requirement for webhook receivers). */
    @Override
    public boolean endpointDeduplicates() {
        return true;
    }

    /** The JSON document for {@code alert}: every key is always present, absent values are null. */
    static ObjectNode document(Alert alert) {
        ObjectNode doc = JsonChannels.object();
        doc.put("schema_version", SCHEMA_VERSION);
        doc.put("kind", alert.kind().name());
        doc.put("action", alert.action().name());
        doc.put("alert_id", alert.alertId());
        doc.put("idempotency_key", alert.idempotencyKey());
        doc.put("dedup_key", alert.dedupKey());
        doc.put("headline", alert.headline());
        doc.put("summary", alert.summary());
        doc.put("band", alert.band().name());
        doc.put("occurred_at", JsonChannels.iso(alert.occurredAt()));
        doc.put("level", alert.level());
        Alert.Recipient r = alert.recipient();
        if (r == null) {
            doc.putNull("recipient");
        } else {
            doc.putObject("recipient")
                    .put("owner_id", r.ownerId())
                    .put("display_name", r.displayName())
                    .put("email", r.email());
        }
        ArrayNode items = doc.putArray("items");
        for (Alert.Item item : alert.items()) {
            ObjectNode i = items.addObject()
                    .put("finding_id", item.findingId())
                    .put("title", item.title())
                    .put("band", item.band().name())
                    .put("target", item.target())
                    .put("deadline", JsonChannels.iso(item.deadline()))
                    .put("ack_link", item.ackLink());
            ArrayNode ids = i.putArray("vulnerability_ids");
            item.vulnerabilityIds().forEach(ids::add);
            ArrayNode modes = i.putArray("failure_modes");
            item.failureModes().forEach(modes::add);
        }
        return doc;
    }

    /** Lower-case hex HMAC-SHA256, keyed with the UTF-8 secret, over {@code "<timestamp>.<body bytes>"}. */
    static String sign(String secret, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((timestamp + ".").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
        }
    }
}

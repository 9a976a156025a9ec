package dev.handoff.alerter.channel;

import dev.handoff.alerter.Alert;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.SeverityBand;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Alerts and targets the channel tests render and deliver. */
final class Alerts {

    static final Instant OCCURRED = Instant.parse("2026-11-23T09:15:00Z");
    static final Instant DEADLINE = Instant.parse("2026-11-23T13:15:00Z");
    static final String ACK_LINK = "https://handoff.example.com/ack/f-7c1e?o=alice&exp=1795000000&sig=Q2hhbmdlTWU";

    private Alerts() {
    }

    static Alert.Recipient alice() {
        return new Alert.Recipient("alice", "Alice Example", "alice@example.com", "U024BE7LH", "alice@example.com");
    }

    static Alert.Item item(String findingId, String title, SeverityBand band) {
        return new Alert.Item(findingId, title, band, "payments-api.prod.example.com:443", DEADLINE,
                ACK_LINK.replace("f-7c1e", findingId), List.of("CVE-2026-1234", "GHSA-abcd-efgh-ijkl"), List.of("DECAYED_ROUTING"));
    }

    /** One finding, routed to Alice, a handoff deadline, an acknowledgement link. */
    static Alert ownerNotification() {
        return new Alert(DispatchKind.OWNER_NOTIFICATION, Alert.Action.TRIGGER, "n-1", "n-1/slack", "handoff/f-7c1e/OWNER_NOTIFICATION",
                "HIGH: OpenSSL buffer overflow on payments-api", "A HIGH finding was routed to you. Acknowledge it within 4 business hours.",
                SeverityBand.HIGH, OCCURRED, alice(), List.of(item("f-7c1e", "OpenSSL buffer overflow", SeverityBand.HIGH)), null);
    }

    static Alert withHeadline(String headline) {
        Alert a = ownerNotification();
        return new Alert(a.kind(), a.action(), a.alertId(), a.idempotencyKey(), a.dedupKey(), headline, a.summary(), a.band(),
                a.occurredAt(), a.recipient(), a.items(), a.level());
    }

    static Alert withRecipient(Alert.Recipient recipient) {
        Alert a = ownerNotification();
        return new Alert(a.kind(), a.action(), a.alertId(), a.idempotencyKey(), a.dedupKey(), a.headline(), a.summary(), a.band(),
                a.occurredAt(), recipient, a.items(), a.level());
    }

    static Alert withItem(Alert.Item item) {
        Alert a = ownerNotification();
        return new Alert(a.kind(), a.action(), a.alertId(), a.idempotencyKey(), a.dedupKey(), a.headline(), a.summary(), a.band(),
                a.occurredAt(), a.recipient(), List.of(item), a.level());
    }

    /** Text full of what chat markup treats specially. */
    static Alert hostile() {
        String nasty = "<!channel> Tom & Jerry's <https://evil.example|click> [login](https://evil.example) <at>Bob</at> > 5 *bold*";
        Alert.Item item = new Alert.Item("f-x", nasty, SeverityBand.CRITICAL, "<host>&amp;", DEADLINE, ACK_LINK,
                List.of("CVE-1 <b>"), List.of());
        return new Alert(DispatchKind.SLA_ALERT, Alert.Action.TRIGGER, "sla-1", "sla-1/x", "handoff/f-x/SLA_ALERT", nasty, nasty,
                SeverityBand.CRITICAL, OCCURRED, new Alert.Recipient("bob", "Bob <b>", null, null, null), List.of(item), "BREACH");
    }

    /** A daily digest of {@code n} findings. */
    static Alert digest(int n) {
        List<Alert.Item> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            items.add(item("f-" + i, "Finding number " + i, i % 3 == 0 ? SeverityBand.HIGH : SeverityBand.MEDIUM));
        }
        return new Alert(DispatchKind.DIGEST, Alert.Action.TRIGGER, "d-2026-11-23-alice", "d-2026-11-23-alice/x", "handoff/digest/alice",
                n + " findings wait for your acknowledgement", "These findings were routed to you and are not acknowledged yet.",
                SeverityBand.HIGH, OCCURRED, alice(), items, null);
    }

    /** The acknowledgement of {@link #ownerNotification()}. */
    static Alert resolve() {
        Alert a = ownerNotification();
        return new Alert(a.kind(), Alert.Action.RESOLVE, "n-1", "n-1/resolve", a.dedupKey(), a.headline(),
                "Acknowledged by Alice Example.", a.band(), OCCURRED.plusSeconds(600), a.recipient(), a.items(), null);
    }

    /** A queue-depth alert for the SOC: no recipient, no findings. */
    static Alert unrouted() {
        return new Alert(DispatchKind.UNROUTED_ALERT, Alert.Action.TRIGGER, "u-1", "u-1/x", "handoff/unrouted/queue", "12 findings have no owner",
                "The unrouted queue holds 12 findings, the oldest for 3 hours.", SeverityBand.MEDIUM, OCCURRED, null, List.of(), null);
    }

    static Target target(ChannelType type, URI url, String secret, Duration timeout) {
        return new Target(type.name().toLowerCase(java.util.Locale.ROOT) + "-appsec", type, url, secret, null, List.of(), timeout, 60);
    }
}

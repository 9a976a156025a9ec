package dev.handoff.alerter.channel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.alerter.Alert;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.SeverityBand;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WebhookChannelTest extends HttpChannelOutcomeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "whsec-test";
    private static final Instant NOW = Instant.parse("2026-11-23T09:16:40Z");

    private static final Set<String> DOCUMENT_KEYS = Set.of("schema_version", "kind", "action", "alert_id", "idempotency_key", "dedup_key",
            "headline", "summary", "band", "occurred_at", "level", "recipient", "items");
    private static final Set<String> RECIPIENT_KEYS = Set.of("owner_id", "display_name", "email");
    private static final Set<String> ITEM_KEYS = Set.of("finding_id", "title", "band", "target", "deadline", "ack_link",
            "vulnerability_ids", "failure_modes");

    private final WebhookChannel channel = new WebhookChannel(http, Clock.fixed(NOW, ZoneOffset.UTC));

    @Override
    Channel channel() {
        return channel;
    }

    @Override
    ChannelType type() {
        return ChannelType.WEBHOOK;
    }

    @Override
    int acceptedStatus() {
        return 204;
    }

    @Override
    String acceptedBody() {
        return "";
    }

    @Test
    void documentHasExactlyTheDocumentedFields() throws Exception {
        deliver(Alerts.ownerNotification());
        JsonNode doc = JSON.readTree(server.only().body());

        assertEquals(DOCUMENT_KEYS, keys(doc));
        assertEquals(1, doc.get("schema_version").intValue());
        assertEquals("OWNER_NOTIFICATION", doc.get("kind").textValue());
        assertEquals("TRIGGER", doc.get("action").textValue());
        assertEquals("n-1", doc.get("alert_id").textValue());
        assertEquals("n-1/slack", doc.get("idempotency_key").textValue());
        assertEquals("handoff/f-7c1e/OWNER_NOTIFICATION", doc.get("dedup_key").textValue());
        assertEquals("HIGH", doc.get("band").textValue());
        assertEquals(Alerts.OCCURRED, Instant.parse(doc.get("occurred_at").textValue()));
        assertTrue(doc.get("level").isNull());

        JsonNode recipient = doc.get("recipient");
        assertEquals(RECIPIENT_KEYS, keys(recipient), "Slack and Teams ids stay out of the generic document");
        assertEquals("alice", recipient.get("owner_id").textValue());
        assertEquals("Alice Example", recipient.get("display_name").textValue());
        assertEquals("alice@example.com", recipient.get("email").textValue());

        assertEquals(1, doc.get("items").size());
        JsonNode item = doc.get("items").get(0);
        assertEquals(ITEM_KEYS, keys(item));
        assertEquals("f-7c1e", item.get("finding_id").textValue());
        assertEquals("OpenSSL buffer overflow", item.get("title").textValue());
        assertEquals("HIGH", item.get("band").textValue());
        assertEquals("payments-api.prod.example.com:443", item.get("target").textValue());
        assertEquals(Alerts.DEADLINE, Instant.parse(item.get("deadline").textValue()));
        assertEquals(Alerts.ACK_LINK, item.get("ack_link").textValue());
        assertEquals(List.of("CVE-2026-1234", "GHSA-abcd-efgh-ijkl"), strings(item.get("vulnerability_ids")));
        assertEquals(List.of("DECAYED_ROUTING"), strings(item.get("failure_modes")));
    }

    @Test
    void absentValuesArePresentAsNull() throws Exception {
        deliver(Alerts.unrouted());
        JsonNode doc = JSON.readTree(server.only().body());
        assertEquals(DOCUMENT_KEYS, keys(doc));
        assertTrue(doc.get("recipient").isNull());
        assertTrue(doc.get("level").isNull());
        assertEquals(0, doc.get("items").size());

        server.requests().clear();
        deliver(Alerts.withItem(new Alert.Item("f-2", "t", SeverityBand.LOW, null, null, null, List.of(), List.of())));
        JsonNode item = JSON.readTree(server.only().body()).get("items").get(0);
        assertEquals(ITEM_KEYS, keys(item));
        assertTrue(item.get("target").isNull());
        assertTrue(item.get("deadline").isNull());
        assertTrue(item.get("ack_link").isNull());
        assertEquals(0, item.get("vulnerability_ids").size());
    }

    @Test
    void headersCarryTheIdempotencyKeyAndTheTimestamp() {
        deliver(Alerts.ownerNotification());
        CapturingServer.Request request = server.only();
        assertEquals("n-1/slack", request.header("Idempotency-Key"));
        assertEquals(Long.toString(NOW.getEpochSecond()), request.header("X-Handoff-Timestamp"));
        assertTrue(request.header("X-Handoff-Signature").matches("sha256=[0-9a-f]{64}"), request.header("X-Handoff-Signature"));
    }

    @Test
    void signatureVerifiesWithAnIndependentHmac() throws Exception {
        deliver(Alerts.ownerNotification());
        CapturingServer.Request request = server.only();
        assertTrue(verifies(request.header("X-Handoff-Timestamp"), request.body(), request.header("X-Handoff-Signature"), SECRET));
    }

    @Test
    void tamperedBodyTimestampOrSecretFailVerification() throws Exception {
        deliver(Alerts.ownerNotification());
        CapturingServer.Request request = server.only();
        String timestamp = request.header("X-Handoff-Timestamp");
        String signature = request.header("X-Handoff-Signature");

        byte[] tampered = request.body().clone();
        int at = request.text().indexOf("\"HIGH\"") + 1;
        tampered[at] = 'L'; // "HIGH" -> "LIGH": one byte changed
        assertFalse(verifies(timestamp, tampered, signature, SECRET), "a changed body must not verify");

        byte[] appended = Arrays.copyOf(request.body(), request.body().length + 1);
        appended[appended.length - 1] = ' ';
        assertFalse(verifies(timestamp, appended, signature, SECRET), "trailing bytes must not verify");
        assertFalse(verifies(Long.toString(NOW.getEpochSecond() + 1), request.body(), signature, SECRET), "a replayed signature with a new timestamp must not verify");
        assertFalse(verifies(timestamp, request.body(), signature, "another-secret"), "another secret must not verify");
    }

    @Test
    void withoutSecretNothingIsSigned() {
        channel.deliver(Alerts.target(ChannelType.WEBHOOK, server.url(), null, Duration.ofSeconds(5)), Alerts.ownerNotification());
        channel.deliver(Alerts.target(ChannelType.WEBHOOK, server.url(), " ", Duration.ofSeconds(5)), Alerts.ownerNotification());
        for (CapturingServer.Request request : server.requests()) {
            assertNull(request.header("X-Handoff-Signature"));
            assertEquals("n-1/slack", request.header("Idempotency-Key"));
        }
        assertEquals(2, server.requests().size());
    }

    @Test
    void everyAttemptIsSignedAfreshUnderTheSameIdempotencyKey() {
        Instant[] now = {NOW};
        Clock ticking = new Clock() {
            @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
            @Override public Clock withZone(java.time.ZoneId zone) { return this; }
            @Override public Instant instant() { return now[0]; }
        };
        WebhookChannel retrying = new WebhookChannel(http, ticking);
        retrying.deliver(target(), Alerts.ownerNotification());
        now[0] = NOW.plus(Duration.ofHours(2));
        retrying.deliver(target(), Alerts.ownerNotification());

        CapturingServer.Request first = server.requests().get(0);
        CapturingServer.Request second = server.requests().get(1);
        assertArrayEquals(first.body(), second.body(), "the document itself does not change between attempts");
        assertEquals(first.header("Idempotency-Key"), second.header("Idempotency-Key"));
        assertEquals(Long.toString(NOW.plus(Duration.ofHours(2)).getEpochSecond()), second.header("X-Handoff-Timestamp"));
        assertNotEquals(first.header("X-Handoff-Signature"), second.header("X-Handoff-Signature"));
    }

    @Test
    void textIsCarriedVerbatim() throws Exception {
        Alert hostile = Alerts.hostile();
        deliver(hostile);
        JsonNode doc = JSON.readTree(server.only().body());
        assertEquals(hostile.headline(), doc.get("headline").textValue());
        assertEquals(hostile.items().get(0).target(), doc.get("items").get(0).get("target").textValue());
        assertEquals("BREACH", doc.get("level").textValue());
        String emoji = "Ünïcødé ✅ 😀";
        server.requests().clear();
        deliver(Alerts.withHeadline(emoji));
        assertEquals(emoji, JSON.readTree(server.only().body()).get("headline").textValue());
        assertTrue(server.only().text().contains(emoji), "UTF-8 on the wire, not \\u escapes");
    }

    @Test
    void resolveNamesTheSameIncidentAsItsTrigger() throws Exception {
        deliver(Alerts.ownerNotification());
        deliver(Alerts.resolve());
        JsonNode trigger = JSON.readTree(server.requests().get(0).body());
        JsonNode resolve = JSON.readTree(server.requests().get(1).body());
        assertEquals("RESOLVE", resolve.get("action").textValue());
        assertEquals(trigger.get("dedup_key"), resolve.get("dedup_key"));
        assertNotEquals(trigger.get("idempotency_key"), resolve.get("idempotency_key"));
        assertEquals("n-1/resolve", server.requests().get(1).header("Idempotency-Key"));
    }

    @Test
    void digestListsEveryItem() throws Exception {
        deliver(Alerts.digest(120));
        JsonNode doc = JSON.readTree(server.only().body());
        assertEquals(DispatchKind.DIGEST.name(), doc.get("kind").textValue());
        assertEquals(120, doc.get("items").size(), "a webhook receiver gets the whole list; only chat messages are capped");
    }

    @Test
    void idempotencyKeyThatCannotBeAHeaderFailsWithoutThrowing() {
        Alert a = Alerts.ownerNotification();
        Alert broken = new Alert(a.kind(), a.action(), a.alertId(), "n-1\r\nX-Injected: yes", a.dedupKey(), a.headline(), a.summary(),
                a.band(), a.occurredAt(), a.recipient(), a.items(), a.level());
        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, deliver(broken));
        assertEquals(0, failed.status());
        assertTrue(server.requests().isEmpty());
    }

    @Test
    void receiversDeduplicate() {
        assertTrue(channel.endpointDeduplicates());
    }

    /** The receiver's side, written from the documented recipe rather than from the channel's code. */
    private static boolean verifies(String timestamp, byte[] body, String header, String secret) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        mac.update(timestamp.getBytes(StandardCharsets.UTF_8));
        mac.update((byte) '.');
        byte[] expected = mac.doFinal(body);
        StringBuilder hex = new StringBuilder("sha256=");
        for (byte b : expected) {
            hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return MessageDigest.isEqual(hex.toString().getBytes(StandardCharsets.US_ASCII), header.getBytes(StandardCharsets.US_ASCII));
    }

    private static Set<String> keys(JsonNode node) {
        Set<String> keys = new TreeSet<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (Iterator<JsonNode> it = array.elements(); it.hasNext(); ) {
            out.add(it.next().textValue());
        }
        return out;
    }
}

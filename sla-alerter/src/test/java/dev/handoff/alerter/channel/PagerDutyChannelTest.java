package dev.handoff.alerter.channel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.alerter.Alert;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.SeverityBand;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * PagerDutyChannel against a real HTTP server standing in for events.pagerduty.com: every request is checked against
 * the Events API v2 structure PagerDuty documents, and the shared outcome rules come from {@link HttpChannelOutcomeTest}.
 */
class PagerDutyChannelTest extends HttpChannelOutcomeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345";
    private static final String ACCEPTED = "{\"status\":\"success\",\"message\":\"Event processed\",\"dedup_key\":\"x\"}";
    private static final Instant OCCURRED = Instant.parse("2026-11-23T09:30:00.123456Z");
    private static final Instant DEADLINE = Instant.parse("2026-11-24T09:30:00Z");

    private final PagerDutyChannel channel = new PagerDutyChannel(http);

    @Override
    Channel channel() {
        return channel;
    }

    @Override
    ChannelType type() {
        return ChannelType.PAGERDUTY;
    }

    @Override
    int acceptedStatus() {
        return 202;
    }

    @Override
    String acceptedBody() {
        return ACCEPTED;
    }

    @Override
    protected Target target(URI url, Duration timeout) {
        return new Target("pagerduty-soc", ChannelType.PAGERDUTY, url, null, ROUTING_KEY, List.of(), timeout, 0);
    }

    /** The events PagerDuty received, parsed. */
    private List<JsonNode> events() {
        return server.requests().stream().map(r -> {
            try {
                return JSON.readTree(r.body());
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + r.text(), e);
            }
        }).toList();
    }

    @BeforeEach
    void pagerDutyAccepts() {
        server.reply(202, ACCEPTED, "Content-Type", "application/json");
    }

    private static Alert.Item item(String findingId, String title, SeverityBand band) {
        return new Alert.Item(findingId, title, band, "registry.example.com/payments/api:1.4.2", DEADLINE,
                "https://handoff.example.com/ack/" + findingId + "?sig=abc123",
                List.of("CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q"), List.of("OWNER_UNKNOWN"));
    }

    private static Alert slaAlert(Alert.Action action, String headline, SeverityBand band, String idempotencyKey) {
        Alert.Recipient owner = new Alert.Recipient("u-42", "Dana Engineer", "dana@example.com", null, null);
        return new Alert(DispatchKind.SLA_ALERT, action, "sla-f1-handoff-BREACH", idempotencyKey, "handoff/f1/SLA_ALERT",
                headline, "The handoff deadline passed without an acknowledgement.", band, OCCURRED, owner,
                List.of(item("f1", "Log4Shell in payments api", band)), "BREACH");
    }

    private static Alert slaAlert(Alert.Action action) {
        return slaAlert(action, "Handoff SLA breached: Log4Shell in payments api", SeverityBand.CRITICAL, "sla-f1-" + action);
    }

    @Test
    void triggerFollowsTheDocumentedEventStructure() {
        DeliveryResult result = channel.deliver(target(), slaAlert(Alert.Action.TRIGGER));

        assertInstanceOf(DeliveryResult.Delivered.class, result, result.toString());
        CapturingServer.Request request = server.only();
        assertEquals("POST", request.method());
        assertTrue(request.header("Content-Type").startsWith("application/json"), request.header("Content-Type"));
        JsonNode event = events().get(0);
        assertDocumentedEvent(event);
        assertEquals(ROUTING_KEY, event.get("routing_key").asText());
        assertEquals("trigger", event.get("event_action").asText());
        assertEquals("handoff/f1/SLA_ALERT", event.get("dedup_key").asText());
        JsonNode payload = event.get("payload");
        assertEquals("Handoff SLA breached: Log4Shell in payments api", payload.get("summary").asText());
        assertEquals("handoff", payload.get("source").asText());
        assertEquals("critical", payload.get("severity").asText());
        assertEquals("2026-11-23T09:30:00.123Z", payload.get("timestamp").asText());
        assertEquals("registry.example.com/payments/api:1.4.2", payload.get("component").asText());
        assertEquals("sla_alert", payload.get("group").asText());
        assertEquals("SLA_ALERT/BREACH", payload.get("class").asText());
        JsonNode details = payload.get("custom_details");
        assertEquals("[\"f1\"]", details.get("finding_ids").toString());
        assertEquals("2026-11-24T09:30:00Z", details.get("deadline").asText());
        assertEquals("[\"OWNER_UNKNOWN\"]", details.get("failure_modes").toString());
        assertEquals("[\"CVE-2021-44228\",\"GHSA-jfh8-c2jp-5v3q\"]", details.get("vulnerability_ids").toString());
        assertEquals("BREACH", details.get("level").asText());
        assertEquals("https://handoff.example.com/ack/f1?sig=abc123", event.get("links").get(0).get("href").asText());
        assertEquals("Acknowledge in Handoff", event.get("links").get(0).get("text").asText());
        assertEquals("Handoff", event.get("client").asText());
    }

    @Test
    void resolveCarriesOnlyRoutingKeyActionAndTheTriggersDedupKey() {
        channel.deliver(target(), slaAlert(Alert.Action.TRIGGER));
        DeliveryResult result = channel.deliver(target(), slaAlert(Alert.Action.RESOLVE));

        assertInstanceOf(DeliveryResult.Delivered.class, result, result.toString());
        JsonNode trigger = events().get(0);
        JsonNode resolve = events().get(1);
        assertDocumentedEvent(resolve);
        assertEquals(Set.of("routing_key", "event_action", "dedup_key"), fieldNames(resolve));
        assertEquals("resolve", resolve.get("event_action").asText());
        assertEquals(trigger.get("dedup_key"), resolve.get("dedup_key"));
    }

    @ParameterizedTest
    @CsvSource({"CRITICAL,critical", "HIGH,error", "MEDIUM,warning", "LOW,info", "INFO,info"})
    void bandsMapOntoPagerDutysFourSeverities(SeverityBand band, String severity) {
        channel.deliver(target(), slaAlert(Alert.Action.TRIGGER, "headline", band, "k"));

        JsonNode event = events().get(0);
        assertDocumentedEvent(event);
        assertEquals(severity, event.get("payload").get("severity").asText());
    }

    @Test
    void longSummaryIsCutTo1024CharactersAndLongDedupKeysStayDistinctAndStable() {
        String headline = "x".repeat(3000);
        String longKeyA = "handoff/" + "a".repeat(300) + "/A/SLA_ALERT";
        String longKeyB = "handoff/" + "a".repeat(300) + "/B/SLA_ALERT";
        Alert base = slaAlert(Alert.Action.TRIGGER, headline, SeverityBand.HIGH, "k");
        Alert triggerA = withDedupKey(base, Alert.Action.TRIGGER, longKeyA);
        Alert resolveA = withDedupKey(base, Alert.Action.RESOLVE, longKeyA);
        Alert triggerB = withDedupKey(base, Alert.Action.TRIGGER, longKeyB);

        channel.deliver(target(), triggerA);
        channel.deliver(target(), resolveA);
        channel.deliver(target(), triggerB);

        events().forEach(PagerDutyChannelTest::assertDocumentedEvent);
        String summary = events().get(0).get("payload").get("summary").asText();
        assertEquals(PagerDutyChannel.MAX_SUMMARY, summary.length());
        assertTrue(summary.endsWith("…"));
        String dedupA = events().get(0).get("dedup_key").asText();
        assertTrue(dedupA.length() <= PagerDutyChannel.MAX_DEDUP_KEY, dedupA);
        assertTrue(dedupA.startsWith("handoff/aaaa"), dedupA);
        assertEquals(dedupA, events().get(1).get("dedup_key").asText());
        assertNotEquals(dedupA, events().get(2).get("dedup_key").asText());
    }

    @Test
    void digestListsItsFindingsAndLinksEachAcknowledgement() {
        List<Alert.Item> items = IntStream.range(0, 3)
                .mapToObj(i -> item("f" + i, "finding " + i, i == 0 ? SeverityBand.HIGH : SeverityBand.MEDIUM)).toList();
        Alert digest = new Alert(DispatchKind.DIGEST, Alert.Action.TRIGGER, "digest-1", "digest-1", "handoff/digest-1/DIGEST",
                "3 findings wait for your acknowledgement", "Three findings were routed to you.", SeverityBand.HIGH,
                OCCURRED, null, items, null);

        channel.deliver(target(), digest);

        JsonNode event = events().get(0);
        assertDocumentedEvent(event);
        assertEquals("error", event.get("payload").get("severity").asText());
        assertEquals("DIGEST", event.get("payload").get("class").asText());
        assertEquals("[\"f0\",\"f1\",\"f2\"]", event.get("payload").get("custom_details").get("finding_ids").toString());
        assertEquals(3, event.get("payload").get("custom_details").get("findings").size());
        assertEquals(3, event.get("links").size());
    }

    @Test
    void invalidEvent400FailsAndKeepsTheResponseWithoutTheRoutingKey() {
        String response = "{\"status\":\"invalid event\",\"message\":\"Event object is invalid\","
                + "\"errors\":[\"'routing_key' " + ROUTING_KEY + " is not known\"]}";
        server.reply(400, response);

        DeliveryResult result = channel.deliver(target(), slaAlert(Alert.Action.TRIGGER));

        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, result);
        assertEquals(400, failed.status());
        assertTrue(failed.response().contains("Event object is invalid"), failed.response());
        assertFalse(failed.response().contains(ROUTING_KEY), failed.response());
        assertFalse(failed.reason().contains(ROUTING_KEY), failed.reason());
    }

    @Test
    void targetWithoutRoutingKeyFailsWithoutCallingPagerDuty() {
        Target noKey = new Target("pagerduty-soc", ChannelType.PAGERDUTY, server.url(), null, " ", List.of(), Duration.ofSeconds(1), 0);

        DeliveryResult result = channel.deliver(noKey, slaAlert(Alert.Action.TRIGGER));

        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, result);
        assertTrue(failed.reason().contains("alerter.target.pagerduty-soc.routing-key"), failed.reason());
        assertTrue(server.requests().isEmpty());
    }

    @Test
    void dedupKeyIsDeterministicAndBounded() {
        String key = "handoff/" + "é".repeat(400);
        assertEquals(PagerDutyChannel.dedupKey(key), PagerDutyChannel.dedupKey(key));
        assertTrue(PagerDutyChannel.dedupKey(key).length() <= PagerDutyChannel.MAX_DEDUP_KEY);
        assertEquals("handoff/f1/SLA_ALERT", PagerDutyChannel.dedupKey("handoff/f1/SLA_ALERT"));
        String surrogates = "x" + "😀".repeat(200);
        String cut = PagerDutyChannel.dedupKey(surrogates);
        assertTrue(cut.codePoints().noneMatch(cp -> cp >= 0xD800 && cp <= 0xDFFF), "no lone surrogate: " + cut);
    }

    private static Alert withDedupKey(Alert a, Alert.Action action, String dedupKey) {
        return new Alert(a.kind(), action, a.alertId(), a.idempotencyKey() + action, dedupKey, a.headline(), a.summary(),
                a.band(), a.occurredAt(), a.recipient(), a.items(), a.level());
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new java.util.TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /**
     * The event as PagerDuty's Events API v2 reference describes it: the documented top-level and payload fields only,
     * routing_key and event_action required, dedup_key at most 255 characters (and required for resolve), payload
     * summary (at most 1024), source and severity (critical, error, warning or info) required for a trigger, timestamp
     * ISO 8601, custom_details an object, each link with an href.
     */
    private static void assertDocumentedEvent(JsonNode event) {
        Set<String> topLevel = Set.of("routing_key", "event_action", "dedup_key", "payload", "client", "client_url", "links", "images");
        assertTrue(topLevel.containsAll(fieldNames(event)), "undocumented field in " + fieldNames(event));
        assertTrue(event.path("routing_key").isTextual() && !event.get("routing_key").asText().isEmpty(), "routing_key");
        String action = event.path("event_action").asText();
        assertTrue(Set.of("trigger", "acknowledge", "resolve").contains(action), "event_action " + action);
        if (event.has("dedup_key")) {
            assertTrue(event.get("dedup_key").isTextual());
            assertTrue(event.get("dedup_key").asText().length() <= 255, "dedup_key longer than 255 characters");
        }
        if (!action.equals("trigger")) {
            assertTrue(event.has("dedup_key"), "dedup_key is required for " + action);
            return;
        }
        JsonNode payload = event.get("payload");
        if (payload == null || !payload.isObject()) {
            fail("a trigger needs a payload object");
        }
        Set<String> payloadFields = Set.of("summary", "timestamp", "severity", "source", "component", "group", "class", "custom_details");
        assertTrue(payloadFields.containsAll(fieldNames(payload)), "undocumented payload field in " + fieldNames(payload));
        String summary = payload.path("summary").asText();
        assertFalse(summary.isEmpty(), "payload.summary is required");
        assertTrue(summary.length() <= 1024, "payload.summary longer than 1024 characters");
        assertFalse(payload.path("source").asText().isEmpty(), "payload.source is required");
        assertTrue(Set.of("critical", "error", "warning", "info").contains(payload.path("severity").asText()),
                "payload.severity " + payload.path("severity"));
        if (payload.has("timestamp")) {
            OffsetDateTime.parse(payload.get("timestamp").asText(), DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        }
        for (String text : List.of("component", "group", "class")) {
            if (payload.has(text)) {
                assertTrue(payload.get(text).isTextual(), text);
            }
        }
        if (payload.has("custom_details")) {
            assertTrue(payload.get("custom_details").isObject(), "custom_details must be an object");
        }
        if (event.has("links")) {
            List<JsonNode> links = new ArrayList<>();
            for (Iterator<JsonNode> it = event.get("links").elements(); it.hasNext(); ) {
                links.add(it.next());
            }
            links.forEach(link -> assertTrue(link.path("href").asText().startsWith("http"), "link without href: " + link));
        }
    }
}

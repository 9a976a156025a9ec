package dev.handoff.alerter.channel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.alerter.Alert;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.SeverityBand;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TeamsChannelTest extends HttpChannelOutcomeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TeamsChannel channel = new TeamsChannel(http);

    @Override
    Channel channel() {
        return channel;
    }

    @Override
    ChannelType type() {
        return ChannelType.TEAMS;
    }

    @Override
    int acceptedStatus() {
        return 202;
    }

    @Override
    String acceptedBody() {
        return "";
    }

    /** Delivers {@code alert}, checks the posted body against the Adaptive Card schema and Teams' rules, returns the card. */
    private JsonNode postedCard(Alert alert) throws Exception {
        server.requests().clear();
        assertInstanceOf(DeliveryResult.Delivered.class, deliver(alert));
        byte[] body = server.only().body();
        JsonNode message = JSON.readTree(body);
        assertEquals(List.of(), AdaptiveCardRules.violations(message, body.length), () -> "card rules broken by " + message.toPrettyString());
        return message.at("/attachments/0/content");
    }

    @Test
    void messageIsTheWorkflowEnvelopeAroundOneAdaptiveCard() throws Exception {
        postedCard(Alerts.ownerNotification());
        JsonNode message = JSON.readTree(server.only().body());
        assertEquals("message", message.get("type").textValue());
        assertEquals(1, message.get("attachments").size());
        JsonNode attachment = message.at("/attachments/0");
        assertEquals("application/vnd.microsoft.card.adaptive", attachment.get("contentType").textValue());
        assertTrue(attachment.has("contentUrl") && attachment.get("contentUrl").isNull());
        JsonNode card = attachment.get("content");
        assertEquals("http://adaptivecards.io/schemas/adaptive-card.json", card.get("$schema").textValue());
        assertEquals("AdaptiveCard", card.get("type").textValue());
        assertEquals("1.4", card.get("version").textValue());
    }

    @Test
    void singleAlertHasHeadlineSummaryFactsAndAcknowledge() throws Exception {
        JsonNode card = postedCard(Alerts.ownerNotification());
        JsonNode body = card.get("body");
        JsonNode headline = body.get(0);
        assertEquals("TextBlock", headline.get("type").textValue());
        assertEquals("HIGH: OpenSSL buffer overflow on payments-api", headline.get("text").textValue());
        assertEquals("bolder", headline.get("weight").textValue().toLowerCase());
        assertEquals("medium", headline.get("size").textValue().toLowerCase());
        assertTrue(headline.get("wrap").booleanValue());

        assertEquals("For <at>Alice Example</at>", body.get(1).get("text").textValue());
        assertEquals("A HIGH finding was routed to you. Acknowledge it within 4 business hours.", body.get(2).get("text").textValue());
        assertTrue(body.get(2).get("wrap").booleanValue());

        Map<String, String> facts = facts(body.get(3));
        assertEquals("HIGH", facts.get("Severity"));
        assertEquals("2026-11-23 13:15 UTC", facts.get("Deadline"));
        assertEquals("payments-api.prod.example.com:443", facts.get("Target"));
        assertEquals("CVE-2026-1234, GHSA-abcd-efgh-ijkl", facts.get("IDs"));
        assertEquals("f-7c1e", facts.get("Finding"));
        assertEquals("Alice Example", facts.get("Owner"));

        JsonNode action = card.at("/actions/0");
        assertEquals("Action.OpenUrl", action.get("type").textValue());
        assertEquals("Acknowledge", action.get("title").textValue());
        assertEquals(Alerts.ACK_LINK, action.get("url").textValue());
        assertEquals(1, card.get("actions").size());
    }

    @Test
    void recipientIsMentionedByUpn() throws Exception {
        JsonNode entity = postedCard(Alerts.ownerNotification()).at("/msteams/entities/0");
        assertEquals("mention", entity.get("type").textValue());
        assertEquals("<at>Alice Example</at>", entity.get("text").textValue());
        assertEquals("alice@example.com", entity.at("/mentioned/id").textValue());
        assertEquals("Alice Example", entity.at("/mentioned/name").textValue());
    }

    @Test
    void noMentionWithoutUpnOrWithAMalformedOne() throws Exception {
        for (String upn : new String[] {null, "not an upn", "a@b\"><at>x"}) {
            JsonNode card = postedCard(Alerts.withRecipient(new Alert.Recipient("carol", "Carol", null, null, upn)));
            assertTrue(card.at("/msteams/entities").isMissingNode(), () -> "mention for " + upn);
            assertFalse(card.toString().contains("<at>"));
        }
    }

    @Test
    void untrustedTextCannotAddLinksOrMentions() throws Exception {
        JsonNode card = postedCard(Alerts.hostile());
        String all = card.toString();
        assertFalse(all.contains("]("), "a markdown link survived: " + all);
        assertFalse(all.contains("<at>"), "a mention tag survived with no entity behind it");
        assertTrue(card.at("/body/0/text").textValue().startsWith("<!channel> Tom & Jerry's"), "the words stay");
        assertEquals("attention", card.at("/body/0/color").textValue().toLowerCase(), "a breach is shown as urgent");
    }

    @Test
    void longHeadlineIsCutWithAnEllipsis() throws Exception {
        String text = postedCard(Alerts.withHeadline("CRITICAL: " + "y".repeat(1_000))).at("/body/0/text").textValue();
        assertEquals(TeamsChannel.MAX_TITLE, text.length());
        assertTrue(text.endsWith("…"));
    }

    @Test
    void digestListsAContainerPerFindingAndCountsTheRest() throws Exception {
        JsonNode card = postedCard(Alerts.digest(35));
        List<JsonNode> containers = new ArrayList<>();
        card.get("body").forEach(e -> {
            if (e.get("type").textValue().equals("Container")) {
                containers.add(e);
            }
        });
        assertEquals(TeamsChannel.MAX_DIGEST_ITEMS, containers.size());
        JsonNode first = containers.get(0);
        assertEquals("HIGH · Finding number 0", first.at("/items/0/text").textValue());
        assertEquals("ActionSet", first.at("/items/2/type").textValue());
        assertEquals(Alerts.ACK_LINK.replace("f-7c1e", "f-0"), first.at("/items/2/actions/0/url").textValue());
        JsonNode last = card.get("body").get(card.get("body").size() - 1);
        assertEquals("…and 15 more (35 in total); the full list is in Handoff.", last.get("text").textValue());
        assertFalse(card.has("actions"), "each finding has its own button; none for the card as a whole");
    }

    @Test
    void digestOfHugeFindingsIsCutToFitTheMessageLimit() throws Exception {
        List<Alert.Item> items = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            items.add(new Alert.Item("f-" + i, "t".repeat(2_000), SeverityBand.HIGH, "h".repeat(2_000), Alerts.DEADLINE,
                    "https://handoff.example.com/ack/" + "k".repeat(1_500), List.of("CVE-" + "9".repeat(500)), List.of()));
        }
        Alert digest = new Alert(DispatchKind.DIGEST, Alert.Action.TRIGGER, "d", "d/x", "handoff/digest/x", "20 findings", "s",
                SeverityBand.HIGH, Alerts.OCCURRED, null, items, null);
        JsonNode card = postedCard(digest); // the rules check the 28 KB limit on the bytes actually posted
        Matcher more = Pattern.compile("…and (\\d+) more \\(20 in total\\)").matcher(card.toString());
        assertTrue(more.find(), "what did not fit is counted");
        long listed = 0;
        for (JsonNode e : card.get("body")) {
            listed += e.get("type").textValue().equals("Container") ? 1 : 0;
        }
        assertEquals(20, listed + Integer.parseInt(more.group(1)));
        assertTrue(server.only().body().length <= TeamsChannel.MAX_MESSAGE_BYTES);
    }

    @Test
    void resolveIsAShortAcknowledgedCard() throws Exception {
        JsonNode card = postedCard(Alerts.resolve());
        assertEquals("✅ Acknowledged: HIGH: OpenSSL buffer overflow on payments-api", card.at("/body/0/text").textValue());
        assertEquals("Acknowledged by Alice Example.", card.at("/body/1/text").textValue());
        assertEquals("f-7c1e", facts(card.at("/body/2")).get("Finding"));
        assertFalse(card.has("actions"));
        assertTrue(card.at("/msteams/entities").isMissingNode(), "nobody is pinged about an acknowledgement");
    }

    @Test
    void queueAlertWithoutFindingsHasNoButton() throws Exception {
        JsonNode card = postedCard(Alerts.unrouted());
        assertFalse(card.has("actions"));
        assertEquals(Map.of("Severity", "MEDIUM"), facts(card.at("/body/2")));
    }

    @Test
    void rulesCatchWhatTheSchemaRejects() throws Exception {
        String bad = """
                {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": {
                  "type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "colour": "red",
                  "body": [{"type": "TextBlock", "weight": "heavy", "wrap": "yes"},
                           {"type": "FactSet", "facts": [{"title": "a"}]},
                           {"type": "Container"},
                           {"type": "Carousel"}],
                  "actions": [{"type": "Action.OpenUrl", "title": "x"}],
                  "msteams": {"entities": [{"type": "mention", "text": "<at>Zed</at>", "mentioned": {"id": "z@example.com"}}]}}}]}""";
        List<String> v = AdaptiveCardRules.violations(JSON.readTree(bad), 30_000);
        for (String expected : List.of("28 KB", "contentUrl", "version: required", "colour: not a property", "TextBlock requires 'text'",
                "weight: 'heavy'", "wrap: must be a boolean", "title and value are required", "Container requires 'items'",
                "'Carousel'", "url: required", "id and name are required", "appears in no TextBlock")) {
            assertTrue(v.stream().anyMatch(s -> s.contains(expected)), () -> "expected a violation like '" + expected + "' in " + v);
        }
    }

    @Test
    void teamsDoesNotDeduplicate() {
        assertFalse(channel.endpointDeduplicates());
    }

    private static Map<String, String> facts(JsonNode factSet) {
        assertEquals("FactSet", factSet.get("type").textValue());
        Map<String, String> facts = new java.util.LinkedHashMap<>();
        factSet.get("facts").forEach(f -> facts.put(f.get("title").textValue(), f.get("value").textValue()));
        return facts;
    }
}

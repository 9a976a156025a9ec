package dev.handoff.alerter.channel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.alerter.Alert;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.SeverityBand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SlackChannelTest extends HttpChannelOutcomeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SlackChannel channel = new SlackChannel(http);

    @Override
    Channel channel() {
        return channel;
    }

    @Override
    ChannelType type() {
        return ChannelType.SLACK;
    }

    @Override
    int acceptedStatus() {
        return 200;
    }

    @Override
    String acceptedBody() {
        return "ok";
    }

    /** Delivers {@code alert}, checks the posted body against Block Kit's limits, and returns it. */
    private JsonNode posted(Alert alert) throws Exception {
        server.requests().clear();
        assertInstanceOf(DeliveryResult.Delivered.class, deliver(alert));
        JsonNode payload = JSON.readTree(server.only().body());
        assertEquals(List.of(), BlockKitRules.violations(payload), () -> "Block Kit limits broken by " + payload.toPrettyString());
        return payload;
    }

    @Test
    void singleAlertIsHeaderSectionContextAndButton() throws Exception {
        JsonNode payload = posted(Alerts.ownerNotification());
        JsonNode blocks = payload.get("blocks");
        assertEquals(List.of("header", "section", "context", "actions"), types(blocks));

        assertEquals("HIGH: OpenSSL buffer overflow on payments-api", blocks.get(0).at("/text/text").textValue());
        JsonNode section = blocks.get(1);
        assertEquals("mrkdwn", section.at("/text/type").textValue());
        assertTrue(section.at("/text/text").textValue().startsWith("<@U024BE7LH> A HIGH finding was routed to you."));
        List<String> fields = texts(section.get("fields"));
        assertTrue(fields.contains("*Severity*\nHIGH"), fields::toString);
        assertTrue(fields.contains("*Deadline*\n<!date^" + Alerts.DEADLINE.getEpochSecond() + "^{date_short_pretty} {time}|2026-11-23T13:15:00Z>"),
                fields::toString);
        assertTrue(fields.contains("*Target*\npayments-api.prod.example.com:443"), fields::toString);
        assertTrue(fields.contains("*IDs*\nCVE-2026-1234, GHSA-abcd-efgh-ijkl"), fields::toString);

        JsonNode button = blocks.get(3).at("/elements/0");
        assertEquals("button", button.get("type").textValue());
        assertEquals("Acknowledge", button.at("/text/text").textValue());
        assertEquals(Alerts.ACK_LINK, button.get("url").textValue(), "the link is sent as is: a URL field is not mrkdwn");
        assertEquals("danger", button.get("style").textValue(), "HIGH is urgent");

        assertTrue(payload.get("text").textValue().startsWith("<@U024BE7LH> [HIGH] HIGH: OpenSSL"), payload.get("text").textValue());
    }

    @Test
    void lessUrgentAlertGetsThePrimaryButton() throws Exception {
        Alert.Item medium = new Alert.Item("f-m", "Weak TLS cipher", SeverityBand.MEDIUM, null, null, Alerts.ACK_LINK, List.of(), List.of());
        Alert a = Alerts.withItem(medium);
        Alert alert = new Alert(a.kind(), a.action(), a.alertId(), a.idempotencyKey(), a.dedupKey(), a.headline(), a.summary(),
                SeverityBand.MEDIUM, a.occurredAt(), a.recipient(), a.items(), null);
        JsonNode button = posted(alert).get("blocks").get(3).at("/elements/0");
        assertEquals("primary", button.get("style").textValue());
    }

    @Test
    void longHeadlineIsCutTo150WithAnEllipsis() throws Exception {
        String headline = "CRITICAL: " + "x".repeat(400);
        JsonNode payload = posted(Alerts.withHeadline(headline));
        String header = payload.at("/blocks/0/text/text").textValue();
        assertEquals(150, header.length());
        assertTrue(header.endsWith("…"));
        assertTrue(header.startsWith("CRITICAL: xxx"));
        assertTrue(payload.get("text").textValue().length() <= SlackChannel.MAX_FALLBACK_TEXT);
    }

    @Test
    void cutNeverSplitsASurrogatePair() throws Exception {
        String headline = "😀".repeat(100); // 200 UTF-16 units; a plain cut at 149 would keep half of the 75th
        String header = posted(Alerts.withHeadline(headline)).at("/blocks/0/text/text").textValue();
        assertTrue(header.length() <= 150);
        assertFalse(Character.isHighSurrogate(header.charAt(header.length() - 2)), "a lone high surrogate before the ellipsis");
    }

    @Test
    void controlCharactersAreEscapedInMrkdwn() throws Exception {
        JsonNode payload = posted(Alerts.hostile()); // the rules check every mrkdwn text for unescaped &, <, >
        String section = payload.at("/blocks/1/text/text").textValue();
        assertTrue(section.contains("&lt;!channel&gt; Tom &amp; Jerry's &lt;https://evil.example|click&gt;"), section);
        assertTrue(section.contains("&gt; 5 *bold*"), section);
        List<String> fields = texts(payload.at("/blocks/1/fields"));
        assertTrue(fields.contains("*Target*\n&lt;host&gt;&amp;amp;"), fields::toString);
        assertTrue(fields.contains("*Owner*\nBob &lt;b&gt;"), fields::toString);
        assertTrue(payload.get("text").textValue().contains("&lt;!channel&gt;"));
        assertEquals("<!channel> Tom & Jerry's <https://evil.example|click> [login](https://evil.example) <at>Bob</at> > 5 *bold*",
                payload.at("/blocks/0/text/text").textValue(), "plain_text is not parsed, so the header is sent as written");
    }

    @Test
    void escapingIsCountedAgainstTheLimit() throws Exception {
        String target = "&".repeat(5_000);
        JsonNode payload = posted(Alerts.withItem(new Alert.Item("f-1", "t", SeverityBand.HIGH, target, null, null, List.of(), List.of())));
        String field = texts(payload.at("/blocks/1/fields")).stream().filter(f -> f.startsWith("*Target*")).findFirst().orElseThrow();
        assertTrue(field.length() <= 2000, () -> "field of " + field.length());
        assertTrue(field.endsWith("&amp;…"), "cut between entities, never inside one");
    }

    @Test
    void longSummaryStaysWithinTheSectionLimit() throws Exception {
        Alert a = Alerts.ownerNotification();
        Alert alert = new Alert(a.kind(), a.action(), a.alertId(), a.idempotencyKey(), a.dedupKey(), a.headline(), "<>".repeat(4_000),
                a.band(), a.occurredAt(), a.recipient(), a.items(), a.level());
        String text = posted(alert).at("/blocks/1/text/text").textValue();
        assertTrue(text.length() <= 3000 && text.endsWith("…"), () -> "section text of " + text.length());
    }

    @Test
    void invalidSlackIdIsNotMentioned() throws Exception {
        JsonNode payload = posted(Alerts.withRecipient(new Alert.Recipient("eve", "Eve", null, "U1><!channel", null)));
        assertFalse(payload.toString().contains("<@"), "no mention built from a malformed id");
        assertFalse(payload.toString().contains("<!channel"));
    }

    @Test
    void noMentionWithoutSlackId() throws Exception {
        JsonNode payload = posted(Alerts.withRecipient(new Alert.Recipient("carol", "Carol", "carol@example.com", null, null)));
        assertTrue(payload.at("/blocks/1/text/text").textValue().startsWith("A HIGH finding"));
        assertTrue(texts(payload.at("/blocks/1/fields")).contains("*Owner*\nCarol"));
    }

    @Test
    void digestOverTheBlockLimitSummarisesTheRest() throws Exception {
        JsonNode blocks = posted(Alerts.digest(60)).get("blocks");
        assertEquals(50, blocks.size());
        List<String> texts = new ArrayList<>();
        blocks.forEach(b -> texts.add(b.toString()));
        long listed = texts.stream().filter(t -> t.contains("Finding number")).count();
        Matcher more = Pattern.compile("…and (\\d+) more \\(60 in total\\)").matcher(String.join("\n", texts));
        assertTrue(more.find(), "the overflow line");
        assertEquals(60, listed + Integer.parseInt(more.group(1)), "every finding is either listed or counted");
        Set<String> actionIds = new HashSet<>();
        blocks.forEach(b -> {
            if (b.has("accessory")) {
                assertTrue(actionIds.add(b.at("/accessory/action_id").textValue()), "action ids are unique");
                assertTrue(b.at("/accessory/url").textValue().startsWith("https://handoff.example.com/ack/f-"));
            }
        });
        assertEquals(listed, actionIds.size(), "each listed finding has its own button");
    }

    @Test
    void digestThatFitsIsListedWhole() throws Exception {
        JsonNode blocks = posted(Alerts.digest(47)).get("blocks");
        assertEquals(50, blocks.size(), "header, intro, 47 findings, context");
        assertFalse(blocks.toString().contains("more ("));
        assertEquals("Handoff · DIGEST · 47 findings", blocks.get(49).at("/elements/0/text").textValue());

        JsonNode over = posted(Alerts.digest(48)).get("blocks");
        assertEquals(50, over.size());
        assertTrue(over.toString().contains("…and 2 more (48 in total)"), "46 listed, 2 counted");
    }

    @Test
    void resolveIsAShortAcknowledgedNote() throws Exception {
        JsonNode payload = posted(Alerts.resolve());
        JsonNode blocks = payload.get("blocks");
        assertEquals(List.of("section", "context"), types(blocks));
        assertTrue(blocks.get(0).at("/text/text").textValue().startsWith(":white_check_mark: *Acknowledged:* HIGH: OpenSSL"));
        assertTrue(blocks.get(0).at("/text/text").textValue().contains("Acknowledged by Alice Example."));
        assertFalse(payload.toString().contains("<@"), "nobody is pinged about an acknowledgement");
        assertTrue(payload.get("text").textValue().startsWith("Acknowledged: "));
    }

    @Test
    void queueAlertWithoutFindingsHasNoButton() throws Exception {
        JsonNode payload = posted(Alerts.unrouted());
        assertEquals(List.of("header", "section", "context"), types(payload.get("blocks")));
        assertEquals(List.of("*Severity*\nMEDIUM"), texts(payload.at("/blocks/1/fields")));
    }

    @Test
    void linkTooLongForAButtonIsLeftOut() throws Exception {
        String link = "https://handoff.example.com/ack?" + "a".repeat(3_000);
        JsonNode payload = posted(Alerts.withItem(new Alert.Item("f-1", "t", SeverityBand.HIGH, null, null, link, List.of(), List.of())));
        assertFalse(types(payload.get("blocks")).contains("actions"));
    }

    @ParameterizedTest
    @CsvSource({"400, invalid_payload", "400, invalid_blocks", "403, action_prohibited", "404, channel_not_found", "410, channel_is_archived"})
    void slackRefusalsFailForGood(int status, String error) {
        server.reply(status, error);
        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, deliver(Alerts.ownerNotification()));
        assertEquals(status, failed.status());
        assertEquals(error, failed.response());
        assertSecretUrlNotShown(failed);
    }

    @Test
    void rulesCatchWhatSlackWouldRefuse() throws Exception {
        JsonNode bad = JSON.readTree("""
                {"text": "a <b> & c", "blocks": [
                  {"type": "header", "text": {"type": "mrkdwn", "text": "x"}},
                  {"type": "header", "text": {"type": "plain_text", "text": "%s"}},
                  {"type": "section", "text": {"type": "mrkdwn", "text": ""}, "fields": []},
                  {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "go"}, "style": "green",
                                                   "url": "javascript:alert(1)", "action_id": "a"},
                                                  {"type": "button", "text": {"type": "plain_text", "text": "go"}, "action_id": "a"}]},
                  {"type": "table"}
                ]}""".formatted("h".repeat(151)));
        List<String> v = BlockKitRules.violations(bad);
        for (String expected : List.of("text: unescaped", "blocks[0].text.type", "blocks[1].text.text: 151 > 150", "blocks[2].text.text: empty",
                "blocks[2].fields: 0 items", "style: 'green'", "url: not a web link", "action_id: not unique", "unknown block type 'table'")) {
            assertTrue(v.stream().anyMatch(s -> s.contains(expected)), () -> "expected a violation like '" + expected + "' in " + v);
        }
    }

    @Test
    void slackDoesNotDeduplicate() {
        assertFalse(channel.endpointDeduplicates());
    }

    private static List<String> types(JsonNode blocks) {
        List<String> types = new ArrayList<>();
        blocks.forEach(b -> types.add(b.get("type").textValue()));
        return types;
    }

    private static List<String> texts(JsonNode textObjects) {
        List<String> texts = new ArrayList<>();
        textObjects.forEach(t -> texts.add(t.get("text").textValue()));
        return texts;
    }
}

package dev.handoff.alerter.channel;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.alerter.Alert;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.SeverityBand;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Microsoft Teams through a Workflows webhook ("When a Teams webhook request is received" posting the card to a chat or
 * channel): renders an alert as an Adaptive Card 1.4 in a message attachment, with an Acknowledge button and an
 * {@code <at>} mention of the recipient, and keeps the message under Teams' 28 KB limit. Teams keeps no idempotency
 * key, so a re-sent message shows twice.
 */
public final class TeamsChannel implements Channel {

    static final String CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";
    static final String CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json";
    static final String CARD_VERSION = "1.4";
    /** A digest lists at most this many findings and says how many more there are. */
    static final int MAX_DIGEST_ITEMS = 20;
    /** Teams refuses messages over 28 KB; the card is cut to fit this many bytes of JSON. */
    static final int MAX_MESSAGE_BYTES = 27 * 1024;
    static final int MAX_TITLE = 300;
    static final int MAX_SUMMARY = 2_000;

    private static final DateTimeFormatter DEADLINE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);
    /** A user principal name (an e-mail-like sign-in name) or an Entra object id; nothing that could break the card. */
    private static final Pattern TEAMS_USER = Pattern.compile("[^\\s<>\"]+@[^\\s<>\"]+|[0-9a-fA-F-]{36}");
    private static final Pattern AT_TAG = Pattern.compile("<(/?at)>", Pattern.CASE_INSENSITIVE);

    private final HttpDelivery http;

    public TeamsChannel(HttpDelivery http) {
        this.http = http;
    }

    @Override
    public ChannelType type() {
        return ChannelType.TEAMS;
    }

    @Override
    public DeliveryResult deliver(Target target, Alert alert) {
        return JsonChannels.checkAndPost(http, target, ChannelType.TEAMS, () -> payload(alert));
    }

    /** A workflow posts every request it accepts. */
    @Override
    public boolean endpointDeduplicates() {
        return false;
    }

    /** The workflow request: a message with one Adaptive Card attachment, at most {@link #MAX_MESSAGE_BYTES}. */
    static ObjectNode payload(Alert alert) {
        int listed = Math.min(alert.items().size(), MAX_DIGEST_ITEMS);
        ObjectNode payload = message(card(alert, listed));
        // Long titles and links can push a full digest over Teams' size limit: list fewer until it fits.
        while (listed > 1 && JsonChannels.bytes(payload).length > MAX_MESSAGE_BYTES) {
            listed = listed * 3 / 4;
            payload = message(card(alert, listed));
        }
        return payload;
    }

    private static ObjectNode message(ObjectNode card) {
        ObjectNode message = JsonChannels.object().put("type", "message");
        message.putArray("attachments").addObject()
                .put("contentType", CARD_CONTENT_TYPE)
                .putNull("contentUrl")
                .set("content", card);
        return message;
    }

    private static ObjectNode card(Alert alert, int listed) {
        ObjectNode card = JsonChannels.object()
                .put("$schema", CARD_SCHEMA)
                .put("type", "AdaptiveCard")
                .put("version", CARD_VERSION);
        ArrayNode body = card.putArray("body");
        ObjectNode msteams = card.putObject("msteams").put("width", "Full");
        if (alert.action() == Alert.Action.RESOLVE) {
            resolved(alert, body);
            return card;
        }
        textBlock(body, safe(alert.headline(), MAX_TITLE)).put("weight", "Bolder").put("size", "Medium")
                .put("color", urgent(alert.band(), alert.level()) ? "Attention" : "Default");
        mention(alert.recipient(), body, msteams);
        if (!JsonChannels.blank(alert.summary())) {
            textBlock(body, safe(alert.summary(), MAX_SUMMARY));
        }
        if (alert.kind() == DispatchKind.DIGEST || alert.items().size() > 1) {
            digest(alert, body, listed);
        } else {
            single(alert, card, body);
        }
        return card;
    }

    private static void single(Alert alert, ObjectNode card, ArrayNode body) {
        Alert.Item item = alert.first();
        ArrayNode facts = body.addObject().put("type", "FactSet").putArray("facts");
        fact(facts, "Severity", (item == null ? alert.band() : item.band()).name());
        if (!JsonChannels.blank(alert.level())) {
            fact(facts, "SLA", alert.level());
        }
        if (item != null) {
            itemFacts(item, facts);
            if (!item.failureModes().isEmpty()) {
                fact(facts, "Failure modes", String.join(", ", item.failureModes()));
            }
            fact(facts, "Finding", item.findingId());
        }
        if (alert.recipient() != null) {
            fact(facts, "Owner", alert.recipient().displayName());
        }
        if (item != null && usableLink(item.ackLink())) {
            card.putArray("actions").add(openUrl(item.ackLink()));
        }
    }

    private static void digest(Alert alert, ArrayNode body, int listed) {
        List<Alert.Item> items = alert.items();
        for (Alert.Item item : items.subList(0, listed)) {
            ObjectNode container = body.addObject().put("type", "Container").put("separator", true).put("spacing", "Medium");
            ArrayNode inside = container.putArray("items");
            textBlock(inside, item.band() + " · " + safe(item.title(), MAX_TITLE)).put("weight", "Bolder");
            ArrayNode facts = JsonChannels.MAPPER.createArrayNode();
            itemFacts(item, facts);
            if (!facts.isEmpty()) {
                inside.addObject().put("type", "FactSet").set("facts", facts);
            }
            if (usableLink(item.ackLink())) {
                inside.addObject().put("type", "ActionSet").putArray("actions").add(openUrl(item.ackLink()));
            }
        }
        if (listed < items.size()) {
            textBlock(body, "…and " + (items.size() - listed) + " more (" + items.size() + " in total); the full list is in Handoff.")
                    .put("isSubtle", true).put("separator", true);
        }
    }

    private static void resolved(Alert alert, ArrayNode body) {
        textBlock(body, "✅ Acknowledged: " + safe(alert.headline(), MAX_TITLE)).put("weight", "Bolder").put("color", "Good");
        if (!JsonChannels.blank(alert.summary())) {
            textBlock(body, safe(alert.summary(), MAX_SUMMARY));
        }
        Alert.Item item = alert.first();
        if (item != null) {
            ArrayNode facts = body.addObject().put("type", "FactSet").putArray("facts");
            fact(facts, alert.items().size() == 1 ? "Finding" : "Findings", alert.items().size() == 1
                    ? item.findingId() : alert.items().size() + " (first " + item.findingId() + ")");
        }
    }

    private static void itemFacts(Alert.Item item, ArrayNode facts) {
        if (!JsonChannels.blank(item.target())) {
            fact(facts, "Target", item.target());
        }
        if (item.deadline() != null) {
            fact(facts, "Deadline", deadline(item.deadline()));
        }
        if (!item.vulnerabilityIds().isEmpty()) {
            fact(facts, "IDs", String.join(", ", item.vulnerabilityIds()));
        }
    }

    /**
     * The recipient's mention: {@code <at>name</at>} in the text, and the matching {@code msteams.entities} entry that
     * carries their UPN (learn.microsoft.com, "User mention in Incoming Webhook with Adaptive Cards").
     */
    private static void mention(Alert.Recipient recipient, ArrayNode body, ObjectNode msteams) {
        if (recipient == null || recipient.teamsUpn() == null || !TEAMS_USER.matcher(recipient.teamsUpn()).matches()) {
            return;
        }
        String name = JsonChannels.truncate(recipient.displayName().replaceAll("[<>]", ""), 100);
        String tag = "<at>" + name + "</at>";
        textBlock(body, "For " + tag);
        msteams.putArray("entities").addObject()
                .put("type", "mention")
                .put("text", tag)
                .putObject("mentioned").put("id", recipient.teamsUpn()).put("name", name);
    }

    private static ObjectNode textBlock(ArrayNode into, String text) {
        return into.addObject().put("type", "TextBlock").put("text", text).put("wrap", true);
    }

    private static void fact(ArrayNode facts, String title, String value) {
        facts.addObject().put("title", title).put("value", safe(value, MAX_TITLE));
    }

    private static ObjectNode openUrl(String url) {
        return JsonChannels.object().put("type", "Action.OpenUrl").put("title", "Acknowledge").put("url", url);
    }

    private static boolean urgent(SeverityBand band, String level) {
        return band == SeverityBand.CRITICAL || band == SeverityBand.HIGH || "BREACH".equals(level);
    }

    private static boolean usableLink(String url) {
        return url != null && (url.startsWith("https://") || url.startsWith("http://"));
    }

    private static String deadline(Instant instant) {
        return DEADLINE.format(instant);
    }

    /**
     * Untrusted text made inert for a TextBlock or Fact: Teams renders a markdown subset there, so a finding title could
     * otherwise carry a link ({@code [text](url)}) or a stray {@code <at>} tag; both are broken up, the words stay.
     */
    static String safe(String text, int max) {
        if (text == null) {
            return "";
        }
        String inert = AT_TAG.matcher(text.replace("](", "] (")).replaceAll("‹$1›");
        return JsonChannels.truncate(inert, max);
    }
}

package dev.handoff.alerter.channel;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The constraints of the official Adaptive Card 1.4 JSON schema (github.com/microsoft/AdaptiveCards,
 * schemas/1.4.0/adaptive-card.json) for the elements Handoff uses, plus what Teams adds: the Workflows message envelope,
 * {@code msteams.entities} mentions, and the 28 KB message limit. Per the schema, every element is
 * {@code additionalProperties: false}, its required properties must be there, and enum values match case-insensitively.
 */
final class AdaptiveCardRules {

    /** Properties every element inherits (Extendable.Element / ToggleableItem). */
    private static final Set<String> ELEMENT = Set.of("type", "fallback", "height", "separator", "spacing", "id", "isVisible", "requires");
    private static final Map<String, Set<String>> OWN_PROPERTIES = Map.of(
            "TextBlock", Set.of("text", "color", "fontType", "horizontalAlignment", "isSubtle", "maxLines", "size", "weight", "wrap"),
            "FactSet", Set.of("facts"),
            "Container", Set.of("items", "selectAction", "style", "verticalContentAlignment", "bleed", "backgroundImage", "minHeight"),
            "ActionSet", Set.of("actions"));
    private static final Map<String, String> REQUIRED = Map.of("TextBlock", "text", "FactSet", "facts", "Container", "items", "ActionSet", "actions");
    /** AdaptiveCard's properties, plus {@code msteams}: Teams' documented extension for mentions and width. */
    private static final Set<String> CARD = Set.of("type", "version", "refresh", "body", "actions", "selectAction", "fallbackText",
            "backgroundImage", "minHeight", "speak", "lang", "verticalContentAlignment", "$schema", "msteams");
    private static final Set<String> OPEN_URL = Set.of("type", "url", "title", "iconUrl", "style", "fallback", "requires", "id");

    private static final Set<String> FONT_WEIGHT = Set.of("default", "lighter", "bolder");
    private static final Set<String> FONT_SIZE = Set.of("default", "small", "medium", "large", "extralarge");
    private static final Set<String> COLORS = Set.of("default", "dark", "light", "accent", "good", "warning", "attention");
    private static final Set<String> SPACING = Set.of("default", "none", "small", "medium", "large", "extralarge", "padding");

    /** Teams: "The message size limit is 28 KB" (learn.microsoft.com, add-incoming-webhook). */
    static final int TEAMS_MESSAGE_LIMIT = 28 * 1024;

    private AdaptiveCardRules() {
    }

    static List<String> violations(JsonNode message, int bytes) {
        List<String> v = new ArrayList<>();
        if (bytes > TEAMS_MESSAGE_LIMIT) {
            v.add("message: " + bytes + " bytes > 28 KB");
        }
        if (!"message".equals(message.path("type").asText())) {
            v.add("type: must be 'message'");
        }
        JsonNode attachments = message.path("attachments");
        if (!attachments.isArray() || attachments.size() != 1) {
            v.add("attachments: one card expected");
            return v;
        }
        JsonNode attachment = attachments.get(0);
        if (!"application/vnd.microsoft.card.adaptive".equals(attachment.path("contentType").asText())) {
            v.add("attachments[0].contentType: not an Adaptive Card");
        }
        if (!attachment.has("contentUrl") || !attachment.get("contentUrl").isNull()) {
            v.add("attachments[0].contentUrl: must be present and null");
        }
        card(attachment.path("content"), v);
        return v;
    }

    private static void card(JsonNode card, List<String> v) {
        onlyKnown("content", card, CARD, v);
        if (!"AdaptiveCard".equals(card.path("type").asText())) {
            v.add("content.type: must be 'AdaptiveCard'");
        }
        if (!card.path("version").isTextual()) {
            v.add("content.version: required for the top-level card");
        } else if (!card.get("version").asText().equals("1.4")) {
            v.add("content.version: " + card.get("version").asText() + ", Handoff targets 1.4");
        }
        if (!"http://adaptivecards.io/schemas/adaptive-card.json".equals(card.path("$schema").asText())) {
            v.add("content.$schema: not the Adaptive Card schema");
        }
        List<String> texts = new ArrayList<>();
        JsonNode body = card.path("body");
        if (!body.isArray() || body.isEmpty()) {
            v.add("content.body: missing or empty");
        }
        for (int i = 0; i < body.size(); i++) {
            element("body[" + i + "]", body.get(i), texts, v);
        }
        if (card.has("actions")) {
            actions("actions", card.get("actions"), v);
        }
        JsonNode entities = card.path("msteams").path("entities");
        for (int i = 0; i < entities.size(); i++) {
            JsonNode e = entities.get(i);
            String text = e.path("text").asText();
            if (!"mention".equals(e.path("type").asText()) || !text.matches("<at>[^<>]+</at>")) {
                v.add("msteams.entities[" + i + "]: a mention needs type 'mention' and text '<at>name</at>'");
            }
            if (!e.path("mentioned").path("id").isTextual() || !e.path("mentioned").path("name").isTextual()) {
                v.add("msteams.entities[" + i + "].mentioned: id and name are required");
            }
            if (texts.stream().noneMatch(t -> t.contains(text))) {
                v.add("msteams.entities[" + i + "]: '" + text + "' appears in no TextBlock, so Teams will not render the mention");
            }
        }
    }

    private static void element(String at, JsonNode element, List<String> texts, List<String> v) {
        String type = element.path("type").asText();
        Set<String> own = OWN_PROPERTIES.get(type);
        if (own == null) {
            v.add(at + ": element type '" + type + "' is not one Handoff uses");
            return;
        }
        Set<String> allowed = new java.util.HashSet<>(ELEMENT);
        allowed.addAll(own);
        onlyKnown(at, element, allowed, v);
        if (!element.has(REQUIRED.get(type))) {
            v.add(at + ": " + type + " requires '" + REQUIRED.get(type) + "'");
        }
        oneOf(at + ".spacing", element.get("spacing"), SPACING, v);
        bool(at + ".separator", element.get("separator"), v);
        switch (type) {
            case "TextBlock" -> {
                if (!element.path("text").isTextual()) {
                    v.add(at + ".text: must be a string");
                } else {
                    texts.add(element.get("text").asText());
                }
                oneOf(at + ".weight", element.get("weight"), FONT_WEIGHT, v);
                oneOf(at + ".size", element.get("size"), FONT_SIZE, v);
                oneOf(at + ".color", element.get("color"), COLORS, v);
                bool(at + ".wrap", element.get("wrap"), v);
                bool(at + ".isSubtle", element.get("isSubtle"), v);
            }
            case "FactSet" -> {
                JsonNode facts = element.path("facts");
                for (int i = 0; i < facts.size(); i++) {
                    JsonNode fact = facts.get(i);
                    onlyKnown(at + ".facts[" + i + "]", fact, Set.of("type", "title", "value"), v);
                    if (!fact.path("title").isTextual() || !fact.path("value").isTextual()) {
                        v.add(at + ".facts[" + i + "]: title and value are required strings");
                    }
                }
            }
            case "Container" -> {
                JsonNode items = element.path("items");
                for (int i = 0; i < items.size(); i++) {
                    element(at + ".items[" + i + "]", items.get(i), texts, v);
                }
            }
            case "ActionSet" -> actions(at + ".actions", element.path("actions"), v);
            default -> {
            }
        }
    }

    private static void actions(String at, JsonNode actions, List<String> v) {
        for (int i = 0; i < actions.size(); i++) {
            JsonNode action = actions.get(i);
            if (!"Action.OpenUrl".equals(action.path("type").asText())) {
                v.add(at + "[" + i + "]: only Action.OpenUrl is used");
                continue;
            }
            onlyKnown(at + "[" + i + "]", action, OPEN_URL, v);
            String url = action.path("url").asText("");
            if (!url.startsWith("https://") && !url.startsWith("http://")) {
                v.add(at + "[" + i + "].url: required, a web link");
            }
        }
    }

    private static void onlyKnown(String at, JsonNode node, Set<String> allowed, List<String> v) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                v.add(at + "." + name + ": not a property of this element");
            }
        }
    }

    private static void oneOf(String at, JsonNode value, Set<String> allowed, List<String> v) {
        if (value != null && !allowed.contains(value.asText().toLowerCase(Locale.ROOT))) {
            v.add(at + ": '" + value.asText() + "' is not one of " + allowed);
        }
    }

    private static void bool(String at, JsonNode value, List<String> v) {
        if (value != null && !value.isBoolean()) {
            v.add(at + ": must be a boolean");
        }
    }
}

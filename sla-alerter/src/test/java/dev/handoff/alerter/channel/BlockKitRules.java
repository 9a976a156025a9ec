package dev.handoff.alerter.channel;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Slack's documented limits for a message payload, written out from the Block Kit reference (docs.slack.dev,
 * reference/block-kit/blocks/{header,section,context,actions}-block, block-elements/button-element, composition-objects
 * /text-object) and the formatting reference (escaping {@code &}, {@code <}, {@code >}). Independent of the channel's
 * constants on purpose: the numbers are typed again here.
 */
final class BlockKitRules {

    private static final Set<String> BLOCK_TYPES = Set.of("header", "section", "context", "actions", "divider");
    /** The control sequences Handoff means to send: a member mention and a date token. */
    private static final Pattern ALLOWED_SEQUENCES = Pattern.compile("<@[UW][A-Z0-9]+>|<!date\\^\\d+\\^[^|>]+\\|[^<>|]+>");
    private static final Pattern ENTITY = Pattern.compile("&(amp|lt|gt);");

    private BlockKitRules() {
    }

    static List<String> violations(JsonNode payload) {
        List<String> v = new ArrayList<>();
        if (!payload.path("text").isTextual() || payload.path("text").textValue().isBlank()) {
            v.add("text: a non-empty fallback is needed for notifications");
        } else {
            mrkdwn("text", payload.get("text").textValue(), v);
        }
        JsonNode blocks = payload.path("blocks");
        if (!blocks.isArray() || blocks.isEmpty()) {
            v.add("blocks: missing or empty");
            return v;
        }
        if (blocks.size() > 50) {
            v.add("blocks: " + blocks.size() + " > 50 per message");
        }
        for (int i = 0; i < blocks.size(); i++) {
            block("blocks[" + i + "]", blocks.get(i), v);
        }
        return v;
    }

    private static void block(String at, JsonNode block, List<String> v) {
        String type = block.path("type").asText();
        if (!BLOCK_TYPES.contains(type)) {
            v.add(at + ": unknown block type '" + type + "'");
            return;
        }
        if (block.has("block_id") && block.get("block_id").asText().length() > 255) {
            v.add(at + ".block_id: > 255");
        }
        switch (type) {
            case "header" -> {
                text(at + ".text", block.path("text"), 150, Set.of("plain_text"), v);
            }
            case "section" -> {
                if (!block.has("text") && !block.has("fields")) {
                    v.add(at + ": a section needs text or fields");
                }
                if (block.has("text")) {
                    text(at + ".text", block.get("text"), 3000, Set.of("plain_text", "mrkdwn"), v);
                }
                if (block.has("fields")) {
                    JsonNode fields = block.get("fields");
                    if (fields.isEmpty() || fields.size() > 10) {
                        v.add(at + ".fields: " + fields.size() + " items, allowed 1..10");
                    }
                    for (int i = 0; i < fields.size(); i++) {
                        text(at + ".fields[" + i + "]", fields.get(i), 2000, Set.of("plain_text", "mrkdwn"), v);
                    }
                }
                if (block.has("accessory")) {
                    button(at + ".accessory", block.get("accessory"), v);
                }
            }
            case "context" -> {
                JsonNode elements = block.path("elements");
                if (elements.isEmpty() || elements.size() > 10) {
                    v.add(at + ".elements: " + elements.size() + " items, allowed 1..10");
                }
                for (int i = 0; i < elements.size(); i++) {
                    text(at + ".elements[" + i + "]", elements.get(i), 3000, Set.of("plain_text", "mrkdwn"), v);
                }
            }
            case "actions" -> {
                JsonNode elements = block.path("elements");
                if (elements.isEmpty() || elements.size() > 25) {
                    v.add(at + ".elements: " + elements.size() + " items, allowed 1..25");
                }
                Set<String> ids = new HashSet<>();
                for (int i = 0; i < elements.size(); i++) {
                    button(at + ".elements[" + i + "]", elements.get(i), v);
                    if (elements.get(i).has("action_id") && !ids.add(elements.get(i).get("action_id").asText())) {
                        v.add(at + ".elements[" + i + "].action_id: not unique in its block");
                    }
                }
            }
            default -> {
            }
        }
    }

    private static void button(String at, JsonNode button, List<String> v) {
        if (!"button".equals(button.path("type").asText())) {
            v.add(at + ": only buttons are used, found '" + button.path("type").asText() + "'");
            return;
        }
        text(at + ".text", button.path("text"), 75, Set.of("plain_text"), v);
        if (button.has("action_id") && button.get("action_id").asText().length() > 255) {
            v.add(at + ".action_id: > 255");
        }
        if (button.has("url")) {
            String url = button.get("url").asText();
            if (url.length() > 3000) {
                v.add(at + ".url: " + url.length() + " > 3000");
            }
            if (!url.startsWith("https://") && !url.startsWith("http://")) {
                v.add(at + ".url: not a web link");
            }
        }
        if (button.has("value") && button.get("value").asText().length() > 2000) {
            v.add(at + ".value: > 2000");
        }
        if (button.has("style") && !Set.of("primary", "danger").contains(button.get("style").asText())) {
            v.add(at + ".style: '" + button.get("style").asText() + "' is neither primary nor danger");
        }
    }

    private static void text(String at, JsonNode text, int max, Set<String> types, List<String> v) {
        String type = text.path("type").asText();
        if (!types.contains(type)) {
            v.add(at + ".type: '" + type + "', allowed " + types);
            return;
        }
        String value = text.path("text").asText();
        if (value.isEmpty()) {
            v.add(at + ".text: empty");
        }
        if (value.length() > max) {
            v.add(at + ".text: " + value.length() + " > " + max);
        }
        if (type.equals("mrkdwn")) {
            mrkdwn(at + ".text", value, v);
        }
    }

    /** Every {@code <}, {@code >} and {@code &} is escaped unless it is one of the sequences Handoff sends on purpose. */
    private static void mrkdwn(String at, String value, List<String> v) {
        String rest = ALLOWED_SEQUENCES.matcher(value).replaceAll("");
        if (rest.indexOf('<') >= 0 || rest.indexOf('>') >= 0) {
            v.add(at + ": unescaped < or > in mrkdwn: " + value);
        }
        String noEntities = ENTITY.matcher(rest).replaceAll("");
        if (noEntities.indexOf('&') >= 0) {
            v.add(at + ": unescaped & in mrkdwn: " + value);
        }
    }
}

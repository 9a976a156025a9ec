package dev.handoff.alerter.channel;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.alerter.Alert;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.SeverityBand;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Slack incoming webhooks: renders an alert as a Block Kit message (header, section with fields, context, an
 * acknowledge button) within Block Kit's documented limits, and posts it. Untrusted text is escaped for mrkdwn, so a
 * finding title can neither mention a channel nor forge a link. Slack keeps no idempotency key, so a re-sent message
 * shows twice.
 */
public final class SlackChannel implements Channel {

    // Block Kit limits, from docs.slack.dev/reference/block-kit (blocks/*, block-elements/button-element).
    static final int MAX_BLOCKS = 50;
    static final int MAX_HEADER_TEXT = 150;
    static final int MAX_SECTION_TEXT = 3_000;
    static final int MAX_FIELDS = 10;
    static final int MAX_FIELD_TEXT = 2_000;
    static final int MAX_BUTTON_URL = 3_000;
    /** Short enough for a notification; the blocks carry the rest. */
    static final int MAX_FALLBACK_TEXT = 300;

    /** Member ids: U… or, on Enterprise Grid, W…; anything else is not put inside a {@code <@…>} mention. */
    private static final Pattern SLACK_MEMBER_ID = Pattern.compile("[UW][A-Z0-9]{2,30}");

    private final HttpDelivery http;

    public SlackChannel(HttpDelivery http) {
        this.http = http;
    }

    @Override
    public ChannelType type() {
        return ChannelType.SLACK;
    }

    @Override
    public DeliveryResult deliver(Target target, Alert alert) {
        return JsonChannels.checkAndPost(http, target, ChannelType.SLACK, () -> payload(alert));
    }

    /** Incoming webhooks take no idempotency key: a repeat is posted again. */
    @Override
    public boolean endpointDeduplicates() {
        return false;
    }

    /** The incoming-webhook payload: {@code text} (the notification fallback) and {@code blocks}. */
    static ObjectNode payload(Alert alert) {
        if (alert.action() == Alert.Action.RESOLVE) {
            return resolved(alert);
        }
        return alert.kind() == DispatchKind.DIGEST || alert.items().size() > 1 ? digest(alert) : single(alert);
    }

    private static ObjectNode single(Alert alert) {
        Alert.Item item = alert.first();
        ObjectNode payload = message(alert);
        ArrayNode blocks = payload.putArray("blocks");
        header(blocks, alert.headline());
        // Never empty (the severity is always there), so the section is valid even without a summary.
        ArrayNode fields = section(blocks, intro(alert)).putArray("fields");
        fields(alert, item).stream().limit(MAX_FIELDS).forEach(f -> fields.addObject().put("type", "mrkdwn").put("text", f));
        context(blocks, "Handoff · " + kindLabel(alert) + (item == null ? "" : " · finding `" + mrkdwn(item.findingId(), 200) + "`"));
        if (item != null && usableLink(item.ackLink())) {
            blocks.addObject().put("type", "actions").putArray("elements")
                    .add(button(item.ackLink(), "acknowledge", style(alert.band(), alert.level())));
        }
        return payload;
    }

    private static ObjectNode digest(Alert alert) {
        ObjectNode payload = message(alert);
        ArrayNode blocks = payload.putArray("blocks");
        header(blocks, alert.headline());
        String intro = intro(alert);
        if (!intro.isEmpty()) {
            section(blocks, intro);
        }
        List<Alert.Item> items = alert.items();
        int room = MAX_BLOCKS - blocks.size() - 1; // the closing context block
        int shown = items.size() <= room ? items.size() : room - 1; // one block says how many more
        for (int i = 0; i < shown; i++) {
            Alert.Item item = items.get(i);
            ObjectNode section = section(blocks, itemLine(item));
            if (usableLink(item.ackLink())) {
                section.set("accessory", button(item.ackLink(), "acknowledge-" + i, style(item.band(), null)));
            }
        }
        if (shown < items.size()) {
            context(blocks, "…and " + (items.size() - shown) + " more (" + items.size() + " in total); the full list is in Handoff.");
        }
        context(blocks, "Handoff · " + kindLabel(alert) + " · " + items.size() + (items.size() == 1 ? " finding" : " findings"));
        return payload;
    }

    private static ObjectNode resolved(Alert alert) {
        ObjectNode payload = JsonChannels.object();
        String fallback = "Acknowledged: ";
        payload.put("text", fallback + mrkdwn(alert.headline(), MAX_FALLBACK_TEXT - fallback.length()));
        ArrayNode blocks = payload.putArray("blocks");
        String head = ":white_check_mark: *Acknowledged:* ";
        String text = head + mrkdwn(alert.headline(), 500);
        if (!JsonChannels.blank(alert.summary())) {
            text += "\n" + mrkdwn(alert.summary(), MAX_SECTION_TEXT - text.length() - 1);
        }
        section(blocks, text);
        Alert.Item item = alert.first();
        String which = alert.items().size() > 1 ? " · " + alert.items().size() + " findings"
                : item == null ? "" : " · finding `" + mrkdwn(item.findingId(), 200) + "`";
        context(blocks, "Handoff · " + kindLabel(alert) + which);
        return payload;
    }

    /** The top-level {@code text}: what notifications and clients without blocks show. */
    private static ObjectNode message(Alert alert) {
        ObjectNode payload = JsonChannels.object();
        String mention = mention(alert.recipient());
        String text = (mention.isEmpty() ? "" : mention + " ") + "[" + alert.band() + "] ";
        payload.put("text", text + mrkdwn(alert.headline(), MAX_FALLBACK_TEXT - text.length()));
        return payload;
    }

    /** The mention and summary; empty when there is neither. */
    private static String intro(Alert alert) {
        String mention = mention(alert.recipient());
        String prefix = mention.isEmpty() ? "" : mention + " ";
        String summary = mrkdwn(alert.summary(), MAX_SECTION_TEXT - prefix.length());
        return (prefix + summary).strip();
    }

    private static List<String> fields(Alert alert, Alert.Item item) {
        List<String> fields = new ArrayList<>();
        fields.add(field("Severity", (item == null ? alert.band() : item.band()).name()));
        if (item != null && item.deadline() != null) {
            fields.add(field("Deadline", date(item.deadline())));
        }
        if (item != null && !JsonChannels.blank(item.target())) {
            fields.add(field("Target", mrkdwn(item.target(), MAX_FIELD_TEXT - 20)));
        }
        if (item != null && !item.vulnerabilityIds().isEmpty()) {
            fields.add(field("IDs", mrkdwn(String.join(", ", item.vulnerabilityIds()), MAX_FIELD_TEXT - 20)));
        }
        if (!JsonChannels.blank(alert.level())) {
            fields.add(field("SLA", mrkdwn(alert.level(), 100)));
        }
        if (item != null && !item.failureModes().isEmpty()) {
            fields.add(field("Failure modes", mrkdwn(String.join(", ", item.failureModes()), MAX_FIELD_TEXT - 20)));
        }
        if (alert.recipient() != null) {
            fields.add(field("Owner", mrkdwn(alert.recipient().displayName(), 500)));
        }
        return fields;
    }

    private static String field(String label, String value) {
        return "*" + label + "*\n" + value;
    }

    /** One digest line: band and title, then target, deadline and ids. */
    private static String itemLine(Alert.Item item) {
        StringBuilder line = new StringBuilder("*").append(item.band()).append("* · ").append(mrkdwn(item.title(), 1_000));
        List<String> details = new ArrayList<>();
        if (!JsonChannels.blank(item.target())) {
            details.add(mrkdwn(item.target(), 500));
        }
        if (item.deadline() != null) {
            details.add("due " + date(item.deadline()));
        }
        if (!item.vulnerabilityIds().isEmpty()) {
            details.add(mrkdwn(String.join(", ", item.vulnerabilityIds()), 500));
        }
        if (!details.isEmpty()) {
            line.append('\n').append(String.join(" · ", details));
        }
        return line.toString();
    }

    private static void header(ArrayNode blocks, String headline) {
        // plain_text is shown as given: no mrkdwn parsing, so no escaping.
        String text = JsonChannels.blank(headline) ? "Handoff alert" : JsonChannels.truncate(headline.strip(), MAX_HEADER_TEXT);
        blocks.addObject().put("type", "header").putObject("text").put("type", "plain_text").put("text", text).put("emoji", true);
    }

    private static ObjectNode section(ArrayNode blocks, String mrkdwnText) {
        ObjectNode section = blocks.addObject().put("type", "section");
        if (!mrkdwnText.isEmpty()) {
            section.putObject("text").put("type", "mrkdwn").put("text", mrkdwnText);
        }
        return section;
    }

    private static void context(ArrayNode blocks, String mrkdwnText) {
        blocks.addObject().put("type", "context").putArray("elements").addObject().put("type", "mrkdwn").put("text", mrkdwnText);
    }

    private static ObjectNode button(String url, String actionId, String style) {
        ObjectNode button = JsonChannels.object().put("type", "button");
        button.putObject("text").put("type", "plain_text").put("text", "Acknowledge");
        button.put("url", url).put("action_id", actionId);
        if (style != null) {
            button.put("style", style);
        }
        return button;
    }

    /** Red for what must not wait, green otherwise. */
    private static String style(SeverityBand band, String level) {
        return band == SeverityBand.CRITICAL || band == SeverityBand.HIGH || "BREACH".equals(level) ? "danger" : "primary";
    }

    /** A link a button can carry: http(s), and within the button's URL limit (a URL cannot be shortened). */
    private static boolean usableLink(String url) {
        return url != null && url.length() <= MAX_BUTTON_URL && (url.startsWith("https://") || url.startsWith("http://"));
    }

    private static String mention(Alert.Recipient recipient) {
        return recipient != null && recipient.slackId() != null && SLACK_MEMBER_ID.matcher(recipient.slackId()).matches()
                ? "<@" + recipient.slackId() + ">" : "";
    }

    private static String kindLabel(Alert alert) {
        return alert.kind().name() + (JsonChannels.blank(alert.level()) ? "" : " " + mrkdwn(alert.level(), 50));
    }

    /** Shown in each reader's own time zone; the fallback is for clients that cannot. */
    private static String date(Instant instant) {
        return "<!date^" + instant.getEpochSecond() + "^{date_short_pretty} {time}|" + instant + ">";
    }

    /**
     * {@code raw} escaped for mrkdwn (Slack's control characters {@code &}, {@code <}, {@code >} as entities) and cut to at
     * most {@code max} characters, ending in an ellipsis when cut; an entity is never cut in half.
     */
    static String mrkdwn(String raw, int max) {
        if (raw == null || max <= 0) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        int budget = max - 1; // room for the ellipsis if it comes to that
        int i = 0;
        boolean cut = false;
        while (i < raw.length()) {
            int cp = raw.codePointAt(i);
            String piece = switch (cp) {
                case '&' -> "&amp;";
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                default -> new String(Character.toChars(cp));
            };
            if (out.length() + piece.length() > budget) {
                cut = true;
                break;
            }
            out.append(piece);
            i += Character.charCount(cp);
        }
        if (!cut) {
            return out.toString();
        }
        // The ellipsis budget was only needed if the rest does not fit after all.
        String rest = escape(raw.substring(i));
        return out.length() + rest.length() <= max ? out + rest : out + "…";
    }

    private static String escape(String raw) {
        return raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}

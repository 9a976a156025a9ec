package dev.handoff.alerter.channel;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.alerter.Alert;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.SeverityBand;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Delivers alerts as PagerDuty Events API v2 alert events: a {@link Alert.Action#TRIGGER} opens (or adds to) the alert
 * of its {@code dedup_key}, a {@link Alert.Action#RESOLVE} resolves it. Field names, the severity enumeration and the
 * length limits follow PagerDuty's "Send an Alert Event" reference (developer-docs, events-API-v2/02-Trigger-Events.md)
 * and its OpenAPI description (api-schema, reference/events-v2/openapiv3.json).
 */
public final class PagerDutyChannel implements Channel {

    /** PagerDuty's limit on {@code dedup_key}. */
    public static final int MAX_DEDUP_KEY = 255;
    /** PagerDuty's limit on {@code payload.summary}. */
    public static final int MAX_SUMMARY = 1024;
    /** Findings listed in {@code custom_details} and links attached; a digest beyond that says how many were left out. */
    static final int MAX_LISTED = 50;

    private final HttpDelivery http;

    public PagerDutyChannel(HttpDelivery http) {
        this.http = Objects.requireNonNull(http, "http");
    }

    @Override
    public ChannelType type() {
        return ChannelType.PAGERDUTY;
    }

    /** PagerDuty drops nothing, but a repeated trigger lands on the open alert of its dedup_key instead of opening another. */
    @Override
    public boolean endpointDeduplicates() {
        return true;
    }

    @Override
    public DeliveryResult deliver(Target target, Alert alert) {
        Optional<DeliveryResult> misconfigured = JsonChannels.misconfigured(target, ChannelType.PAGERDUTY);
        if (misconfigured.isPresent()) {
            return misconfigured.get();
        }
        String routingKey = target.routingKey();
        if (JsonChannels.blank(routingKey)) {
            return new DeliveryResult.Failed(target + " has no routing key: set alerter.target." + target.name()
                    + ".routing-key to the integration key of an Events API v2 integration", 0, "");
        }
        return withoutSecret(JsonChannels.post(http, target, JsonChannels.bytes(event(routingKey, alert)), Map.of()), routingKey);
    }

    /** The Events API v2 body for {@code alert}: a trigger with payload, links and client, or a bare resolve. */
    static ObjectNode event(String routingKey, Alert alert) {
        ObjectNode event = JsonChannels.object();
        event.put("routing_key", routingKey);
        event.put("event_action", alert.action() == Alert.Action.TRIGGER ? "trigger" : "resolve");
        event.put("dedup_key", dedupKey(alert.dedupKey()));
        if (alert.action() == Alert.Action.RESOLVE) {
            return event;
        }
        ObjectNode payload = event.putObject("payload");
        payload.put("summary", JsonChannels.truncate(oneLine(alert.headline()), MAX_SUMMARY));
        payload.put("source", "handoff");
        payload.put("severity", severity(alert.band()));
        payload.put("timestamp", alert.occurredAt().truncatedTo(ChronoUnit.MILLIS).toString());
        Alert.Item first = alert.first();
        if (first != null && first.target() != null && !first.target().isBlank()) {
            payload.put("component", first.target());
        }
        // Alert carries no team; the kind groups alerts of one sort together in PagerDuty's views.
        payload.put("group", alert.kind().name().toLowerCase(Locale.ROOT));
        payload.put("class", alert.level() == null ? alert.kind().name() : alert.kind().name() + "/" + alert.level());
        payload.set("custom_details", details(alert));
        ArrayNode links = JsonChannels.MAPPER.createArrayNode();
        for (Alert.Item item : alert.items()) {
            if (links.size() == MAX_LISTED) {
                break;
            }
            if (isWebLink(item.ackLink())) {
                links.addObject()
                        .put("href", item.ackLink())
                        .put("text", alert.items().size() == 1 ? "Acknowledge in Handoff"
                                : "Acknowledge in Handoff: " + JsonChannels.truncate(oneLine(item.title()), 100));
            }
        }
        if (!links.isEmpty()) {
            event.set("links", links);
        }
        event.put("client", "Handoff");
        return event;
    }

    private static ObjectNode details(Alert alert) {
        ObjectNode details = JsonChannels.object();
        details.put("alert_id", alert.alertId());
        details.put("kind", alert.kind().name());
        if (alert.level() != null) {
            details.put("level", alert.level());
        }
        details.put("band", alert.band().name());
        details.put("description", alert.summary());
        if (alert.recipient() != null) {
            details.put("owner", alert.recipient().displayName() + " (" + alert.recipient().ownerId() + ")");
        }
        ArrayNode findingIds = details.putArray("finding_ids");
        Instant deadline = null;
        Set<String> vulnerabilityIds = new LinkedHashSet<>();
        Set<String> failureModes = new LinkedHashSet<>();
        for (Alert.Item item : alert.items()) {
            if (findingIds.size() < MAX_LISTED) {
                findingIds.add(item.findingId());
            }
            if (item.deadline() != null && (deadline == null || item.deadline().isBefore(deadline))) {
                deadline = item.deadline();
            }
            vulnerabilityIds.addAll(item.vulnerabilityIds());
            failureModes.addAll(item.failureModes());
        }
        if (deadline != null) {
            details.put("deadline", deadline.toString());
        }
        vulnerabilityIds.stream().limit(MAX_LISTED).forEach(details.putArray("vulnerability_ids")::add);
        failureModes.forEach(details.putArray("failure_modes")::add);
        if (alert.items().size() > 1) {
            ArrayNode findings = details.putArray("findings");
            alert.items().stream().limit(MAX_LISTED).forEach(item -> {
                ObjectNode f = findings.addObject();
                f.put("finding_id", item.findingId());
                f.put("title", item.title());
                f.put("band", item.band().name());
                if (item.target() != null) {
                    f.put("target", item.target());
                }
                if (item.deadline() != null) {
                    f.put("deadline", item.deadline().toString());
                }
            });
            if (alert.items().size() > MAX_LISTED) {
                details.put("findings_not_listed", alert.items().size() - MAX_LISTED);
            }
        }
        return details;
    }

    /** PagerDuty's four severities: critical, error, warning, info. */
    static String severity(SeverityBand band) {
        return switch (band) {
            case CRITICAL -> "critical";
            case HIGH -> "error";
            case MEDIUM -> "warning";
            case LOW, INFO -> "info";
        };
    }

    /**
     * The {@code dedup_key} for an alert's incident identity: the key itself when it fits in 255 characters, otherwise
     * its start and a SHA-256 of the whole key, so two long keys sharing a prefix still open two alerts, and the
     * trigger and the resolve of one finding and kind always agree.
     */
    static String dedupKey(String key) {
        if (key.length() <= MAX_DEDUP_KEY) {
            return key;
        }
        String hash = sha256(key).substring(0, 32);
        return cut(key, MAX_DEDUP_KEY - hash.length() - 1) + "#" + hash;
    }

    /** The first {@code max} UTF-16 units of {@code text}, never splitting a surrogate pair. */
    private static String cut(String text, int max) {
        int end = Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
        return text.substring(0, end);
    }

    private static String oneLine(String text) {
        return text.replaceAll("\\p{Cntrl}+", " ").strip();
    }

    private static boolean isWebLink(String link) {
        return link != null && (link.startsWith("https://") || link.startsWith("http://"));
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** An error response that echoes the routing key must not carry it into logs and the dead-letter topic. */
    private static DeliveryResult withoutSecret(DeliveryResult result, String routingKey) {
        if (result instanceof DeliveryResult.Failed f) {
            return new DeliveryResult.Failed(f.reason().replace(routingKey, "…"), f.status(), f.response().replace(routingKey, "…"));
        }
        if (result instanceof DeliveryResult.Retry r) {
            return new DeliveryResult.Retry(r.reason().replace(routingKey, "…"), r.retryAfter());
        }
        return result;
    }
}

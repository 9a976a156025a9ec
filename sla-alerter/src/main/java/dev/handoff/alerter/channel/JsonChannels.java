package dev.handoff.alerter.channel;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.ChannelType;

import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What the JSON-over-HTTP channels share: one mapper, the target checks, text fitting, and the POST itself. A target
 * that cannot be called (no URL, not http or https, the wrong channel type) fails for good instead of throwing, so a
 * bad configuration line dead-letters its messages rather than stopping the dispatcher.
 */
final class JsonChannels {

    /** Writes characters beyond the BMP (emoji in titles) as UTF-8, not as escaped surrogate pairs. */
    static final ObjectMapper MAPPER = JsonMapper.builder().enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build();

    private JsonChannels() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static byte[] bytes(JsonNode payload) {
        try {
            return MAPPER.writeValueAsBytes(payload);
        } catch (JsonProcessingException e) {
            // A tree of plain nodes always serialises; this would be a Jackson bug.
            throw new UncheckedIOException(e);
        }
    }

    /** Why {@code target} cannot be called by a channel of type {@code expected}, if it cannot. */
    static Optional<DeliveryResult> misconfigured(Target target, ChannelType expected) {
        String key = "alerter.target." + target.name();
        if (target.type() != expected) {
            return Optional.of(new DeliveryResult.Failed(target + " is configured as " + target.type() + " but was handed to the "
                    + expected + " channel; check " + key + ".type", 0, ""));
        }
        if (target.url() == null) {
            return Optional.of(new DeliveryResult.Failed(target + " has no URL; set " + key + ".url", 0, ""));
        }
        String scheme = target.url().getScheme() == null ? "" : target.url().getScheme().toLowerCase(Locale.ROOT);
        if ((!scheme.equals("https") && !scheme.equals("http")) || target.url().getHost() == null) {
            return Optional.of(new DeliveryResult.Failed(target + " has a URL that is not an absolute http(s) URL; fix "
                    + key + ".url", 0, ""));
        }
        return Optional.empty();
    }

    /** One POST of {@code body} to the target's URL within its timeout; never throws for anything the endpoint does. */
    static DeliveryResult post(HttpDelivery http, Target target, byte[] body, Map<String, String> headers) {
        try {
            return http.postJson(target.url(), body, headers, target.timeout());
        } catch (IllegalArgumentException e) {
            // The JDK client refuses a header value or URL it cannot send; no retry will change that. Its message may
            // quote the URL, which carries the webhook's secret.
            String why = String.valueOf(e.getMessage()).replace(target.url().toString(), HttpDelivery.redact(target.url()));
            return new DeliveryResult.Failed(target + ": request refused before sending: " + why, 0, "");
        }
    }

    /** The whole delivery of a channel that posts one JSON payload with no extra headers: check the target, then post. */
    static DeliveryResult checkAndPost(HttpDelivery http, Target target, ChannelType type, java.util.function.Supplier<JsonNode> payload) {
        Optional<DeliveryResult> misconfigured = misconfigured(target, type);
        return misconfigured.orElseGet(() -> post(http, target, bytes(payload.get()), Map.of()));
    }

    /**
     * {@code text} cut to at most {@code max} UTF-16 units, ending in an ellipsis when cut. Counting UTF-16 units
     * never undercounts what a service calls characters, and the cut never splits a surrogate pair.
     */
    static String truncate(String text, int max) {
        if (text.length() <= max) {
            return text;
        }
        int end = max - 1;
        if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, Math.max(end, 0)) + "…";
    }

    /** ISO-8601 in UTC, or null. */
    static String iso(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}

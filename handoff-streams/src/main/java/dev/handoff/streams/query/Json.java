package dev.handoff.streams.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.function.Function;

/** Shared JSON plumbing of the query API: one mapper, and null-tolerant field readers for peer answers. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {
    }

    static ObjectNode object() {
        return NODES.objectNode();
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode read(String body) {
        try {
            return MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
    }

    static void put(ObjectNode node, String field, Instant value) {
        node.put(field, value == null ? null : value.toString());
    }

    static void put(ObjectNode node, String field, Enum<?> value) {
        node.put(field, value == null ? null : value.name());
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    static String requiredText(JsonNode node, String field) {
        String v = text(node, field);
        if (v == null) {
            throw new IllegalArgumentException("missing '" + field + "' in " + node);
        }
        return v;
    }

    static Instant instant(JsonNode node, String field) {
        String v = text(node, field);
        return v == null ? null : Instant.parse(v);
    }

    static <E extends Enum<E>> E enumValue(JsonNode node, String field, Function<String, E> valueOf) {
        String v = text(node, field);
        return v == null ? null : valueOf.apply(v);
    }
}

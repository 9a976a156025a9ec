package dev.handoff.streams.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.LogicalType;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Renders Avro records as JSON by walking their schema, so the JSON field names are exactly the
 * snake_case names of the {@code .avsc} files and never drift with the generated Java accessors.
 *
 * <p>Timestamps become ISO-8601 instants, {@code date} and {@code time-*} ISO dates and times, enums
 * their symbol names, nested records objects, unions the bare value of their branch (not Avro's
 * {@code {"type": value}} wrapping), maps objects with sorted keys, bytes and fixed base64 strings.
 */
public final class AvroJson {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private AvroJson() {
    }

    /** The record as a JSON object, one property per schema field, in schema order. */
    public static ObjectNode toJson(IndexedRecord record) {
        return record(record.getSchema(), record);
    }

    /** Any Avro value of {@code schema} as JSON; {@code null} becomes JSON null. */
    public static JsonNode toJson(Schema schema, Object value) {
        if (value == null) {
            return JSON.nullNode();
        }
        LogicalType logical = schema.getLogicalType();
        switch (schema.getType()) {
            case RECORD:
                return record(schema, (IndexedRecord) value);
            case ENUM:
                return JSON.textNode(value instanceof Enum<?> e ? e.name() : value.toString());
            case ARRAY: {
                ArrayNode array = JSON.arrayNode();
                for (Object item : (Collection<?>) value) {
                    array.add(toJson(schema.getElementType(), item));
                }
                return array;
            }
            case MAP: {
                // Avro maps are hash maps: sorting keeps the JSON byte-stable for caching and diffing.
                Map<String, Object> sorted = new TreeMap<>();
                ((Map<?, ?>) value).forEach((k, v) -> sorted.put(k.toString(), v));
                ObjectNode object = JSON.objectNode();
                sorted.forEach((k, v) -> object.set(k, toJson(schema.getValueType(), v)));
                return object;
            }
            case UNION:
                return toJson(branch(schema, value), value);
            case STRING:
                return JSON.textNode(value.toString());
            case BYTES:
                if (value instanceof BigDecimal decimal) {
                    return JSON.numberNode(decimal);
                }
                return JSON.textNode(base64((ByteBuffer) value));
            case FIXED:
                if (value instanceof BigDecimal decimal) {
                    return JSON.numberNode(decimal);
                }
                return JSON.textNode(Base64.getEncoder().encodeToString(((GenericFixed) value).bytes()));
            case INT:
                return intValue(logical, value);
            case LONG:
                return longValue(logical, value);
            case FLOAT:
                return floating(((Number) value).doubleValue(), JSON.numberNode((Float) value));
            case DOUBLE:
                return floating(((Number) value).doubleValue(), JSON.numberNode((Double) value));
            case BOOLEAN:
                return JSON.booleanNode((Boolean) value);
            case NULL:
                return JSON.nullNode();
            default:
                throw new IllegalArgumentException("unsupported Avro type " + schema.getType() + " in " + schema.getFullName());
        }
    }

    private static ObjectNode record(Schema schema, IndexedRecord record) {
        ObjectNode object = JSON.objectNode();
        for (Schema.Field field : schema.getFields()) {
            object.set(field.name(), toJson(field.schema(), record.get(field.pos())));
        }
        return object;
    }

    private static JsonNode intValue(LogicalType logical, Object value) {
        if (value instanceof LocalDate date) {
            return JSON.textNode(date.toString());
        }
        if (value instanceof LocalTime time) {
            return JSON.textNode(time.toString());
        }
        int raw = (Integer) value;
        if (logical != null && "date".equals(logical.getName())) {
            return JSON.textNode(LocalDate.ofEpochDay(raw).toString());
        }
        if (logical != null && "time-millis".equals(logical.getName())) {
            return JSON.textNode(LocalTime.ofNanoOfDay(raw * 1_000_000L).toString());
        }
        return JSON.numberNode(raw);
    }

    private static JsonNode longValue(LogicalType logical, Object value) {
        if (value instanceof Instant instant) {
            return JSON.textNode(instant.toString());
        }
        if (value instanceof LocalDateTime local) {
            return JSON.textNode(local.toString());
        }
        if (value instanceof LocalTime time) {
            return JSON.textNode(time.toString());
        }
        long raw = (Long) value;
        String name = logical == null ? "" : logical.getName();
        return switch (name) {
            case "timestamp-millis" -> JSON.textNode(Instant.ofEpochMilli(raw).toString());
            case "timestamp-micros" -> JSON.textNode(Instant.EPOCH.plus(raw, ChronoUnit.MICROS).toString());
            case "timestamp-nanos" -> JSON.textNode(Instant.EPOCH.plusNanos(raw).toString());
            case "local-timestamp-millis" -> JSON.textNode(LocalDateTime.ofEpochSecond(Math.floorDiv(raw, 1000L),
                    (int) Math.floorMod(raw, 1000L) * 1_000_000, java.time.ZoneOffset.UTC).toString());
            case "time-micros" -> JSON.textNode(LocalTime.ofNanoOfDay(raw * 1_000L).toString());
            default -> JSON.numberNode(raw);
        };
    }

    /** JSON has no NaN or infinity: those are written as strings rather than producing invalid JSON. */
    private static JsonNode floating(double raw, JsonNode number) {
        return Double.isFinite(raw) ? number : JSON.textNode(Double.toString(raw));
    }

    private static String base64(ByteBuffer buffer) {
        // Read through a duplicate: the record's buffer position must stay where the caller left it.
        ByteBuffer copy = buffer.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** The union branch a Java value belongs to, by its runtime type (and logical type where Java types collide). */
    private static Schema branch(Schema union, Object value) {
        for (Schema candidate : union.getTypes()) {
            if (matches(candidate, value)) {
                return candidate;
            }
        }
        throw new IllegalArgumentException("value of " + value.getClass().getName() + " matches no branch of " + union);
    }

    private static boolean matches(Schema schema, Object value) {
        String logical = schema.getLogicalType() == null ? "" : schema.getLogicalType().getName();
        return switch (schema.getType()) {
            case NULL -> false;
            case RECORD -> value instanceof GenericContainer c && c.getSchema().getFullName().equals(schema.getFullName());
            case ENUM -> value instanceof Enum<?> e ? e.getDeclaringClass().getSimpleName().equals(schema.getName())
                    : value instanceof GenericEnumSymbol<?> s && s.getSchema().getFullName().equals(schema.getFullName());
            case FIXED -> value instanceof GenericFixed f && f.getSchema().getFullName().equals(schema.getFullName())
                    || value instanceof BigDecimal && logical.equals("decimal");
            case STRING -> value instanceof CharSequence || value instanceof UUID;
            case BYTES -> value instanceof ByteBuffer || value instanceof BigDecimal && logical.equals("decimal");
            case INT -> value instanceof Integer
                    || value instanceof LocalDate && logical.equals("date")
                    || value instanceof LocalTime && logical.equals("time-millis");
            case LONG -> value instanceof Long
                    || value instanceof Instant && logical.startsWith("timestamp-")
                    || value instanceof LocalDateTime && logical.startsWith("local-timestamp-")
                    || value instanceof LocalTime && logical.equals("time-micros");
            case FLOAT -> value instanceof Float;
            case DOUBLE -> value instanceof Double;
            case BOOLEAN -> value instanceof Boolean;
            case ARRAY -> value instanceof Collection<?>;
            case MAP -> value instanceof Map<?, ?>;
            default -> false;
        };
    }
}

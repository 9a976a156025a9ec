package dev.handoff.schemas.serde;

import dev.handoff.schemas.registry.SchemaRegistries;
import dev.handoff.schemas.registry.SchemaRegistry;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Kafka serdes for generated Avro classes in the Schema Registry wire format.
 */
public final class AvroSerdes {

    private AvroSerdes() {}

    /** A serde for record values of {@code type} (subject {@code <topic>-value}). */
    public static <T extends SpecificRecord> Serde<T> value(Class<T> type, SchemaRegistry registry) {
        return serde(type, registry, false);
    }

    /** A serde for record keys of {@code type} (subject {@code <topic>-key}). */
    public static <T extends SpecificRecord> Serde<T> key(Class<T> type, SchemaRegistry registry) {
        return serde(type, registry, true);
    }

    /** A value serde using the registry named by {@value SchemaRegistries#URL_CONFIG} in {@code config}. */
    public static <T extends SpecificRecord> Serde<T> value(Class<T> type, Map<String, ?> config) {
        return value(type, SchemaRegistries.fromConfig(config));
    }

    /** A key serde using the registry named by {@value SchemaRegistries#URL_CONFIG} in {@code config}. */
    public static <T extends SpecificRecord> Serde<T> key(Class<T> type, Map<String, ?> config) {
        return key(type, SchemaRegistries.fromConfig(config));
    }

    private static <T extends SpecificRecord> Serde<T> serde(Class<T> type, SchemaRegistry registry, boolean isKey) {
        return Serdes.serdeFrom(new AvroSerializer<>(registry, isKey), new AvroDeserializer<>(type, registry));
    }
}

package dev.handoff.schemas.serde;

import dev.handoff.schemas.registry.SchemaRegistries;
import dev.handoff.schemas.registry.SchemaRegistry;
import dev.handoff.schemas.registry.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro specific records in the Schema Registry wire format, registering each record schema under
 * the subject {@code <topic>-value} (or {@code <topic>-key}) once per topic.
 */
public class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {

    private volatile SchemaRegistry registry;
    private volatile boolean ownsRegistry;
    private volatile boolean isKey;
    private final ConcurrentMap<TopicSchema, Integer> ids = new ConcurrentHashMap<>();
    private final ConcurrentMap<Schema, DatumWriter<T>> writers = new ConcurrentHashMap<>();

    private record TopicSchema(String topic, Schema schema) {}

    /** A serializer that takes its registry from {@link #configure} ({@value SchemaRegistries#URL_CONFIG}). */
    public AvroSerializer() {}

    /** A serializer using {@code registry}, for keys if {@code isKey}, else for values. */
    public AvroSerializer(SchemaRegistry registry, boolean isKey) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.isKey = isKey;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        if (registry == null) {
            registry = SchemaRegistries.fromConfig(configs);
            ownsRegistry = true;
        }
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        if (topic == null) {
            throw new SerializationException("cannot serialize " + data.getSchema().getFullName() + " without a topic:"
                    + " the schema subject is derived from the topic name, so pass one");
        }
        Schema schema = data.getSchema();
        int id = schemaId(topic, schema);
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        WireFormat.writeHeader(out, id);
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer(schema).write(data, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("could not serialize " + schema.getFullName() + " for topic '" + topic
                    + "' (schema id " + id + "): " + e + ". Check that every field without a default is set and has"
                    + " the schema's type.", e);
        }
        return out.toByteArray();
    }

    private int schemaId(String topic, Schema schema) {
        TopicSchema key = new TopicSchema(topic, schema);
        Integer id = ids.get(key);
        if (id != null) {
            return id;
        }
        String subject = subject(topic, isKey);
        try {
            id = registry().register(subject, schema);
        } catch (SchemaRegistryException e) {
            throw new SerializationException("could not serialize " + schema.getFullName() + " for topic '" + topic
                    + "': registering its schema under subject '" + subject + "' failed: " + e.getMessage(), e);
        }
        ids.putIfAbsent(key, id);
        return id;
    }

    private DatumWriter<T> writer(Schema schema) {
        // SpecificDatumWriter(Schema) picks the generated class's model, so logical-type conversions apply.
        return writers.computeIfAbsent(schema, SpecificDatumWriter::new);
    }

    private SchemaRegistry registry() {
        SchemaRegistry current = registry;
        if (current == null) {
            throw new IllegalStateException("AvroSerializer has no schema registry: call configure(...) with "
                    + SchemaRegistries.URL_CONFIG + " set (or unset for the embedded registry), or construct it with a"
                    + " SchemaRegistry");
        }
        return current;
    }

    /** The subject of a topic's keys or values (Confluent's TopicNameStrategy). */
    static String subject(String topic, boolean isKey) {
        return topic + (isKey ? "-key" : "-value");
    }

    @Override
    public void close() {
        if (ownsRegistry) {
            registry.close();
        }
    }
}

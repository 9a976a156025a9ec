package dev.handoff.schemas.serde;

import dev.handoff.schemas.registry.SchemaRegistries;
import dev.handoff.schemas.registry.SchemaRegistry;
import dev.handoff.schemas.registry.SchemaRegistryException;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Schema Registry wire-format Avro into the generated class {@code T}, resolving whichever
 * compatible writer schema the data carries into the class's current schema. Bytes from anywhere
 * are safe to hand it: anything but a record of a compatible schema is a {@link SerializationException}.
 */
public class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

    private final Class<T> type;
    private final SpecificData model;
    private final Schema readerSchema;
    private volatile SchemaRegistry registry;
    private volatile boolean ownsRegistry;
    // DatumReaders are thread-safe (Avro keeps their resolving decoders per thread), so one per writer id.
    private final ConcurrentMap<Integer, Writer<T>> readers = new ConcurrentHashMap<>();

    /** The writer schema of an id, and the reader that resolves it into {@code T}. */
    private record Writer<T>(Schema schema, DatumReader<T> reader) {
    }

    /** A deserializer into {@code type} that takes its registry from {@link #configure}. */
    public AvroDeserializer(Class<T> type) {
        this.type = Objects.requireNonNull(type, "type");
        this.model = SpecificData.getForClass(type);
        this.readerSchema = model.getSchema(type);
    }

    /** A deserializer into {@code type} using {@code registry}. */
    public AvroDeserializer(Class<T> type, SchemaRegistry registry) {
        this(type);
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (registry == null) {
            registry = SchemaRegistries.fromConfig(configs);
            ownsRegistry = true;
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        int id;
        try {
            id = WireFormat.schemaId(data);
        } catch (SerializationException e) {
            throw new SerializationException("cannot read a record of topic '" + topic + "' as " + type.getName() + ": "
                    + e.getMessage(), e);
        }
        Writer<T> writer = reader(topic, id);
        Object record;
        boolean trailingBytes;
        try {
            // Avro allocates what a length or count claims before reading the items, so ten bytes claiming a
            // two-billion-element array would be an OutOfMemoryError, which no caller catches. Walking the bytes
            // with the writer schema first allocates nothing and fails at the end of the data instead.
            BinaryDecoder walk = DecoderFactory.get()
                    .binaryDecoder(data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, null);
            GenericDatumReader.skip(writer.schema(), walk);
            trailingBytes = !walk.isEnd();
            BinaryDecoder decoder = DecoderFactory.get()
                    .binaryDecoder(data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, null);
            record = writer.reader().read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException(failure(topic, id) + e + explainIncompatibility(id)
                    + ". The bytes are corrupt or were not written with that schema.", e);
        }
        if (trailingBytes) {
            throw new SerializationException(failure(topic, id) + "bytes are left over after the record, so they were"
                    + " not written with the schema their header names (or were corrupted)");
        }
        if (!type.isInstance(record)) {
            throw new SerializationException(failure(topic, id) + "Avro produced a " + record.getClass().getName()
                    + " instead; check that " + type.getName() + " is loadable from the class loader of "
                    + AvroDeserializer.class.getSimpleName());
        }
        return type.cast(record);
    }

    private Writer<T> reader(String topic, int id) {
        Writer<T> known = readers.get(id);
        if (known != null) {
            return known;
        }
        Schema writerSchema;
        try {
            writerSchema = registry().schemaById(id);
        } catch (SchemaRegistryException e) {
            throw new SerializationException(failure(topic, id) + e.getMessage(), e);
        }
        Writer<T> writer = new Writer<>(writerSchema, new SpecificDatumReader<>(writerSchema, readerSchema, model));
        Writer<T> raced = readers.putIfAbsent(id, writer);
        return raced != null ? raced : writer;
    }

    /** After a failed read, says why the writer schema cannot be resolved into the class, if that is the cause. */
    private String explainIncompatibility(int id) {
        Schema writerSchema;
        try {
            writerSchema = registry().schemaById(id);
        } catch (RuntimeException e) {
            return "";
        }
        SchemaCompatibility.SchemaPairCompatibility pair =
                SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writerSchema);
        if (pair.getType() != SchemaCompatibility.SchemaCompatibilityType.INCOMPATIBLE) {
            return "";
        }
        return "; the writer schema " + writerSchema.getFullName() + " cannot be resolved into " + type.getName() + ": "
                + pair.getResult().getIncompatibilities().stream()
                        .map(i -> i.getType() + " at " + i.getLocation() + " (" + i.getMessage() + ")")
                        .collect(Collectors.joining("; "));
    }

    private String failure(String topic, int id) {
        return "cannot read a record of topic '" + topic + "' with schema id " + id + " as " + type.getName() + ": ";
    }

    private SchemaRegistry registry() {
        SchemaRegistry current = registry;
        if (current == null) {
            throw new IllegalStateException("AvroDeserializer of " + type.getName() + " has no schema registry: call"
                    + " configure(...) with " + SchemaRegistries.URL_CONFIG + " set (or unset for the embedded registry), or"
                    + " construct it with a SchemaRegistry");
        }
        return current;
    }

    @Override
    public void close() {
        if (ownsRegistry) {
            registry.close();
        }
    }
}

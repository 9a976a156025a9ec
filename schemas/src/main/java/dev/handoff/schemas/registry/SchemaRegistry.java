package dev.handoff.schemas.registry;

import org.apache.avro.Schema;

/**
 * Maps Avro schemas to the numeric ids carried in the Schema Registry wire format, and back.
 *
 * <p>Implementations are thread-safe: serdes of several stream threads share one instance.
 */
public interface SchemaRegistry extends AutoCloseable {

    /**
     * Registers {@code schema} under {@code subject} (or finds it there) and returns its id. Calling it
     * again with the same subject and schema returns the same id.
     *
     * @throws SchemaRegistryException if the registry rejects the schema or cannot be reached
     */
    int register(String subject, Schema schema);

    /**
     * Returns the schema with the given id.
     *
     * @throws SchemaRegistryException if no schema has that id or the registry cannot be reached
     */
    Schema schemaById(int id);

    @Override
    default void close() {}
}

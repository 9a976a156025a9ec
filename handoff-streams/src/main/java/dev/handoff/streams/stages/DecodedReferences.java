package dev.handoff.streams.stages;

import org.apache.kafka.streams.state.KeyValueStore;

import java.util.HashMap;
import java.util.Map;

/**
 * Reference records (assets, owners, teams, KEV entries) as decoded objects, read through from their store: enrichment
 * and routing read the same few thousand records on nearly every save, and each store read decoded one again. The
 * lifecycle processor writes these stores only through {@link #write}, which keeps the two in step; a new instance is
 * made at every {@code init}, so a revived task's rolled-back stores are read afresh.
 *
 * <p>Bounded: past {@link #MAX_ENTRIES} records it starts over empty rather than holding a whole large register.
 */
final class DecodedReferences<V> {

    static final int MAX_ENTRIES = 50_000;
    private static final Object ABSENT = new Object();

    private final KeyValueStore<String, V> store;
    private final Map<String, Object> decoded = new HashMap<>();

    DecodedReferences(KeyValueStore<String, V> store) {
        this.store = store;
    }

    @SuppressWarnings("unchecked")
    V get(String id) {
        Object value = decoded.get(id);
        if (value == null) {
            V read = store.get(id);
            if (decoded.size() >= MAX_ENTRIES) {
                decoded.clear();
            }
            decoded.put(id, read == null ? ABSENT : read);
            return read;
        }
        return value == ABSENT ? null : (V) value;
    }

    /** Writes {@code value} to the store, or deletes the record when it is null, and forgets what was read of it. */
    void write(String id, V value) {
        if (value == null) {
            store.delete(id);
        } else {
            store.put(id, value);
        }
        decoded.remove(id);
    }
}

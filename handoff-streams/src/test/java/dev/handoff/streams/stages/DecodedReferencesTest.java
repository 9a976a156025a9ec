package dev.handoff.streams.stages;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class DecodedReferencesTest {

    private KeyValueStore<String, String> store;
    private DecodedReferences<String> references;

    @BeforeEach
    void open() {
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("reference-owners"), Serdes.String(), Serdes.String())
                .withLoggingDisabled().build();
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        references = new DecodedReferences<>(store);
    }

    @Test
    void aRecordIsReadOnceUntilItIsWrittenThroughIt() {
        store.put("u-ana", "active");
        assertEquals("active", references.get("u-ana"));

        store.put("u-ana", "left"); // written behind its back: still the record it read
        assertEquals("active", references.get("u-ana"), "read through once, then from memory");

        references.write("u-ana", "returned"); // how the processor writes the store
        assertEquals("returned", references.get("u-ana"));
        assertEquals("returned", store.get("u-ana"));
        references.write("u-ana", null);
        assertNull(references.get("u-ana"));
        assertNull(store.get("u-ana"), "a null record is a deletion");
    }

    @Test
    void anAbsentRecordIsRememberedAsAbsentUntilWritten() {
        assertNull(references.get("u-new"));
        store.put("u-new", "active");
        assertNull(references.get("u-new"));
        references.write("u-new", "joined");
        assertEquals("joined", references.get("u-new"));
    }

    @Test
    void pastItsBoundItStartsOverFromTheStore() {
        for (int i = 0; i < DecodedReferences.MAX_ENTRIES; i++) {
            references.get("a-" + i);
        }
        store.put("a-0", "registered later");
        references.get("one-more"); // the bound is reached: everything read so far is dropped
        assertEquals("registered later", references.get("a-0"));
    }
}

package dev.handoff.streams;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamsSettingsTest {

    @Test
    void rocksDbMemoryIsBoundedByDefaultAndItsKeysReachKafkaStreams() {
        Properties p = StreamsSettings.from(Map.of(), Map.of()).streamsProperties();
        assertEquals(BoundedRocksDbConfig.class.getName(), p.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG));
        assertEquals("268435456", p.get(BoundedRocksDbConfig.MEMORY_BYTES));
        assertEquals("0.5", p.get(BoundedRocksDbConfig.WRITE_BUFFER_RATIO));
    }

    @Test
    void aUsersOwnRocksDbConfigSetterWins() {
        Properties p = StreamsSettings.from(Map.of(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, "com.example.OwnRocksDbConfig"),
                Map.of()).streamsProperties();
        assertEquals("com.example.OwnRocksDbConfig", p.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG));
    }

    @Test
    void aBadBoundStopsTheServiceAtStartUpNamingTheKey() {
        StreamsSettings settings = StreamsSettings.from(Map.of(BoundedRocksDbConfig.WRITE_BUFFER_RATIO, "1.5"), Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new HandoffStreamsApp(settings));
        assertTrue(e.getMessage().contains(BoundedRocksDbConfig.WRITE_BUFFER_RATIO + " must be"), e.getMessage());
    }

    /** Kafka Streams hands its whole configuration to the setter: a bad bound fails the store's opening, naming the key. */
    @Test
    void theSetterSeesTheBoundAStoreIsOpenedWith() {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("s"), Serdes.String(), Serdes.String()));
        builder.stream("in").process(() -> new Processor<Object, Object, Void, Void>() {
            @Override
            public void process(Record<Object, Object> record) {
            }
        }, "s");
        Properties p = StreamsSettings.from(Map.of(BoundedRocksDbConfig.MEMORY_BYTES, "lots"), Map.of()).streamsProperties();

        RuntimeException e = assertThrows(RuntimeException.class, () -> new TopologyTestDriver(builder.build(), p).close());
        Throwable cause = e;
        while (cause.getCause() != null && !(cause instanceof IllegalArgumentException)) {
            cause = cause.getCause();
        }
        assertTrue(cause.getMessage().contains(BoundedRocksDbConfig.MEMORY_BYTES + " must be"), cause.toString());
    }
}

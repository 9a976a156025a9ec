package dev.handoff.streams;

import org.apache.kafka.streams.state.internals.BlockBasedTableConfigWithAccessibleCache;
import org.junit.jupiter.api.Test;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.Options;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BoundedRocksDbConfigTest {

    private final BoundedRocksDbConfig setter = new BoundedRocksDbConfig();

    /** Options as Kafka Streams' RocksDB store hands them to the setter: with its own table config, whose cache it reads back. */
    private static Options storeOptions() {
        Options options = new Options();
        options.setTableFormatConfig(new BlockBasedTableConfigWithAccessibleCache());
        return options;
    }

    private static Cache blockCache(Options options) {
        return ((BlockBasedTableConfigWithAccessibleCache) options.tableFormatConfig()).blockCache();
    }

    @Test
    void everyStoreWithTheSameBoundSharesOneCacheAndWriteBufferManager() {
        Map<String, Object> configs = Map.of(BoundedRocksDbConfig.MEMORY_BYTES, "67108864", BoundedRocksDbConfig.WRITE_BUFFER_RATIO, "0.25");
        try (Options a = storeOptions(); Options b = storeOptions()) {
            setter.setConfig("owner-load", a, configs);
            setter.setConfig("finding-state", b, configs);

            assertSame(blockCache(a), blockCache(b));
            assertSame(a.writeBufferManager(), b.writeBufferManager());
            BlockBasedTableConfig table = (BlockBasedTableConfig) a.tableFormatConfig();
            assertTrue(table.cacheIndexAndFilterBlocks(), "index and filter blocks are charged to the cache");
            assertTrue(table.cacheIndexAndFilterBlocksWithHighPriority());
            assertTrue(table.pinTopLevelIndexAndFilter());
            assertEquals(4L * 1024 * 1024, a.writeBufferSize());
            assertEquals(2, a.maxWriteBufferNumber());
            assertEquals(org.rocksdb.CompressionType.LZ4_COMPRESSION, a.compressionType());
            assertEquals(org.rocksdb.CompressionType.ZSTD_COMPRESSION, a.bottommostCompressionType(),
                    "the last level, where most of a store settles, is written once per compaction and read rarely");

            setter.close("owner-load", a);
            assertTrue(blockCache(b).isOwningHandle(), "closing one store leaves the shared cache open for the others");
        }
    }

    @Test
    void aDifferentBoundGetsItsOwnCacheAndTheDefaultsApplyWithoutTheKeys() {
        try (Options small = storeOptions(); Options byDefault = storeOptions(); Options byDefaultAgain = storeOptions()) {
            setter.setConfig("s", small, Map.of(BoundedRocksDbConfig.MEMORY_BYTES, 8L * 1024 * 1024));
            setter.setConfig("s", byDefault, Map.of());
            setter.setConfig("s", byDefaultAgain, Map.of(BoundedRocksDbConfig.MEMORY_BYTES, "268435456",
                    BoundedRocksDbConfig.WRITE_BUFFER_RATIO, "0.5"));

            assertNotSame(blockCache(small), blockCache(byDefault));
            assertSame(blockCache(byDefault), blockCache(byDefaultAgain), "the defaults are 256 MiB and 0.5");
        }
    }

    @Test
    void aBadValueIsRefusedNamingItsKeyAndTheValue() {
        for (String bad : new String[] {"lots", "0", "-1", "1.5e8"}) {
            assertRefused(BoundedRocksDbConfig.MEMORY_BYTES, bad);
        }
        for (String bad : new String[] {"half", "0", "1", "-0.5", "NaN"}) {
            assertRefused(BoundedRocksDbConfig.WRITE_BUFFER_RATIO, bad);
        }
    }

    private void assertRefused(String key, String value) {
        try (Options options = storeOptions()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> setter.setConfig("s", options, Map.of(key, value)));
            assertTrue(e.getMessage().contains(key) && e.getMessage().contains("'" + value + "'"), e.getMessage());
        }
    }
}

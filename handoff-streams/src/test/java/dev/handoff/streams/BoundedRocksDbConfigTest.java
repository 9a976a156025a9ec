package dev.handoff.streams;

import org.apache.kafka.streams.state.internals.BlockBasedTableConfigWithAccessibleCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.AbstractEventListener;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.CompactionJobInfo;
import org.rocksdb.CompactionStyle;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BoundedRocksDbConfigTest {

    /** Keys each round of {@link #writeAll} writes. */
    private static final int KEYS = 5_000;

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
            assertEquals(CompactionStyle.LEVEL, a.compactionStyle(), "not Kafka Streams' universal compaction");
            assertTrue(a.levelCompactionDynamicLevelBytes());
            assertEquals(2, a.level0FileNumCompactionTrigger());

            setter.close("owner-load", a);
            assertTrue(blockCache(b).isOwningHandle(), "closing one store leaves the shared cache open for the others");
        }
    }

    /**
     * A store Kafka Streams wrote with its own universal compaction (every build before this setting) opens under the
     * setter with every value, and the versions overwritten since are compacted away after two flushes rather than kept.
     */
    @Test
    void aStoreWrittenWithUniversalCompactionOpensAndDropsOverwrittenVersions(@TempDir Path dir) throws Exception {
        String path = dir.resolve("finding-state").toString();
        try (Options universal = new Options().setCreateIfMissing(true).setCompactionStyle(CompactionStyle.UNIVERSAL);
             RocksDB db = RocksDB.open(universal, path)) {
            writeAll(db, "old", 3);
        }
        try (Options options = storeOptions()) {
            options.setCreateIfMissing(true);
            setter.setConfig("finding-state", options, Map.of());
            Compactions compactions = new Compactions();
            options.setListeners(List.of(compactions));
            try (RocksDB db = RocksDB.open(options, path)) {
                for (int i = 0; i < KEYS; i++) {
                    assertEquals("old-2-" + i, new String(db.get(key(i)), StandardCharsets.UTF_8), "key " + i);
                }
                writeAll(db, "new", 3);
                compactions.awaitIdle(db);
                for (int i = 0; i < KEYS; i += 97) {
                    assertEquals("new-2-" + i, new String(db.get(key(i)), StandardCharsets.UTF_8), "key " + i);
                }
                // Six versions of every key were flushed, each into a file of its own. Compacting once two have landed
                // leaves at most the compacted data and the last flush; universal compaction (Kafka Streams' own)
                // waits for four runs and would leave three here.
                long files = db.getLiveFilesMetaData().size();
                assertTrue(files <= 2, "SST files left: " + files + "\n" + db.getProperty("rocksdb.levelstats"));
            }
        }
    }

    private static byte[] key(int i) {
        return String.format(Locale.ROOT, "f1-%08d", i).getBytes(StandardCharsets.UTF_8);
    }

    /** Writes every key {@code versions} times, a flush after each round: each round becomes a file of its own. */
    private static void writeAll(RocksDB db, String prefix, int versions) throws RocksDBException {
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            for (int v = 0; v < versions; v++) {
                for (int i = 0; i < KEYS; i++) {
                    db.put(key(i), (prefix + "-" + v + "-" + i).getBytes(StandardCharsets.UTF_8));
                }
                db.flush(flush);
            }
        }
    }

    /** Signals each finished compaction, so a test waits on RocksDB's own event rather than polling on a timer. */
    private static final class Compactions extends AbstractEventListener {
        private final Semaphore finished = new Semaphore(0);

        @Override
        public void onCompactionCompleted(RocksDB db, CompactionJobInfo info) {
            finished.release();
        }

        /** Returns once RocksDB has no compaction pending or running. */
        void awaitIdle(RocksDB db) throws RocksDBException, InterruptedException {
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (db.getLongProperty("rocksdb.compaction-pending") != 0 || db.getLongProperty("rocksdb.num-running-compactions") != 0) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("compactions still pending after 30 s");
                }
                // Bounded, because the property may still read pending just after the last compaction signalled.
                finished.tryAcquire(Math.min(left, Duration.ofMillis(100).toNanos()), TimeUnit.NANOSECONDS);
            }
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

package dev.handoff.streams;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.CompactionStyle;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds the off-heap memory of all RocksDB stores in the JVM. Kafka Streams' own RocksDB settings give every store of
 * every task its own block cache and three 16 MiB memtables, so memory grows with tasks × stores (about 20 stores on
 * each of 12 tasks here). This setter, the pattern of Kafka Streams' "Managing RocksDB memory", makes every store use one
 * shared LRU cache of {@code rocksdb.memory.bytes} bytes, with a {@link WriteBufferManager} that charges
 * memtables to that same cache up to the {@code rocksdb.write.buffer.ratio} share of it; index and filter blocks
 * live in the cache too, so they are bounded as well. SST files are LZ4-compressed (Kafka Streams leaves them
 * uncompressed), ZSTD in the last level, and compacted by level rather than Kafka Streams' universal style, so little
 * more than the live data stays on disk; figures in BENCHMARKS.md.
 *
 * <p>The cache and manager are static, one pair per distinct bound, created on first use and never closed: every store
 * of every {@code KafkaStreams} instance in the JVM with that bound shares them (several instances run in one JVM in
 * tests), so {@link #close} must not close them.
 */
public final class BoundedRocksDbConfig implements RocksDBConfigSetter {

    /** Bytes of off-heap memory for all RocksDB stores of the JVM: block cache, index and filter blocks, memtables. */
    public static final String MEMORY_BYTES = "rocksdb.memory.bytes";
    /** Share of {@link #MEMORY_BYTES} the memtables may take before RocksDB flushes them; above 0 and below 1. */
    public static final String WRITE_BUFFER_RATIO = "rocksdb.write.buffer.ratio";
    public static final long DEFAULT_MEMORY_BYTES = 256L * 1024 * 1024;
    public static final double DEFAULT_WRITE_BUFFER_RATIO = 0.5;

    /** Smaller than Kafka's 16 MiB: with ~240 stores, memtables fill the shared budget long before a store's own ones. */
    private static final long WRITE_BUFFER_BYTES = 4L * 1024 * 1024;
    private static final int MAX_WRITE_BUFFERS = 2;
    /** Flushed files that start a compaction into the store's last level; RocksDB's default is 4. */
    static final int LEVEL0_COMPACTION_TRIGGER = 2;
    /** Part of the cache kept for index and filter blocks, so data blocks do not evict them. */
    private static final double INDEX_FILTER_RATIO = 0.1;

    private record Bound(long memoryBytes, double writeBufferRatio) {
    }

    private record Shared(Cache cache, WriteBufferManager writeBuffers) {
    }

    private static final Map<Bound, Shared> SHARED = new ConcurrentHashMap<>();

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        Shared shared = SHARED.computeIfAbsent(bound(configs), b -> {
            Cache cache = new LRUCache(b.memoryBytes(), -1, false, INDEX_FILTER_RATIO);
            return new Shared(cache, new WriteBufferManager((long) (b.memoryBytes() * b.writeBufferRatio()), cache));
        });
        // The table config Kafka Streams created: it reads the block cache back from it for its metrics.
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(shared.cache());
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setTableFormatConfig(table);
        options.setWriteBufferManager(shared.writeBuffers());
        options.setWriteBufferSize(WRITE_BUFFER_BYTES);
        options.setMaxWriteBufferNumber(MAX_WRITE_BUFFERS);
        // Kafka Streams writes SST files uncompressed; the stores hold Avro records and keys with long shared prefixes.
        options.setCompressionType(CompressionType.LZ4_COMPRESSION);
        // Most of a store settles in its last level, written once per compaction and read on cache misses only: ZSTD
        // there took the state on disk 8-9 % below LZ4's in the end-to-end bench; its CPU cost, if any, was within the
        // spread of the runs (BENCHMARKS.md, seventh round).
        options.setBottommostCompressionType(CompressionType.ZSTD_COMPRESSION);
        // Kafka Streams opens its stores with universal compaction, which merges a store's sorted runs only once four
        // have piled up and lets them grow to three times the live data: in the end-to-end bench 24-29 % of the SST
        // bytes were versions overwritten or deleted since. Levelled compaction with dynamic level sizes puts a small
        // store's data straight into its last level, and compacting as soon as two flushes have landed keeps the old
        // versions from piling up: 7-8 % of the SST bytes, for the same CPU per event (decision 0016).
        options.setCompactionStyle(CompactionStyle.LEVEL);
        options.setLevelCompactionDynamicLevelBytes(true);
        options.setLevel0FileNumCompactionTrigger(LEVEL0_COMPACTION_TRIGGER);
    }

    /** Leaves the shared cache and write buffer manager open: other stores use them. */
    @Override
    public void close(String storeName, Options options) {
    }

    /**
     * Checks both keys as {@link #setConfig} will read them, so a bad value stops the service at start-up, naming the
     * key, instead of failing each store as a task opens it.
     */
    public static void validate(Map<String, ?> configs) {
        memoryBytes(configs.get(MEMORY_BYTES));
        writeBufferRatio(configs.get(WRITE_BUFFER_RATIO));
    }

    private static Bound bound(Map<String, Object> configs) {
        return new Bound(memoryBytes(configs.get(MEMORY_BYTES)), writeBufferRatio(configs.get(WRITE_BUFFER_RATIO)));
    }

    private static long memoryBytes(Object raw) {
        if (raw == null) {
            return DEFAULT_MEMORY_BYTES;
        }
        try {
            long bytes = Long.parseLong(raw.toString().trim());
            if (bytes > 0) {
                return bytes;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(MEMORY_BYTES + " must be a positive whole number of bytes, was '" + raw + "'");
    }

    private static double writeBufferRatio(Object raw) {
        if (raw == null) {
            return DEFAULT_WRITE_BUFFER_RATIO;
        }
        try {
            double ratio = Double.parseDouble(raw.toString().trim());
            if (ratio > 0 && ratio < 1) {
                return ratio;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(WRITE_BUFFER_RATIO + " must be a number above 0 and below 1, was '" + raw + "'");
    }
}

package dev.handoff.streams.metrics;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The gauges read through a store handle over several metrics tasks: each task holds every partition's latest
 * snapshot (they are multicast), so the handle returns each key once per task. Each partition must count once.
 */
class GaugeStoreTest {

    /** What Kafka Streams' store handle over all local tasks does: the tasks' entries one task after another. */
    private static ReadOnlyKeyValueStore<String, String> overTasks(List<TreeMap<String, String>> tasks) {
        return new ReadOnlyKeyValueStore<>() {
            private KeyValueIterator<String, String> iterate(java.util.function.Predicate<String> keep) {
                List<KeyValue<String, String>> all = new ArrayList<>();
                for (TreeMap<String, String> t : tasks) {
                    t.forEach((k, v) -> {
                        if (keep.test(k)) {
                            all.add(KeyValue.pair(k, v));
                        }
                    });
                }
                Iterator<KeyValue<String, String>> it = all.iterator();
                return new KeyValueIterator<>() {
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    public KeyValue<String, String> next() {
                        return it.next();
                    }

                    public void close() {
                    }

                    public String peekNextKey() {
                        throw new UnsupportedOperationException();
                    }
                };
            }

            public String get(String key) {
                return tasks.get(0).get(key);
            }

            public KeyValueIterator<String, String> range(String from, String to) {
                return iterate(k -> k.compareTo(from) >= 0 && k.compareTo(to) <= 0);
            }

            public KeyValueIterator<String, String> all() {
                return iterate(k -> true);
            }

            @Override
            public <PS extends org.apache.kafka.common.serialization.Serializer<P>, P> KeyValueIterator<String, String> prefixScan(P prefix,
                                                                                                                                  PS serializer) {
                return iterate(k -> k.startsWith((String) prefix));
            }

            public long approximateNumEntries() {
                return 0;
            }
        };
    }

    private static GaugeSnapshot snapshot(int partition, String at, long depth, long open) {
        return new GaugeSnapshot(partition, Instant.parse(at), depth, null, open, open - depth);
    }

    @Test
    void eachPartitionCountsOnceWithItsNewestSnapshotWhateverTheNumberOfTasks() {
        List<TreeMap<String, String>> tasks = new ArrayList<>();
        for (int task = 0; task < 3; task++) {
            TreeMap<String, String> t = new TreeMap<>();
            t.put(CohortMetricsProcessor.LATEST + 0, snapshot(0, "2026-11-23T10:00:00Z", 2, 10).encode());
            // task 2 has not yet seen partition 1's newest snapshot
            t.put(CohortMetricsProcessor.LATEST + 1, (task == 2 ? snapshot(1, "2026-11-23T09:00:00Z", 9, 20)
                    : snapshot(1, "2026-11-23T10:00:00Z", 3, 20)).encode());
            t.put(CohortMetricsProcessor.HISTORY + GaugeStore.millis(1_000), snapshot(-1, "2026-11-23T10:00:00Z", 5, 30).encode());
            tasks.add(t);
        }
        GaugeSnapshot sum = GaugeStore.sum(overTasks(tasks));
        assertEquals(5, sum.unroutedDepth(), "2 + 3, not three times each");
        assertEquals(30, sum.open());
        assertEquals(1, GaugeStore.history(overTasks(tasks), Instant.EPOCH, Instant.ofEpochMilli(2_000)).size(), "one point per step");
    }
}

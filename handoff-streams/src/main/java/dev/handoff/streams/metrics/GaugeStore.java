package dev.handoff.streams.metrics;

import dev.handoff.streams.SortableMillis;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the {@value MetricsNames#GAUGES_STORE} store: {@code latest|<partition>} holds each finding
 * partition's latest snapshot, {@code history|<13-digit millis>} the workspace sum at each step.
 */
public final class GaugeStore {

    private GaugeStore() {
    }

    /**
     * The workspace's gauges: the sum of every partition's latest snapshot; null before any arrived. Every metrics task
     * receives every partition's snapshot (they are multicast), and a store handle over all of an instance's tasks
     * returns each {@code latest|<partition>} once per task: each partition counts once, with its newest snapshot.
     */
    public static GaugeSnapshot sum(ReadOnlyKeyValueStore<String, String> store) {
        java.util.Map<String, GaugeSnapshot> latest = new java.util.HashMap<>();
        try (KeyValueIterator<String, String> it = store.prefixScan(CohortMetricsProcessor.LATEST,
                new org.apache.kafka.common.serialization.StringSerializer())) {
            while (it.hasNext()) {
                KeyValue<String, String> kv = it.next();
                GaugeSnapshot s = GaugeSnapshot.decode(kv.value);
                latest.merge(kv.key, s, (a, b) -> b.at().isAfter(a.at()) ? b : a);
            }
        }
        GaugeSnapshot sum = null;
        for (GaugeSnapshot s : latest.values()) {
            sum = sum == null ? new GaugeSnapshot(GaugeSnapshot.ALL_PARTITIONS, s.at(), s.unroutedDepth(), s.oldestUnroutedAt(),
                    s.open(), s.openWithCurrentOwner()) : sum.plus(s);
        }
        return sum;
    }

    /** The summed history between {@code from} and {@code to} (inclusive), in time order. */
    public static List<GaugeSnapshot> history(ReadOnlyKeyValueStore<String, String> store, Instant from, Instant to) {
        List<GaugeSnapshot> out = new ArrayList<>();
        try (KeyValueIterator<String, String> it = store.range(CohortMetricsProcessor.HISTORY + millis(from.toEpochMilli()),
                CohortMetricsProcessor.HISTORY + millis(to.toEpochMilli()))) {
            // One entry per step: every metrics task keeps the same workspace history, so a store over several tasks repeats it.
            java.util.TreeMap<String, GaugeSnapshot> byStep = new java.util.TreeMap<>();
            it.forEachRemaining((KeyValue<String, String> kv) -> byStep.merge(kv.key, GaugeSnapshot.decode(kv.value),
                    (a, b) -> b.at().isAfter(a.at()) ? b : a));
            byStep.forEach((key, s) -> {
                String bucket = key.substring(CohortMetricsProcessor.HISTORY.length());
                out.add(new GaugeSnapshot(s.partition(), Instant.ofEpochMilli(Long.parseLong(bucket)), s.unroutedDepth(),
                        s.oldestUnroutedAt(), s.open(), s.openWithCurrentOwner()));
            });
        }
        return out;
    }

    /** Zero-padded millis, so string order is time order. */
    static String millis(long epochMillis) {
        return SortableMillis.of(Math.max(0, epochMillis));
    }
}

package dev.handoff.streams.metrics;

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

    /** The workspace's gauges: the sum of every partition's latest snapshot; null before any arrived. */
    public static GaugeSnapshot sum(ReadOnlyKeyValueStore<String, String> store) {
        GaugeSnapshot sum = null;
        try (KeyValueIterator<String, String> it = store.prefixScan(CohortMetricsProcessor.LATEST,
                new org.apache.kafka.common.serialization.StringSerializer())) {
            while (it.hasNext()) {
                GaugeSnapshot s = GaugeSnapshot.decode(it.next().value);
                sum = sum == null ? new GaugeSnapshot(GaugeSnapshot.ALL_PARTITIONS, s.at(), s.unroutedDepth(), s.oldestUnroutedAt(),
                        s.open(), s.openWithCurrentOwner()) : sum.plus(s);
            }
        }
        return sum;
    }

    /** The summed history between {@code from} and {@code to} (inclusive), in time order. */
    public static List<GaugeSnapshot> history(ReadOnlyKeyValueStore<String, String> store, Instant from, Instant to) {
        List<GaugeSnapshot> out = new ArrayList<>();
        try (KeyValueIterator<String, String> it = store.range(CohortMetricsProcessor.HISTORY + millis(from.toEpochMilli()),
                CohortMetricsProcessor.HISTORY + millis(to.toEpochMilli()))) {
            it.forEachRemaining((KeyValue<String, String> kv) -> {
                GaugeSnapshot s = GaugeSnapshot.decode(kv.value);
                String bucket = kv.key.substring(CohortMetricsProcessor.HISTORY.length());
                out.add(new GaugeSnapshot(s.partition(), Instant.ofEpochMilli(Long.parseLong(bucket)), s.unroutedDepth(),
                        s.oldestUnroutedAt(), s.open(), s.openWithCurrentOwner()));
            });
        }
        return out;
    }

    /** Zero-padded millis, so string order is time order. */
    static String millis(long epochMillis) {
        return String.format("%013d", Math.max(0, epochMillis));
    }
}

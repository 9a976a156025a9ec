package dev.handoff.streams.stages;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The lifecycle processor's in-memory index of what is due when: SLA timers ({@code <13-digit due>|<alert id>}), each
 * finding's list of them ({@code F|<finding id>}), and the unrouted queue's entry order and age alarms ({@code U|…},
 * {@code A|…}). Everything in it is implied by logged stores (finding states, the queue, the fired alerts), so it
 * is rebuilt whenever the processor is initialised: a start, a rebalance, a revived task (decision 0009).
 *
 * <p>Plain collections rather than a Kafka Streams store (decision 0011): an unlogged in-memory store bought nothing
 * here but a serialised key, a metered call and a byte-array comparison at every level of its tree on each access, and
 * its tree lookups were the largest single cost of the stream threads in the end-to-end bench. The per-finding lists,
 * read on every save, are in a hash map; only the due-ordered keys need an ordered map.
 */
final class TimerIndex {

    static final String FINDING_PREFIX = "F|";

    private final NavigableMap<String, String> ordered = new TreeMap<>();
    private final Map<String, String> byFinding = new HashMap<>();

    String get(String key) {
        return isFinding(key) ? byFinding.get(key) : ordered.get(key);
    }

    void put(String key, String value) {
        if (isFinding(key)) {
            byFinding.put(key, value);
        } else {
            ordered.put(key, value);
        }
    }

    void delete(String key) {
        if (isFinding(key)) {
            byFinding.remove(key);
        } else {
            ordered.remove(key);
        }
    }

    /** Ordered keys from {@code from} to {@code to}, both inclusive, at most {@code max}: a copy, so the caller may delete them. */
    List<String> keys(String from, String to, int max) {
        List<String> keys = new ArrayList<>();
        for (String key : ordered.subMap(from, true, to, true).keySet()) {
            if (keys.size() >= max) {
                break;
            }
            keys.add(key);
        }
        return keys;
    }

    /** The first ordered key from {@code from} to {@code to}, or null. */
    String first(String from, String to) {
        String key = ordered.ceilingKey(from);
        return key == null || key.compareTo(to) > 0 ? null : key;
    }

    private static boolean isFinding(String key) {
        return key.startsWith(FINDING_PREFIX);
    }
}

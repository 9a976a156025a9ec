package dev.handoff.streams.metrics;

import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a refresh must recompute, kept in a store so a restart or a revived task finds it again: items marked dirty
 * ({@code dirty|id}) and items due at a time ({@code due|<13-digit millis>|id}, with {@code next|id} pointing at the
 * item's one due entry). Used by both halves of the metrics: the cohort days of a finding partition and the cohorts of
 * a metrics partition. Other keys of the store are left alone, so it can share a store with other entries.
 */
final class RefreshQueue {

    private static final String DIRTY = "dirty|";
    private static final String DUE = "due|";
    private static final String NEXT = "next|";

    private final KeyValueStore<String, String> store;
    /**
     * Items this instance knows are marked in the store: marking one again writes nothing. A busy item gets many
     * changes between two refreshes, and every commit in between turned the same mark into another changelog record.
     */
    private final Set<String> marked = new HashSet<>();
    /** The dirty key after which the next {@link #take} starts (null: from the first). */
    private String resume;

    /**
     * Call from the processor's {@code init}: a revived task's store was rolled back, so what this instance remembered
     * of it is forgotten and a mark is written again.
     */
    RefreshQueue(KeyValueStore<String, String> store) {
        this.store = store;
    }

    void markDirty(String id) {
        if (marked.add(id)) {
            store.put(DIRTY + id, "");
        }
    }

    /** The items marked dirty in the store now (for a processor that keeps more about them in memory, at its init). */
    Set<String> dirty() {
        Set<String> out = new LinkedHashSet<>();
        try (KeyValueIterator<String, String> it = store.range(DIRTY, DIRTY + "\uffff")) {
            it.forEachRemaining(kv -> out.add(kv.key.substring(DIRTY.length())));
        }
        return out;
    }

    /** The item is due again at {@code at} (replacing its earlier due time), or never when {@code at} is null. */
    void dueAt(String id, Instant at) {
        String old = store.get(NEXT + id);
        String millis = at == null ? null : GaugeStore.millis(at.toEpochMilli());
        if (java.util.Objects.equals(old, millis)) {
            return;
        }
        if (old != null) {
            store.delete(DUE + old + "|" + id);
            store.delete(NEXT + id);
        }
        if (millis != null) {
            store.put(DUE + millis + "|" + id, "");
            store.put(NEXT + id, millis);
        }
    }

    /**
     * Up to {@code max} items, dirty ones first (round robin from where the last call stopped, so items late in key
     * order are not starved by busy early ones), then those due by {@code now}; their marks are removed. The due time of
     * a taken item stays until {@link #dueAt} replaces it.
     */
    Set<String> take(Instant now, int max) {
        Set<String> items = new LinkedHashSet<>();
        List<String> done = new ArrayList<>();
        takeDirty(items, done, resume == null ? DIRTY : resume, DIRTY + "\uffff", max);
        if (resume != null) {
            takeDirty(items, done, DIRTY, resume, max);
        }
        resume = items.size() < max || done.isEmpty() ? null : done.get(done.size() - 1) + "\u0000";
        try (KeyValueIterator<String, String> it = store.range(DUE, DUE + GaugeStore.millis(now.toEpochMilli()) + "|\uffff")) {
            while (it.hasNext() && items.size() < max) {
                String key = it.next().key;
                items.add(key.substring(key.indexOf('|', DUE.length()) + 1));
            }
        }
        for (String key : done) {
            store.delete(key);
            marked.remove(key.substring(DIRTY.length()));
        }
        return items;
    }

    private void takeDirty(Set<String> items, List<String> done, String from, String to, int max) {
        try (KeyValueIterator<String, String> it = store.range(from, to)) {
            while (it.hasNext() && items.size() < max) {
                String key = it.next().key;
                if (key.startsWith(DIRTY) && items.add(key.substring(DIRTY.length()))) {
                    done.add(key);
                }
            }
        }
    }
}

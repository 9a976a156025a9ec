package dev.handoff.streams.routing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;

/** Which assets claim each exact alias key of one kind; a contested key goes to the smallest asset id. */
final class Claims implements AliasTable {

    private static final Logger LOG = LoggerFactory.getLogger(AliasIndex.class);

    private final String label;
    private final boolean warnOnConflict;
    private final Map<String, TreeSet<String>> claimants = new HashMap<>();
    // Keys already reported as contested, so a register re-sync does not repeat the same warning.
    private final Set<String> reported = new HashSet<>();

    /**
     * @param label          what the keys are, for the conflict warning
     * @param warnOnConflict false for derived keys that many assets legitimately share
     */
    Claims(String label, boolean warnOnConflict) {
        this.label = label;
        this.warnOnConflict = warnOnConflict;
    }

    @Override
    public boolean add(String key, String assetId) {
        TreeSet<String> ids = claimants.computeIfAbsent(key, k -> new TreeSet<>());
        boolean added = ids.add(assetId);
        if (added && ids.size() > 1 && warnOnConflict && reported.add(key)) {
            LOG.warn("{} alias '{}' is claimed by assets {}; {} wins (smallest asset id)", label, key, ids, ids.first());
        }
        return added;
    }

    @Override
    public boolean remove(String key, String assetId) {
        TreeSet<String> ids = claimants.get(key);
        if (ids == null || !ids.remove(assetId)) {
            return false;
        }
        if (ids.isEmpty()) {
            claimants.remove(key);
        }
        if (ids.size() <= 1) {
            reported.remove(key);
        }
        return true;
    }

    /** The winning asset id for {@code key}, or null when nobody claims it. */
    String winner(String key) {
        TreeSet<String> ids = claimants.get(key);
        return ids == null ? null : ids.first();
    }

    /** Every asset claiming {@code key}, smallest first (read-only). */
    NavigableSet<String> claimants(String key) {
        TreeSet<String> ids = claimants.get(key);
        return ids == null ? Collections.emptyNavigableSet() : Collections.unmodifiableNavigableSet(ids);
    }
}

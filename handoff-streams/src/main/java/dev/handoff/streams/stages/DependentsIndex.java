package dev.handoff.streams.stages;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The lifecycle processor's in-memory reverse index of reference keys ({@code KIND:id}) to the findings that depend on
 * them, so a reference change re-evaluates exactly those findings (decision 0012).
 *
 * <p>Nothing in it is logged: it is rebuilt at every {@code init} from what is: the routing keys each finding's last
 * routing decision read ({@code F|<finding id>} entries of the dependents store, one per routed finding) and the keys
 * implied by each open finding's state (its SLA policy, the CVEs a KEV change can raise). Before, every pair was a
 * store key of its own and a changelog record: 2.2–2.4 changelog writes per input event in the end-to-end bench.
 */
final class DependentsIndex {

    private final Map<String, Set<String>> findingsByKey = new HashMap<>();

    void add(String referenceKey, String findingId) {
        findingsByKey.computeIfAbsent(referenceKey, k -> new HashSet<>()).add(findingId);
    }

    void remove(String referenceKey, String findingId) {
        Set<String> findings = findingsByKey.get(referenceKey);
        if (findings != null && findings.remove(findingId) && findings.isEmpty()) {
            findingsByKey.remove(referenceKey);
        }
    }

    void addAll(Iterable<String> referenceKeys, String findingId) {
        for (String key : referenceKeys) {
            add(key, findingId);
        }
    }

    void removeAll(Iterable<String> referenceKeys, String findingId) {
        for (String key : referenceKeys) {
            remove(key, findingId);
        }
    }

    /** The findings that depend on {@code referenceKey}, sorted: a copy, so the caller may change the index meanwhile. */
    Set<String> dependentsOf(String referenceKey) {
        Set<String> findings = findingsByKey.get(referenceKey);
        return findings == null ? new TreeSet<>() : new TreeSet<>(findings);
    }
}

package dev.handoff.schemas;

import org.apache.avro.specific.SpecificRecord;

import java.util.Map;
import java.util.Objects;

/**
 * One Handoff topic: its name without the deployment prefix, its value type, how it is keyed and
 * whether it is compacted. Instances are the constants of {@link Topics}.
 */
public final class TopicDef<V extends SpecificRecord> {

    /** How a topic is partitioned; finding-keyed topics are co-partitioned so the stateful core needs no repartition. */
    public enum Keying {
        /** Keyed by finding id, with the shared finding partition count. */
        FINDING,
        /** Keyed by some other id (owner, window), with the shared partition count. */
        OTHER,
        /** Small reference data read as a global table: one partition. */
        REFERENCE
    }

    private final String suffix;
    private final Class<V> valueType;
    private final Keying keying;
    private final boolean compacted;
    private final boolean keptForever;
    private final String description;

    TopicDef(String suffix, Class<V> valueType, Keying keying, boolean compacted, String description) {
        this(suffix, valueType, keying, compacted, false, description);
    }

    /** @param keptForever a delete-policy topic created without a time limit ({@code retention.ms=-1}): an audit record */
    TopicDef(String suffix, Class<V> valueType, Keying keying, boolean compacted, boolean keptForever, String description) {
        if (compacted && keptForever) {
            throw new IllegalArgumentException(suffix + ": a compacted topic keeps its latest records anyway");
        }
        this.suffix = Objects.requireNonNull(suffix);
        this.valueType = Objects.requireNonNull(valueType);
        this.keying = Objects.requireNonNull(keying);
        this.compacted = compacted;
        this.keptForever = keptForever;
        this.description = Objects.requireNonNull(description);
    }

    public String suffix() {
        return suffix;
    }

    public Class<V> valueType() {
        return valueType;
    }

    public Keying keying() {
        return keying;
    }

    public boolean compacted() {
        return compacted;
    }

    /** Whether the topic is created without a time limit on its records. */
    public boolean keptForever() {
        return keptForever;
    }

    public String description() {
        return description;
    }

    /**
     * Topic-level configs to create the topic with. A delete-policy topic otherwise takes the cluster's
     * {@code log.retention.*} (seven days by default).
     */
    public Map<String, String> configs() {
        if (compacted) {
            return Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "0");
        }
        return keptForever ? Map.of("cleanup.policy", "delete", "retention.ms", "-1") : Map.of("cleanup.policy", "delete");
    }

    @Override
    public String toString() {
        return suffix;
    }
}

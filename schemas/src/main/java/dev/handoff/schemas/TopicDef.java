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
    private final String description;

    TopicDef(String suffix, Class<V> valueType, Keying keying, boolean compacted, String description) {
        this.suffix = Objects.requireNonNull(suffix);
        this.valueType = Objects.requireNonNull(valueType);
        this.keying = Objects.requireNonNull(keying);
        this.compacted = compacted;
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

    public String description() {
        return description;
    }

    /** Topic-level configs to create the topic with. */
    public Map<String, String> configs() {
        return compacted
                ? Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "0")
                : Map.of("cleanup.policy", "delete");
    }

    @Override
    public String toString() {
        return suffix;
    }
}

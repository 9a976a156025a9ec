package dev.handoff.streams.metrics;

import dev.handoff.avro.FindingState;

import java.util.Objects;

/**
 * A save of a finding's state, as the lifecycle processor hands it to {@link CohortPartials} in the same task: the
 * state the store held before (null for a new finding) and the one saved. With the state before, the partials know
 * which cohorts a finding left and what it counted as before without an index of their own (decision 0015).
 */
public record StateSaved(FindingState before, FindingState after) {

    public StateSaved {
        Objects.requireNonNull(after, "after");
    }
}

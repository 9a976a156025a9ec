package dev.handoff.streams.stages;

import dev.handoff.avro.Actor;

import java.time.Instant;

/**
 * The input record a transition derives from: its id, event time, actor and source. Derived records
 * take their event time from it (never the processing clock) and derive their ids from its id, so a
 * replay of the log produces the same records.
 */
public record Cause(String eventId, Instant eventTime, Actor actor, String source) {

    /** A deterministic id for the {@code n}-th record of {@code kind} derived from this cause. */
    public String derivedId(String findingId, String kind, int n) {
        return eventId + "/" + findingId + "/" + kind + (n == 0 ? "" : "/" + n);
    }
}

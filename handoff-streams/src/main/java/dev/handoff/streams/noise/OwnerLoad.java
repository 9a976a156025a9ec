package dev.handoff.streams.noise;

import java.time.Instant;
import java.util.Optional;

/**
 * One change of an owner's notification load, carried keyed by owner id on the internal
 * {@code streams.owner-load} topic: a notification DELIVERED to them, or RELEASED (acknowledged,
 * reassigned away, closed). Encoded as {@code KIND|findingId|epochMillis}: the topic is internal to
 * handoff-streams and never read by anyone else.
 */
public record OwnerLoad(Kind kind, String findingId, Instant at) {

    /** What happened to the owner's load. */
    public enum Kind { DELIVERED, RELEASED }

    public String encode() {
        return kind.name() + "|" + findingId + "|" + at.toEpochMilli();
    }

    public static Optional<OwnerLoad> decode(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String[] p = value.split("\\|");
        if (p.length != 3) {
            return Optional.empty();
        }
        try {
            return Optional.of(new OwnerLoad(Kind.valueOf(p[0]), p[1], Instant.ofEpochMilli(Long.parseLong(p[2]))));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}

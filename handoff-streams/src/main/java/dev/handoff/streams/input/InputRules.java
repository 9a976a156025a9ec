package dev.handoff.streams.input;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What an input record must meet, beyond decoding, before the streams app takes it. Each rule guards an output
 * Kafka would refuse: every record the app writes is dated with the event time that caused it, and the broker
 * refuses timestamps before 1970 and more than {@code log.message.timestamp.after.max.ms} (one hour by default)
 * ahead of its clock, which would stop the app's thread on every retry instead of parking one bad record.
 */
public final class InputRules {

    /** The longest id taken (finding, asset, owner, team, CVE, policy); FindingIds makes 35 characters, ARNs reach 2 048. */
    public static final int MAX_ID_LENGTH = 2048;
    /** How far an event may be dated ahead of this service's clock when its own record is not dated that late too. */
    public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(15);
    /** How much of a key or id a reason or log line quotes. */
    private static final int QUOTED = 120;

    private InputRules() {
    }

    /**
     * Why an event dated {@code eventTime} cannot be taken, or empty. It may be as late as its record's own timestamp
     * (which the broker accepted) or the clock ({@code nowMs}, the machine's: the broker's is what counts) plus
     * {@link #MAX_CLOCK_SKEW}, whichever is later.
     */
    public static Optional<String> eventTimeProblem(Instant eventTime, long recordTimestamp, long nowMs) {
        if (eventTime == null) {
            return Optional.of("event_time is missing");
        }
        if (eventTime.toEpochMilli() < 0) {
            return Optional.of("event_time " + eventTime + " is before 1970: Kafka cannot date a record before the epoch"
                    + " (seconds or microseconds taken for milliseconds, or a missing date?)");
        }
        long latest = Math.max(recordTimestamp, nowMs + MAX_CLOCK_SKEW.toMillis());
        if (eventTime.toEpochMilli() > latest) {
            return Optional.of("event_time " + eventTime + " is after its record's timestamp and more than "
                    + MAX_CLOCK_SKEW.toMinutes() + " minutes ahead of this machine's clock (" + Instant.ofEpochMilli(nowMs)
                    + "): the producer's clock is wrong, or the time is in the wrong unit; Kafka refuses records dated more than"
                    + " log.message.timestamp.after.max.ms ahead");
        }
        return Optional.empty();
    }

    /** Why {@code id} (the value of {@code field}) cannot be taken, or empty. */
    public static Optional<String> idProblem(String field, String id) {
        if (id == null || id.isBlank()) {
            return Optional.of(field + " is empty");
        }
        if (id.length() > MAX_ID_LENGTH) {
            return Optional.of(field + " is " + id.length() + " characters long (" + quote(id) + "), over the limit of "
                    + MAX_ID_LENGTH + ": an id is a key in every store and output, not a place for data");
        }
        return Optional.empty();
    }

    /** {@code s} for a message: short ones whole, long ones cut with their length, null as null. */
    public static String quote(String s) {
        if (s == null) {
            return "null";
        }
        return s.length() <= QUOTED ? "'" + s + "'" : "'" + s.substring(0, QUOTED) + "…' (" + s.length() + " characters)";
    }
}

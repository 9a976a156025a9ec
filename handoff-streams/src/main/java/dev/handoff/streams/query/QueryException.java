package dev.handoff.streams.query;

import java.util.OptionalInt;

/** A query that cannot be answered, with the HTTP status that says why and, for transient causes, when to retry. */
public final class QueryException extends RuntimeException {

    private final int status;
    private final OptionalInt retryAfterSeconds;

    private QueryException(int status, String message, OptionalInt retryAfterSeconds, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400: the request itself is wrong. */
    public static QueryException badRequest(String message) {
        return new QueryException(400, message, OptionalInt.empty(), null);
    }

    /** 503: the data is there but not reachable right now (rebalancing, restoring, an instance down). */
    public static QueryException unavailable(String message, Throwable cause) {
        return new QueryException(503, message, OptionalInt.of(1), cause);
    }

    /** 502: another instance answered, but with something this one cannot use. */
    public static QueryException badGateway(String message, Throwable cause) {
        return new QueryException(502, message, OptionalInt.empty(), cause);
    }

    public int status() {
        return status;
    }

    public OptionalInt retryAfterSeconds() {
        return retryAfterSeconds;
    }
}

package dev.handoff.schemas.registry;

/**
 * A schema registry could not register or return a schema; the message says why and what to do.
 */
public class SchemaRegistryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final int errorCode;

    public SchemaRegistryException(String message) {
        this(message, 0, 0, null);
    }

    public SchemaRegistryException(String message, Throwable cause) {
        this(message, 0, 0, cause);
    }

    public SchemaRegistryException(String message, int status, int errorCode) {
        this(message, status, errorCode, null);
    }

    public SchemaRegistryException(String message, int status, int errorCode, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCode = errorCode;
    }

    /** The HTTP status of the registry's answer, or 0 when there was none (embedded registry, I/O error). */
    public int status() {
        return status;
    }

    /** The Confluent {@code error_code} of the registry's answer (e.g. 40401), or 0 when there was none. */
    public int errorCode() {
        return errorCode;
    }
}

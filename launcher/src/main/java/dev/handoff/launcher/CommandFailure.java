package dev.handoff.launcher;

/**
 * Why a {@code ./handoff} subcommand could not do its job, worded for the person at the terminal: the
 * command prints the message and exits with {@link #EXIT_CODE}, without a stack trace.
 */
public class CommandFailure extends RuntimeException {

    /** Exit code of a subcommand that failed (picocli keeps 2 for bad usage). */
    public static final int EXIT_CODE = 1;

    public CommandFailure(String message) {
        super(message);
    }

    public CommandFailure(String message, Throwable cause) {
        super(message, cause);
    }
}

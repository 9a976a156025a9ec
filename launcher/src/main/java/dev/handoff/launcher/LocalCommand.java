package dev.handoff.launcher;

import picocli.CommandLine;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * A subcommand for a running local mode: it finds the services through {@link RunOptions}, writes to picocli's
 * out and err (so tests and callers can capture them), and turns a {@link CommandFailure} into its message on
 * stderr and exit code 1.
 */
abstract class LocalCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    RunOptions run;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    @Override
    public final Integer call() throws Exception {
        try {
            int code = execute();
            out().flush();
            return code;
        } catch (CommandFailure e) {
            out().flush();
            err().println(spec.qualifiedName() + ": " + e.getMessage());
            err().flush();
            return CommandFailure.EXIT_CODE;
        }
    }

    /** Does the work; returns the exit code. */
    abstract int execute() throws Exception;
}

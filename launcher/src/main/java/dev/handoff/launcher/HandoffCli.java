package dev.handoff.launcher;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code ./handoff}: the local mode, and {@code topics create} for a real cluster (docker-compose.yml). */
@Command(name = "handoff", mixinStandardHelpOptions = true, version = "Handoff 0.1.0-SNAPSHOT",
        description = "Measures the handoff segment of security findings, live, on Kafka.",
        subcommands = {DemoCommand.class, AckCommand.class, StatusCommand.class, ExportCommand.class, TopicsCommand.class,
                dev.handoff.launcher.bench.BenchCommand.class})
public final class HandoffCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** {@code ./handoff} with its subcommands, {@code ingest} being {@code handoff-ingest}'s parse and send. */
    public static CommandLine commandLine() {
        return new CommandLine(new HandoffCli()).addSubcommand("ingest", new dev.handoff.ingest.cli.IngestCli());
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}

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

    /**
     * {@code ./handoff} with its subcommands. {@code ingest FILE} posts to the local intake; under it, {@code ingest parse}
     * and {@code ingest send} are {@code handoff-ingest}'s own commands.
     */
    public static CommandLine commandLine() {
        CommandLine ingest = new CommandLine(new IngestCommand());
        new CommandLine(new dev.handoff.ingest.cli.IngestCli()).getSubcommands().forEach(ingest::addSubcommand);
        return new CommandLine(new HandoffCli()).addSubcommand("ingest", ingest);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}

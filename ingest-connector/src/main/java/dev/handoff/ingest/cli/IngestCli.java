package dev.handoff.ingest.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code handoff-ingest}: parse a scanner report to normalised findings (NDJSON), or send them to Kafka
 * as {@code FindingReported} records in one transaction. Exit codes: 0 done, 2 bad usage, 3 the report
 * was refused (malformed, unsafe, too large, unknown format), 4 Kafka failed.
 */
@Command(name = "handoff-ingest", mixinStandardHelpOptions = true, version = "Handoff 0.1.0-SNAPSHOT",
        description = "Scanner reports to Handoff findings.", subcommands = {ParseCommand.class, SendCommand.class})
public final class IngestCli implements Runnable {

    public static final int REFUSED = 3;
    public static final int KAFKA_FAILED = 4;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new IngestCli()).execute(args));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: parse or send");
    }
}

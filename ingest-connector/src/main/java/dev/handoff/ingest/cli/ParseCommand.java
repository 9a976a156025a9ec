package dev.handoff.ingest.cli;

import dev.handoff.ingest.FindingJson;
import dev.handoff.ingest.ReportRecords;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportParsers;
import dev.handoff.ingest.parse.ReportSummary;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.concurrent.Callable;

/** {@code handoff-ingest parse FILE}: one JSON object per finding on stdout, a summary on stderr. */
@Command(name = "parse", mixinStandardHelpOptions = true,
        description = "Parse a report and print one JSON object per finding (NDJSON); the summary goes to stderr.")
final class ParseCommand implements Callable<Integer> {

    @Mixin
    ReportOptions report;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        CommandLine cmd = spec.commandLine();
        PrintWriter err = cmd.getErr();
        long started = System.nanoTime();
        ReportRecords ids = new ReportRecords("parse", "ingest-connector/cli", null, null, Instant.EPOCH);
        BufferedWriter out = new BufferedWriter(cmd.getOut(), 1 << 16);
        long[] n = {0};
        try (InputStream in = Files.newInputStream(report.file)) {
            ReportSummary summary = new ReportParsers().parse(in, report.format(cmd), report.limits(cmd), f -> {
                try {
                    out.write(FindingJson.line(f, ids.toRecord(f, n[0]++).getFindingId()));
                    out.write('\n');
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            out.flush();
            err.println(Summaries.line(report.file, summary, System.nanoTime() - started));
            err.flush();
            return 0;
        } catch (ReportException e) {
            flushQuietly(out);
            err.println("handoff-ingest: " + report.file + " refused (" + e.kind() + "): " + e.getMessage());
            err.flush();
            return IngestCli.REFUSED;
        } catch (IOException e) {
            err.println("handoff-ingest: cannot read " + report.file + ": " + e.getMessage());
            err.flush();
            return IngestCli.REFUSED;
        }
    }

    private static void flushQuietly(BufferedWriter out) {
        try {
            out.flush();
        } catch (IOException ignored) {
            // stdout is gone; the error on stderr is what matters
        }
    }
}

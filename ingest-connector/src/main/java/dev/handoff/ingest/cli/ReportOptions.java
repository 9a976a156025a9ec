package dev.handoff.ingest.cli;

import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ReportFormat;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Optional;

/** The options every subcommand shares: the report, its format, and the parse limits. */
final class ReportOptions {

    @Parameters(index = "0", paramLabel = "FILE", description = "the report file")
    Path file;

    @Option(names = "--format", paramLabel = "F", description = "the report format (default: detected from the content): ${COMPLETION-CANDIDATES}",
            completionCandidates = Formats.class)
    String format;

    @Option(names = "--max-bytes", paramLabel = "N", description = "report size limit (default: ${DEFAULT-VALUE})", defaultValue = "268435456")
    long maxBytes;

    @Option(names = "--max-depth", paramLabel = "N", description = "nesting depth limit (default: ${DEFAULT-VALUE})", defaultValue = "128")
    int maxDepth;

    @Option(names = "--max-string", paramLabel = "N", description = "longest value in characters (default: ${DEFAULT-VALUE})", defaultValue = "4194304")
    int maxString;

    @Option(names = "--max-findings", paramLabel = "N", description = "findings per report limit (default: ${DEFAULT-VALUE})", defaultValue = "1000000")
    int maxFindings;

    Optional<ReportFormat> format(CommandLine cmd) {
        if (format == null) {
            return Optional.empty();
        }
        return Optional.of(ReportFormat.byName(format).orElseThrow(() -> new CommandLine.ParameterException(cmd,
                "unknown format '" + format + "'; known formats: " + ReportFormat.known())));
    }

    ParseLimits limits(CommandLine cmd) {
        try {
            return new ParseLimits(maxBytes, maxDepth, maxString, maxFindings);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cmd, e.getMessage());
        }
    }

    static final class Formats implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(ReportFormat.values()).map(ReportFormat::id).iterator();
        }
    }
}

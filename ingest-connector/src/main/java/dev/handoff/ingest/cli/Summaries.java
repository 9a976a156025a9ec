package dev.handoff.ingest.cli;

import dev.handoff.ingest.parse.ReportSummary;

import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Collectors;

final class Summaries {

    private Summaries() {
    }

    /** {@code report.sarif: 72 findings (sarif) in 41 ms; bands HIGH 11, LOW 57, MEDIUM 4; labels error 11, note 57, warning 4}. */
    static String line(Path file, ReportSummary s, long nanos) {
        return String.format(Locale.ROOT, "%s: %d findings (%s) in %d ms; bands %s; labels %s", file.getFileName(), s.findings(),
                s.format().id(), nanos / 1_000_000, join(s.byBand()), join(s.bySeverityLabel()));
    }

    private static String join(java.util.Map<String, Long> counts) {
        return counts.isEmpty() ? "none" : new java.util.TreeMap<>(counts).entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }
}

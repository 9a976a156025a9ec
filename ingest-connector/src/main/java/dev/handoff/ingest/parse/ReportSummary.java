package dev.handoff.ingest.parse;

import java.util.Map;
import java.util.TreeMap;

/** What one parse produced: the format, how many findings, and how many per severity label and band. */
public record ReportSummary(ReportFormat format, long findings, Map<String, Long> bySeverityLabel, Map<String, Long> byBand) {

    public ReportSummary {
        bySeverityLabel = Map.copyOf(new TreeMap<>(bySeverityLabel));
        byBand = Map.copyOf(new TreeMap<>(byBand));
    }
}

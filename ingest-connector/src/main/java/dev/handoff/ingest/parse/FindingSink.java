package dev.handoff.ingest.parse;

/** Where a parser puts each finding as soon as it has read it (so memory stays flat in the report's size). */
@FunctionalInterface
public interface FindingSink {
    void accept(ParsedFinding finding) throws ReportException;
}

package dev.handoff.ingest.parse;

/**
 * Reads one report format, streaming: each finding goes to the sink as soon as it is complete. A parser
 * throws {@link ReportException} for input that is not its format's shape (with the line and column where
 * the reader knows them) and never for a finding it merely finds odd: those it keeps, normalising what it
 * can. Parsers are stateless and thread-safe.
 */
public interface ReportParser {

    ReportFormat format();

    void parse(ReportInput input, FindingSink sink) throws ReportException;
}

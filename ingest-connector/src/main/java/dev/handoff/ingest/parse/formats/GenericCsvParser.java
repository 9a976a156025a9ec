package dev.handoff.ingest.parse.formats;

import dev.handoff.ingest.parse.FindingSink;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportInput;
import dev.handoff.ingest.parse.ReportParser;
import dev.handoff.ingest.parse.formats.GenericFields.Row;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Handoff generic CSV report ({@code docs/generic-report-format.md}): RFC 4180 text in UTF-8
 * (an optional byte-order mark is skipped), a header row naming the columns, one finding per row.
 *
 * <p><b>Header.</b> Column names are those of the generic JSON finding ({@link GenericFields}),
 * matched case-insensitively with spaces and hyphens read as underscores ({@code File Path} is
 * {@code file_path}); {@code title} and {@code severity} are required. CVSS is given flat:
 * {@code cvss_vector}, {@code cvss_score}, {@code cvss_version}. Several values in one cell
 * ({@code cve}, {@code ghsa}, {@code cwe}, {@code references}) are separated by {@code ;} or white
 * space ({@code ,} too for ids). A column the format does not know becomes an attribute named by its
 * header as written; a column with an empty header is ignored; a name given twice is an error.
 *
 * <p><b>Rows.</b> Fields are separated by commas, records by CRLF, LF or CR. A field may be quoted
 * with {@code "}; inside it commas, line breaks and doubled quotes ({@code ""}) are data. A quote in
 * an unquoted field is kept as data. Blank lines are skipped. A row may have fewer fields than the
 * header (the rest are empty) but not more.
 *
 * <p><b>Severity label</b>: {@code severity} exactly as written; critical, high, medium, low, info
 * (any case) map to the bands of the same name.
 *
 * <p><b>Errors</b> are MALFORMED with the line and column where the offending field starts and its
 * column name: a missing title or severity, an unknown severity, a bad date, port, line, CVE, GHSA,
 * CWE or CVSS value, an unterminated quote, text after a closing quote, more fields than the header,
 * text that is not UTF-8. A field longer than {@code ingest.limit.string} is LIMIT_EXCEEDED.
 *
 * <p>Read row by row with a hand-written reader: memory is one row.
 */
public final class GenericCsvParser implements ReportParser {

    /** More header columns than this is not a findings table. */
    static final int MAX_COLUMNS = 1024;

    @Override
    public ReportFormat format() {
        return ReportFormat.GENERIC_CSV;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        CsvReader csv = new CsvReader(input.stream(), input.limits().maxStringLength());
        try {
            List<String> header = csv.next(MAX_COLUMNS, true);
            if (header == null) {
                throw new ReportException(ReportException.Kind.MALFORMED, "malformed generic CSV report: no header row", 1, 1, null);
            }
            int n = header.size();
            String[] fields = new String[n];
            String[] names = new String[n];
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < n; i++) {
                String raw = header.get(i).trim();
                if (raw.isEmpty()) {
                    continue;
                }
                String key = GenericFields.normalise(raw);
                Integer before = seen.put(key, i);
                if (before != null) {
                    throw csv.problem(i, "malformed generic CSV report: column \"" + raw + "\" is named twice (columns "
                            + (before + 1) + " and " + (i + 1) + ")");
                }
                names[i] = raw;
                fields[i] = GenericFields.known(key) ? key : null;
            }
            if (!seen.containsKey("title") || !seen.containsKey("severity")) {
                throw new ReportException(ReportException.Kind.MALFORMED, "malformed generic CSV report: the header row must name the columns "
                        + "title and severity (it has: " + String.join(", ", header) + ")", csv.recordLine(), 1, null);
            }
            int rowNumber = 0;
            List<String> values;
            while ((values = csv.next(n, false)) != null) {
                rowNumber++;
                Row row = new Row();
                long line = csv.recordLine();
                int r = rowNumber;
                for (int i = 0; i < values.size(); i++) {
                    if (names[i] == null) {
                        continue;
                    }
                    int column = i;
                    String value = values.get(i);
                    if (fields[i] == null) {
                        if (!value.isBlank()) {
                            row.attributes.put(names[i], value.trim());
                        }
                        continue;
                    }
                    GenericFields.set(row, fields[i], value, message -> csv.problem(column,
                            "malformed generic CSV report: row " + r + ", column \"" + names[column] + "\": " + message));
                }
                int fieldCount = values.size();
                GenericFields.finish(row, message -> {
                    // A missing title or severity points at its (empty) cell, else at the row.
                    String column = message.startsWith("title") ? "title" : message.startsWith("severity") ? "severity" : null;
                    Integer at = column == null ? null : seen.get(column);
                    String where = "malformed generic CSV report: row " + r + (at == null ? "" : ", column \"" + names[at] + "\"");
                    return at != null && at < fieldCount ? csv.problem(at, where + ": " + message)
                            : new ReportException(ReportException.Kind.MALFORMED, where + ": " + message, line, 1, null);
                });
                sink.accept(row.build(null, null));
            }
        } catch (CharacterCodingException e) {
            throw new ReportException(ReportException.Kind.MALFORMED, "malformed generic CSV report: the text is not UTF-8",
                    csv.line(), csv.column(), e);
        } catch (IOException e) {
            ReportException problem = ReportInput.jsonProblem(e);
            if (problem.kind() != ReportException.Kind.MALFORMED) {
                throw problem;
            }
            throw new ReportException(ReportException.Kind.MALFORMED, "cannot read the CSV report: " + e.getMessage(), csv.line(), csv.column(), e);
        }
    }

    /**
     * RFC 4180 records from UTF-8 text, one at a time, with the line and column where each field starts.
     * Line breaks inside quoted fields are returned as {@code \n}.
     */
    static final class CsvReader {
        private final Reader in;
        private final int maxField;
        private final char[] buffer = new char[8192];
        private int pos;
        private int len;
        private int peeked = -2;
        private boolean started;
        private long line = 1;
        private long column = 1;
        private long recordLine;
        private final List<long[]> starts = new ArrayList<>();

        CsvReader(InputStream stream, int maxField) {
            this.in = new InputStreamReader(stream, StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT));
            this.maxField = maxField;
        }

        long line() {
            return line;
        }

        long column() {
            return column;
        }

        /** The line the last record returned starts on. */
        long recordLine() {
            return recordLine;
        }

        /** A MALFORMED error at the start of field {@code index} of the last record. */
        ReportException problem(int index, String message) {
            long[] at = index < starts.size() ? starts.get(index) : new long[] {recordLine, 1};
            return new ReportException(ReportException.Kind.MALFORMED, message, at[0], at[1], null);
        }

        /** The next non-blank record, or {@code null} at the end; more than {@code maxFields} fields is an error. */
        List<String> next(int maxFields, boolean header) throws IOException, ReportException {
            while (true) {
                List<String> record = record(maxFields, header);
                if (record == null) {
                    return null;
                }
                if (!(record.size() == 1 && record.get(0).isEmpty())) {
                    return record;
                }
            }
        }

        private List<String> record(int maxFields, boolean header) throws IOException, ReportException {
            if (peek() == -1) {
                return null;
            }
            starts.clear();
            recordLine = line;
            List<String> fields = new ArrayList<>();
            StringBuilder field = new StringBuilder();
            while (true) {
                long fieldLine = line;
                long fieldColumn = column;
                if (fields.size() >= maxFields) {
                    throw new ReportException(ReportException.Kind.MALFORMED, "malformed generic CSV report: the row starting on line "
                            + recordLine + " has more than " + maxFields + " fields" + (header ? "" : ", the header's column count"),
                            fieldLine, fieldColumn, null);
                }
                starts.add(new long[] {fieldLine, fieldColumn});
                field.setLength(0);
                int c = read();
                int end;
                if (c == '"') {
                    while (true) {
                        c = read();
                        if (c == -1) {
                            throw new ReportException(ReportException.Kind.MALFORMED, "malformed generic CSV report: the quoted field "
                                    + "starting here is never closed", fieldLine, fieldColumn, null);
                        }
                        if (c == '"') {
                            int d = read();
                            if (d == '"') {
                                append(field, '"', fieldLine, fieldColumn);
                                continue;
                            }
                            end = d;
                            break;
                        }
                        append(field, (char) c, fieldLine, fieldColumn);
                    }
                    if (end != ',' && end != '\n' && end != -1) {
                        throw new ReportException(ReportException.Kind.MALFORMED, "malformed generic CSV report: unexpected character '"
                                + (char) end + "' after the closing quote of a field (quote the whole field and double the quotes in it)",
                                line, column - 1, null);
                    }
                } else {
                    while (c != ',' && c != '\n' && c != -1) {
                        append(field, (char) c, fieldLine, fieldColumn);
                        c = read();
                    }
                    end = c;
                }
                fields.add(field.toString());
                if (end != ',') {
                    return fields;
                }
            }
        }

        private void append(StringBuilder field, char c, long fieldLine, long fieldColumn) throws ReportException {
            if (field.length() >= maxField) {
                throw new ReportException(ReportException.Kind.LIMIT_EXCEEDED, "a CSV field longer than " + maxField
                        + " characters (ingest.limit.string)", fieldLine, fieldColumn, null);
            }
            field.append(c);
        }

        /** The next character without consuming it. */
        private int peek() throws IOException {
            if (peeked == -2) {
                peeked = translated();
            }
            return peeked;
        }

        /** The next character with CRLF and CR read as {@code \n}; -1 at the end. Tracks line and column. */
        private int read() throws IOException {
            int c = peek();
            peeked = -2;
            advance(c);
            return c;
        }

        private int translated() throws IOException {
            int c = raw();
            if (!started) {
                started = true;
                if (c == '\uFEFF') {
                    c = raw();
                }
            }
            if (c == '\r') {
                int d = raw();
                if (d != '\n' && d != -1) {
                    pos--; // give back the character after a lone CR (it is still in the buffer)
                }
                c = '\n';
            }
            return c;
        }

        private void advance(int c) {
            if (c == '\n') {
                line++;
                column = 1;
            } else if (c != -1) {
                column++;
            }
        }

        private int raw() throws IOException {
            if (pos == len) {
                len = in.read(buffer, 0, buffer.length);
                pos = 0;
                if (len <= 0) {
                    len = 0;
                    return -1;
                }
            }
            return buffer[pos++];
        }
    }
}

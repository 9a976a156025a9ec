package dev.handoff.launcher.audit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.List;

/**
 * Writes RFC 4180 CSV: records end with CRLF; a field holding a comma, a double quote, CR or LF is enclosed in
 * double quotes and its quotes are doubled; other fields are written as they are; null is an empty field.
 */
public final class CsvWriter {

    private final Writer out;
    private int columns = -1;

    public CsvWriter(Writer out) {
        this.out = out;
    }

    /** One record; every record of a file must have as many fields as the first (RFC 4180 §2.4). */
    public CsvWriter row(List<String> fields) {
        if (columns < 0) {
            columns = fields.size();
        } else if (fields.size() != columns) {
            throw new IllegalArgumentException("a CSV record needs " + columns + " fields like the header, got " + fields.size());
        }
        try {
            for (int i = 0; i < fields.size(); i++) {
                if (i > 0) {
                    out.write(',');
                }
                out.write(field(fields.get(i)));
            }
            out.write("\r\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** One field as RFC 4180 writes it. */
    public static String field(String value) {
        if (value == null) {
            return "";
        }
        boolean quote = false;
        for (int i = 0; i < value.length() && !quote; i++) {
            char c = value.charAt(i);
            quote = c == ',' || c == '"' || c == '\r' || c == '\n';
        }
        return quote ? '"' + value.replace("\"", "\"\"") + '"' : value;
    }
}

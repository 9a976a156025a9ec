package dev.handoff.launcher.audit;

import java.util.ArrayList;
import java.util.List;

/** A strict RFC 4180 reader for tests, written apart from the CSV writer so each checks the other. */
public final class Rfc4180 {

    private Rfc4180() {
    }

    /** Records of {@code text}; every record must end with CRLF; fails on anything RFC 4180 does not allow. */
    public static List<List<String>> parse(String text) {
        List<List<String>> records = new ArrayList<>();
        List<String> record = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            if (text.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= text.length()) {
                        throw new IllegalArgumentException("unterminated quoted field");
                    }
                    char c = text.charAt(i);
                    if (c == '"') {
                        if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                            field.append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    field.append(c);
                    i++;
                }
            } else {
                while (i < text.length() && text.charAt(i) != ',' && text.charAt(i) != '\r') {
                    char c = text.charAt(i);
                    if (c == '"' || c == '\n') {
                        throw new IllegalArgumentException("unquoted field holds " + (c == '"' ? "a quote" : "a bare LF") + " at " + i);
                    }
                    field.append(c);
                    i++;
                }
            }
            record.add(field.toString());
            field.setLength(0);
            if (i >= text.length()) {
                throw new IllegalArgumentException("the last record does not end with CRLF");
            }
            if (text.charAt(i) == ',') {
                i++;
            } else if (text.startsWith("\r\n", i)) {
                records.add(record);
                record = new ArrayList<>();
                i += 2;
            } else {
                throw new IllegalArgumentException("expected a comma or CRLF at " + i);
            }
        }
        return records;
    }
}

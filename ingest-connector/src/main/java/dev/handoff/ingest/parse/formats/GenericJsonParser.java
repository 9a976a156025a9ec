package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.ingest.parse.FindingSink;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportInput;
import dev.handoff.ingest.parse.ReportParser;
import dev.handoff.ingest.parse.formats.GenericFields.Problem;
import dev.handoff.ingest.parse.formats.GenericFields.Row;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The Handoff generic JSON report ({@code docs/generic-report-format.md}) for manual entry and for
 * converting third-party reports:
 * <pre>{@code {"format": "handoff-generic", "version": 1, "tool": {"name": "...", "version": "..."},
 *  "findings": [{"title": "...", "severity": "high", "cve": "CVE-2021-44228", ...}]}}</pre>
 *
 * <p>{@code format} is required and must be {@code handoff-generic}; {@code version}, when present, must
 * be 1; {@code tool} (an object, or just the name) is optional ({@code manual} when absent). Every
 * finding needs {@code title} and {@code severity}; the other fields are in {@link GenericFields}.
 * Unknown keys of a finding become attributes (objects and arrays as JSON text), as do the entries of
 * its {@code attributes} object; unknown top-level keys are ignored.
 *
 * <p><b>Severity label</b>: {@code severity} exactly as written; critical, high, medium, low, info
 * (any case) map to the bands of the same name, and nothing else is accepted.
 *
 * <p><b>Errors</b>: a finding that breaks the format (no title, an unknown severity, a bad date, port,
 * line, CVE, GHSA, CWE or CVSS value) is MALFORMED, naming the finding's index and field with the line
 * and column of the value (of the finding's start for a missing field).
 *
 * <p><b>Streaming</b>: each finding is emitted once read. Findings that precede {@code tool} in the
 * document (JSON objects are unordered; a serializer that sorts keys puts {@code findings} first) are
 * kept, validated and compact, until the document ends, so their tool is known.
 */
public final class GenericJsonParser implements ReportParser {

    static final String FORMAT = "handoff-generic";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Override
    public ReportFormat format() {
        return ReportFormat.GENERIC_JSON;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        try (JsonParser p = input.json()) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw malformed(p.currentTokenLocation(), "a generic report is a JSON object with \"format\": \"" + FORMAT + "\"");
            }
            boolean formatSeen = false;
            boolean toolSeen = false;
            String tool = null;
            String toolVersion = null;
            List<Row> waiting = new ArrayList<>();
            int index = 0;
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                JsonLocation at = p.currentTokenLocation();
                switch (name) {
                    case "format" -> {
                        if (value != JsonToken.VALUE_STRING || !FORMAT.equals(p.getText().trim())) {
                            throw malformed(at, "\"format\" must be \"" + FORMAT + "\"");
                        }
                        formatSeen = true;
                    }
                    case "version" -> {
                        String v = value.isScalarValue() ? p.getValueAsString() : null;
                        if (v == null || !(v.trim().equals("1") || v.trim().equals("1.0"))) {
                            p.skipChildren();
                            throw malformed(at, "unsupported \"version\"; this Handoff reads version 1");
                        }
                    }
                    case "tool" -> {
                        if (value == JsonToken.VALUE_STRING) {
                            tool = blankToNull(p.getText());
                        } else if (value == JsonToken.START_OBJECT) {
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String key = p.currentName();
                                JsonToken v = p.nextToken();
                                if ("name".equals(key) && v.isScalarValue()) {
                                    tool = blankToNull(p.getValueAsString());
                                } else if ("version".equals(key) && v.isScalarValue()) {
                                    toolVersion = blankToNull(p.getValueAsString());
                                } else {
                                    p.skipChildren();
                                }
                            }
                        } else if (value != JsonToken.VALUE_NULL) {
                            p.skipChildren();
                            throw malformed(at, "\"tool\" must be an object {\"name\", \"version\"} or a name");
                        }
                        toolSeen = true;
                        for (Row row : waiting) {
                            sink.accept(row.build(tool, toolVersion));
                        }
                        waiting.clear();
                    }
                    case "findings" -> {
                        if (value == JsonToken.VALUE_NULL) {
                            continue;
                        }
                        if (value != JsonToken.START_ARRAY) {
                            p.skipChildren();
                            throw malformed(at, "\"findings\" must be an array");
                        }
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            index++;
                            Row row = finding(p, index);
                            if (toolSeen || row.tool != null) {
                                sink.accept(row.build(tool, toolVersion));
                            } else {
                                if (waiting.size() >= input.limits().maxFindings()) {
                                    throw new ReportException(ReportException.Kind.LIMIT_EXCEEDED, "the report holds more than "
                                            + input.limits().maxFindings() + " findings (ingest.limit.findings)");
                                }
                                waiting.add(row);
                            }
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw malformed(p.currentTokenLocation(), "unexpected content after the report object");
            }
            if (!formatSeen) {
                throw new ReportException(ReportException.Kind.MALFORMED,
                        "not a generic report: \"format\": \"" + FORMAT + "\" is missing", 1, 1, null);
            }
            for (Row row : waiting) {
                sink.accept(row.build(tool, toolVersion));
            }
        } catch (IOException e) {
            throw ReportInput.jsonProblem(e);
        }
    }

    /** One finding object (the parser is on its start), validated. */
    private static Row finding(JsonParser p, int index) throws IOException, ReportException {
        JsonLocation start = p.currentTokenLocation();
        if (p.currentToken() != JsonToken.START_OBJECT) {
            p.skipChildren();
            throw malformed(start, "finding " + index + " must be an object");
        }
        Row row = new Row();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String raw = p.currentName();
            String key = GenericFields.normalise(raw);
            JsonToken value = p.nextToken();
            JsonLocation at = p.currentTokenLocation();
            Problem where = message -> malformed(at, "finding " + index + ", field \"" + raw + "\": " + message);
            if (value == JsonToken.VALUE_NULL) {
                continue;
            }
            if ("cvss".equals(key)) {
                if (value == JsonToken.START_OBJECT) {
                    cvss(p, row, where);
                } else if (value == JsonToken.START_ARRAY) {
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        JsonLocation elementAt = p.currentTokenLocation();
                        Problem elementWhere = message -> malformed(elementAt, "finding " + index + ", field \"" + raw + "\": " + message);
                        if (p.currentToken() != JsonToken.START_OBJECT) {
                            p.skipChildren();
                            throw elementWhere.at("each CVSS entry must be an object {\"version\", \"vector\", \"score\"}");
                        }
                        cvss(p, row, elementWhere);
                    }
                } else {
                    throw where.at("must be an object {\"version\", \"vector\", \"score\"} or an array of them");
                }
            } else if ("attributes".equals(key)) {
                if (value != JsonToken.START_OBJECT) {
                    p.skipChildren();
                    throw where.at("must be an object of names to values");
                }
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    row.attributes.put(name, valueText(p));
                }
            } else if (GenericFields.MULTI.contains(key)) {
                if (value == JsonToken.START_ARRAY) {
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        JsonLocation elementAt = p.currentTokenLocation();
                        if (!p.currentToken().isScalarValue()) {
                            p.skipChildren();
                            throw malformed(elementAt, "finding " + index + ", field \"" + raw + "\": each entry must be a string");
                        }
                        GenericFields.set(row, key, p.getValueAsString(),
                                message -> malformed(elementAt, "finding " + index + ", field \"" + raw + "\": " + message));
                    }
                } else if (value.isScalarValue()) {
                    GenericFields.set(row, key, p.getValueAsString(), where);
                } else {
                    p.skipChildren();
                    throw where.at("must be a string or an array of strings");
                }
            } else if (GenericFields.SINGLE.contains(key)) {
                if (!value.isScalarValue()) {
                    p.skipChildren();
                    throw where.at("must be a string or a number");
                }
                GenericFields.set(row, key, p.getValueAsString(), where);
            } else {
                row.attributes.put(raw, valueText(p));
            }
        }
        GenericFields.finish(row, message -> malformed(start, "finding " + index + ": " + message));
        return row;
    }

    private static void cvss(JsonParser p, Row row, Problem where) throws IOException, ReportException {
        String version = null;
        String vector = null;
        Double score = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken v = p.nextToken();
            if (!v.isScalarValue()) {
                p.skipChildren();
                continue;
            }
            String text = p.getValueAsString();
            if (text == null || text.isBlank()) {
                continue;
            }
            switch (key) {
                case "version" -> version = GenericFields.cvssVersion(text, where);
                case "vector" -> vector = text;
                case "score" -> score = GenericFields.cvssScore(text, where);
                default -> {
                }
            }
        }
        GenericFields.cvss(row, version, vector, score, where);
    }

    /** A scalar as its text, an object or array as compact JSON. */
    private static String valueText(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
            return MAPPER.readTree(p).toString();
        }
        return t == JsonToken.VALUE_NULL ? null : p.getValueAsString();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static ReportException malformed(JsonLocation at, String message) {
        return new ReportException(ReportException.Kind.MALFORMED, "malformed generic JSON report: " + message,
                at == null ? -1 : at.getLineNr(), at == null ? -1 : at.getColumnNr(), null);
    }
}

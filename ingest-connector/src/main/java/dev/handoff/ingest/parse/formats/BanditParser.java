package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.FindingSink;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportInput;
import dev.handoff.ingest.parse.ReportParser;

import java.io.IOException;
import java.time.Instant;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Bandit's JSON output ({@code bandit -f json}): each entry of {@code results} is a finding; {@code errors}
 * and {@code metrics} are not.
 *
 * <p><b>Severity label</b>: {@code issue_severity} as written (LOW, MEDIUM, HIGH, UNDEFINED). <b>Band</b>:
 * HIGH HIGH, MEDIUM MEDIUM, LOW LOW; UNDEFINED, which Bandit ranks below LOW, INFO; anything else MEDIUM.
 * {@code issue_confidence} is kept as the attribute {@code confidence}.
 *
 * <p><b>Ids</b>: {@code test_id} (B303) as TOOL_RULE; {@code issue_cwe.id} as a CWE. <b>Target</b>:
 * {@code filename} and {@code line_number}. <b>Text</b>: title {@code issue_text}, with the value Bandit
 * quotes in its hardcoded-password messages (B105-B107) redacted; {@code test_name} as an attribute;
 * {@code more_info} and the CWE link as references. The matched source ({@code code}) is never copied: it
 * may hold the very secret a test flags. {@code generated_at} is the detection time of every finding
 * (Bandit does not write its version); results before it are held in a {@link SastJson.Spool}.
 */
public final class BanditParser implements ReportParser {

    private static final Pattern PASSWORD = Pattern.compile("(?is)(hardcoded password:\\s*).*");

    private final long spoolMemoryBytes;

    public BanditParser() {
        this(SastJson.SPOOL_MEMORY_BYTES);
    }

    BanditParser(long spoolMemoryBytes) {
        this.spoolMemoryBytes = spoolMemoryBytes;
    }

    @Override
    public ReportFormat format() {
        return ReportFormat.BANDIT;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        JsonParser p = input.json();
        try (p; SastJson.Spool spool = new SastJson.Spool(input.limits(), spoolMemoryBytes)) {
            SastJson.first(p, "Bandit");
            SastJson.expect(p, JsonToken.START_OBJECT, "a Bandit report");
            Instant[] generated = {null};
            boolean sawGenerated = false;
            while (SastJson.next(p) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                SastJson.next(p);
                if ("generated_at".equals(name)) {
                    generated[0] = SastJson.instant(SastJson.scalarText(p));
                    sawGenerated = true;
                } else if ("results".equals(name)) {
                    if (SastJson.arrayOrNull(p, "'results'")) {
                        while (SastJson.next(p) != JsonToken.END_ARRAY) {
                            SastJson.expect(p, JsonToken.START_OBJECT, "each result");
                            JsonLocation at = p.currentTokenLocation();
                            JsonNode result = SastJson.tree(p);
                            ((ObjectNode) result).remove("code");
                            if (sawGenerated) {
                                emit(result, generated[0], at.getLineNr(), at.getColumnNr(), sink);
                            } else {
                                long bytes = at.getByteOffset() < 0 ? -1 : p.currentLocation().getByteOffset() - at.getByteOffset();
                                spool.add(at.getLineNr(), at.getColumnNr(), result, bytes);
                            }
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
            SastJson.expectEnd(p);
            spool.drain(e -> emit(e.node(), generated[0], e.line(), e.column(), sink));
        } catch (IOException e) {
            throw ReportInput.jsonProblem(e);
        }
    }

    private static void emit(JsonNode r, Instant generated, long line, long col, FindingSink sink) throws ReportException {
        ParsedFinding f;
        try {
            f = finding(r, generated, line, col);
        } catch (RuntimeException e) {
            throw SastJson.shape(line, col, "Bandit result could not be read: " + e);
        }
        sink.accept(f);
    }

    private static ParsedFinding finding(JsonNode r, Instant generated, long line, long col) throws ReportException {
        ParsedFinding.Builder b = ParsedFinding.builder("Bandit");
        String severity = SastJson.text(r.get("issue_severity"));
        if (severity == null) {
            b.severity("(none)", SeverityBand.MEDIUM);
        } else {
            b.severity(severity, band(severity));
        }
        String testId = SastJson.text(r.get("test_id"));
        b.id(VulnerabilityIdKind.TOOL_RULE, testId);
        JsonNode cwe = r.get("issue_cwe");
        if (cwe != null && !cwe.isNull()) {
            if (!cwe.isObject()) {
                throw SastJson.shape(line, col, "result.issue_cwe must be an object");
            }
            Integer id = SastJson.integer(cwe.get("id"));
            if (id != null && id > 0) {
                b.cwe("CWE-" + id);
            }
        }
        String text = redact(SastJson.text(r.get("issue_text")));
        String testName = SastJson.text(r.get("test_name"));
        b.title(text != null ? SastJson.firstLine(text) : testName != null ? testName : testId);
        b.description(text);
        b.target().setFilePath(SastJson.text(r.get("filename")));
        Integer lineNumber = SastJson.integer(r.get("line_number"));
        if (lineNumber != null && lineNumber > 0) {
            b.target().setLine(lineNumber);
        }
        b.detectedAt(generated);
        b.reference(SastJson.text(r.get("more_info")));
        if (cwe != null && cwe.isObject()) {
            b.reference(SastJson.text(cwe.get("link")));
        }
        b.attribute("confidence", SastJson.text(r.get("issue_confidence")));
        b.attribute("testName", testName);
        return b.build();
    }

    /** HIGH, MEDIUM, LOW as named; UNDEFINED INFO; anything else MEDIUM. */
    static SeverityBand band(String severity) {
        return switch (severity.toUpperCase(Locale.ROOT)) {
            case "HIGH" -> SeverityBand.HIGH;
            case "LOW" -> SeverityBand.LOW;
            case "UNDEFINED" -> SeverityBand.INFO;
            default -> SeverityBand.MEDIUM;
        };
    }

    /** 'Possible hardcoded password: 'hunter2'' loses the quoted value. */
    static String redact(String issueText) {
        return issueText == null ? null : PASSWORD.matcher(issueText).replaceFirst("$1[redacted]");
    }
}

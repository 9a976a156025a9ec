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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Semgrep's JSON output ({@code semgrep --json}): each entry of {@code results} is a finding; {@code errors}
 * are not. Results Semgrep marks {@code extra.is_ignored} (present only when nosemgrep comments were
 * disabled) are still findings, with the attribute {@code ignored=true}.
 *
 * <p><b>Severity label</b>: {@code extra.severity} as written. <b>Band</b>: ERROR HIGH, WARNING MEDIUM,
 * INFO LOW (as Semgrep's own SARIF maps them to error/warning/note), INVENTORY and EXPERIMENT INFO, and
 * the newer CRITICAL/HIGH/MEDIUM/LOW as named; anything else MEDIUM.
 *
 * <p><b>Ids</b>: CVE/GHSA ids from {@code extra.metadata} values that are exactly such an id (Supply Chain
 * rules' {@code sca-vuln-database-identifier}, a {@code cve} key); {@code check_id} as TOOL_RULE; CWEs from
 * {@code metadata.cwe} (a string or a list, 'CWE-89: ...'); CVSS from metadata keys naming CVSS.
 * <b>Target</b>: {@code path} and {@code start.line}; for Supply Chain results also the dependency's
 * package name and version. <b>Text</b>: title the first line of {@code extra.message}, description the
 * whole message; references from {@code metadata.references} and {@code metadata.source}. Matched source
 * ({@code extra.lines}, metavariable contents, fixes) is never copied: it may hold secrets.
 *
 * <p>The {@code version} key usually follows {@code results} (Semgrep writes keys in alphabetical order),
 * so results are held in a {@link SastJson.Spool} until it is known.
 */
public final class SemgrepParser implements ReportParser {

    private static final Set<String> DROPPED_EXTRA = Set.of("lines", "metavars", "dataflow_trace", "fix", "fix_regex",
            "rendered_fix", "extra_extra");

    private final long spoolMemoryBytes;

    public SemgrepParser() {
        this(SastJson.SPOOL_MEMORY_BYTES);
    }

    SemgrepParser(long spoolMemoryBytes) {
        this.spoolMemoryBytes = spoolMemoryBytes;
    }

    @Override
    public ReportFormat format() {
        return ReportFormat.SEMGREP;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        JsonParser p = input.json();
        try (p; SastJson.Spool spool = new SastJson.Spool(input.limits(), spoolMemoryBytes)) {
            SastJson.first(p, "Semgrep");
            SastJson.expect(p, JsonToken.START_OBJECT, "a Semgrep report");
            String[] version = {null};
            boolean sawVersion = false;
            while (SastJson.next(p) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                SastJson.next(p);
                if ("version".equals(name)) {
                    version[0] = SastJson.scalarText(p);
                    sawVersion = true;
                } else if ("results".equals(name)) {
                    if (SastJson.arrayOrNull(p, "'results'")) {
                        while (SastJson.next(p) != JsonToken.END_ARRAY) {
                            SastJson.expect(p, JsonToken.START_OBJECT, "each result");
                            JsonLocation at = p.currentTokenLocation();
                            JsonNode result = prune(SastJson.tree(p));
                            if (sawVersion) {
                                emit(result, version[0], at.getLineNr(), at.getColumnNr(), sink);
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
            spool.drain(e -> emit(e.node(), version[0], e.line(), e.column(), sink));
        } catch (IOException e) {
            throw ReportInput.jsonProblem(e);
        }
    }

    private static JsonNode prune(JsonNode result) {
        if (result.get("extra") instanceof ObjectNode extra) {
            extra.remove(DROPPED_EXTRA);
        }
        return result;
    }

    private static void emit(JsonNode r, String version, long line, long col, FindingSink sink) throws ReportException {
        ParsedFinding f;
        try {
            f = finding(r, version, line, col);
        } catch (RuntimeException e) {
            throw SastJson.shape(line, col, "Semgrep result could not be read: " + e);
        }
        sink.accept(f);
    }

    private static ParsedFinding finding(JsonNode r, String version, long line, long col) throws ReportException {
        ParsedFinding.Builder b = ParsedFinding.builder("Semgrep").toolVersion(version);
        ObjectNode extra = SastJson.object(r, "extra", "result.extra", line, col);
        ObjectNode metadata = extra == null ? null : SastJson.object(extra, "metadata", "extra.metadata", line, col);

        String severity = extra == null ? null : SastJson.text(extra.get("severity"));
        if (severity == null) {
            b.severity("(none)", SeverityBand.MEDIUM);
        } else {
            b.severity(severity, band(severity));
        }

        String checkId = SastJson.text(r.get("check_id"));
        if (metadata != null) {
            for (Map.Entry<String, JsonNode> e : metadata.properties()) {
                SastJson.strings(e.getValue()).forEach(s -> SastJson.addAdvisoryId(b, s));
            }
        }
        b.id(VulnerabilityIdKind.TOOL_RULE, checkId);
        if (metadata != null) {
            SastJson.strings(metadata.get("cwe")).forEach(c -> b.cwe(SastJson.cwe(c)));
            SastJson.addCvss(b, SastJson.cvss(metadata), null);
            SastJson.strings(metadata.get("references")).forEach(b::reference);
            b.reference(SastJson.text(metadata.get("source")));
            b.attribute("confidence", SastJson.text(metadata.get("confidence")));
            b.attribute("likelihood", SastJson.text(metadata.get("likelihood")));
            b.attribute("impact", SastJson.text(metadata.get("impact")));
            b.attribute("category", SastJson.text(metadata.get("category")));
            b.attribute("owasp", String.join(",", SastJson.strings(metadata.get("owasp"))));
            b.fixedVersion(fixVersions(metadata.get("sca-fix-versions")));
        }

        String message = extra == null ? null : SastJson.text(extra.get("message"));
        String title = SastJson.firstLine(message);
        b.title(title != null ? title : checkId);
        b.description(message);

        b.target().setFilePath(SastJson.text(r.get("path")));
        ObjectNode start = SastJson.object(r, "start", "result.start", line, col);
        Integer startLine = start == null ? null : SastJson.integer(start.get("line"));
        if (startLine != null && startLine > 0) {
            b.target().setLine(startLine);
        }
        if (extra != null) {
            JsonNode dependency = extra.path("sca_info").path("dependency_match").path("found_dependency");
            b.target().setPackageName(SastJson.text(dependency.get("package")));
            b.target().setPackageVersion(SastJson.text(dependency.get("version")));
            String fingerprint = SastJson.text(extra.get("fingerprint"));
            if (fingerprint != null && !"requires login".equals(fingerprint)) {
                b.attribute("fingerprint", fingerprint);
            }
            if (extra.path("is_ignored").asBoolean(false)) {
                b.attribute("ignored", "true");
            }
            b.attribute("engine", SastJson.text(extra.get("engine_kind")));
            b.attribute("validationState", SastJson.text(extra.get("validation_state")));
        }
        return b.build();
    }

    /** ERROR HIGH, WARNING MEDIUM, INFO LOW, INVENTORY/EXPERIMENT INFO, CRITICAL/HIGH/MEDIUM/LOW as named. */
    static SeverityBand band(String severity) {
        return switch (severity.toUpperCase(Locale.ROOT)) {
            case "CRITICAL" -> SeverityBand.CRITICAL;
            case "ERROR", "HIGH" -> SeverityBand.HIGH;
            case "WARNING", "MEDIUM" -> SeverityBand.MEDIUM;
            case "INFO", "LOW" -> SeverityBand.LOW;
            case "INVENTORY", "EXPERIMENT" -> SeverityBand.INFO;
            default -> SeverityBand.MEDIUM;
        };
    }

    /** Supply Chain fix versions: a list of {package: version} objects or of strings. */
    private static String fixVersions(JsonNode n) {
        if (n == null || !n.isArray()) {
            return SastJson.text(n);
        }
        List<String> versions = new ArrayList<>();
        for (JsonNode e : n) {
            if (e.isObject()) {
                e.properties().forEach(kv -> {
                    String v = SastJson.text(kv.getValue());
                    if (v != null) {
                        versions.add(v);
                    }
                });
            } else if (SastJson.text(e) != null) {
                versions.add(SastJson.text(e));
            }
        }
        return versions.isEmpty() ? null : String.join(", ", versions);
    }
}

package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
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

import static dev.handoff.ingest.parse.formats.DependencyReports.addId;
import static dev.handoff.ingest.parse.formats.DependencyReports.band;
import static dev.handoff.ingest.parse.formats.DependencyReports.number;
import static dev.handoff.ingest.parse.formats.DependencyReports.shape;
import static dev.handoff.ingest.parse.formats.DependencyReports.text;
import static dev.handoff.ingest.parse.formats.DependencyReports.tree;

/**
 * {@code npm audit --json}, both shapes:
 * <ul>
 *   <li>npm 7 and later ({@code auditReportVersion: 2}): one finding per entry of {@code vulnerabilities}, that
 *       is per vulnerable package, as npm itself counts them ({@code metadata.vulnerabilities}). An entry whose
 *       {@code via} holds advisories carries their ids (the advisory {@code source} as a tool rule, the GHSA id
 *       of a GitHub advisory URL), titles, CWEs and CVSS; an entry vulnerable only through its dependencies
 *       ({@code via} names packages) is a finding too: it is where the fix is applied. Target: the package
 *       name, its purl without a version (npm 7 reports ranges, not installed versions) and the first of
 *       {@code nodes} as the file path. {@code fixAvailable} naming this package gives the fixed version.</li>
 *   <li>npm 6 ({@code advisories} keyed by id): one finding per advisory and installed version (each entry
 *       of {@code findings[]}; one finding when it is empty): ids from {@code cves}, {@code github_advisory_id},
 *       the advisory URL and the advisory id as a tool rule; {@code cvss}; {@code cwe}; the package name,
 *       version and purl; {@code patched_versions} as the fixed version unless it is {@code <0.0.0} (no
 *       fix). Dependency paths such as {@code a>b>c} are not file paths: the first is kept as an attribute.</li>
 * </ul>
 *
 * <p>Severity: the label is {@code severity} as written; critical, high, moderate (MEDIUM), low, info (INFO).
 * An {@code error} object (npm could not audit, e.g. ENOLOCK) is refused as malformed with npm's message.
 */
public final class NpmAuditParser implements ReportParser {

    static final String TOOL = "npm audit";
    private static final String FORMAT = "npm audit";

    @Override
    public ReportFormat format() {
        return ReportFormat.NPM_AUDIT;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        try (JsonParser p = input.json()) {
            if (DependencyReports.first(p, FORMAT) != JsonToken.START_OBJECT) {
                throw shape(p, "an npm audit report is a JSON object");
            }
            boolean audit = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "auditReportVersion" -> {
                        audit = true;
                        p.skipChildren();
                    }
                    case "vulnerabilities" -> {
                        audit = true;
                        entries(p, value, "vulnerabilities", (name, entry) -> sink.accept(v7(name, entry)));
                    }
                    case "advisories" -> {
                        audit = true;
                        entries(p, value, "advisories", (key, advisory) -> v6(advisory, sink));
                    }
                    case "error" -> {
                        JsonNode error = tree(p);
                        throw shape(p, "npm audit reported an error instead of a report: "
                                + (text(error.path("code")) == null ? "" : text(error.path("code")) + ": ")
                                + (text(error.path("summary")) == null ? error.toString() : text(error.path("summary"))));
                    }
                    default -> p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT) {
                throw shape(p, "npm audit report: expected a field name");
            }
            if (!audit) {
                throw shape("not an npm audit report: it has neither vulnerabilities (npm 7+) nor advisories (npm 6)", -1, -1);
            }
            DependencyReports.end(p, FORMAT);
        } catch (IOException e) {
            throw ReportInput.jsonProblem(e);
        }
    }

    @FunctionalInterface
    private interface Entry {
        void accept(String key, JsonNode value) throws ReportException;
    }

    /** Each value of an object keyed by package name or advisory id, one small tree at a time. */
    private static void entries(JsonParser p, JsonToken value, String field, Entry entry) throws IOException, ReportException {
        if (value == JsonToken.VALUE_NULL) {
            return;
        }
        if (value != JsonToken.START_OBJECT) {
            throw shape(p, "npm audit report: " + field + " must be an object");
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw shape(p, "npm audit report: each entry of " + field + " must be an object");
            }
            entry.accept(key, tree(p));
        }
    }

    // ------------------------------------------------------------------ npm 7+

    private ParsedFinding v7(String key, JsonNode entry) {
        String name = text(entry.path("name"));
        name = name == null ? key : name;
        ParsedFinding.Builder b = ParsedFinding.builder(TOOL);
        String label = text(entry.path("severity"));
        label = label == null ? "unknown" : label;
        b.severity(label, band(label));
        List<String> titles = new ArrayList<>();
        List<String> through = new ArrayList<>();
        for (JsonNode via : entry.path("via")) {
            if (via.isTextual()) {
                through.add(via.asText());
                continue;
            }
            String source = text(via.path("source"));
            if (source != null) {
                b.id(VulnerabilityIdKind.TOOL_RULE, source);
            }
            String url = text(via.path("url"));
            addId(b, DependencyReports.ghsaInUrl(url));
            b.reference(url);
            String title = text(via.path("title"));
            if (title != null && !titles.contains(title)) {
                titles.add(title);
            }
            for (JsonNode cwe : via.path("cwe")) {
                b.cwe(text(cwe));
            }
            JsonNode cvss = via.path("cvss");
            DependencyReports.cvss(b, null, text(cvss.path("vectorString")), number(cvss.path("score")), "npm");
        }
        if (!titles.isEmpty()) {
            b.title(String.join("; ", titles));
        } else {
            b.title(name + " is vulnerable through " + (through.isEmpty() ? "its dependencies" : String.join(", ", through)));
        }
        String range = text(entry.path("range"));
        b.description(name + (range == null ? "" : " " + range) + " is affected"
                + (through.isEmpty() ? "" : "; vulnerable through " + String.join(", ", through)));
        b.target().setPackageName(name);
        b.target().setPackagePurl(DependencyReports.ecosystemPurl("npm", name, null));
        String node = text(entry.path("nodes").path(0));
        if (node != null) {
            b.target().setFilePath(node);
        }
        JsonNode fix = entry.path("fixAvailable");
        if (fix.isObject()) {
            String fixName = text(fix.path("name"));
            String fixVersion = text(fix.path("version"));
            if (name.equals(fixName)) {
                b.fixedVersion(fixVersion);
            }
            b.attribute("fixAvailable", (fixName == null ? "" : fixName + "@") + (fixVersion == null ? "" : fixVersion)
                    + (fix.path("isSemVerMajor").asBoolean(false) ? " (semver major)" : ""));
        } else if (fix.isBoolean()) {
            b.attribute("fixAvailable", fix.asText());
        }
        b.attribute("vulnerableRange", range);
        b.attribute("isDirect", entry.path("isDirect").isBoolean() ? entry.path("isDirect").asText() : null);
        b.attribute("via", through.isEmpty() ? null : String.join(",", through));
        b.attribute("nodes", entry.path("nodes").size() > 0 ? Integer.toString(entry.path("nodes").size()) : null);
        return b.build();
    }

    // ------------------------------------------------------------------ npm 6

    private void v6(JsonNode advisory, FindingSink sink) throws ReportException {
        JsonNode installs = advisory.path("findings");
        if (installs.isArray() && !installs.isEmpty()) {
            for (JsonNode install : installs) {
                sink.accept(v6(advisory, install));
            }
        } else {
            sink.accept(v6(advisory, DependencyReports.MAPPER.missingNode()));
        }
    }

    private ParsedFinding v6(JsonNode a, JsonNode install) {
        ParsedFinding.Builder b = ParsedFinding.builder(TOOL);
        String label = text(a.path("severity"));
        label = label == null ? "unknown" : label;
        b.severity(label, band(label));
        for (JsonNode cve : a.path("cves")) {
            addId(b, text(cve));
        }
        addId(b, text(a.path("github_advisory_id")));
        String url = text(a.path("url"));
        addId(b, DependencyReports.ghsaInUrl(url));
        String id = text(a.path("id"));
        if (id != null) {
            b.id(VulnerabilityIdKind.TOOL_RULE, id);
        }
        JsonNode cwe = a.path("cwe");
        if (cwe.isArray()) {
            cwe.forEach(c -> b.cwe(text(c)));
        } else {
            b.cwe(text(cwe));
        }
        JsonNode cvss = a.path("cvss");
        DependencyReports.cvss(b, null, text(cvss.path("vectorString")), number(cvss.path("score")), "npm");
        b.title(text(a.path("title")));
        b.description(text(a.path("overview")));
        b.reference(url);
        String references = text(a.path("references"));
        if (references != null) {
            for (String line : references.split("\\s+")) {
                if (line.startsWith("http://") || line.startsWith("https://")) {
                    b.reference(line.replaceAll("[)\\]>.,]+$", ""));
                }
            }
        }
        String patched = text(a.path("patched_versions"));
        if (patched != null && !"<0.0.0".equals(patched.replace(" ", ""))) {
            b.fixedVersion(patched);
        }
        String name = text(a.path("module_name"));
        String version = text(install.path("version"));
        b.target().setPackageName(name);
        b.target().setPackageVersion(version);
        b.target().setPackagePurl(DependencyReports.ecosystemPurl("npm", name, version));
        JsonNode paths = install.path("paths");
        b.attribute("path", text(paths.path(0)));
        b.attribute("paths", paths.size() > 0 ? Integer.toString(paths.size()) : null);
        b.attribute("vulnerableVersions", text(a.path("vulnerable_versions")));
        b.attribute("recommendation", text(a.path("recommendation")));
        b.attribute("dev", install.path("dev").isBoolean() ? install.path("dev").asText() : null);
        return b.build();
    }
}

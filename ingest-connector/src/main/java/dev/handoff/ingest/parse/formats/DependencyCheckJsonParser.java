package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.ingest.parse.FindingSink;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportInput;
import dev.handoff.ingest.parse.ReportParser;

import java.io.IOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * OWASP Dependency-Check JSON report ({@code reportSchema}, {@code scanInfo}, {@code projectInfo},
 * {@code dependencies[]}). One finding per entry of {@code dependencies[].vulnerabilities[]};
 * {@code suppressedVulnerabilities} are not findings. Fields, labels, bands, ids, CVSS ({@code cvssv2},
 * {@code cvssv3}, {@code cvssv4}, any capitalisation), fixed version and target are mapped exactly as in
 * {@link DependencyCheckXmlParser}, whose documentation states the rules: label = {@code severity} as
 * written or {@code (missing)}; band from the word, a number > 0, else the v4/v3/v2 score, else LOW. The
 * target's package purl is the first {@code pkg:} id of {@code packages[]} (older reports:
 * {@code identifiers[]}). Streaming: the dependency array is read one dependency at a time, each
 * vulnerability as one small tree; evidence and suppressed entries are skipped unread.
 */
public final class DependencyCheckJsonParser implements ReportParser {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Override
    public ReportFormat format() {
        return ReportFormat.DEPENDENCY_CHECK_JSON;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        JsonParser p = null;
        try {
            p = input.json();
            if (p.nextToken() == null) {
                throw ItemReading.malformed(p, "not a Dependency-Check JSON report: the report is empty");
            }
            ItemReading.expectObject(p, "a Dependency-Check JSON report");
            DependencyCheckXmlParser.Context ctx = new DependencyCheckXmlParser.Context();
            while (ItemReading.nextToken(p) == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = ItemReading.nextToken(p);
                switch (field) {
                    case "scanInfo" -> {
                        ItemReading.expectObject(p, "Dependency-Check 'scanInfo'");
                        while (ItemReading.nextToken(p) == JsonToken.FIELD_NAME) {
                            String f = p.currentName();
                            ItemReading.nextToken(p);
                            if ("engineVersion".equals(f)) {
                                ctx.engineVersion = ItemReading.scalar(p);
                            } else {
                                p.skipChildren();
                            }
                        }
                    }
                    case "projectInfo" -> {
                        ItemReading.expectObject(p, "Dependency-Check 'projectInfo'");
                        JsonNode info = MAPPER.readTree(p);
                        ctx.project = text(info.get("name"));
                        ctx.reportDate = ItemReading.isoInstant(text(info.get("reportDate")));
                    }
                    case "dependencies" -> {
                        if (value == JsonToken.VALUE_NULL) {
                            break;
                        }
                        if (value != JsonToken.START_ARRAY) {
                            throw ItemReading.malformed(p, "Dependency-Check 'dependencies' must be an array");
                        }
                        while (ItemReading.nextToken(p) != JsonToken.END_ARRAY) {
                            DependencyCheckXmlParser.Dependency d = readDependency(p);
                            for (DependencyCheckXmlParser.Vuln v : d.vulns) {
                                sink.accept(DependencyCheckXmlParser.toFinding(ctx, d, v));
                            }
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            ItemReading.finish(p);
        } catch (IOException e) {
            throw ReportInput.jsonProblem(e);
        } finally {
            if (p != null) {
                ItemReading.close(p);
            }
        }
    }

    private static DependencyCheckXmlParser.Dependency readDependency(JsonParser p) throws IOException, ReportException {
        ItemReading.expectObject(p, "a Dependency-Check dependency");
        DependencyCheckXmlParser.Dependency d = new DependencyCheckXmlParser.Dependency();
        while (ItemReading.nextToken(p) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = ItemReading.nextToken(p);
            switch (field) {
                case "fileName" -> d.fileName = ItemReading.scalar(p);
                case "filePath" -> d.filePath = ItemReading.scalar(p);
                case "packages", "identifiers" -> {
                    if (value != JsonToken.START_ARRAY) {
                        p.skipChildren();
                        break;
                    }
                    while (ItemReading.nextToken(p) != JsonToken.END_ARRAY) {
                        if (p.currentToken() != JsonToken.START_OBJECT) {
                            p.skipChildren();
                            continue;
                        }
                        JsonNode pkg = MAPPER.readTree(p);
                        if (text(pkg.get("id")) != null) {
                            d.offerPackage(text(pkg.get("id")));
                        } else {
                            d.offerIdentifier(text(pkg.get("type")), text(pkg.get("name")));
                        }
                    }
                }
                case "vulnerabilities" -> {
                    if (value != JsonToken.START_ARRAY) {
                        if (value != JsonToken.VALUE_NULL) {
                            throw ItemReading.malformed(p, "Dependency-Check 'vulnerabilities' must be an array");
                        }
                        break;
                    }
                    while (ItemReading.nextToken(p) != JsonToken.END_ARRAY) {
                        ItemReading.expectObject(p, "a Dependency-Check vulnerability");
                        d.vulns.add(vulnerability(MAPPER.readTree(p)));
                    }
                }
                default -> p.skipChildren(); // evidenceCollected, suppressedVulnerabilities, relatedDependencies...
            }
        }
        return d;
    }

    private static DependencyCheckXmlParser.Vuln vulnerability(JsonNode n) {
        DependencyCheckXmlParser.Vuln v = new DependencyCheckXmlParser.Vuln();
        Map<String, String> flat = new HashMap<>();
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            String key = e.getKey();
            JsonNode value = e.getValue();
            String lower = key.toLowerCase(Locale.ROOT);
            if (value.isObject() && (lower.equals("cvssv2") || lower.equals("cvssv3") || lower.equals("cvssv4"))) {
                v.cvss.put(lower, scalars(value));
            } else if (value.isValueNode() && !value.isNull()) {
                flat.putIfAbsent(key, text(value));
            }
        }
        v.source = flat.get("source");
        v.name = flat.get("name");
        v.severityPresent = n.has("severity") && !n.get("severity").isNull();
        v.severity = flat.get("severity");
        v.description = flat.get("description");
        v.notes = flat.get("notes");
        v.flat = flat;
        v.knownExploited = n.has("knownExploitedVulnerability");
        JsonNode cwes = n.get("cwes");
        if (cwes != null && cwes.isArray()) {
            cwes.forEach(c -> v.cwes.add(text(c)));
        }
        if (flat.get("cwe") != null) {
            v.cwes.add(flat.get("cwe"));
        }
        JsonNode refs = n.get("references");
        if (refs != null && refs.isArray()) {
            refs.forEach(r -> v.references.add(text(r.get("url"))));
        }
        JsonNode software = n.get("vulnerableSoftware");
        if (software != null && software.isArray()) {
            for (JsonNode entry : software) {
                JsonNode s = entry.has("software") ? entry.get("software") : entry;
                if ("true".equalsIgnoreCase(text(s.get("vulnerabilityIdMatched")))) {
                    v.offerFixedVersion(text(s.get("versionEndExcluding")));
                }
            }
        }
        return v;
    }

    private static Map<String, String> scalars(JsonNode object) {
        Map<String, String> out = new HashMap<>();
        for (Map.Entry<String, JsonNode> e : object.properties()) {
            if (e.getValue().isValueNode() && !e.getValue().isNull()) {
                out.put(e.getKey(), text(e.getValue()));
            }
        }
        return out;
    }

    private static String text(JsonNode n) {
        if (n == null || n.isNull() || !n.isValueNode()) {
            return null;
        }
        return ItemReading.blankToNull(n.asText());
    }
}

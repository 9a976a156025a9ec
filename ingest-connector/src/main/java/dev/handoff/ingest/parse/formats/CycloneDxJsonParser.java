package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.ingest.parse.FindingSink;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportInput;
import dev.handoff.ingest.parse.ReportParser;
import dev.handoff.ingest.parse.formats.CycloneDxSupport.Bom;
import dev.handoff.ingest.parse.formats.CycloneDxSupport.Component;
import dev.handoff.ingest.parse.formats.CycloneDxSupport.Rating;
import dev.handoff.ingest.parse.formats.CycloneDxSupport.Vuln;

import java.io.IOException;

/**
 * CycloneDX JSON BOMs with vulnerabilities (VDR/VEX, {@code specVersion} 1.4 to 1.6; older BOMs carry
 * none and parse to zero findings).
 *
 * <p><b>Findings.</b> One finding per vulnerability per distinct {@code affects[].ref}: CycloneDX
 * records one vulnerability once with every component it affects, and Handoff tracks a weakness per
 * affected thing (the finding id includes the package). A vulnerability without {@code affects} gives
 * one finding without a package. Analysis states ({@code not_affected}, {@code false_positive},
 * {@code resolved}) do not drop a finding; they are kept in the attribute {@code cyclonedx.analysis.state}.
 *
 * <p><b>Streaming.</b> Components, also nested ({@code components[].components[]}) and
 * {@code metadata.component}, are reduced to a map bom-ref &rarr; (type, group, name, version, purl),
 * bounded by the component count. Each vulnerability is read on its own; it is emitted at once when
 * {@code metadata} and {@code components} have been read, else kept as a compact record until the end
 * of the document (only when the BOM puts vulnerabilities first).
 *
 * <p><b>Severity label.</b> {@code ratings[].severity} exactly as written, from the first rating that
 * has a severity and the method {@code CVSSv3}, {@code CVSSv31} or {@code CVSSv4}, else from the first
 * rating that has a severity; {@code unknown} when no rating has one. Bands: critical &rarr; CRITICAL,
 * high &rarr; HIGH, medium/moderate &rarr; MEDIUM, low &rarr; LOW, info/none &rarr; INFO; unknown or
 * anything else &rarr; the band of the best CVSS score (v4, v3.1, v3, v2; 9+ CRITICAL, 7+ HIGH, 4+
 * MEDIUM, above 0 LOW, 0 INFO; a rating may state only its score), else LOW (as the other parsers band
 * UNKNOWN; enrichment raises it).
 *
 * <p><b>Fields.</b> CVSS from every rating with method CVSSv2/CVSSv3/CVSSv31/CVSSv4 (the vector's
 * {@code CVSS:x.y/} prefix wins for the version). Ids: {@code id} and {@code references[].id} (CVE-,
 * GHSA-, OSV namespaces, else OTHER). CWEs as {@code CWE-n}. Target: the resolved component's purl,
 * name and version (an unresolved {@code pkg:} ref is kept as the purl); {@code metadata.component} of
 * type container gives image, tag and digest, any other type its name as the asset hint. Tool: the
 * first of {@code metadata.tools} (1.4 array and 1.5 {@code components}/{@code services} forms), else
 * the vulnerability's {@code tools}, else {@code cyclonedx}. Detected at {@code metadata.timestamp}.
 * Fixed version from a property named like {@code fixed_versions} (grype). References: source URL,
 * advisories, reference sources.
 */
public final class CycloneDxJsonParser implements ReportParser {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Override
    public ReportFormat format() {
        return ReportFormat.CYCLONEDX_JSON;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        try (JsonParser p = input.json()) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw malformed(p, "a CycloneDX JSON BOM is an object");
            }
            Bom bom = new Bom(sink, input.limits());
            boolean cyclonedx = false;
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "bomFormat" -> {
                        if (value != JsonToken.VALUE_STRING || !"CycloneDX".equals(p.getText())) {
                            throw malformed(p, "bomFormat must be \"CycloneDX\"");
                        }
                        cyclonedx = true;
                    }
                    case "specVersion" -> bom.specVersion = scalar(p);
                    case "metadata" -> {
                        if (value == JsonToken.START_OBJECT) {
                            metadata(p, bom);
                        } else {
                            p.skipChildren();
                        }
                        bom.metadataDone = true;
                    }
                    case "components" -> {
                        if (value == JsonToken.START_ARRAY) {
                            components(p, bom);
                        } else if (value != JsonToken.VALUE_NULL) {
                            throw malformed(p, "components must be an array");
                        }
                        bom.componentsDone = true;
                    }
                    case "vulnerabilities" -> {
                        if (value == JsonToken.START_ARRAY) {
                            while (p.nextToken() != JsonToken.END_ARRAY) {
                                if (p.currentToken() != JsonToken.START_OBJECT) {
                                    throw malformed(p, "each of vulnerabilities[] must be an object");
                                }
                                JsonNode node = MAPPER.readTree(p);
                                bom.vulnerability(vulnerability(node));
                            }
                        } else if (value != JsonToken.VALUE_NULL) {
                            throw malformed(p, "vulnerabilities must be an array");
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw malformed(p, "unexpected content in the BOM");
            }
            if (p.nextToken() != null) {
                throw malformed(p, "unexpected content after the BOM");
            }
            if (!cyclonedx) {
                throw new ReportException(ReportException.Kind.MALFORMED, "not a CycloneDX BOM: bomFormat \"CycloneDX\" is missing", 1, 1, null);
            }
            bom.finish();
        } catch (IOException e) {
            throw ReportInput.jsonProblem(e);
        }
    }

    private static void metadata(JsonParser p, Bom bom) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "timestamp" -> bom.timestamp = CycloneDxSupport.timestamp(scalar(p));
                case "tools" -> {
                    if (value == JsonToken.START_ARRAY || value == JsonToken.START_OBJECT) {
                        String[] tool = tool(MAPPER.readTree(p));
                        if (tool != null) {
                            bom.toolName = tool[0];
                            bom.toolVersion = tool[1];
                        }
                    } else {
                        p.skipChildren();
                    }
                }
                case "component" -> {
                    if (value == JsonToken.START_OBJECT) {
                        bom.subject = component(p, bom);
                    } else {
                        p.skipChildren();
                    }
                }
                default -> p.skipChildren();
            }
        }
    }

    private static void components(JsonParser p, Bom bom) throws IOException, ReportException {
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw malformed(p, "each of components[] must be an object");
            }
            component(p, bom);
        }
    }

    /** Reads one component object (the parser is on its START_OBJECT), indexing it and its nested components. */
    private static Component component(JsonParser p, Bom bom) throws IOException {
        String ref = null;
        String type = null;
        String group = null;
        String name = null;
        String version = null;
        String purl = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "bom-ref" -> ref = scalar(p);
                case "type" -> type = scalar(p);
                case "group" -> group = scalar(p);
                case "name" -> name = scalar(p);
                case "version" -> version = scalar(p);
                case "purl" -> purl = scalar(p);
                case "components" -> {
                    if (value == JsonToken.START_ARRAY) {
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            if (p.currentToken() == JsonToken.START_OBJECT) {
                                component(p, bom);
                            } else {
                                p.skipChildren();
                            }
                        }
                    } else {
                        p.skipChildren();
                    }
                }
                default -> p.skipChildren();
            }
        }
        Component c = new Component(type, group, name, version, purl);
        bom.component(ref, c);
        return c;
    }

    static Vuln vulnerability(JsonNode n) {
        Vuln v = new Vuln();
        v.bomRef = text(n, "bom-ref");
        v.id = text(n, "id");
        JsonNode source = n.path("source");
        v.sourceName = text(source, "name");
        v.sourceUrl = text(source, "url");
        for (JsonNode r : n.path("references")) {
            String id = text(r, "id");
            if (id != null) {
                v.referenceIds.add(id);
            }
            String url = text(r.path("source"), "url");
            if (url != null) {
                v.referenceUrls.add(url);
            }
        }
        for (JsonNode r : n.path("ratings")) {
            Rating rating = new Rating();
            rating.source = text(r.path("source"), "name");
            rating.score = number(r.get("score"));
            rating.severity = text(r, "severity");
            rating.method = text(r, "method");
            rating.vector = text(r, "vector");
            v.ratings.add(rating);
        }
        for (JsonNode c : n.path("cwes")) {
            if (c.isValueNode() && !c.isNull()) {
                String cwe = CycloneDxSupport.cwe(c.asText());
                if (cwe != null) {
                    v.cwes.add(cwe);
                }
            }
        }
        v.description = text(n, "description");
        v.detail = text(n, "detail");
        v.recommendation = text(n, "recommendation");
        for (JsonNode a : n.path("advisories")) {
            String url = text(a, "url");
            if (url != null) {
                v.advisoryUrls.add(url);
            }
        }
        v.published = text(n, "published");
        JsonNode analysis = n.path("analysis");
        v.analysisState = text(analysis, "state");
        v.analysisJustification = text(analysis, "justification");
        for (JsonNode a : n.path("affects")) {
            String ref = text(a, "ref");
            if (ref != null) {
                v.affects.add(ref);
            }
        }
        for (JsonNode prop : n.path("properties")) {
            if (v.fixedVersion == null && CycloneDxSupport.isFixedVersionProperty(text(prop, "name"))) {
                v.fixedVersion = text(prop, "value");
            }
        }
        JsonNode tools = n.get("tools");
        if (tools != null) {
            String[] tool = tool(tools);
            if (tool != null) {
                v.toolName = tool[0];
                v.toolVersion = tool[1];
            }
        }
        return v;
    }

    /** Name and version of the first tool, in the 1.4 array form or the 1.5 {@code components}/{@code services} form. */
    static String[] tool(JsonNode tools) {
        if (tools.isArray()) {
            for (JsonNode t : tools) {
                String name = text(t, "name");
                if (name != null) {
                    return new String[] {name, text(t, "version")};
                }
            }
            return null;
        }
        for (String kind : new String[] {"components", "services"}) {
            for (JsonNode t : tools.path(kind)) {
                String name = text(t, "name");
                if (name != null) {
                    return new String[] {name, text(t, "version")};
                }
            }
        }
        return null;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        if (v == null || v.isNull() || !v.isValueNode()) {
            return null;
        }
        String s = v.asText();
        return s.isBlank() ? null : s.trim();
    }

    private static Double number(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isNumber()) {
            return n.doubleValue();
        }
        return n.isTextual() ? CycloneDxSupport.number(n.asText()) : null;
    }

    /** The current scalar as text; objects and arrays are skipped and give {@code null}. */
    private static String scalar(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
            p.skipChildren();
            return null;
        }
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        String s = p.getValueAsString();
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static ReportException malformed(JsonParser p, String message) {
        JsonLocation at = p.currentTokenLocation();
        return new ReportException(ReportException.Kind.MALFORMED, "malformed CycloneDX JSON: " + message,
                at == null ? -1 : at.getLineNr(), at == null ? -1 : at.getColumnNr(), null);
    }
}

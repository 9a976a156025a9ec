package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.FindingSink;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportInput;
import dev.handoff.ingest.parse.ReportParser;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SARIF 2.1.0 (OASIS): every result of every run is a finding, whatever its {@code kind} or suppression
 * (both kept as attributes).
 *
 * <p><b>Tool</b>: {@code run.tool.driver.name} and {@code semanticVersion}, else {@code version}.
 *
 * <p><b>Severity label</b>: the result's level word as SARIF §3.27.10 resolves it: {@code result.level};
 * else, when {@code kind} is present and not {@code fail}, {@code none}; else the rule's
 * {@code defaultConfiguration.level}; else {@code warning}. The rule is found through {@code ruleIndex} or
 * {@code rule.index} (in the component {@code rule.toolComponent} names, the driver by default), else by
 * {@code ruleId} / {@code rule.id} (a hierarchical id such as {@code CA2101/1} falls back to its parent),
 * in the driver's rules and then in every {@code tool.extensions[].rules}. Rule configuration overrides in
 * {@code invocations} are not applied.
 *
 * <p><b>Band</b>: {@code properties["security-severity"]} of the result, else of the rule (GitHub's
 * convention), when it is a 0-10 score (>=9.0 CRITICAL, >=7.0 HIGH, >=4.0 MEDIUM, >0 LOW, 0 INFO) or a
 * word (critical, high, medium, low, info/none); otherwise the level: error HIGH, warning MEDIUM, note LOW,
 * none INFO; a non-SARIF level word by its meaning ('high' HIGH), anything else MEDIUM (as the default, warning).
 *
 * <p><b>Ids</b>: CVE and GHSA ids from the rule id, rule name, tags and property values that are exactly
 * such an id (also as a path's last segment, {@code external/cve/CVE-...}); then the rule id as
 * TOOL_RULE. CWEs from tags ({@code external/cwe/cwe-79}, {@code CWE-79: ...}), {@code cwe} properties,
 * CWE taxa of the result and CWE relationships of the rule. CVSS only from properties whose key names
 * CVSS (Trivy's {@code cvssv3_vector}/{@code cvssv3_baseScore}); a {@code security-severity} alone is a
 * severity, not a CVSS score.
 *
 * <p><b>Target</b>: {@code locations[0].physicalLocation.artifactLocation}: its {@code uri}, or the run's
 * {@code artifacts[index]} location when only an index is given, resolved against
 * {@code run.originalUriBaseIds} when its {@code uriBaseId} is defined there, {@code file:} URIs and
 * percent escapes turned into a plain path, is the file path (the uri as written is kept as the attribute
 * {@code artifactUri} when it differs); {@code region.startLine} the line;
 * {@code run.versionControlProvenance[0].repositoryUri} the repository.
 *
 * <p><b>Text</b>: title from the rule's {@code shortDescription}, else the first line of the message, else
 * the rule name or id; description the message ({@code text}, or the rule's {@code messageStrings[id]}
 * with its arguments), else the rule's {@code fullDescription}. Result property bags, code snippets, code
 * flows, web requests and fixes are never copied: they may hold secrets (gitleaks puts the offending
 * secret in {@code properties.offender}).
 *
 * <p><b>Streaming</b>: runs are read in order; a run's rules, base URIs, provenance and invocations may
 * come before or after its results, so results are held in a {@link TokenSpool} (their filtered tokens
 * as Smile, memory up to a bound, then a temporary file) until the run closes. Rules are kept in compact
 * form while their run is read.
 */
public final class SarifParser implements ReportParser {

    private static final Set<String> SKIPPED_RESULT_FIELDS = Set.of("codeFlows", "stacks", "graphs", "graphTraversals",
            "relatedLocations", "attachments", "fixes", "webRequest", "webResponse");
    private static final Set<String> KEPT_PROPERTIES = Set.of("security-severity", "tags", "precision");
    /** Artifacts remembered per run for index-only artifact locations; beyond this they stay unresolved. */
    private static final int MAX_ARTIFACTS = 65_536;
    /** Resolved artifact paths remembered per run; past this the memory starts again. */
    private static final int MAX_REMEMBERED_PATHS = 16_384;
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:");
    private static final Pattern WINDOWS_DRIVE = Pattern.compile("^/?[A-Za-z]:[/\\\\]");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{(\\d+)}");

    private final long spoolMemoryBytes;

    public SarifParser() {
        this(SastJson.SPOOL_MEMORY_BYTES);
    }

    /** With a given in-memory bound for held results (tests use 0 to exercise the temporary file). */
    SarifParser(long spoolMemoryBytes) {
        this.spoolMemoryBytes = spoolMemoryBytes;
    }

    @Override
    public ReportFormat format() {
        return ReportFormat.SARIF;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        JsonParser p = input.json();
        try (p) {
            SastJson.first(p, "SARIF");
            SastJson.expect(p, JsonToken.START_OBJECT, "a SARIF log");
            boolean sawRuns = false;
            while (SastJson.next(p) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                SastJson.next(p);
                if ("runs".equals(name)) {
                    sawRuns = true;
                    if (SastJson.arrayOrNull(p, "'runs'")) {
                        while (SastJson.next(p) != JsonToken.END_ARRAY) {
                            SastJson.expect(p, JsonToken.START_OBJECT, "each run");
                            run(p, input.limits(), sink);
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (!sawRuns) {
                throw SastJson.shape(p, "a SARIF log must have 'runs' (SARIF 2.1.0 §3.13.4)");
            }
            SastJson.expectEnd(p);
        } catch (TokenSpool.Failure e) {
            throw e.report();
        } catch (IOException e) {
            throw ReportInput.jsonProblem(e);
        }
    }

    // ------------------------------------------------------------------ one run

    private void run(JsonParser p, ParseLimits limits, FindingSink sink) throws IOException, ReportException {
        Run run = new Run();
        try (TokenSpool spool = new TokenSpool(limits, spoolMemoryBytes)) {
            while (SastJson.next(p) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                SastJson.next(p);
                switch (name) {
                    case "tool" -> {
                        if (SastJson.objectOrNull(p, "run.tool")) {
                            tool(p, run);
                        }
                    }
                    case "originalUriBaseIds" -> {
                        if (SastJson.objectOrNull(p, "run.originalUriBaseIds")) {
                            run.uriBases = SastJson.tree(p);
                        }
                    }
                    case "versionControlProvenance" -> {
                        if (SastJson.arrayOrNull(p, "run.versionControlProvenance")) {
                            run.repository = SastJson.text(SastJson.tree(p).path(0).get("repositoryUri"));
                        }
                    }
                    case "artifacts" -> {
                        if (SastJson.arrayOrNull(p, "run.artifacts")) {
                            artifacts(p, run);
                        }
                    }
                    case "invocations" -> {
                        if (SastJson.arrayOrNull(p, "run.invocations")) {
                            invocations(p, run);
                        }
                    }
                    case "results" -> {
                        if (SastJson.arrayOrNull(p, "run.results")) {
                            while (SastJson.next(p) != JsonToken.END_ARRAY) {
                                SastJson.expect(p, JsonToken.START_OBJECT, "each result");
                                JsonLocation at = p.currentTokenLocation();
                                result(p, spool.begin(at.getLineNr(), at.getColumnNr()));
                            }
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            spool.drain(entry -> {
                ParsedFinding f;
                try {
                    f = finding(entry.node(), run, entry.line(), entry.column());
                } catch (RuntimeException e) {
                    throw SastJson.shape(entry.line(), entry.column(), "SARIF result could not be read: " + e);
                }
                sink.accept(f);
            });
        }
    }

    private static void tool(JsonParser p, Run run) throws IOException, ReportException {
        while (SastJson.next(p) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            SastJson.next(p);
            if ("driver".equals(name)) {
                if (SastJson.objectOrNull(p, "tool.driver")) {
                    run.driver = component(p);
                }
            } else if ("extensions".equals(name)) {
                if (SastJson.arrayOrNull(p, "tool.extensions")) {
                    while (SastJson.next(p) != JsonToken.END_ARRAY) {
                        SastJson.expect(p, JsonToken.START_OBJECT, "each tool extension");
                        run.extensions.add(component(p));
                    }
                }
            } else {
                p.skipChildren();
            }
        }
    }

    /** A toolComponent (driver or extension), its rules read one at a time into compact form. */
    private static Component component(JsonParser p) throws IOException, ReportException {
        Component c = new Component();
        while (SastJson.next(p) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            SastJson.next(p);
            switch (name) {
                case "name" -> c.name = SastJson.scalarText(p);
                case "guid" -> c.guid = SastJson.scalarText(p);
                case "version" -> c.version = SastJson.scalarText(p);
                case "semanticVersion" -> c.semanticVersion = SastJson.scalarText(p);
                case "rules" -> {
                    if (p.currentToken() == JsonToken.START_ARRAY) {
                        while (SastJson.next(p) != JsonToken.END_ARRAY) {
                            SastJson.expect(p, JsonToken.START_OBJECT, "each rule");
                            c.add(Rule.of(SastJson.tree(p), null));
                        }
                    } else if (p.currentToken() == JsonToken.START_OBJECT) {
                        // SARIF 1.0 kept rules in an object keyed by rule id; accepted for old emitters.
                        while (SastJson.next(p) == JsonToken.FIELD_NAME) {
                            String id = p.currentName();
                            SastJson.next(p);
                            SastJson.expect(p, JsonToken.START_OBJECT, "each rule");
                            c.add(Rule.of(SastJson.tree(p), id));
                        }
                    } else if (p.currentToken() != JsonToken.VALUE_NULL) {
                        SastJson.expect(p, JsonToken.START_ARRAY, "toolComponent.rules");
                    }
                }
                default -> p.skipChildren();
            }
        }
        return c;
    }

    private static void artifacts(JsonParser p, Run run) throws IOException, ReportException {
        while (SastJson.next(p) != JsonToken.END_ARRAY) {
            SastJson.expect(p, JsonToken.START_OBJECT, "each artifact");
            String uri = null;
            String base = null;
            while (SastJson.next(p) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                SastJson.next(p);
                if ("location".equals(name) && p.currentToken() == JsonToken.START_OBJECT) {
                    JsonNode loc = SastJson.tree(p);
                    uri = SastJson.text(loc.get("uri"));
                    base = SastJson.text(loc.get("uriBaseId"));
                } else {
                    p.skipChildren(); // contents, hashes: possibly large, never needed
                }
            }
            if (run.artifacts.size() < MAX_ARTIFACTS) {
                run.artifacts.add(new String[] {uri, base});
            }
        }
    }

    private static void invocations(JsonParser p, Run run) throws IOException, ReportException {
        while (SastJson.next(p) != JsonToken.END_ARRAY) {
            SastJson.expect(p, JsonToken.START_OBJECT, "each invocation");
            String start = null;
            String end = null;
            while (SastJson.next(p) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                SastJson.next(p);
                switch (name) {
                    case "startTimeUtc" -> start = SastJson.scalarText(p);
                    case "endTimeUtc" -> end = SastJson.scalarText(p);
                    default -> p.skipChildren(); // notifications can be many; never needed
                }
            }
            if (run.invocationTime == null) {
                Instant t = SastJson.instant(end);
                run.invocationTime = t != null ? t : SastJson.instant(start);
            }
        }
    }

    /**
     * Copies one result to the spool without what is never used and may be large or secret: code flows,
     * stacks, graphs, related locations, attachments, fixes, web traffic, snippets, context regions,
     * locations after the first, and property-bag entries other than severity, tags and identifier or
     * CVSS values. Tokens are copied as they are read; only a property bag is read as a tree, to be filtered.
     */
    private static void result(JsonParser p, JsonGenerator out) throws IOException, ReportException {
        out.writeStartObject();
        while (SastJson.next(p) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            SastJson.next(p);
            if (SKIPPED_RESULT_FIELDS.contains(name)) {
                p.skipChildren();
                continue;
            }
            out.writeFieldName(name);
            if ("properties".equals(name) && p.currentToken() == JsonToken.START_OBJECT) {
                ObjectNode props = (ObjectNode) SastJson.tree(p);
                props.properties().removeIf(e -> !keptProperty(e.getKey(), e.getValue()));
                SastJson.MAPPER.writeTree(out, props);
            } else if ("locations".equals(name) && p.currentToken() == JsonToken.START_ARRAY) {
                out.writeStartArray();
                if (SastJson.next(p) != JsonToken.END_ARRAY) {
                    location(p, out);
                    while (SastJson.next(p) != JsonToken.END_ARRAY) {
                        p.skipChildren();
                    }
                }
                out.writeEndArray();
            } else {
                out.copyCurrentStructure(p);
            }
        }
        out.writeEndObject();
    }

    /** The first location as it is, but for its physical location's context region and snippet. */
    private static void location(JsonParser p, JsonGenerator out) throws IOException, ReportException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            out.copyCurrentStructure(p);
            return;
        }
        out.writeStartObject();
        while (SastJson.next(p) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            SastJson.next(p);
            out.writeFieldName(name);
            if ("physicalLocation".equals(name) && p.currentToken() == JsonToken.START_OBJECT) {
                physicalLocation(p, out);
            } else {
                out.copyCurrentStructure(p);
            }
        }
        out.writeEndObject();
    }

    /** A physicalLocation object without {@code contextRegion} and without its region's {@code snippet}. */
    private static void physicalLocation(JsonParser p, JsonGenerator out) throws IOException, ReportException {
        out.writeStartObject();
        while (SastJson.next(p) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            SastJson.next(p);
            if ("contextRegion".equals(name)) {
                p.skipChildren();
            } else if ("region".equals(name) && p.currentToken() == JsonToken.START_OBJECT) {
                out.writeFieldName(name);
                out.writeStartObject();
                while (SastJson.next(p) == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    SastJson.next(p);
                    if ("snippet".equals(field)) {
                        p.skipChildren();
                    } else {
                        out.writeFieldName(field);
                        out.copyCurrentStructure(p);
                    }
                }
                out.writeEndObject();
            } else {
                out.writeFieldName(name);
                out.copyCurrentStructure(p);
            }
        }
        out.writeEndObject();
    }

    private static boolean keptProperty(String key, JsonNode value) {
        String k = key.toLowerCase(Locale.ROOT);
        if (KEPT_PROPERTIES.contains(key) || k.contains("cvss") || k.contains("cwe") || k.contains("cve") || k.contains("ghsa")) {
            return true;
        }
        for (String s : SastJson.strings(value)) {
            if (SastJson.cve(s) != null || SastJson.ghsa(s) != null) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ one finding

    private static ParsedFinding finding(JsonNode r, Run run, long line, long col) throws ReportException {
        ObjectNode ruleRef = SastJson.object(r, "rule", "result.rule", line, col);
        Integer index = SastJson.integer(r.get("ruleIndex"));
        if (index == null && ruleRef != null) {
            index = SastJson.integer(ruleRef.get("index"));
        }
        String ruleId = SastJson.text(r.get("ruleId"));
        if (ruleId == null && ruleRef != null) {
            ruleId = SastJson.text(ruleRef.get("id"));
        }
        Rule rule = run.rule(ruleId, index, ruleRef == null ? null : ruleRef.get("toolComponent"));
        if (ruleId == null && rule != null) {
            ruleId = rule.id;
        }

        ParsedFinding.Builder b = ParsedFinding.builder(run.toolName()).toolVersion(run.toolVersion());

        String level = SastJson.text(r.get("level"));
        String levelSource = "result";
        if (level == null) {
            String kind = SastJson.text(r.get("kind"));
            if (kind != null && !"fail".equals(kind)) {
                level = "none";
                levelSource = "kind";
            } else if (rule != null && rule.defaultLevel != null) {
                level = rule.defaultLevel;
                levelSource = "rule";
            } else {
                level = "warning";
                levelSource = "default";
            }
        }
        ObjectNode props = SastJson.object(r, "properties", "result.properties", line, col);
        String securitySeverity = props == null ? null : SastJson.text(props.get("security-severity"));
        if (securitySeverity == null && rule != null) {
            securitySeverity = rule.securitySeverity;
        }
        SeverityBand band = SastJson.scoreOrWordBand(securitySeverity);
        b.severity(level, band != null ? band : levelBand(level));

        // identifiers: CVE and GHSA first, then the rule id
        List<String> resultTags = props == null ? List.of() : SastJson.strings(props.get("tags"));
        SastJson.addAdvisoryId(b, ruleId);
        if (rule != null) {
            rule.advisoryIds.forEach(id -> SastJson.addAdvisoryId(b, id));
        }
        if (props != null) {
            for (Map.Entry<String, JsonNode> e : props.properties()) {
                SastJson.strings(e.getValue()).forEach(s -> SastJson.addAdvisoryId(b, s));
            }
        }
        b.id(VulnerabilityIdKind.TOOL_RULE, ruleId);
        if (rule != null) {
            rule.cwes.forEach(b::cwe);
        }
        resultTags.forEach(t -> b.cwe(SastJson.cwe(t)));
        if (props != null) {
            cweProperties(props).forEach(b::cwe);
        }
        ArrayNode taxa = SastJson.array(r, "taxa", "result.taxa", line, col);
        if (taxa != null) {
            for (JsonNode t : taxa) {
                b.cwe(cweTaxon(t));
            }
        }
        if (rule != null) {
            SastJson.addCvss(b, rule.cvss, null);
        }
        SastJson.addCvss(b, SastJson.cvss(props), null);

        ObjectNode message = SastJson.object(r, "message", "result.message", line, col);
        String text = message(message, rule);
        String title = rule == null ? null : rule.shortText;
        if (title == null) {
            title = SastJson.firstLine(text);
        }
        if (title == null && rule != null) {
            title = rule.name;
        }
        b.title(title != null ? title : ruleId);
        b.description(text != null ? text : rule == null ? null : rule.fullText);

        ArrayNode locations = SastJson.array(r, "locations", "result.locations", line, col);
        if (locations != null && !locations.isEmpty()) {
            JsonNode loc = locations.get(0);
            if (!loc.isObject() && !loc.isNull()) {
                throw SastJson.shape(line, col, "each result location must be an object");
            }
            ObjectNode phys = SastJson.object(loc, "physicalLocation", "location.physicalLocation", line, col);
            if (phys != null) {
                ObjectNode artifact = SastJson.object(phys, "artifactLocation", "physicalLocation.artifactLocation", line, col);
                String uri = artifact == null ? null : SastJson.text(artifact.get("uri"));
                String base = artifact == null ? null : SastJson.text(artifact.get("uriBaseId"));
                if (uri == null && artifact != null) {
                    Integer ai = SastJson.integer(artifact.get("index"));
                    if (ai != null && ai >= 0 && ai < run.artifacts.size()) {
                        uri = run.artifacts.get(ai)[0];
                        base = base != null ? base : run.artifacts.get(ai)[1];
                    }
                }
                String path = run.path(uri, base);
                b.target().setFilePath(path);
                if (uri != null && !uri.equals(path)) {
                    b.attribute("artifactUri", uri);
                }
                ObjectNode region = SastJson.object(phys, "region", "physicalLocation.region", line, col);
                Integer startLine = region == null ? null : SastJson.integer(region.get("startLine"));
                if (startLine != null && startLine > 0) {
                    b.target().setLine(startLine);
                }
            }
        }
        b.target().setRepository(run.repository);

        Instant first = SastJson.instant(SastJson.text(r.path("provenance").get("firstDetectionTimeUtc")));
        b.detectedAt(first != null ? first : run.invocationTime);

        if (rule != null) {
            b.reference(rule.helpUri);
        }
        b.reference(SastJson.text(r.get("hostedViewerUri")));

        b.attribute("levelSource", levelSource);
        b.attribute("kind", SastJson.text(r.get("kind")));
        b.attribute("baselineState", SastJson.text(r.get("baselineState")));
        b.attribute("securitySeverity", securitySeverity);
        b.attribute("precision", props != null && SastJson.text(props.get("precision")) != null
                ? SastJson.text(props.get("precision")) : rule == null ? null : rule.precision);
        Set<String> tags = new LinkedHashSet<>(rule == null ? List.of() : rule.tags);
        tags.addAll(resultTags);
        b.attribute("tags", String.join(",", tags));
        b.attribute("guid", SastJson.text(r.get("guid")));
        b.attribute("correlationGuid", SastJson.text(r.get("correlationGuid")));
        b.attribute("fingerprint", fingerprint(r));
        b.attribute("suppressed", suppressed(r));
        return b.build();
    }

    /**
     * error HIGH, warning MEDIUM, note LOW, none INFO; a level outside SARIF's four by its severity word if it
     * is one (some emitters write 'high'), else as the default level, warning.
     */
    static SeverityBand levelBand(String level) {
        return switch (level.toLowerCase(Locale.ROOT)) {
            case "error" -> SeverityBand.HIGH;
            case "warning" -> SeverityBand.MEDIUM;
            case "note" -> SeverityBand.LOW;
            case "none" -> SeverityBand.INFO;
            default -> {
                SeverityBand word = SastJson.wordBand(level);
                yield word != null ? word : SeverityBand.MEDIUM;
            }
        };
    }

    /** The message text; or the rule's message string its id names, arguments filled in; or its markdown. */
    private static String message(JsonNode message, Rule rule) {
        if (message == null) {
            return null;
        }
        String text = SastJson.text(message.get("text"));
        if (text == null && rule != null) {
            String id = SastJson.text(message.get("id"));
            String template = id == null ? null : rule.messageStrings.get(id);
            if (template != null) {
                List<String> args = SastJson.strings(message.get("arguments"));
                Matcher m = PLACEHOLDER.matcher(template);
                StringBuilder sb = new StringBuilder();
                while (m.find()) {
                    int i = Integer.parseInt(m.group(1));
                    m.appendReplacement(sb, Matcher.quoteReplacement(i < args.size() ? args.get(i) : m.group()));
                }
                m.appendTail(sb);
                text = sb.toString();
            }
        }
        return text != null ? text : SastJson.text(message.get("markdown"));
    }

    private static List<String> cweProperties(JsonNode props) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : props.properties()) {
            if (e.getKey().toLowerCase(Locale.ROOT).contains("cwe")) {
                for (String s : SastJson.strings(e.getValue())) {
                    String c = SastJson.cwe(s);
                    if (c == null && s.chars().allMatch(Character::isDigit)) {
                        c = SastJson.cwe("CWE-" + s);
                    }
                    if (c != null) {
                        out.add(c);
                    }
                }
            }
        }
        return out;
    }

    /** A CWE from a reportingDescriptorReference into a taxonomy named CWE. */
    private static String cweTaxon(JsonNode ref) {
        if (ref == null || !ref.isObject() || !"CWE".equalsIgnoreCase(SastJson.text(ref.path("toolComponent").get("name")))) {
            return null;
        }
        String id = SastJson.text(ref.get("id"));
        if (id == null) {
            return null;
        }
        return SastJson.cwe(id.chars().allMatch(Character::isDigit) ? "CWE-" + id : id);
    }

    private static String fingerprint(JsonNode r) {
        for (String field : List.of("fingerprints", "partialFingerprints")) {
            JsonNode f = r.get(field);
            if (f != null && f.isObject()) {
                for (Map.Entry<String, JsonNode> e : f.properties()) {
                    String v = SastJson.text(e.getValue());
                    if (v != null) {
                        return e.getKey() + "=" + v;
                    }
                }
            }
        }
        return null;
    }

    /** SARIF §3.27.23: suppressed when a suppression is accepted or has no status; null when there are none. */
    private static String suppressed(JsonNode r) {
        JsonNode s = r.get("suppressions");
        if (s == null || !s.isArray() || s.isEmpty()) {
            return null;
        }
        for (JsonNode one : s) {
            String status = SastJson.text(one.get("status"));
            if (status == null || "accepted".equals(status)) {
                return "true";
            }
        }
        return "false";
    }

    // ------------------------------------------------------------------ run context

    /** What of a run its results need, gathered while the run is read. */
    private static final class Run {
        Component driver;
        final List<Component> extensions = new ArrayList<>();
        JsonNode uriBases;
        String repository;
        Instant invocationTime;
        final List<String[]> artifacts = new ArrayList<>();
        private final Map<PathKey, String> paths = new HashMap<>();

        String toolName() {
            return driver != null && driver.name != null ? driver.name : "SARIF";
        }

        String toolVersion() {
            if (driver == null) {
                return null;
            }
            return driver.semanticVersion != null ? driver.semanticVersion : driver.version;
        }

        Rule rule(String ruleId, Integer index, JsonNode toolComponent) {
            Component component = driver;
            boolean named = false;
            if (toolComponent != null && toolComponent.isObject()) {
                Component found = null;
                Integer ti = SastJson.integer(toolComponent.get("index"));
                String name = SastJson.text(toolComponent.get("name"));
                String guid = SastJson.text(toolComponent.get("guid"));
                if (ti != null && ti >= 0 && ti < extensions.size()) {
                    found = extensions.get(ti);
                } else {
                    for (Component c : allComponents()) {
                        if ((guid != null && guid.equalsIgnoreCase(c.guid)) || (guid == null && name != null && name.equals(c.name))) {
                            found = c;
                            break;
                        }
                    }
                }
                if (found != null) {
                    component = found;
                    named = true;
                }
            }
            if (component != null && index != null && index >= 0 && index < component.rules.size()) {
                Rule r = component.rules.get(index);
                if (ruleId == null || r.id == null || ruleId.equals(r.id) || ruleId.startsWith(r.id + "/")) {
                    return r;
                }
            }
            if (ruleId == null) {
                return null;
            }
            Rule r = component == null ? null : component.lookup(ruleId);
            if (r != null || named) {
                return r;
            }
            for (Component c : allComponents()) {
                r = c.lookup(ruleId);
                if (r != null) {
                    return r;
                }
            }
            return null;
        }

        private List<Component> allComponents() {
            List<Component> all = new ArrayList<>();
            if (driver != null) {
                all.add(driver);
            }
            all.addAll(extensions);
            return all;
        }

        /**
         * The artifact's path: the uri resolved against its base id, file URIs and escapes made plain.
         * Remembered per run (many results name the same file; the base ids are final once results are
         * drained), up to a bound so memory stays flat.
         */
        String path(String uri, String baseId) {
            if (uri == null) {
                return null;
            }
            PathKey key = new PathKey(uri, baseId);
            String path = paths.get(key);
            if (path == null) {
                path = resolvedPath(uri, baseId);
                if (paths.size() >= MAX_REMEMBERED_PATHS) {
                    paths.clear();
                }
                paths.put(key, path);
            }
            return path;
        }

        private String resolvedPath(String uri, String baseId) {
            String resolved = resolve(uri, baseId, 0);
            if (resolved == null) {
                return null;
            }
            boolean scheme = SCHEME.matcher(resolved).find();
            if ((scheme && !resolved.regionMatches(true, 0, "file:", 0, 5)) || WINDOWS_DRIVE.matcher(resolved).find()) {
                return resolved;
            }
            try {
                String path = new URI(resolved).getPath();
                if (path != null && path.startsWith("/") && WINDOWS_DRIVE.matcher(path).find()) {
                    path = path.substring(1); // file:///C:/src/a.cs
                }
                return path == null || path.isBlank() ? resolved : path;
            } catch (URISyntaxException e) {
                return resolved; // a plain path with characters a URI may not hold, as tools often write
            }
        }

        private String resolve(String uri, String baseId, int depth) {
            if (uri == null || baseId == null || uriBases == null || depth > 8 || SCHEME.matcher(uri).find() || uri.startsWith("/")) {
                return uri;
            }
            JsonNode base = uriBases.get(baseId);
            String baseUri = base == null ? null : SastJson.text(base.get("uri"));
            if (baseUri == null) {
                return uri; // the base is defined only at the consumer (SARIF §3.14.14): keep the relative uri
            }
            String b = resolve(baseUri, SastJson.text(base.get("uriBaseId")), depth + 1);
            return b.endsWith("/") ? b + uri : b + "/" + uri;
        }
    }

    /** A uri and its base id. Not a record: a record's hashCode goes through method handles, slow on this path. */
    private static final class PathKey {
        private final String uri;
        private final String baseId;

        PathKey(String uri, String baseId) {
            this.uri = uri;
            this.baseId = baseId;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PathKey k && uri.equals(k.uri) && Objects.equals(baseId, k.baseId);
        }

        @Override
        public int hashCode() {
            return 31 * uri.hashCode() + Objects.hashCode(baseId);
        }
    }

    /** A toolComponent's identity and rules. */
    private static final class Component {
        String name;
        String guid;
        String version;
        String semanticVersion;
        final List<Rule> rules = new ArrayList<>();
        final Map<String, Rule> byId = new HashMap<>();

        void add(Rule r) {
            rules.add(r);
            if (r.id != null) {
                byId.putIfAbsent(r.id, r);
            }
        }

        /** By id; a hierarchical id ('CA2101/1') falls back to its parents. */
        Rule lookup(String id) {
            String k = id;
            while (true) {
                Rule r = byId.get(k);
                if (r != null) {
                    return r;
                }
                int slash = k.lastIndexOf('/');
                if (slash <= 0) {
                    return null;
                }
                k = k.substring(0, slash);
            }
        }
    }

    /** A reportingDescriptor in compact form: only what findings use. */
    private record Rule(String id, String name, String shortText, String fullText, String defaultLevel, String securitySeverity,
                        String precision, String helpUri, List<String> tags, List<String> advisoryIds, List<String> cwes,
                        List<SastJson.Cvss> cvss, Map<String, String> messageStrings) {

        static Rule of(JsonNode r, String fallbackId) {
            String id = SastJson.text(r.get("id"));
            if (id == null) {
                id = fallbackId;
            }
            String name = SastJson.text(r.get("name"));
            JsonNode props = r.path("properties");
            List<String> tags = SastJson.strings(props.get("tags"));
            List<String> advisory = new ArrayList<>();
            for (String s : concat(List.of(id == null ? "" : id, name == null ? "" : name), tags)) {
                if (SastJson.cve(s) != null || SastJson.ghsa(s) != null) {
                    advisory.add(s);
                }
            }
            if (props.isObject()) {
                for (Map.Entry<String, JsonNode> e : props.properties()) {
                    for (String s : SastJson.strings(e.getValue())) {
                        if (SastJson.cve(s) != null || SastJson.ghsa(s) != null) {
                            advisory.add(s);
                        }
                    }
                }
            }
            List<String> cwes = new ArrayList<>();
            for (String t : tags) {
                String c = SastJson.cwe(t);
                if (c != null) {
                    cwes.add(c);
                }
            }
            if (props.isObject()) {
                cwes.addAll(cweProperties(props));
            }
            JsonNode relationships = r.get("relationships");
            if (relationships != null && relationships.isArray()) {
                for (JsonNode rel : relationships) {
                    String c = cweTaxon(rel.get("target"));
                    if (c != null) {
                        cwes.add(c);
                    }
                }
            }
            Map<String, String> messages = new HashMap<>();
            JsonNode ms = r.get("messageStrings");
            if (ms != null && ms.isObject()) {
                for (Map.Entry<String, JsonNode> e : ms.properties()) {
                    String t = SastJson.text(e.getValue().get("text"));
                    if (t != null) {
                        messages.put(e.getKey(), t);
                    }
                }
            }
            return new Rule(id, name, SastJson.text(r.path("shortDescription").get("text")),
                    SastJson.text(r.path("fullDescription").get("text")),
                    SastJson.text(r.path("defaultConfiguration").get("level")),
                    SastJson.text(props.get("security-severity")), SastJson.text(props.get("precision")),
                    SastJson.text(r.get("helpUri")), List.copyOf(tags), List.copyOf(advisory), List.copyOf(cwes),
                    SastJson.cvss(props), Map.copyOf(messages));
        }

        private static List<String> concat(List<String> a, List<String> b) {
            List<String> all = new ArrayList<>(a);
            all.addAll(b);
            return all;
        }
    }
}

package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.handoff.avro.FindingTarget;
import dev.handoff.ingest.parse.FindingSink;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportInput;
import dev.handoff.ingest.parse.ReportParser;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static dev.handoff.ingest.parse.formats.DependencyReports.addId;
import static dev.handoff.ingest.parse.formats.DependencyReports.band;
import static dev.handoff.ingest.parse.formats.DependencyReports.number;
import static dev.handoff.ingest.parse.formats.DependencyReports.shape;
import static dev.handoff.ingest.parse.formats.DependencyReports.text;
import static dev.handoff.ingest.parse.formats.DependencyReports.tree;

/**
 * Anchore Grype's JSON report ({@code grype <source> -o json}): {@code matches[]}, each a
 * {@code vulnerability}, its {@code relatedVulnerabilities}, the {@code artifact} (package) it matched, and
 * report-wide {@code source} (what was scanned) and {@code descriptor} (the tool). Every match is a finding;
 * {@code ignoredMatches} are not.
 *
 * <p>Ids: the vulnerability's {@code id} and every related id, each under the namespace its spelling shows,
 * so a GHSA match carries the CVE its related NVD record names. CVSS: every entry of the vulnerability's
 * and the related records' {@code cvss[]} ({@code version}, {@code vector}, {@code metrics.baseScore}), with
 * its {@code source} or else the record's namespace as the source.
 *
 * <p>Severity: the label is {@code vulnerability.severity} as written; Critical, High, Medium, Low map to
 * their bands, Negligible (the distribution judged it no security problem in practice) to INFO, and
 * Unknown (no data source rated it) to LOW, which enrichment raises when the CVSS says more.
 *
 * <p>Target: the package ({@code artifact.purl}, or one built from its type, name and version; name,
 * version) and its first location's path; for an image source the image repository, tag and digest
 * ({@code source.target.userInput} without its scheme, else its first tag; {@code repoDigests}, else
 * {@code manifestDigest}). A directory or file source names no asset of its own; its path is kept as the
 * {@code source} attribute. {@code descriptor.version} is the tool version and {@code descriptor.timestamp}
 * the detection time.
 *
 * <p>Grype writes {@code matches} before {@code source} and {@code descriptor}: matches read before both are
 * known are spooled to disk (one match at a time, memory stays flat) and emitted at the end of the report.
 */
public final class GrypeParser implements ReportParser {

    static final String TOOL = "Grype";
    private static final String FORMAT = "Grype";
    private static final List<String> REGISTRY_SCHEMES = List.of("docker:", "podman:", "registry:", "containerd:");
    private static final List<String> PATH_SCHEMES = List.of("docker-archive:", "oci-archive:", "oci-dir:", "singularity:", "dir:",
            "file:", "sbom:");

    @Override
    public ReportFormat format() {
        return ReportFormat.GRYPE;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        try (JsonParser p = input.json(); DependencyReports.Spool spool = new DependencyReports.Spool(input.limits())) {
            if (DependencyReports.first(p, FORMAT) != JsonToken.START_OBJECT) {
                throw shape(p, "a Grype report is a JSON object with matches[]");
            }
            Context context = new Context();
            boolean matches = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "matches" -> {
                        matches = true;
                        if (value == JsonToken.VALUE_NULL) {
                            continue;
                        }
                        if (value != JsonToken.START_ARRAY) {
                            throw shape(p, "Grype report: matches must be an array");
                        }
                        boolean ready = context.source != null && context.descriptor != null;
                        JsonToken t;
                        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                            if (t != JsonToken.START_OBJECT) {
                                throw shape(p, "Grype report: each entry of matches must be an object");
                            }
                            JsonLocation at = p.currentTokenLocation();
                            JsonNode match = tree(p);
                            if (ready) {
                                sink.accept(finding(match, context, at.getLineNr(), at.getColumnNr()));
                            } else {
                                spool.add("match", match, at);
                            }
                        }
                    }
                    case "source" -> context.source = tree(p);
                    case "descriptor" -> context.descriptor = tree(p);
                    default -> p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT) {
                throw shape(p, "Grype report: expected a field name");
            }
            if (!matches) {
                throw shape("not a Grype JSON report: it has no matches", -1, -1);
            }
            DependencyReports.end(p, FORMAT);
            spool.drain((kind, match, line, column) -> sink.accept(finding(match, context, line, column)));
        } catch (IOException e) {
            throw ReportInput.jsonProblem(e);
        }
    }

    private ParsedFinding finding(JsonNode match, Context context, long line, long column) throws ReportException {
        JsonNode v = match.path("vulnerability");
        if (!v.isObject()) {
            throw shape("Grype report: a match has no vulnerability object", line, column);
        }
        JsonNode artifact = match.path("artifact");
        if (!artifact.isMissingNode() && !artifact.isObject()) {
            throw shape("Grype report: a match's artifact must be an object", line, column);
        }
        ParsedFinding.Builder b = ParsedFinding.builder(TOOL).toolVersion(context.version()).detectedAt(context.timestamp());
        String id = text(v.path("id"));
        addId(b, id);
        List<JsonNode> records = new ArrayList<>();
        records.add(v);
        for (JsonNode related : match.path("relatedVulnerabilities")) {
            addId(b, text(related.path("id")));
            records.add(related);
        }
        String label = text(v.path("severity"));
        label = label == null ? "Unknown" : label;
        b.severity(label, band(label));

        String name = text(artifact.path("name"));
        String version = text(artifact.path("version"));
        b.title(id == null ? null : name == null ? id : id + " in " + name + (version == null ? "" : " " + version));
        String description = null;
        List<List<Object>> seen = new ArrayList<>();
        for (JsonNode record : records) {
            if (description == null) {
                description = text(record.path("description"));
            }
            for (JsonNode c : record.path("cvss")) {
                String vector = text(c.path("vector"));
                Double score = number(c.path("metrics").path("baseScore"));
                String cvssVersion = DependencyReports.cvssVersion(vector, text(c.path("version")));
                List<Object> key = Arrays.asList(cvssVersion, vector, score);
                if (seen.contains(key)) {
                    continue;
                }
                seen.add(key);
                String source = text(c.path("source"));
                DependencyReports.cvss(b, cvssVersion, vector, score, source != null ? source : text(record.path("namespace")));
            }
            b.reference(text(record.path("dataSource")));
            if (record == v) {
                for (JsonNode url : v.path("urls")) {
                    b.reference(text(url));
                }
            }
        }
        b.description(description);
        List<String> fixes = new ArrayList<>();
        for (JsonNode fix : v.path("fix").path("versions")) {
            String f = text(fix);
            if (f != null && !fixes.contains(f)) {
                fixes.add(f);
            }
        }
        b.fixedVersion(fixes.isEmpty() ? null : String.join(", ", fixes));

        FindingTarget.Builder target = b.target();
        context.applyTo(target);
        target.setPackageName(name);
        target.setPackageVersion(version);
        String purl = text(artifact.path("purl"));
        target.setPackagePurl(purl != null ? purl : purl(text(artifact.path("type")), name, version));
        String path = text(artifact.path("locations").path(0).path("path"));
        if (path != null) {
            target.setFilePath(path);
        }

        b.attribute("namespace", text(v.path("namespace")));
        b.attribute("fixState", text(v.path("fix").path("state")));
        b.attribute("packageType", text(artifact.path("type")));
        b.attribute("matchType", text(match.path("matchDetails").path(0).path("type")));
        b.attribute("matcher", text(match.path("matchDetails").path(0).path("matcher")));
        b.attribute("sourceType", context.sourceType());
        b.attribute("source", context.sourcePath());
        return b.build();
    }

    /** A purl for an artifact without one (Grype has written purls since 0.x; kept for hand-made reports). */
    private static String purl(String type, String name, String version) {
        if (type == null) {
            return null;
        }
        return switch (type.toLowerCase(Locale.ROOT)) {
            case "npm" -> DependencyReports.ecosystemPurl("npm", name, version);
            case "python" -> DependencyReports.ecosystemPurl("pypi", name, version);
            case "java-archive", "jenkins-plugin" -> DependencyReports.ecosystemPurl("maven", name, version);
            case "go-module" -> DependencyReports.ecosystemPurl("golang", name, version);
            case "rust-crate" -> DependencyReports.ecosystemPurl("cargo", name, version);
            case "gem" -> DependencyReports.ecosystemPurl("gem", name, version);
            case "php-composer" -> DependencyReports.ecosystemPurl("composer", name, version);
            case "dotnet" -> DependencyReports.ecosystemPurl("nuget", name, version);
            default -> null;
        };
    }

    /** Report-wide: what was scanned and by which Grype. */
    private static final class Context {
        JsonNode source;
        JsonNode descriptor;
        private DependencyReports.ImageRef image;
        private boolean resolved;

        String version() {
            return descriptor == null ? null : text(descriptor.path("version"));
        }

        Instant timestamp() {
            return descriptor == null ? null : DependencyReports.instant(text(descriptor.path("timestamp")));
        }

        String sourceType() {
            return source == null ? null : text(source.path("type"));
        }

        /** The scanned path of a directory or file source ({@code target} a string, or an object with a path). */
        String sourcePath() {
            if (source == null || "image".equals(sourceType())) {
                return null;
            }
            JsonNode target = source.path("target");
            String path = target.isObject() ? text(target.path("path")) : text(target);
            return path != null ? path : text(source.path("metadata").path("path"));
        }

        void applyTo(FindingTarget.Builder target) {
            if (!resolved) {
                resolved = true;
                image = resolveImage();
            }
            if (image != null) {
                target.setImage(image.repository());
                target.setImageTag(image.tag());
                target.setImageDigest(image.digest());
            }
        }

        private DependencyReports.ImageRef resolveImage() {
            if (source == null || !"image".equals(sourceType())) {
                return null;
            }
            JsonNode t = source.path("target");
            if (!t.isObject()) {
                t = source.path("metadata");
            }
            String reference = registryReference(text(t.path("userInput")));
            if (reference == null) {
                reference = text(t.path("tags").path(0));
            }
            DependencyReports.ImageRef ref = DependencyReports.ImageRef.parse(reference);
            String digest = DependencyReports.ImageRef.digestOf(text(t.path("repoDigests").path(0)));
            if (digest == null && ref != null) {
                digest = ref.digest();
            }
            if (digest == null) {
                digest = text(t.path("manifestDigest"));
            }
            if (ref == null && digest == null) {
                return null;
            }
            return new DependencyReports.ImageRef(ref == null ? null : ref.repository(), ref == null ? null : ref.tag(), digest);
        }

        /** The image reference of a user input, without a registry scheme; null for archives and directories. */
        private static String registryReference(String userInput) {
            if (userInput == null) {
                return null;
            }
            String s = userInput;
            for (String scheme : PATH_SCHEMES) {
                if (s.startsWith(scheme)) {
                    return null;
                }
            }
            for (String scheme : REGISTRY_SCHEMES) {
                // "registry:5000/team/api" is a registry host with a port, not the registry: scheme.
                if (s.startsWith(scheme) && !s.substring(scheme.length()).matches("^\\d+/.*")) {
                    s = s.substring(scheme.length());
                    break;
                }
            }
            return s.isBlank() || DependencyReports.ImageRef.looksLikePath(s) ? null : s;
        }
    }
}

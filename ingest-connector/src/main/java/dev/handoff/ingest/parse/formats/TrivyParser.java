package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.handoff.avro.FindingTarget;
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
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.handoff.ingest.parse.formats.DependencyReports.addId;
import static dev.handoff.ingest.parse.formats.DependencyReports.band;
import static dev.handoff.ingest.parse.formats.DependencyReports.number;
import static dev.handoff.ingest.parse.formats.DependencyReports.positiveInt;
import static dev.handoff.ingest.parse.formats.DependencyReports.shape;
import static dev.handoff.ingest.parse.formats.DependencyReports.text;
import static dev.handoff.ingest.parse.formats.DependencyReports.tree;

/**
 * Trivy's JSON report ({@code trivy image|fs|repo|rootfs|sbom|vm --format json}): schema 2 (an object with
 * {@code SchemaVersion}, {@code ArtifactName}, {@code ArtifactType}, {@code Metadata} and {@code Results[]})
 * and the schema-less form of Trivy before 0.20 (a top-level array of results).
 *
 * <p>Findings: every entry of a result's {@code Vulnerabilities}; {@code Misconfigurations} whose
 * {@code Status} is {@code FAIL} (PASS and EXCEPTION are checks that held or were waived; an entry without
 * a Status, as no Trivy writes, counts as failed); every entry of {@code Secrets}, of which only the rule,
 * category, title and lines are kept: {@code Match} and {@code Code} hold the secret text and are never
 * read into a finding. Licenses and {@code ModifiedFindings} (suppressed by VEX or ignore files) are not
 * findings.
 *
 * <p>Severity: the label is {@code Severity} as written; CRITICAL, HIGH, MEDIUM, LOW map to their bands
 * and UNKNOWN (no source rated it) to LOW, which enrichment raises when the CVSS says more.
 *
 * <p>CVSS: every {@code CVSS.<source>} entry ({@code nvd}, {@code redhat}, {@code ghsa}, ...) gives one score
 * per version present ({@code V2Vector}/{@code V2Score}, {@code V3Vector}/{@code V3Score},
 * {@code V40Vector}/{@code V40Score}), with the source as its source.
 *
 * <p>Target: for {@code ArtifactType} container_image, the image repository and tag from
 * {@code ArtifactName} (or {@code Metadata.RepoTags} when the name is an archive path) and the digest from
 * {@code Metadata.RepoDigests}; for repository, the repository URL; for filesystem and the rest, nothing
 * report-wide. Then the file: the package's {@code PkgPath}, else the result's {@code Target} (except for OS
 * packages, whose target names the image and OS); and the package: {@code PkgIdentifier.PURL}, or a purl
 * built from the result {@code Type}, {@code PkgName} and {@code InstalledVersion}, name and version. In
 * the schema-less form an OS result's target {@code "image:tag (distro version)"} names the image for it
 * and the results after it. {@code CreatedAt} is the detection time.
 *
 * <p>Order: report-wide fields must come before {@code Results}, as Trivy writes them (also with sorted
 * keys). Within a result, items that come before {@code Target} (sorted keys put {@code Misconfigurations}
 * and {@code Secrets} first) are spooled to disk until the target is known.
 */
public final class TrivyParser implements ReportParser {

    static final String TOOL = "Trivy";
    private static final String FORMAT = "Trivy";
    private static final Pattern OS_TARGET = Pattern.compile("^(\\S+) \\(([a-z][^)]*)\\)$");

    @Override
    public ReportFormat format() {
        return ReportFormat.TRIVY;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        try (JsonParser p = input.json(); DependencyReports.Spool spool = new DependencyReports.Spool(input.limits())) {
            Report report = new Report();
            JsonToken t = DependencyReports.first(p, FORMAT);
            if (t == JsonToken.START_ARRAY) {
                report.legacy = true;
                results(p, report, spool, sink);
            } else if (t == JsonToken.START_OBJECT) {
                object(p, report, spool, sink);
            } else {
                throw shape(p, "a Trivy report is a JSON object (schema 2) or an array of results (before Trivy 0.20)");
            }
            DependencyReports.end(p, FORMAT);
        } catch (IOException e) {
            throw ReportInput.jsonProblem(e);
        }
    }

    private void object(JsonParser p, Report report, DependencyReports.Spool spool, FindingSink sink) throws IOException, ReportException {
        boolean trivy = false;
        boolean kubernetes = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "SchemaVersion" -> trivy = true;
                case "ArtifactName" -> {
                    trivy = true;
                    report.artifactName = text(tree(p));
                }
                case "ArtifactType" -> {
                    trivy = true;
                    report.artifactType = text(tree(p));
                }
                case "CreatedAt" -> report.createdAt = DependencyReports.instant(text(tree(p)));
                case "Trivy" -> report.version = text(tree(p).path("Version"));
                case "Metadata" -> report.metadata = tree(p);
                case "Results" -> {
                    trivy = true;
                    if (value == JsonToken.START_ARRAY) {
                        results(p, report, spool, sink);
                    } else if (value != JsonToken.VALUE_NULL) {
                        throw shape(p, "Trivy report: Results must be an array of results");
                    }
                }
                case "ClusterName", "Resources" -> {
                    kubernetes = true;
                    p.skipChildren();
                }
                default -> p.skipChildren();
            }
        }
        if (p.currentToken() != JsonToken.END_OBJECT) {
            throw shape(p, "Trivy report: expected a field name");
        }
        if (kubernetes && !trivy) {
            throw shape("Trivy report: a Kubernetes cluster report (trivy k8s) is not supported; send trivy image, fs or repo JSON",
                    -1, -1);
        }
        if (!trivy) {
            throw shape("not a Trivy JSON report: none of SchemaVersion, ArtifactName or Results is present", -1, -1);
        }
    }

    private void results(JsonParser p, Report report, DependencyReports.Spool spool, FindingSink sink) throws IOException, ReportException {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.START_OBJECT) {
                throw shape(p, "Trivy report: each entry of Results must be an object");
            }
            result(p, report, spool, sink);
        }
    }

    /** One entry of Results, field by field: a result of a large image holds thousands of vulnerabilities. */
    private void result(JsonParser p, Report report, DependencyReports.Spool spool, FindingSink sink) throws IOException, ReportException {
        Result result = new Result();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "Target" -> {
                    result.target = text(tree(p));
                    result.targetKnown = true;
                    inferLegacyImage(report, result);
                    drain(spool, report, result, sink);
                }
                case "Class" -> result.clazz = text(tree(p));
                case "Type" -> result.type = text(tree(p));
                case "Vulnerabilities", "Misconfigurations", "Secrets" -> {
                    if (value == JsonToken.VALUE_NULL) {
                        continue;
                    }
                    if (value != JsonToken.START_ARRAY) {
                        throw shape(p, "Trivy report: " + field + " must be an array");
                    }
                    JsonToken item;
                    while ((item = p.nextToken()) != JsonToken.END_ARRAY) {
                        if (item != JsonToken.START_OBJECT) {
                            throw shape(p, "Trivy report: each entry of " + field + " must be an object");
                        }
                        JsonLocation at = p.currentTokenLocation();
                        JsonNode node = tree(p);
                        if (result.targetKnown) {
                            emit(field, node, report, result, sink);
                        } else {
                            spool.add(field, node, at);
                        }
                    }
                }
                default -> p.skipChildren();
            }
        }
        drain(spool, report, result, sink);
    }

    /** The schema-less form has no ArtifactName: an OS result's target {@code "alpine:3.10 (alpine 3.10.2)"} names the image. */
    private static void inferLegacyImage(Report report, Result result) {
        if (report.legacy && report.image == null && result.target != null) {
            Matcher m = OS_TARGET.matcher(result.target);
            if (m.matches() && !DependencyReports.ImageRef.looksLikePath(m.group(1))) {
                report.image = DependencyReports.ImageRef.parse(m.group(1));
            }
        }
    }

    private void drain(DependencyReports.Spool spool, Report report, Result result, FindingSink sink) throws ReportException {
        spool.drain((kind, item, line, column) -> emit(kind, item, report, result, sink));
    }

    private void emit(String kind, JsonNode item, Report report, Result result, FindingSink sink) throws ReportException {
        ParsedFinding finding = switch (kind) {
            case "Vulnerabilities" -> vulnerability(item, report, result);
            case "Misconfigurations" -> misconfiguration(item, report, result);
            default -> secret(item, report, result);
        };
        if (finding != null) {
            sink.accept(finding);
        }
    }

    // ------------------------------------------------------------------ the three kinds

    private ParsedFinding vulnerability(JsonNode v, Report report, Result result) {
        ParsedFinding.Builder b = start(report, result, "vulnerability", v);
        String id = text(v.path("VulnerabilityID"));
        addId(b, id);
        for (JsonNode vendor : v.path("VendorIDs")) {
            addId(b, text(vendor));
        }
        String pkg = text(v.path("PkgName"));
        String installed = text(v.path("InstalledVersion"));
        String title = text(v.path("Title"));
        b.title(title != null ? title : id != null && pkg != null ? id + " in " + pkg : id);
        b.description(text(v.path("Description")));
        for (JsonNode cwe : v.path("CweIDs")) {
            b.cwe(text(cwe));
        }
        for (Map.Entry<String, JsonNode> source : v.path("CVSS").properties()) {
            JsonNode c = source.getValue();
            DependencyReports.cvss(b, "4.0", text(c.path("V40Vector")), number(c.path("V40Score")), source.getKey());
            DependencyReports.cvss(b, "3.0", text(c.path("V3Vector")), number(c.path("V3Score")), source.getKey());
            DependencyReports.cvss(b, "2.0", text(c.path("V2Vector")), number(c.path("V2Score")), source.getKey());
        }
        b.fixedVersion(text(v.path("FixedVersion")));
        b.reference(text(v.path("PrimaryURL")));
        for (JsonNode ref : v.path("References")) {
            b.reference(text(ref));
        }
        FindingTarget.Builder target = b.target();
        String pkgPath = text(v.path("PkgPath"));
        if (pkgPath != null) {
            target.setFilePath(pkgPath);
        }
        target.setPackageName(pkg);
        target.setPackageVersion(installed);
        String purl = text(v.path("PkgIdentifier").path("PURL"));
        target.setPackagePurl(purl != null ? purl : purl(result.type, pkg, installed));
        b.attribute("pkgId", text(v.path("PkgID")));
        b.attribute("status", text(v.path("Status")));
        b.attribute("severitySource", text(v.path("SeveritySource")));
        b.attribute("dataSource", text(v.path("DataSource").path("ID")));
        b.attribute("publishedDate", text(v.path("PublishedDate")));
        b.attribute("layerDigest", text(v.path("Layer").path("Digest")));
        b.attribute("layerDiffId", text(v.path("Layer").path("DiffID")));
        return b.build();
    }

    private ParsedFinding misconfiguration(JsonNode m, Report report, Result result) {
        String status = text(m.path("Status"));
        if (status != null && !"FAIL".equalsIgnoreCase(status)) {
            return null;
        }
        ParsedFinding.Builder b = start(report, result, "misconfiguration", m);
        String id = text(m.path("ID"));
        if (id != null) {
            b.id(VulnerabilityIdKind.TOOL_RULE, id);
        }
        b.title(text(m.path("Title")));
        b.description(text(m.path("Description")));
        b.reference(text(m.path("PrimaryURL")));
        for (JsonNode ref : m.path("References")) {
            b.reference(text(ref));
        }
        JsonNode cause = m.path("CauseMetadata");
        Integer line = positiveInt(cause.path("StartLine"));
        if (line != null) {
            b.target().setLine(line);
        }
        String resource = text(cause.path("Resource"));
        if (resource != null && resource.startsWith("arn:")) {
            b.target().setCloudResource(resource);
        }
        b.attribute("status", status);
        b.attribute("avdId", text(m.path("AVDID")));
        b.attribute("checkType", text(m.path("Type")));
        b.attribute("message", text(m.path("Message")));
        b.attribute("resolution", text(m.path("Resolution")));
        b.attribute("resource", resource);
        return b.build();
    }

    /** A secret: never Match or Code, which carry the secret itself (Trivy masks it, not always fully). */
    private ParsedFinding secret(JsonNode s, Report report, Result result) {
        ParsedFinding.Builder b = start(report, result, "secret", s);
        String rule = text(s.path("RuleID"));
        if (rule != null) {
            b.id(VulnerabilityIdKind.TOOL_RULE, rule);
        }
        b.title(text(s.path("Title")));
        String category = text(s.path("Category"));
        if (category != null) {
            b.description("Secret of category " + category + " found by rule " + (rule == null ? "(none)" : rule));
        }
        Integer line = positiveInt(s.path("StartLine"));
        if (line != null) {
            b.target().setLine(line);
        }
        b.attribute("category", category);
        Integer end = positiveInt(s.path("EndLine"));
        b.attribute("endLine", end == null ? null : end.toString());
        b.attribute("layerDigest", text(s.path("Layer").path("Digest")));
        return b.build();
    }

    /** What every finding of a result shares: tool, severity, time, the report-wide and result target. */
    private ParsedFinding.Builder start(Report report, Result result, String kind, JsonNode item) {
        ParsedFinding.Builder b = ParsedFinding.builder(TOOL).toolVersion(report.version);
        String label = text(item.path("Severity"));
        label = label == null ? "UNKNOWN" : label;
        b.severity(label, band(label));
        b.detectedAt(report.createdAt);
        FindingTarget.Builder target = b.target();
        report.applyTo(target);
        boolean osPackages = "os-pkgs".equals(result.clazz)
                || (result.clazz == null && result.target != null && OS_TARGET.matcher(result.target).matches());
        if (result.target != null && !osPackages) {
            target.setFilePath(result.target);
        }
        b.attribute("kind", kind);
        b.attribute("target", result.target);
        b.attribute("class", result.clazz);
        b.attribute("type", result.type);
        b.attribute("artifact", report.artifactName);
        b.attribute("artifactType", report.artifactType);
        return b;
    }

    // ------------------------------------------------------------------ package URLs

    /** The purl Trivy itself writes in PkgIdentifier (0.49 and later), for reports that predate it. */
    static String purl(String type, String name, String version) {
        if (type == null || name == null) {
            return null;
        }
        String t = type.toLowerCase(Locale.ROOT);
        return switch (t) {
            case "alpine", "wolfi", "chainguard" -> DependencyReports.purl("apk", t, name, version);
            case "debian", "ubuntu" -> DependencyReports.purl("deb", t, name, version);
            case "redhat", "centos", "rocky", "alma", "fedora", "amazon", "oracle", "photon", "cbl-mariner", "azurelinux",
                 "opensuse", "opensuse.leap", "opensuse.tumbleweed", "suse linux enterprise server", "suse linux enterprise micro" ->
                    DependencyReports.purl("rpm", rpmNamespace(t), name, rpmVersion(version));
            case "npm", "yarn", "pnpm", "bun", "node-pkg" -> DependencyReports.ecosystemPurl("npm", name, version);
            case "pip", "pipenv", "poetry", "uv", "python-pkg" -> DependencyReports.ecosystemPurl("pypi", name, version);
            case "jar", "pom", "gradle", "sbt" -> DependencyReports.ecosystemPurl("maven", name, version);
            case "gomod", "gobinary" -> DependencyReports.ecosystemPurl("golang", name, version);
            case "cargo", "rustbinary", "rust-binary" -> DependencyReports.ecosystemPurl("cargo", name, version);
            case "composer", "composer-vendor" -> DependencyReports.ecosystemPurl("composer", name, version);
            case "bundler", "gemspec" -> DependencyReports.ecosystemPurl("gem", name, version);
            case "nuget", "dotnet-core", "packages-props" -> DependencyReports.ecosystemPurl("nuget", name, version);
            case "conan" -> DependencyReports.ecosystemPurl("conan", name, version);
            case "cocoapods" -> DependencyReports.ecosystemPurl("cocoapods", name, version);
            case "swift" -> DependencyReports.ecosystemPurl("swift", name, version);
            case "pub" -> DependencyReports.ecosystemPurl("pub", name, version);
            case "hex", "mix" -> DependencyReports.ecosystemPurl("hex", name, version);
            case "conda-pkg", "conda-environment" -> DependencyReports.ecosystemPurl("conda", name, version);
            default -> null;
        };
    }

    private static String rpmNamespace(String type) {
        if (type.startsWith("suse")) {
            return "suse";
        }
        if (type.startsWith("opensuse")) {
            return "opensuse";
        }
        return type;
    }

    /** RPM purls carry the epoch as a qualifier, not in the version Trivy writes as {@code epoch:version}. */
    private static String rpmVersion(String version) {
        if (version == null) {
            return null;
        }
        int colon = version.indexOf(':');
        return colon > 0 && version.substring(0, colon).chars().allMatch(Character::isDigit) ? version.substring(colon + 1) : version;
    }

    // ------------------------------------------------------------------ context

    /** The report-wide fields, read before Results. */
    private static final class Report {
        boolean legacy;
        String version;
        String artifactName;
        String artifactType;
        Instant createdAt;
        JsonNode metadata;
        DependencyReports.ImageRef image;
        private boolean resolved;

        void applyTo(FindingTarget.Builder target) {
            resolve();
            if (image != null) {
                target.setImage(image.repository());
                target.setImageTag(image.tag());
                target.setImageDigest(image.digest());
            }
            if ("repository".equals(artifactType) && artifactName != null
                    && (artifactName.contains("://") || artifactName.startsWith("git@"))) {
                target.setRepository(artifactName);
            }
        }

        private void resolve() {
            if (resolved || legacy) {
                return;
            }
            resolved = true;
            if (!"container_image".equals(artifactType)) {
                return;
            }
            JsonNode meta = metadata == null ? DependencyReports.MAPPER.missingNode() : metadata;
            String name = artifactName;
            if (name == null || DependencyReports.ImageRef.looksLikePath(name)) {
                name = text(meta.path("RepoTags").path(0));
            }
            DependencyReports.ImageRef ref = DependencyReports.ImageRef.parse(name);
            String digest = DependencyReports.ImageRef.digestOf(text(meta.path("RepoDigests").path(0)));
            if (ref == null && digest == null) {
                return;
            }
            if (ref == null) {
                ref = DependencyReports.ImageRef.parse(text(meta.path("RepoDigests").path(0)));
            }
            image = new DependencyReports.ImageRef(ref == null ? null : ref.repository(), ref == null ? null : ref.tag(),
                    digest != null ? digest : ref == null ? null : ref.digest());
        }
    }

    private static final class Result {
        String target;
        boolean targetKnown;
        String clazz;
        String type;
    }
}

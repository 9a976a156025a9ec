package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.FindingTarget;
import dev.handoff.ingest.parse.FindingSink;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportInput;
import dev.handoff.ingest.parse.ReportParser;

import java.io.IOException;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.handoff.ingest.parse.formats.DependencyReports.addId;
import static dev.handoff.ingest.parse.formats.DependencyReports.band;
import static dev.handoff.ingest.parse.formats.DependencyReports.number;
import static dev.handoff.ingest.parse.formats.DependencyReports.shape;
import static dev.handoff.ingest.parse.formats.DependencyReports.text;
import static dev.handoff.ingest.parse.formats.DependencyReports.tree;

/**
 * GitHub Dependabot alerts as exported from either API:
 * <ul>
 *   <li>REST ({@code GET /repos/{o}/{r}/dependabot/alerts}, also per organisation or enterprise): a JSON array
 *       of alerts ({@code number}, {@code state}, {@code dependency}, {@code security_advisory},
 *       {@code security_vulnerability}, {@code html_url}, {@code created_at}); a single alert object too.</li>
 *   <li>GraphQL: a response whose {@code data} holds {@code vulnerabilityAlerts} connections anywhere
 *       ({@code data.repository}, {@code data.search.nodes[]}, {@code data.organization.repositories.nodes[]}),
 *       with {@code nodes[]} or {@code edges[].node}, each a {@code RepositoryVulnerabilityAlert}.</li>
 * </ul>
 *
 * <p>Which alerts are findings: open ones. An alert whose {@code state} is dismissed, fixed or
 * auto_dismissed (REST) or DISMISSED, FIXED, AUTO_DISMISSED (GraphQL), or, with no state, that has a
 * {@code dismissedAt}/{@code fixedAt}/{@code autoDismissedAt}, is closed on GitHub and not an open finding
 * (as ASFF's PASSED checks and suppressed Dependency-Check vulnerabilities are not). An alert with no state
 * and no closing time (older GraphQL queries do not select it) is open.
 *
 * <p>Severity: the label is the vulnerability's severity as written ({@code security_advisory.severity} in
 * REST, lower case; {@code securityVulnerability.severity} in GraphQL, e.g. CRITICAL, MODERATE), falling back
 * to the other field; critical, high, medium and moderate (MEDIUM), low.
 *
 * <p>Ids: GHSA ({@code ghsa_id}/{@code ghsaId}), CVE ({@code cve_id}) and every identifier. CVSS:
 * {@code cvss} and each entry of {@code cvss_severities}/{@code cvssSeverities} (v3, v4), ignoring GitHub's
 * "no score" placeholder (score 0, no vector), each vector once.
 *
 * <p>Target: the repository ({@code repository.full_name}/{@code nameWithOwner}, its URL, else the
 * repository of the alert's {@code html_url}, else the {@code name}, {@code nameWithOwner} or {@code url}
 * next to the {@code vulnerabilityAlerts} connection), the manifest path as the file path, and the package
 * name with a purl (no version: alerts name a vulnerable range, not the installed version). The first
 * patched version is the fixed version and {@code created_at} the detection time.
 */
public final class GithubDependabotParser implements ReportParser {

    static final String TOOL = "GitHub Dependabot";
    private static final String FORMAT = "GitHub Dependabot";
    private static final Set<String> CLOSED = Set.of("dismissed", "fixed", "auto_dismissed");
    private static final Set<String> SINGLE_ALERT_FIELDS = Set.of("number", "state", "dependency", "security_advisory",
            "security_vulnerability", "url", "html_url", "created_at", "updated_at", "dismissed_at", "fixed_at",
            "auto_dismissed_at", "repository");
    private static final Pattern REPO_OF_ALERT = Pattern.compile("^(https?://[^/]+/[^/]+/[^/]+)/security/");
    /** The GraphQL connection sits a few objects deep; deeper structure is skipped without recursion. */
    private static final int MAX_WALK_DEPTH = 16;

    @Override
    public ReportFormat format() {
        return ReportFormat.GITHUB_DEPENDABOT;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        try (JsonParser p = input.json()) {
            JsonToken t = DependencyReports.first(p, FORMAT);
            if (t == JsonToken.START_ARRAY) {
                rest(p, sink);
            } else if (t == JsonToken.START_OBJECT) {
                object(p, input.limits(), sink);
            } else {
                throw shape(p, "GitHub Dependabot alerts are a JSON array (REST) or a GraphQL response object");
            }
            DependencyReports.end(p, FORMAT);
        } catch (IOException e) {
            throw ReportInput.jsonProblem(e);
        }
    }

    // ------------------------------------------------------------------ REST

    private void rest(JsonParser p, FindingSink sink) throws IOException, ReportException {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.START_OBJECT) {
                throw shape(p, "GitHub Dependabot alerts: each entry of the array must be an alert object");
            }
            JsonLocation at = p.currentTokenLocation();
            JsonNode alert = tree(p);
            if (!alert.path("security_advisory").isObject() && !alert.path("security_vulnerability").isObject()) {
                throw shape("GitHub Dependabot alerts: an entry has neither security_advisory nor security_vulnerability",
                        at.getLineNr(), at.getColumnNr());
            }
            ParsedFinding f = restAlert(alert);
            if (f != null) {
                sink.accept(f);
            }
        }
    }

    private ParsedFinding restAlert(JsonNode a) {
        String state = text(a.path("state"));
        if (state != null && CLOSED.contains(state.toLowerCase(Locale.ROOT))) {
            return null;
        }
        JsonNode adv = a.path("security_advisory");
        JsonNode vuln = a.path("security_vulnerability");
        ParsedFinding.Builder b = ParsedFinding.builder(TOOL);
        String label = text(adv.path("severity"));
        label = label != null ? label : text(vuln.path("severity"));
        label = label == null ? "unknown" : label;
        b.severity(label, band(label));
        addId(b, text(adv.path("ghsa_id")));
        addId(b, text(adv.path("cve_id")));
        for (JsonNode identifier : adv.path("identifiers")) {
            addId(b, text(identifier.path("value")));
        }
        Set<String> seen = new HashSet<>();
        cvss(b, adv.path("cvss"), "vector_string", seen);
        cvss(b, adv.path("cvss_severities").path("cvss_v3"), "vector_string", seen);
        cvss(b, adv.path("cvss_severities").path("cvss_v4"), "vector_string", seen);
        for (JsonNode cwe : adv.path("cwes")) {
            b.cwe(text(cwe.path("cwe_id")));
        }
        b.title(text(adv.path("summary")));
        b.description(text(adv.path("description")));
        String htmlUrl = text(a.path("html_url"));
        b.reference(htmlUrl);
        for (JsonNode ref : adv.path("references")) {
            b.reference(text(ref.path("url")));
        }
        b.fixedVersion(text(vuln.path("first_patched_version").path("identifier")));
        b.detectedAt(DependencyReports.instant(text(a.path("created_at"))));

        JsonNode dependency = a.path("dependency");
        JsonNode pkg = dependency.path("package").isObject() ? dependency.path("package") : vuln.path("package");
        String repository = text(a.path("repository").path("html_url"));
        if (repository == null) {
            repository = text(a.path("repository").path("full_name"));
        }
        if (repository == null) {
            repository = repositoryOfAlert(htmlUrl);
        }
        target(b.target(), repository, text(dependency.path("manifest_path")), text(pkg.path("ecosystem")), text(pkg.path("name")));
        b.attribute("number", text(a.path("number")));
        b.attribute("state", state);
        b.attribute("ecosystem", text(pkg.path("ecosystem")));
        b.attribute("scope", text(dependency.path("scope")));
        b.attribute("relationship", text(dependency.path("relationship")));
        b.attribute("vulnerableVersionRange", text(vuln.path("vulnerable_version_range")));
        return b.build();
    }

    /** {@code https://github.com/o/r/security/dependabot/3} is an alert of {@code https://github.com/o/r}. */
    static String repositoryOfAlert(String htmlUrl) {
        if (htmlUrl == null) {
            return null;
        }
        Matcher m = REPO_OF_ALERT.matcher(htmlUrl);
        return m.find() ? m.group(1) : null;
    }

    // ------------------------------------------------------------------ a top-level object

    /**
     * A GraphQL response ({@code data}, {@code errors}) or one REST alert. Only {@code data} is walked as a
     * stream; a single alert's fields are small and collected.
     */
    private void object(JsonParser p, ParseLimits limits, FindingSink sink) throws IOException, ReportException {
        boolean data = false;
        JsonNode errors = null;
        ObjectNode single = DependencyReports.MAPPER.createObjectNode();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if ("data".equals(field) && (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY)) {
                data = true;
                walk(p, 0, limits, sink);
            } else if ("errors".equals(field)) {
                errors = tree(p);
            } else if (SINGLE_ALERT_FIELDS.contains(field)) {
                single.set(field, tree(p));
            } else {
                p.skipChildren();
            }
        }
        if (p.currentToken() != JsonToken.END_OBJECT) {
            throw shape(p, "GitHub Dependabot alerts: expected a field name");
        }
        if (data) {
            return;
        }
        if (single.path("security_advisory").isObject() || single.path("security_vulnerability").isObject()) {
            ParsedFinding f = restAlert(single);
            if (f != null) {
                sink.accept(f);
            }
            return;
        }
        if (errors != null) {
            throw shape("GitHub GraphQL response holds errors and no data: " + text(errors.path(0).path("message")), -1, -1);
        }
        throw shape("not GitHub Dependabot alerts: neither a REST alert array nor a GraphQL response with data", -1, -1);
    }

    // ------------------------------------------------------------------ GraphQL

    /**
     * Walks an object or array of the GraphQL data, at its start token, until its end. An object that holds
     * a {@code vulnerabilityAlerts} connection is a repository: when its {@code nameWithOwner} or {@code url}
     * came first (as queries usually select it) its alerts go out as read; otherwise they wait (spooled)
     * until the object ends, so that a name read after the connection still applies.
     */
    private void walk(JsonParser p, int depth, ParseLimits limits, FindingSink sink) throws IOException, ReportException {
        if (depth > MAX_WALK_DEPTH) {
            p.skipChildren();
            return;
        }
        if (p.currentToken() == JsonToken.START_ARRAY) {
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                    walk(p, depth + 1, limits, sink);
                }
            }
            return;
        }
        Repo repo = new Repo();
        DependencyReports.Spool alerts = null;
        try {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if ("vulnerabilityAlerts".equals(field) && value == JsonToken.START_OBJECT) {
                    if (repo.nameWithOwner != null || repo.url != null) {
                        String repository = repo.best();
                        connection(p, (node, at) -> emit(node, repository, at.getLineNr(), at.getColumnNr(), sink));
                    } else {
                        if (alerts == null) {
                            alerts = new DependencyReports.Spool(limits);
                        }
                        DependencyReports.Spool held = alerts;
                        connection(p, (node, at) -> held.add("alert", node, at));
                    }
                } else if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                    walk(p, depth + 1, limits, sink);
                } else if (value == JsonToken.VALUE_STRING) {
                    switch (field) {
                        case "nameWithOwner" -> repo.nameWithOwner = p.getText();
                        case "url" -> repo.url = p.getText();
                        case "name" -> repo.name = p.getText();
                        default -> {
                        }
                    }
                }
            }
            if (alerts != null) {
                String repository = repo.best();
                alerts.drain((kind, node, line, column) -> emit(node, repository, line, column, sink));
            }
        } finally {
            if (alerts != null) {
                alerts.close();
            }
        }
    }

    @FunctionalInterface
    private interface AlertNode {
        void accept(JsonNode node, JsonLocation at) throws ReportException;
    }

    private void emit(JsonNode node, String repository, long line, long column, FindingSink sink) throws ReportException {
        ParsedFinding f = graphqlAlert(node, repository, line, column);
        if (f != null) {
            sink.accept(f);
        }
    }

    /** {@code nodes[]} or {@code edges[].node} of a vulnerabilityAlerts connection, one alert at a time. */
    private void connection(JsonParser p, AlertNode alerts) throws IOException, ReportException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (("nodes".equals(field) || "edges".equals(field)) && value == JsonToken.START_ARRAY) {
                boolean edges = "edges".equals(field);
                JsonToken t;
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (t == JsonToken.VALUE_NULL) {
                        continue;
                    }
                    if (t != JsonToken.START_OBJECT) {
                        throw shape(p, "GitHub Dependabot alerts: each entry of vulnerabilityAlerts." + field + " must be an object");
                    }
                    JsonLocation at = p.currentTokenLocation();
                    JsonNode node = tree(p);
                    if (edges) {
                        node = node.path("node");
                        if (!node.isObject()) {
                            continue;
                        }
                    }
                    alerts.accept(node, at);
                }
            } else {
                p.skipChildren();
            }
        }
    }

    private ParsedFinding graphqlAlert(JsonNode a, String contextRepository, long line, long column) throws ReportException {
        String state = text(a.path("state"));
        if (state != null ? CLOSED.contains(state.toLowerCase(Locale.ROOT))
                : text(a.path("dismissedAt")) != null || text(a.path("fixedAt")) != null || text(a.path("autoDismissedAt")) != null) {
            return null;
        }
        JsonNode vuln = a.path("securityVulnerability");
        JsonNode adv = vuln.path("advisory").isObject() ? vuln.path("advisory") : a.path("securityAdvisory");
        if (!vuln.isObject() && !adv.isObject()) {
            throw shape("GitHub Dependabot alerts: an alert has neither securityVulnerability nor securityAdvisory", line, column);
        }
        ParsedFinding.Builder b = ParsedFinding.builder(TOOL);
        String label = text(vuln.path("severity"));
        label = label != null ? label : text(adv.path("severity"));
        label = label == null ? "UNKNOWN" : label;
        b.severity(label, band(label));
        addId(b, text(adv.path("ghsaId")));
        for (JsonNode identifier : adv.path("identifiers")) {
            addId(b, text(identifier.path("value")));
        }
        Set<String> seen = new HashSet<>();
        cvss(b, adv.path("cvss"), "vectorString", seen);
        cvss(b, adv.path("cvssSeverities").path("cvssV3"), "vectorString", seen);
        cvss(b, adv.path("cvssSeverities").path("cvssV4"), "vectorString", seen);
        for (JsonNode cwe : adv.path("cwes").path("nodes")) {
            b.cwe(text(cwe.path("cweId")));
        }
        b.title(text(adv.path("summary")));
        b.description(text(adv.path("description")));
        b.reference(text(adv.path("permalink")));
        for (JsonNode ref : adv.path("references")) {
            b.reference(text(ref.path("url")));
        }
        b.fixedVersion(text(vuln.path("firstPatchedVersion").path("identifier")));
        b.detectedAt(DependencyReports.instant(text(a.path("createdAt"))));
        JsonNode pkg = vuln.path("package");
        String repository = text(a.path("repository").path("url"));
        if (repository == null) {
            repository = text(a.path("repository").path("nameWithOwner"));
        }
        target(b.target(), repository != null ? repository : contextRepository, text(a.path("vulnerableManifestPath")),
                text(pkg.path("ecosystem")), text(pkg.path("name")));
        b.attribute("number", text(a.path("number")));
        b.attribute("state", state);
        b.attribute("ecosystem", text(pkg.path("ecosystem")));
        b.attribute("vulnerableRequirements", text(a.path("vulnerableRequirements")));
        b.attribute("vulnerableVersionRange", text(vuln.path("vulnerableVersionRange")));
        b.attribute("scope", text(a.path("dependencyScope")));
        return b.build();
    }

    // ------------------------------------------------------------------ shared

    /** One CVSS object; {@code cvss} and {@code cvss_severities.cvss_v3} usually repeat one another, so each vector once. */
    private static void cvss(ParsedFinding.Builder b, JsonNode c, String vectorField, Set<String> seen) {
        if (c.isObject()) {
            String vector = text(c.path(vectorField));
            Double score = number(c.path("score"));
            String key = vector != null ? vector : "score:" + score;
            if (seen.add(key)) {
                DependencyReports.cvss(b, null, vector, score, "GitHub");
            }
        }
    }

    private static void target(FindingTarget.Builder t, String repository, String manifest, String ecosystem, String name) {
        t.setRepository(repository);
        t.setFilePath(manifest);
        t.setPackageName(name);
        t.setPackagePurl(DependencyReports.ecosystemPurl(DependencyReports.githubEcosystemPurlType(ecosystem), name, null));
    }

    /** The fields next to a vulnerabilityAlerts connection that name the repository. */
    private static final class Repo {
        String nameWithOwner;
        String url;
        String name;

        String best() {
            return url != null ? url : nameWithOwner != null ? nameWithOwner : name;
        }
    }
}

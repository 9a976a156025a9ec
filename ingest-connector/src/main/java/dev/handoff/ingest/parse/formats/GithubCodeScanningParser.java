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
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GitHub code-scanning alerts as the REST API returns them ({@code GET /repos/{owner}/{repo}/code-scanning/alerts},
 * the organisation-wide list, or one alert): a JSON array of alert objects (a single alert object is accepted).
 *
 * <p><b>Which alerts</b>: open ones (and any without a state). Alerts whose {@code state} is
 * {@code dismissed} or {@code fixed} (or the older {@code closed}) are not open findings, as suppressed
 * findings are not in the other formats, and are skipped.
 *
 * <p><b>Severity label</b>: {@code rule.security_severity_level} (low, medium, high, critical: set for
 * security queries) when present, else {@code rule.severity} (none, note, warning, error), as written.
 * <b>Band</b>: critical CRITICAL, high HIGH, medium MEDIUM, low LOW; error HIGH, warning MEDIUM, note LOW,
 * none INFO; anything else MEDIUM.
 *
 * <p><b>Ids</b>: CVE/GHSA when the rule id or a tag is one; the rule id as TOOL_RULE; CWEs from tags
 * ({@code external/cwe/cwe-312}). <b>Target</b>: {@code most_recent_instance.location.path} and
 * {@code start_line}; the repository from {@code repository.full_name} (organisation lists), else from
 * {@code html_url} or {@code url} ({@code owner/name}). <b>Tool</b>: {@code tool.name} and
 * {@code tool.version}. {@code created_at} is the detection time; {@code html_url} the reference.
 */
public final class GithubCodeScanningParser implements ReportParser {

    private static final Set<String> CLOSED_STATES = Set.of("dismissed", "fixed", "closed");
    private static final Pattern HTML_REPO = Pattern.compile("^https?://[^/]+/([^/]+)/([^/]+)/security/code-scanning(?:/|$)");
    private static final Pattern API_REPO = Pattern.compile("/repos/([^/]+)/([^/]+)/code-scanning/");

    @Override
    public ReportFormat format() {
        return ReportFormat.GITHUB_CODE_SCANNING;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        JsonParser p = input.json();
        try (p) {
            JsonToken t = SastJson.first(p, "GitHub code-scanning");
            if (t == JsonToken.START_OBJECT) {
                alert(p, sink);
            } else {
                SastJson.expect(p, JsonToken.START_ARRAY, "a list of code-scanning alerts");
                while (SastJson.next(p) != JsonToken.END_ARRAY) {
                    SastJson.expect(p, JsonToken.START_OBJECT, "each code-scanning alert");
                    alert(p, sink);
                }
            }
            SastJson.expectEnd(p);
        } catch (IOException e) {
            throw ReportInput.jsonProblem(e);
        }
    }

    private static void alert(JsonParser p, FindingSink sink) throws IOException, ReportException {
        JsonLocation at = p.currentTokenLocation();
        JsonNode alert = SastJson.tree(p);
        String state = SastJson.text(alert.get("state"));
        if (state != null && CLOSED_STATES.contains(state.toLowerCase(Locale.ROOT))) {
            return;
        }
        ParsedFinding f;
        try {
            f = finding(alert, at.getLineNr(), at.getColumnNr());
        } catch (RuntimeException e) {
            throw SastJson.shape(at, "code-scanning alert could not be read: " + e);
        }
        sink.accept(f);
    }

    private static ParsedFinding finding(JsonNode a, long line, long col) throws ReportException {
        ObjectNode rule = SastJson.object(a, "rule", "alert.rule", line, col);
        ObjectNode tool = SastJson.object(a, "tool", "alert.tool", line, col);
        ObjectNode instance = SastJson.object(a, "most_recent_instance", "alert.most_recent_instance", line, col);
        String toolName = tool == null ? null : SastJson.text(tool.get("name"));
        ParsedFinding.Builder b = ParsedFinding.builder(toolName != null ? toolName : "GitHub code scanning")
                .toolVersion(tool == null ? null : SastJson.text(tool.get("version")));

        String securityLevel = rule == null ? null : SastJson.text(rule.get("security_severity_level"));
        String ruleSeverity = rule == null ? null : SastJson.text(rule.get("severity"));
        if (securityLevel != null) {
            SeverityBand band = SastJson.wordBand(securityLevel);
            b.severity(securityLevel, band != null ? band : SeverityBand.MEDIUM);
        } else if (ruleSeverity != null) {
            b.severity(ruleSeverity, SarifParser.levelBand(ruleSeverity));
        } else {
            b.severity("(none)", SeverityBand.MEDIUM);
        }

        String ruleId = rule == null ? null : SastJson.text(rule.get("id"));
        List<String> tags = rule == null ? List.of()
                : SastJson.strings(SastJson.array(rule, "tags", "rule.tags", line, col));
        SastJson.addAdvisoryId(b, ruleId);
        tags.forEach(t -> SastJson.addAdvisoryId(b, t));
        b.id(VulnerabilityIdKind.TOOL_RULE, ruleId);
        tags.forEach(t -> b.cwe(SastJson.cwe(t)));

        String title = rule == null ? null : SastJson.text(rule.get("description"));
        if (title == null && rule != null) {
            title = SastJson.text(rule.get("name"));
        }
        b.title(title != null ? title : ruleId);
        String message = instance == null ? null : SastJson.text(instance.path("message").get("text"));
        b.description(message != null ? message : rule == null ? null : SastJson.text(rule.get("full_description")));

        if (instance != null) {
            ObjectNode location = SastJson.object(instance, "location", "most_recent_instance.location", line, col);
            if (location != null) {
                b.target().setFilePath(SastJson.text(location.get("path")));
                Integer start = SastJson.integer(location.get("start_line"));
                if (start != null && start > 0) {
                    b.target().setLine(start);
                }
            }
            b.attribute("ref", SastJson.text(instance.get("ref")));
            b.attribute("commit", SastJson.text(instance.get("commit_sha")));
            b.attribute("category", SastJson.text(instance.get("category")));
        }
        b.target().setRepository(repository(a));

        b.detectedAt(SastJson.instant(SastJson.text(a.get("created_at"))));
        b.reference(SastJson.text(a.get("html_url")));
        if (rule != null) {
            b.reference(SastJson.text(rule.get("help_uri")));
        }
        b.attribute("state", SastJson.text(a.get("state")));
        b.attribute("number", SastJson.text(a.get("number")));
        if (securityLevel != null) {
            b.attribute("ruleSeverity", ruleSeverity);
        }
        b.attribute("tags", String.join(",", tags));
        return b.build();
    }

    /** 'owner/name' from the organisation list's repository, else from the alert's web or API URL. */
    private static String repository(JsonNode a) {
        String fullName = SastJson.text(a.path("repository").get("full_name"));
        if (fullName != null) {
            return fullName;
        }
        String html = SastJson.text(a.get("html_url"));
        if (html != null) {
            Matcher m = HTML_REPO.matcher(html);
            if (m.find()) {
                return m.group(1) + "/" + m.group(2);
            }
        }
        String api = SastJson.text(a.get("url"));
        if (api != null) {
            Matcher m = API_REPO.matcher(api);
            if (m.find()) {
                return m.group(1) + "/" + m.group(2);
            }
        }
        return null;
    }
}

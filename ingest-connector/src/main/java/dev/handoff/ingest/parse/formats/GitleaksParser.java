package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
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
import java.util.Set;

/**
 * gitleaks JSON reports ({@code --report-format json}), version 8 and version 7: a top-level array with
 * one leak per entry (an empty report may be {@code []} or {@code null}).
 *
 * <p>v8 keys: {@code RuleID}, {@code Description}, {@code File}, {@code StartLine}, {@code Commit},
 * {@code Author}, {@code Email}, {@code Date}, {@code Tags}, {@code Fingerprint}, {@code Link}. v7 keys:
 * {@code rule}, {@code file}, {@code lineNumber}, {@code commit}, {@code repo}/{@code repoURL},
 * {@code author}, {@code email}, {@code date}, {@code tags} (comma-separated), {@code leakURL}.
 *
 * <p><b>The secret is never kept</b>: v8's {@code Secret} and {@code Match} and v7's {@code offender} and
 * {@code line} are skipped while streaming, never read into memory, so they cannot reach a title,
 * description or attribute. The commit message is skipped too. Findings are told apart by gitleaks'
 * {@code Fingerprint} ({@code commit:file:rule:line}), or the same made from the fields when it is absent;
 * no hash of the secret is kept, since a short secret's hash can be reversed by guessing.
 *
 * <p><b>Severity</b>: gitleaks has none. Label {@code (none)}; band HIGH, since a leaked credential
 * is exploitable as found and must be rotated. <b>Ids</b>: the rule id as TOOL_RULE; title the rule's
 * description (v8) or name. <b>Target</b>: file and line; the repository from v7's {@code repoURL}, else
 * its {@code repo} unless that is '.'. The commit date is kept as the attribute {@code commitDate}: it is
 * when the secret was committed, not when it was detected.
 */
public final class GitleaksParser implements ReportParser {

    /** Keys holding the secret or the text around it, in either version. */
    private static final Set<String> SECRET_KEYS = Set.of("secret", "match", "offender", "line", "message", "commitmessage");

    @Override
    public ReportFormat format() {
        return ReportFormat.GITLEAKS;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        JsonParser p = input.json();
        try (p) {
            JsonToken t = SastJson.first(p, "gitleaks");
            if (t != JsonToken.VALUE_NULL) {
                SastJson.expect(p, JsonToken.START_ARRAY, "a gitleaks report");
                while (SastJson.next(p) != JsonToken.END_ARRAY) {
                    SastJson.expect(p, JsonToken.START_OBJECT, "each gitleaks finding");
                    JsonLocation at = p.currentTokenLocation();
                    ObjectNode leak = withoutSecrets(p);
                    ParsedFinding f;
                    try {
                        f = finding(leak);
                    } catch (RuntimeException e) {
                        throw SastJson.shape(at, "gitleaks finding could not be read: " + e);
                    }
                    sink.accept(f);
                }
            }
            SastJson.expectEnd(p);
        } catch (IOException e) {
            throw ReportInput.jsonProblem(e);
        }
    }

    /** One leak as a tree, its secret-bearing values skipped unread. */
    private static ObjectNode withoutSecrets(JsonParser p) throws IOException, ReportException {
        ObjectNode node = SastJson.MAPPER.createObjectNode();
        while (SastJson.next(p) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            SastJson.next(p);
            if (SECRET_KEYS.contains(name.toLowerCase(Locale.ROOT))) {
                p.skipChildren();
            } else {
                node.set(name, SastJson.tree(p));
            }
        }
        return node;
    }

    private static ParsedFinding finding(ObjectNode leak) {
        boolean v8 = leak.has("RuleID") || leak.has("File") || leak.has("StartLine");
        ParsedFinding.Builder b = ParsedFinding.builder("gitleaks");
        b.severity("(none)", SeverityBand.HIGH);
        String rule;
        String file;
        Integer startLine;
        String commit;
        List<String> tags;
        String fingerprint = null;
        if (v8) {
            rule = SastJson.text(leak.get("RuleID"));
            String description = SastJson.text(leak.get("Description"));
            file = SastJson.text(leak.get("File"));
            startLine = SastJson.integer(leak.get("StartLine"));
            commit = SastJson.text(leak.get("Commit"));
            tags = SastJson.strings(leak.get("Tags"));
            b.title(description != null ? description : rule);
            b.attribute("author", SastJson.text(leak.get("Author")));
            b.attribute("email", SastJson.text(leak.get("Email")));
            b.attribute("commitDate", SastJson.text(leak.get("Date")));
            b.attribute("symlinkFile", SastJson.text(leak.get("SymlinkFile")));
            b.attribute("entropy", SastJson.text(leak.get("Entropy")));
            fingerprint = SastJson.text(leak.get("Fingerprint"));
            b.reference(SastJson.text(leak.get("Link")));
        } else {
            rule = SastJson.text(leak.get("rule"));
            file = SastJson.text(leak.get("file"));
            startLine = SastJson.integer(leak.get("lineNumber"));
            commit = SastJson.text(leak.get("commit"));
            tags = new ArrayList<>();
            for (String t : SastJson.strings(leak.get("tags"))) {
                for (String one : t.split(",")) {
                    if (!one.isBlank()) {
                        tags.add(one.trim());
                    }
                }
            }
            b.title(rule);
            String repoUrl = SastJson.text(leak.get("repoURL"));
            String repo = SastJson.text(leak.get("repo"));
            b.target().setRepository(repoUrl != null ? repoUrl : ".".equals(repo) ? null : repo);
            b.attribute("author", SastJson.text(leak.get("author")));
            b.attribute("email", SastJson.text(leak.get("email")));
            b.attribute("commitDate", SastJson.text(leak.get("date")));
            b.attribute("operation", SastJson.text(leak.get("operation")));
            b.reference(SastJson.text(leak.get("leakURL")));
        }
        b.id(VulnerabilityIdKind.TOOL_RULE, rule);
        b.description(rule == null ? null : "Secret detected by gitleaks rule " + rule + (file == null ? "" : " in " + file));
        b.target().setFilePath(file);
        if (startLine != null && startLine > 0) {
            b.target().setLine(startLine);
        }
        b.attribute("commit", commit);
        b.attribute("tags", String.join(",", tags));
        if (fingerprint == null && (commit != null || file != null)) {
            fingerprint = (commit == null ? "" : commit) + ":" + (file == null ? "" : file) + ":" + (rule == null ? "" : rule)
                    + ":" + (startLine == null ? "" : startLine);
        }
        b.attribute("fingerprint", fingerprint);
        return b.build();
    }
}

package dev.handoff.ingest.parse.formats;

import dev.handoff.avro.SeverityBand;
import dev.handoff.ingest.parse.ParsedFinding;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static dev.handoff.ingest.parse.formats.SarifParserTest.malformed;
import static dev.handoff.ingest.parse.formats.SarifParserTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class GithubCodeScanningParserTest {

    private final GithubCodeScanningParser parser = new GithubCodeScanningParser();

    private static String alert(int number, String state, String rule) {
        return """
                {"number": %d, "created_at": "2024-01-19T14:11:18Z", "state": "%s",
                 "url": "https://api.github.com/repos/acme/app/code-scanning/alerts/%1$d",
                 "html_url": "https://github.com/acme/app/security/code-scanning/%1$d",
                 "rule": %s,
                 "tool": {"name": "CodeQL", "guid": null, "version": "2.16.2"},
                 "most_recent_instance": {"ref": "refs/heads/main", "state": "%2$s", "commit_sha": "abc",
                   "message": {"text": "This path depends on a user-provided value."},
                   "location": {"path": "src/file.py", "start_line": 78, "end_line": 78}}}
                """.formatted(number, state, rule);
    }

    @Test
    void labelIsTheSecuritySeverityLevelElseTheRuleSeverity() throws Exception {
        List<ParsedFinding> f = parse(parser, "[" + String.join(",",
                alert(1, "open", "{\"id\": \"py/path-injection\", \"severity\": \"error\", \"security_severity_level\": \"critical\","
                        + " \"description\": \"Uncontrolled path\", \"tags\": [\"security\", \"external/cwe/cwe-022\"]}"),
                alert(2, "open", "{\"id\": \"py/unused\", \"severity\": \"note\", \"security_severity_level\": null}"),
                alert(3, "open", "{\"id\": \"py/x\", \"severity\": \"warning\"}"),
                alert(4, "open", "{\"id\": \"py/y\", \"severity\": \"none\"}")) + "]");
        assertEquals(List.of("critical", "note", "warning", "none"), f.stream().map(ParsedFinding::severityLabel).toList());
        assertEquals(List.of(SeverityBand.CRITICAL, SeverityBand.LOW, SeverityBand.MEDIUM, SeverityBand.INFO),
                f.stream().map(ParsedFinding::band).toList());
        ParsedFinding first = f.get(0);
        assertEquals("Uncontrolled path", first.title());
        assertEquals("This path depends on a user-provided value.", first.description());
        assertEquals(List.of("CWE-22"), first.cwes());
        assertEquals("error", first.attributes().get("ruleSeverity"));
        assertEquals("src/file.py", first.target().getFilePath());
        assertEquals(78, first.target().getLine());
        assertEquals("acme/app", first.target().getRepository());
        assertEquals("CodeQL", first.tool());
        assertEquals("2.16.2", first.toolVersion());
        assertEquals(Instant.parse("2024-01-19T14:11:18Z"), first.detectedAt());
    }

    @Test
    void dismissedAndFixedAlertsAreNotOpenFindings() throws Exception {
        String rule = "{\"id\": \"py/x\", \"severity\": \"error\"}";
        List<ParsedFinding> f = parse(parser, "[" + String.join(",", alert(1, "open", rule), alert(2, "dismissed", rule),
                alert(3, "fixed", rule), alert(4, "open", rule)) + "]");
        assertEquals(List.of("1", "4"), f.stream().map(x -> x.attributes().get("number")).toList());
    }

    @Test
    void repositoryComesFromFullNameElseTheUrls() throws Exception {
        ParsedFinding org = parse(parser, """
                [{"number": 1, "state": "open", "rule": {"id": "r", "severity": "error"},
                  "repository": {"full_name": "octo/one", "html_url": "https://github.com/octo/one"},
                  "html_url": "https://github.com/other/two/security/code-scanning/1"}]
                """).get(0);
        assertEquals("octo/one", org.target().getRepository());
        ParsedFinding api = parse(parser, """
                [{"number": 1, "state": "open", "rule": {"id": "r", "severity": "error"},
                  "url": "https://ghe.example.com/api/v3/repos/team/svc/code-scanning/alerts/1"}]
                """).get(0);
        assertEquals("team/svc", api.target().getRepository());
        assertNull(api.target().getFilePath());
    }

    @Test
    void aSingleAlertObjectIsAccepted() throws Exception {
        assertEquals(1, parse(parser, alert(9, "open", "{\"id\": \"r\", \"severity\": \"error\"}")).size());
        assertEquals(0, parse(parser, "[]").size());
    }

    @Test
    void wrongShapesAndTruncationAreMalformedWithALine() {
        malformed(parser, "\"alerts\"");
        assertEquals(2, malformed(parser, "[\n 42]").line());
        assertEquals(2, malformed(parser, "[\n {\"number\": 1, \"rule\": \"r\"}]").line());
        assertEquals(2, malformed(parser, "[\n {\"number\": 1, \"rule\": {\"id\": \"r\", \"tags\": \"security\"}}]").line());
        assertEquals(3, malformed(parser, "[{\"number\": 1,\n \"state\": \"open\",\n \"rule\": {\"id\"").line());
    }
}

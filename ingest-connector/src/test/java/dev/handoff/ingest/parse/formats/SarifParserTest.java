package dev.handoff.ingest.parse.formats;

import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportInput;
import dev.handoff.ingest.parse.ReportParser;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SarifParserTest {

    private final SarifParser parser = new SarifParser();

    static List<ParsedFinding> parse(ReportParser parser, String json) throws ReportException {
        List<ParsedFinding> out = new ArrayList<>();
        parser.parse(new ReportInput(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), ParseLimits.defaults()), out::add);
        return out;
    }

    static ReportException malformed(ReportParser parser, String json) {
        ReportException e = assertThrows(ReportException.class, () -> parse(parser, json));
        assertEquals(ReportException.Kind.MALFORMED, e.kind(), e.getMessage());
        assertTrue(e.line() > 0, "a line number: " + e.getMessage());
        return e;
    }

    private static List<String> ids(ParsedFinding f, VulnerabilityIdKind kind) {
        return f.ids().stream().filter(i -> i.getKind() == kind).map(VulnerabilityId::getId).toList();
    }

    @Test
    void levelFallsBackFromResultToRuleDefaultToWarning() throws Exception {
        List<ParsedFinding> f = parse(parser, """
                {"version": "2.1.0", "runs": [{
                  "tool": {"driver": {"name": "T", "rules": [
                    {"id": "with-default", "defaultConfiguration": {"level": "error"}},
                    {"id": "without-default"}]}},
                  "results": [
                    {"ruleId": "with-default", "level": "note", "message": {"text": "result level wins"}},
                    {"ruleId": "with-default", "message": {"text": "rule default"}},
                    {"ruleId": "without-default", "message": {"text": "spec default"}},
                    {"ruleId": "unknown-rule", "message": {"text": "no rule at all"}},
                    {"message": {"text": "no rule id"}}
                  ]}]}
                """);
        assertEquals(List.of("note", "error", "warning", "warning", "warning"), f.stream().map(ParsedFinding::severityLabel).toList());
        assertEquals(List.of(SeverityBand.LOW, SeverityBand.HIGH, SeverityBand.MEDIUM, SeverityBand.MEDIUM, SeverityBand.MEDIUM),
                f.stream().map(ParsedFinding::band).toList());
        assertEquals("rule", f.get(1).attributes().get("levelSource"));
        assertEquals("default", f.get(2).attributes().get("levelSource"));
    }

    @Test
    void kindOtherThanFailMakesAnAbsentLevelNone() throws Exception {
        List<ParsedFinding> f = parse(parser, """
                {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T", "rules": [
                    {"id": "r", "defaultConfiguration": {"level": "error"}}]}},
                  "results": [
                    {"ruleId": "r", "kind": "pass", "message": {"text": "passed"}},
                    {"ruleId": "r", "kind": "fail", "message": {"text": "failed"}},
                    {"ruleId": "r", "kind": "review", "level": "warning", "message": {"text": "explicit"}}]}]}
                """);
        assertEquals(List.of("none", "error", "warning"), f.stream().map(ParsedFinding::severityLabel).toList());
        assertEquals(SeverityBand.INFO, f.get(0).band());
        assertEquals("pass", f.get(0).attributes().get("kind"));
    }

    @Test
    void rulesInExtensionsAreFoundByToolComponentReferenceAndById() throws Exception {
        List<ParsedFinding> f = parse(parser, """
                {"version": "2.1.0", "runs": [{"tool": {
                    "driver": {"name": "CodeQL", "semanticVersion": "2.15.0", "rules": []},
                    "extensions": [
                      {"name": "codeql/java-queries", "rules": [
                        {"id": "java/a", "shortDescription": {"text": "Rule A"}, "defaultConfiguration": {"level": "note"}},
                        {"id": "java/b", "shortDescription": {"text": "Rule B"}, "defaultConfiguration": {"level": "error"}}]}]},
                  "results": [
                    {"rule": {"id": "java/b", "index": 1, "toolComponent": {"index": 0}}, "message": {"text": "m"}},
                    {"ruleId": "java/a", "message": {"text": "m"}},
                    {"rule": {"id": "java/a", "toolComponent": {"name": "codeql/java-queries"}}, "message": {"text": "m"}}]}]}
                """);
        assertEquals(List.of("error", "note", "note"), f.stream().map(ParsedFinding::severityLabel).toList());
        assertEquals(List.of("Rule B", "Rule A", "Rule A"), f.stream().map(ParsedFinding::title).toList());
        assertEquals(List.of("java/b"), ids(f.get(0), VulnerabilityIdKind.TOOL_RULE));
        assertEquals("CodeQL", f.get(0).tool());
        assertEquals("2.15.0", f.get(0).toolVersion());
    }

    @Test
    void ruleIndexFindsTheRuleWithoutARuleIdAndHierarchicalIdsFindTheirParent() throws Exception {
        List<ParsedFinding> f = parse(parser, """
                {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T", "version": "1.0", "rules": [
                    {"id": "R0", "defaultConfiguration": {"level": "note"}},
                    {"id": "CA2101", "shortDescription": {"text": "Specify marshaling"}, "defaultConfiguration": {"level": "error"}}]}},
                  "results": [
                    {"ruleIndex": 1, "message": {"text": "by index"}},
                    {"ruleId": "CA2101/1", "message": {"text": "sub-rule"}}]}]}
                """);
        assertEquals("error", f.get(0).severityLabel());
        assertEquals(List.of("CA2101"), ids(f.get(0), VulnerabilityIdKind.TOOL_RULE));
        assertEquals("error", f.get(1).severityLabel());
        assertEquals("Specify marshaling", f.get(1).title());
        assertEquals(List.of("CA2101/1"), ids(f.get(1), VulnerabilityIdKind.TOOL_RULE));
        assertEquals("1.0", f.get(0).toolVersion());
    }

    @Test
    void securitySeverityAsScoreOrWordSetsTheBandAndTheResultOverridesTheRule() throws Exception {
        List<ParsedFinding> f = parse(parser, """
                {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T", "rules": [
                    {"id": "crit", "defaultConfiguration": {"level": "warning"}, "properties": {"security-severity": "9.8"}},
                    {"id": "high", "properties": {"security-severity": 7.5}},
                    {"id": "word", "properties": {"security-severity": "Low"}},
                    {"id": "junk", "properties": {"security-severity": "n/a"}}]}},
                  "results": [
                    {"ruleId": "crit", "message": {"text": "m"}},
                    {"ruleId": "high", "level": "note", "message": {"text": "m"}},
                    {"ruleId": "word", "level": "error", "message": {"text": "m"}},
                    {"ruleId": "crit", "properties": {"security-severity": "0.0"}, "message": {"text": "m"}},
                    {"ruleId": "junk", "level": "error", "message": {"text": "m"}}]}]}
                """);
        assertEquals(List.of(SeverityBand.CRITICAL, SeverityBand.HIGH, SeverityBand.LOW, SeverityBand.INFO, SeverityBand.HIGH),
                f.stream().map(ParsedFinding::band).toList());
        assertEquals(List.of("warning", "note", "error", "warning", "error"), f.stream().map(ParsedFinding::severityLabel).toList());
        assertFalse(f.get(0).hasCvss(), "a security-severity alone is not a CVSS score");
        assertEquals("9.8", f.get(0).attributes().get("securitySeverity"));
    }

    @Test
    void everyResultOfEveryRunCountsEachRunWithItsOwnTool() throws Exception {
        List<ParsedFinding> f = parse(parser, """
                {"version": "2.1.0", "runs": [
                  {"tool": {"driver": {"name": "First", "rules": [{"id": "r", "defaultConfiguration": {"level": "error"}}]}},
                   "results": [{"ruleId": "r", "message": {"text": "a"}}, {"ruleId": "r", "message": {"text": "b"}}]},
                  {"tool": {"driver": {"name": "Second", "rules": [{"id": "r", "defaultConfiguration": {"level": "note"}}]}},
                   "results": [{"ruleId": "r", "message": {"text": "c"}}]},
                  {"tool": {"driver": {"name": "Third"}}, "results": []}]}
                """);
        assertEquals(List.of("First", "First", "Second"), f.stream().map(ParsedFinding::tool).toList());
        assertEquals(List.of("error", "error", "note"), f.stream().map(ParsedFinding::severityLabel).toList());
    }

    @Test
    void noRunsNullRunsAndEmptyOrNullResultsGiveNoFindings() throws Exception {
        assertEquals(0, parse(parser, "{\"version\": \"2.1.0\", \"runs\": []}").size());
        assertEquals(0, parse(parser, "{\"version\": \"2.1.0\", \"runs\": null}").size());
        assertEquals(0, parse(parser, "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"T\"}}, \"results\": []}]}").size());
        assertEquals(0, parse(parser, "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"T\"}}, \"results\": null}]}").size());
        assertEquals(0, parse(parser, "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"T\"}}}]}").size());
    }

    @Test
    void resultsBeforeTheirRunContextStillSeeRulesBaseIdsAndProvenance() throws Exception {
        // Semgrep writes keys alphabetically (results before tool); Trivy writes originalUriBaseIds after results.
        String log = """
                {"runs": [{
                  "results": [{"ruleId": "r", "message": {"text": "m"},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/my%20file.py", "uriBaseId": "SRC"},
                                                         "region": {"startLine": 7}}}]}],
                  "tool": {"driver": {"name": "Late", "rules": [{"id": "r", "defaultConfiguration": {"level": "error"},
                                                                 "properties": {"tags": ["external/cwe/cwe-079"]}}]}},
                  "originalUriBaseIds": {"ROOT": {"uri": "file:///home/ci/"}, "SRC": {"uri": "repo/", "uriBaseId": "ROOT"}},
                  "versionControlProvenance": [{"repositoryUri": "https://github.com/acme/app"}],
                  "invocations": [{"startTimeUtc": "2024-05-01T10:00:00Z", "endTimeUtc": "2024-05-01T10:05:00Z",
                                   "toolExecutionNotifications": [{"message": {"text": "noise"}}]}]
                }], "version": "2.1.0"}
                """;
        for (SarifParser p : List.of(parser, new SarifParser(0))) {
            ParsedFinding f = parse(p, log).get(0);
            assertEquals("Late", f.tool());
            assertEquals("error", f.severityLabel());
            assertEquals(List.of("CWE-79"), f.cwes());
            assertEquals("/home/ci/repo/src/my file.py", f.target().getFilePath());
            assertEquals("src/my%20file.py", f.attributes().get("artifactUri"));
            assertEquals(7, f.target().getLine());
            assertEquals("https://github.com/acme/app", f.target().getRepository());
            assertEquals(Instant.parse("2024-05-01T10:05:00Z"), f.detectedAt());
        }
    }

    @Test
    void relativeUrisWithoutAKnownBaseStayAsWrittenAndArtifactIndexesResolve() throws Exception {
        List<ParsedFinding> f = parse(parser, """
                {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T"}},
                  "artifacts": [{"location": {"uri": "lib/a.c", "uriBaseId": "%SRCROOT%"}, "contents": {"text": "int main;"}},
                                {"location": {"uri": "lib/b.c"}}],
                  "results": [
                    {"message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"index": 1}}}]},
                    {"message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "x.c", "uriBaseId": "%SRCROOT%"}}}]},
                    {"message": {"text": "m"}, "locations": []},
                    {"message": {"text": "m"}},
                    {"message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "file:///C:/src/a.cs"}}}]},
                    {"message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "C:/src/b.cs"}}}]},
                    {"message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "https://example.com/app.js"}}}]}]}]}
                """);
        assertEquals("lib/b.c", f.get(0).target().getFilePath());
        assertEquals("x.c", f.get(1).target().getFilePath());
        assertFalse(f.get(2).hasAssetTarget());
        assertFalse(f.get(3).hasAssetTarget());
        assertEquals("C:/src/a.cs", f.get(4).target().getFilePath());
        assertEquals("C:/src/b.cs", f.get(5).target().getFilePath());
        assertEquals("https://example.com/app.js", f.get(6).target().getFilePath());
    }

    @Test
    void manyResultsSpilledToATemporaryFileKeepTheirOrder() throws Exception {
        StringBuilder sb = new StringBuilder("{\"version\": \"2.1.0\", \"runs\": [{\"results\": [");
        for (int i = 0; i < 2000; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"ruleId\": \"r\", \"message\": {\"text\": \"m").append(i).append("\"}}");
        }
        sb.append("], \"tool\": {\"driver\": {\"name\": \"T\", \"rules\": [{\"id\": \"r\", \"defaultConfiguration\": {\"level\": \"note\"}}]}}}]}");
        List<ParsedFinding> f = parse(new SarifParser(1024), sb.toString());
        assertEquals(2000, f.size());
        assertEquals("m0", f.get(0).description());
        assertEquals("m1999", f.get(1999).description());
        assertTrue(f.stream().allMatch(x -> x.severityLabel().equals("note")));
    }

    @Test
    void advisoryIdsCwesAndCvssComeFromRulesTagsAndProperties() throws Exception {
        List<ParsedFinding> f = parse(parser, """
                {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Trivy", "rules": [
                    {"id": "CVE-2021-44228", "shortDescription": {"text": "log4shell"}, "helpUri": "https://avd.aquasec.com/nvd/cve-2021-44228",
                     "properties": {"security-severity": "10.0", "tags": ["vulnerability", "CRITICAL"],
                                    "cvssv3_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "cvssv3_baseScore": 10,
                                    "cvssv2_vector": "AV:N/AC:M/Au:N/C:C/I:C/A:C", "cvssv2_score": 9.3}},
                    {"id": "dep/x", "properties": {"tags": ["external/cve/cve-2020-1234", "GHSA-jfh8-c2jp-5v3q", "CWE-89: SQL Injection", "cwe2022-top25"],
                                    "advisory": "https://nvd.nist.gov/vuln/detail/CVE-2019-9999"}}]}},
                  "results": [
                    {"ruleId": "CVE-2021-44228", "level": "error", "message": {"text": "m"}},
                    {"ruleId": "dep/x", "message": {"text": "m"}, "taxa": [{"id": "502", "toolComponent": {"name": "CWE"}}],
                     "properties": {"tags": ["CVE-2022-0001"], "description": "see CVE-2019-0001 for details"}}]}]}
                """);
        ParsedFinding log4j = f.get(0);
        assertEquals(List.of("CVE-2021-44228"), ids(log4j, VulnerabilityIdKind.CVE));
        assertEquals(VulnerabilityIdKind.CVE, log4j.ids().get(0).getKind(), "CVE first");
        assertEquals(SeverityBand.CRITICAL, log4j.band());
        assertEquals(2, log4j.cvss().size());
        assertEquals("3.1", log4j.cvss().stream().filter(c -> c.getVector().startsWith("CVSS:3.1")).findFirst().orElseThrow().getVersion());
        assertEquals(9.3, log4j.cvss().stream().filter(c -> "2.0".equals(c.getVersion())).findFirst().orElseThrow().getBaseScore());
        assertEquals(List.of("https://avd.aquasec.com/nvd/cve-2021-44228"), log4j.references());

        ParsedFinding dep = f.get(1);
        assertEquals(List.of("CVE-2020-1234", "CVE-2022-0001"), ids(dep, VulnerabilityIdKind.CVE));
        assertEquals(List.of("GHSA-JFH8-C2JP-5V3Q"), ids(dep, VulnerabilityIdKind.GHSA));
        assertEquals(List.of("CWE-89", "CWE-502"), dep.cwes());
        assertFalse(dep.hasCvss());
    }

    @Test
    void messageStringsAreFilledFromArguments() throws Exception {
        ParsedFinding f = parse(parser, """
                {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T", "rules": [
                    {"id": "r", "fullDescription": {"text": "full"}, "messageStrings": {"default": {"text": "Variable '{0}' is unused in {1}."}}}]}},
                  "results": [{"ruleId": "r", "message": {"id": "default", "arguments": ["x", "main"]}}]}]}
                """).get(0);
        assertEquals("Variable 'x' is unused in main.", f.description());
        assertEquals("Variable 'x' is unused in main.", f.title());
    }

    @Test
    void secretsInResultPropertiesSnippetsAndWebTrafficNeverReachTheFinding() throws Exception {
        String secret = "AKIAZZZZZZZZZZZZZZZZ";
        ParsedFinding f = parse(parser, """
                {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Gitleaks", "semanticVersion": "v7.4.0"}},
                  "results": [{"message": {"text": "AWS Access Key secret detected"},
                    "properties": {"commit": "abc", "offender": "%1$s", "commitMessage": "add %1$s"},
                    "webRequest": {"body": {"text": "%1$s"}},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": "config.env"},
                      "region": {"startLine": 3, "snippet": {"text": "KEY=%1$s"}},
                      "contextRegion": {"startLine": 2, "snippet": {"text": "KEY=%1$s"}}}}]}]}]}
                """.formatted(secret)).get(0);
        assertFalse(f.toString().contains(secret), f.toString());
        assertEquals("warning", f.severityLabel());
        assertEquals("config.env", f.target().getFilePath());
        assertEquals(3, f.target().getLine());
    }

    @Test
    void truncatedJsonIsMalformedWithALine() {
        ReportException e = malformed(parser, "{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"T\"}},\n\"results\": [{\"ruleId\": \"r\"");
        assertEquals(2, e.line());
    }

    @Test
    void wrongShapesAreMalformedWithALine() {
        assertEquals(2, malformed(parser, "{\"version\": \"2.1.0\",\n \"runs\": \"none\"}").line());
        assertEquals(3, malformed(parser, "{\"version\": \"2.1.0\", \"runs\": [{\"results\": [\n{\"message\": {\"text\": \"ok\"}},\n \"not a result\"]}]}").line());
        assertEquals(2, malformed(parser, "{\"runs\": [{\"results\": [\n {\"locations\": \"here\"}]}]}").line());
        malformed(parser, "{\"runs\": [{\"tool\": {\"driver\": {\"rules\": \"all\"}}}]}");
        malformed(parser, "{\"runs\": [{\"tool\": \"T\"}]}");
        malformed(parser, "{\"version\": \"2.1.0\"}");
        malformed(parser, "[]");
        malformed(parser, "{\"runs\": []} {\"runs\": []}");
    }

    @Test
    void emptyInputIsMalformed() {
        ReportException e = assertThrows(ReportException.class, () -> parse(parser, "  "));
        assertEquals(ReportException.Kind.MALFORMED, e.kind());
    }

    @Test
    void suppressionsAndFingerprintsAreKeptAsAttributes() throws Exception {
        ParsedFinding f = parse(parser, """
                {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T"}}, "results": [{"ruleId": "r", "level": "error",
                  "message": {"text": "m"}, "suppressions": [{"kind": "inSource"}], "partialFingerprints": {"primaryLocationLineHash": "abc:1"},
                  "baselineState": "new", "provenance": {"firstDetectionTimeUtc": "2024-01-02T03:04:05Z"}}]}]}
                """).get(0);
        assertEquals("true", f.attributes().get("suppressed"));
        assertEquals("primaryLocationLineHash=abc:1", f.attributes().get("fingerprint"));
        assertEquals("new", f.attributes().get("baselineState"));
        assertEquals(Instant.parse("2024-01-02T03:04:05Z"), f.detectedAt());
        assertNull(f.target().getRepository());
    }
}

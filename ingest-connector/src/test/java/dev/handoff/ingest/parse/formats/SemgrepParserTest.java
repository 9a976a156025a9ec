package dev.handoff.ingest.parse.formats;

import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.ParsedFinding;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.handoff.ingest.parse.formats.SarifParserTest.malformed;
import static dev.handoff.ingest.parse.formats.SarifParserTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

class SemgrepParserTest {

    private final SemgrepParser parser = new SemgrepParser();

    private static String result(String checkId, String severity, String metadata) {
        return """
                {"check_id": "%s", "path": "app/db.py", "start": {"line": 12, "col": 5}, "end": {"line": 12, "col": 40},
                 "extra": {"message": "Detected SQL built from user input. Use parameters instead.", "severity": "%s",
                           "metadata": %s, "fingerprint": "f00d", "is_ignored": false,
                           "lines": "cursor.execute('select ' + password_is_hunter2)",
                           "metavars": {"$X": {"abstract_content": "password_is_hunter2"}}}}
                """.formatted(checkId, severity, metadata);
    }

    @Test
    void severityLabelsAreKeptAndMappedToBands() throws Exception {
        String results = String.join(",", result("a", "ERROR", "{}"), result("b", "WARNING", "{}"), result("c", "INFO", "{}"),
                result("d", "INVENTORY", "{}"), result("e", "CRITICAL", "{}"));
        List<ParsedFinding> f = parse(parser, "{\"results\": [" + results + "], \"errors\": [], \"version\": \"1.50.0\"}");
        assertEquals(List.of("ERROR", "WARNING", "INFO", "INVENTORY", "CRITICAL"), f.stream().map(ParsedFinding::severityLabel).toList());
        assertEquals(List.of(SeverityBand.HIGH, SeverityBand.MEDIUM, SeverityBand.LOW, SeverityBand.INFO, SeverityBand.CRITICAL),
                f.stream().map(ParsedFinding::band).toList());
    }

    @Test
    void theVersionAfterTheResultsStillReachesEveryFinding() throws Exception {
        String report = "{\"errors\": [], \"paths\": {\"scanned\": [\"app/db.py\"]}, \"results\": [" + result("a", "ERROR", "{}") + ","
                + result("b", "ERROR", "{}") + "], \"skipped_rules\": [], \"version\": \"1.50.0\"}";
        for (SemgrepParser p : List.of(parser, new SemgrepParser(0))) {
            List<ParsedFinding> f = parse(p, report);
            assertEquals(List.of("1.50.0", "1.50.0"), f.stream().map(ParsedFinding::toolVersion).toList());
            assertEquals("Semgrep", f.get(0).tool());
        }
        assertNull(parse(parser, "{\"results\": [" + result("a", "ERROR", "{}") + "]}").get(0).toolVersion());
    }

    @Test
    void ruleTargetAndMetadataAreMapped() throws Exception {
        ParsedFinding f = parse(parser, "{\"version\": \"1.0\", \"results\": [" + result("python.sqli", "ERROR", """
                {"cwe": ["CWE-89: Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')"],
                 "owasp": ["A03:2021 - Injection"], "references": ["https://owasp.org/Top10/A03_2021-Injection"],
                 "source": "https://semgrep.dev/r/python.sqli", "confidence": "HIGH", "likelihood": "MEDIUM", "impact": "HIGH"}
                """) + "]}").get(0);
        assertEquals(List.of("python.sqli"), f.ids().stream().map(VulnerabilityId::getId).toList());
        assertEquals(VulnerabilityIdKind.TOOL_RULE, f.ids().get(0).getKind());
        assertEquals(List.of("CWE-89"), f.cwes());
        assertEquals("Detected SQL built from user input. Use parameters instead.", f.title());
        assertEquals("app/db.py", f.target().getFilePath());
        assertEquals(12, f.target().getLine());
        assertEquals(List.of("https://owasp.org/Top10/A03_2021-Injection", "https://semgrep.dev/r/python.sqli"), f.references());
        assertEquals("HIGH", f.attributes().get("confidence"));
        assertEquals("f00d", f.attributes().get("fingerprint"));
        assertFalse(f.toString().contains("hunter2"), "matched source is never copied");
    }

    @Test
    void supplyChainResultsCarryTheAdvisoryAndPackage() throws Exception {
        ParsedFinding f = parse(parser, """
                {"version": "1.0", "results": [{"check_id": "ssc-1", "path": "requirements.txt", "start": {"line": 3},
                  "extra": {"severity": "ERROR", "message": "requests is vulnerable",
                    "metadata": {"sca-vuln-database-identifier": "CVE-2023-32681", "ghsa_id": "GHSA-j8r2-6x86-q33q",
                                 "cwe": "CWE-200", "sca-fix-versions": [{"requests": "2.31.0"}]},
                    "sca_info": {"reachable": false, "dependency_match": {"found_dependency": {"package": "requests", "version": "2.28.0"}}}}}]}
                """).get(0);
        assertEquals(List.of("CVE-2023-32681", "GHSA-J8R2-6X86-Q33Q", "ssc-1"), f.ids().stream().map(VulnerabilityId::getId).toList());
        assertEquals(List.of("CWE-200"), f.cwes());
        assertEquals("requests", f.target().getPackageName());
        assertEquals("2.28.0", f.target().getPackageVersion());
        assertEquals("2.31.0", f.fixedVersion());
    }

    @Test
    void noResultsGiveNoFindings() throws Exception {
        assertEquals(0, parse(parser, "{\"results\": [], \"errors\": [{\"message\": \"timeout\"}], \"version\": \"1.0\"}").size());
    }

    @Test
    void wrongShapesAndTruncationAreMalformedWithALine() {
        assertEquals(2, malformed(parser, "{\"version\": \"1.0\",\n \"results\": {\"check_id\": \"x\"}}").line());
        assertEquals(2, malformed(parser, "{\"results\": [\n \"x\"]}").line());
        assertEquals(2, malformed(parser, "{\"version\": \"1\", \"results\": [\n {\"check_id\": \"x\", \"extra\": \"boom\"}]}").line());
        malformed(parser, "{\"results\": [\n" + result("a", "ERROR", "{}") + ",\n{\"check_id\": ");
        malformed(parser, "[]");
    }
}

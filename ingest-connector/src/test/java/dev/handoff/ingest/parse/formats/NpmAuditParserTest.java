package dev.handoff.ingest.parse.formats;

import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportInput;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpmAuditParserTest {

    static List<ParsedFinding> parse(String json) throws ReportException {
        List<ParsedFinding> out = new ArrayList<>();
        new NpmAuditParser().parse(new ReportInput(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), ParseLimits.defaults()),
                out::add);
        return out;
    }

    @Test
    void npm6GivesOneFindingPerAdvisoryAndInstalledVersion() throws ReportException {
        List<ParsedFinding> findings = parse("""
                {"actions": [{"action": "update", "module": "lodash", "target": "4.17.21", "resolves": [{"id": 1673, "path": "lodash"}]}],
                 "advisories": {
                   "1673": {"id": 1673, "title": "Command Injection", "module_name": "lodash", "severity": "high",
                     "cves": ["CVE-2021-23337"], "github_advisory_id": "GHSA-35jh-r3h4-6jhm", "cwe": "CWE-77",
                     "cvss": {"score": 7.2, "vectorString": "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"},
                     "vulnerable_versions": "<4.17.21", "patched_versions": ">=4.17.21", "overview": "lodash template injection",
                     "url": "https://github.com/advisories/GHSA-35jh-r3h4-6jhm",
                     "findings": [{"version": "4.17.15", "paths": ["lodash", "webpack>lodash"]},
                                  {"version": "4.17.20", "paths": ["async>lodash"]}]},
                   "118": {"id": 118, "title": "Regular Expression Denial of Service", "module_name": "minimatch",
                     "severity": "moderate", "cves": [], "cwe": ["CWE-400"], "cvss": {"score": 0, "vectorString": null},
                     "patched_versions": "<0.0.0", "url": "https://npmjs.com/advisories/118",
                     "findings": [{"version": "0.3.0", "paths": ["glob>minimatch"]}]}},
                 "muted": [], "metadata": {"vulnerabilities": {"info": 0, "low": 0, "moderate": 1, "high": 3, "critical": 0}}}
                """);
        assertEquals(3, findings.size());
        ParsedFinding first = findings.get(0);
        assertEquals("high", first.severityLabel());
        assertEquals(SeverityBand.HIGH, first.band());
        assertTrue(first.hasCve());
        assertTrue(first.ids().stream().anyMatch(i -> i.getKind() == VulnerabilityIdKind.GHSA && i.getId().equals("GHSA-35JH-R3H4-6JHM")));
        assertTrue(first.ids().stream().anyMatch(i -> i.getKind() == VulnerabilityIdKind.TOOL_RULE && i.getId().equals("1673")));
        assertEquals("pkg:npm/lodash@4.17.15", first.target().getPackagePurl());
        assertEquals("4.17.15", first.target().getPackageVersion());
        assertEquals("lodash", first.attributes().get("path"));
        assertEquals(">=4.17.21", first.fixedVersion());
        assertEquals(List.of("CWE-77"), first.cwes());
        assertEquals("3.1", first.cvss().get(0).getVersion());
        assertEquals("4.17.20", findings.get(1).target().getPackageVersion());
        ParsedFinding moderate = findings.get(2);
        assertEquals(SeverityBand.MEDIUM, moderate.band());
        assertFalse(moderate.hasCvss(), "score 0 without a vector is npm's 'not scored'");
        assertFalse(moderate.hasCve());
        assertNull(moderate.fixedVersion(), "<0.0.0 means no fix");
        assertEquals(List.of("CWE-400"), moderate.cwes());
    }

    @Test
    void npm7GivesOneFindingPerVulnerablePackageIncludingTransitiveOnes() throws ReportException {
        List<ParsedFinding> findings = parse("""
                {"auditReportVersion": 2,
                 "vulnerabilities": {
                   "@babel/traverse": {"name": "@babel/traverse", "severity": "critical", "isDirect": false,
                     "via": [{"source": 1096879, "name": "@babel/traverse", "dependency": "@babel/traverse",
                       "title": "Babel vulnerable to arbitrary code execution", "url": "https://github.com/advisories/GHSA-67hx-6x53-jw92",
                       "severity": "critical", "cwe": ["CWE-184", "CWE-697"],
                       "cvss": {"score": 9.3, "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:N"}, "range": "<7.23.2"}],
                     "effects": ["@babel/core"], "range": "<7.23.2", "nodes": ["node_modules/@babel/traverse"],
                     "fixAvailable": {"name": "@babel/traverse", "version": "7.23.2", "isSemVerMajor": false}},
                   "@babel/core": {"name": "@babel/core", "severity": "critical", "isDirect": true, "via": ["@babel/traverse"],
                     "effects": [], "range": "7.0.0-beta.0 - 7.23.1", "nodes": ["node_modules/@babel/core"], "fixAvailable": true},
                   "info-pkg": {"name": "info-pkg", "severity": "info", "via": [{"source": 1, "title": "Notice", "url": "https://x",
                     "severity": "info", "cvss": {"score": 0, "vectorString": null}}], "nodes": [], "fixAvailable": false}},
                 "metadata": {"vulnerabilities": {"info": 1, "low": 0, "moderate": 0, "high": 0, "critical": 2, "total": 3}}}
                """);
        assertEquals(3, findings.size());
        ParsedFinding direct = findings.get(0);
        assertEquals("Babel vulnerable to arbitrary code execution", direct.title());
        assertTrue(direct.ids().stream().anyMatch(i -> i.getKind() == VulnerabilityIdKind.GHSA && i.getId().equals("GHSA-67HX-6X53-JW92")));
        assertTrue(direct.ids().stream().anyMatch(i -> i.getKind() == VulnerabilityIdKind.TOOL_RULE && i.getId().equals("1096879")));
        assertTrue(direct.hasCvss());
        assertEquals(9.3, direct.cvss().get(0).getBaseScore());
        assertEquals(List.of("CWE-184", "CWE-697"), direct.cwes());
        assertEquals("pkg:npm/%40babel/traverse", direct.target().getPackagePurl());
        assertEquals("node_modules/@babel/traverse", direct.target().getFilePath());
        assertEquals("7.23.2", direct.fixedVersion());
        ParsedFinding transitive = findings.get(1);
        assertTrue(transitive.ids().isEmpty());
        assertEquals("@babel/core", transitive.target().getPackageName());
        assertTrue(transitive.title().contains("@babel/traverse"), transitive.title());
        assertEquals("@babel/traverse", transitive.attributes().get("via"));
        assertTrue(transitive.hasAssetTarget());
        ParsedFinding info = findings.get(2);
        assertEquals(SeverityBand.INFO, info.band());
        assertFalse(info.hasCvss());
        assertNull(info.target().getFilePath());
    }

    @Test
    void anEmptyAuditIsNoFindings() throws ReportException {
        assertTrue(parse("{\"auditReportVersion\": 2, \"vulnerabilities\": {}, \"metadata\": {}}").isEmpty());
        assertTrue(parse("{\"actions\": [], \"advisories\": {}, \"muted\": [], \"metadata\": {}}").isEmpty());
    }

    @Test
    void anNpmErrorIsRefusedWithItsMessage() {
        ReportException e = assertThrows(ReportException.class, () -> parse("""
                {"error": {"code": "ENOLOCK", "summary": "This command requires an existing lockfile.", "detail": "Try npm i"}}
                """));
        assertEquals(ReportException.Kind.MALFORMED, e.kind());
        assertTrue(e.getMessage().contains("ENOLOCK"), e.getMessage());
    }

    @Test
    void truncatedAndWrongShapesAreMalformedWithTheirLine() {
        ReportException truncated = assertThrows(ReportException.class, () -> parse("""
                {"auditReportVersion": 2,
                 "vulnerabilities": {
                   "acorn": {"name": "acorn", "severity": "moderate", "via": [
                """));
        assertEquals(ReportException.Kind.MALFORMED, truncated.kind());
        assertTrue(truncated.line() >= 3, truncated.getMessage());
        ReportException entry = assertThrows(ReportException.class, () -> parse("""
                {"auditReportVersion": 2,
                 "vulnerabilities": {"acorn": "moderate"}}
                """));
        assertEquals(2, entry.line());
        assertEquals(ReportException.Kind.MALFORMED, assertThrows(ReportException.class, () -> parse("{\"metadata\": {}}")).kind());
        assertEquals(ReportException.Kind.MALFORMED, assertThrows(ReportException.class, () -> parse("[]")).kind());
    }
}

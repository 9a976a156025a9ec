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

class GithubDependabotParserTest {

    private static final String REST_ALERT = """
            {"number": %d, "state": "%s",
             "dependency": {"package": {"ecosystem": "maven", "name": "com.h2database:h2"},
               "manifest_path": "services/api/pom.xml", "scope": "runtime", "relationship": "direct"},
             "security_advisory": {"ghsa_id": "GHSA-h376-j262-vhq6", "cve_id": "CVE-2021-42392", "summary": "RCE in H2 Console",
               "description": "H2 Console allows loading of custom classes", "severity": "critical",
               "identifiers": [{"value": "GHSA-h376-j262-vhq6", "type": "GHSA"}, {"value": "CVE-2021-42392", "type": "CVE"}],
               "references": [{"url": "https://nvd.nist.gov/vuln/detail/CVE-2021-42392"}],
               "cvss": {"vector_string": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "score": 9.8},
               "cvss_severities": {"cvss_v3": {"vector_string": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "score": 9.8},
                                   "cvss_v4": {"vector_string": null, "score": 0.0}},
               "cwes": [{"cwe_id": "CWE-502", "name": "Deserialization of Untrusted Data"}]},
             "security_vulnerability": {"package": {"ecosystem": "maven", "name": "com.h2database:h2"}, "severity": "critical",
               "vulnerable_version_range": ">= 1.1.100, < 2.0.206", "first_patched_version": {"identifier": "2.0.206"}},
             "url": "https://api.github.com/repos/acme/shop/dependabot/alerts/%1$d",
             "html_url": "https://github.com/acme/shop/security/dependabot/%1$d",
             "created_at": "2022-05-09T09:43:40Z", "dismissed_at": null, "fixed_at": null}""";

    static List<ParsedFinding> parse(String json) throws ReportException {
        List<ParsedFinding> out = new ArrayList<>();
        new GithubDependabotParser().parse(new ReportInput(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)),
                ParseLimits.defaults()), out::add);
        return out;
    }

    private static String rest(int number, String state) {
        return REST_ALERT.formatted(number, state);
    }

    @Test
    void restAlertsThatAreOpenAreFindings() throws ReportException {
        List<ParsedFinding> findings = parse("[" + rest(1, "open") + ", " + rest(2, "dismissed") + ", " + rest(3, "fixed") + ", "
                + rest(4, "auto_dismissed") + "]");
        assertEquals(1, findings.size());
        ParsedFinding f = findings.get(0);
        assertEquals("critical", f.severityLabel());
        assertEquals(SeverityBand.CRITICAL, f.band());
        assertTrue(f.hasCve());
        assertTrue(f.ids().stream().anyMatch(i -> i.getKind() == VulnerabilityIdKind.GHSA));
        assertEquals(1, f.cvss().size(), "cvss and cvss_severities.cvss_v3 repeat one another; v4 is the no-score placeholder");
        assertEquals("https://github.com/acme/shop", f.target().getRepository());
        assertEquals("services/api/pom.xml", f.target().getFilePath());
        assertEquals("com.h2database:h2", f.target().getPackageName());
        assertEquals("pkg:maven/com.h2database/h2", f.target().getPackagePurl());
        assertEquals("2.0.206", f.fixedVersion());
        assertEquals("RCE in H2 Console", f.title());
        assertEquals(List.of("CWE-502"), f.cwes());
        assertEquals("2022-05-09T09:43:40Z", f.detectedAt().toString());
        assertEquals("1", f.attributes().get("number"));
    }

    @Test
    void aSingleRestAlertObjectIsOneFinding() throws ReportException {
        assertEquals(1, parse(rest(7, "open")).size());
    }

    @Test
    void graphqlAlertsTakeTheRepositoryNamedNextToTheirConnection() throws ReportException {
        // The repository's name comes after its alerts: they wait until the repository object ends.
        List<ParsedFinding> findings = parse("""
                {"data": {"repository": {
                   "vulnerabilityAlerts": {"totalCount": 3, "edges": [
                     {"node": {"number": 1, "state": "OPEN", "createdAt": "2023-01-01T00:00:00Z",
                       "vulnerableManifestPath": "package-lock.json", "vulnerableRequirements": "= 4.17.15",
                       "securityVulnerability": {"severity": "MODERATE", "package": {"ecosystem": "NPM", "name": "lodash"},
                         "firstPatchedVersion": {"identifier": "4.17.21"},
                         "advisory": {"ghsaId": "GHSA-35jh-r3h4-6jhm", "summary": "Command Injection in lodash",
                           "identifiers": [{"type": "GHSA", "value": "GHSA-35jh-r3h4-6jhm"}, {"type": "CVE", "value": "CVE-2021-23337"}],
                           "cvss": {"score": 0, "vectorString": null}}}}},
                     {"node": {"number": 2, "state": "FIXED", "fixedAt": "2023-02-01T00:00:00Z",
                       "securityVulnerability": {"severity": "HIGH", "package": {"name": "minimist"}, "advisory": {"ghsaId": "GHSA-xvch-5gv4-984h"}}}},
                     {"node": {"number": 3, "dismissedAt": "2023-02-01T00:00:00Z",
                       "securityVulnerability": {"severity": "LOW", "package": {"name": "qs"}, "advisory": {"ghsaId": "GHSA-hrpp-h998-j3pp"}}}}]},
                   "nameWithOwner": "acme/web"}}}
                """);
        assertEquals(1, findings.size());
        ParsedFinding f = findings.get(0);
        assertEquals("MODERATE", f.severityLabel());
        assertEquals(SeverityBand.MEDIUM, f.band());
        assertEquals("acme/web", f.target().getRepository());
        assertEquals("package-lock.json", f.target().getFilePath());
        assertEquals("pkg:npm/lodash", f.target().getPackagePurl());
        assertEquals("4.17.21", f.fixedVersion());
        assertTrue(f.hasCve());
        assertFalse(f.hasCvss());
        assertEquals("= 4.17.15", f.attributes().get("vulnerableRequirements"));
    }

    @Test
    void graphqlSearchResultsGiveEachRepositoryItsAlerts() throws ReportException {
        List<ParsedFinding> findings = parse("""
                {"data": {"search": {"nodes": [
                  {"name": "one", "url": "https://github.com/acme/one", "vulnerabilityAlerts": {"nodes": [
                    {"securityVulnerability": {"severity": "HIGH", "package": {"name": "a"}, "advisory": {"ghsaId": "GHSA-aaaa-bbbb-cccc"}}}]}},
                  {"name": "two", "vulnerabilityAlerts": {"nodes": [
                    {"securityVulnerability": {"severity": "LOW", "package": {"name": "b"}, "advisory": {"ghsaId": "GHSA-cccc-dddd-ffff"}}}]}}]}}}
                """);
        assertEquals(2, findings.size());
        assertEquals("https://github.com/acme/one", findings.get(0).target().getRepository());
        assertEquals("two", findings.get(1).target().getRepository());
    }

    @Test
    void graphqlAlertsAfterTheRepositoryNameGoOutAsRead() throws ReportException {
        List<ParsedFinding> findings = parse("""
                {"data": {"organization": {"repositories": {"nodes": [
                  {"nameWithOwner": "acme/api", "vulnerabilityAlerts": {"nodes": [
                    {"state": "OPEN", "securityVulnerability": {"severity": "HIGH", "package": {"ecosystem": "PIP", "name": "Django"},
                      "advisory": {"ghsaId": "GHSA-v6rh-hp5x-86rv", "identifiers": [{"type": "CVE", "value": "CVE-2021-44420"}],
                        "cvssSeverities": {"cvssV3": {"score": 7.3, "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L"},
                                           "cvssV4": {"score": 0, "vectorString": null}}}}}]}}]}}}}
                """);
        assertEquals(1, findings.size());
        ParsedFinding f = findings.get(0);
        assertEquals("acme/api", f.target().getRepository());
        assertEquals("pkg:pypi/django", f.target().getPackagePurl());
        assertEquals(1, f.cvss().size());
        assertTrue(f.hasCve());
    }

    @Test
    void graphqlWithoutAlertsIsNoFindings() throws ReportException {
        assertTrue(parse("{\"data\": {\"repository\": {\"vulnerabilityAlerts\": {\"nodes\": []}}}}").isEmpty());
    }

    @Test
    void graphqlErrorsWithoutDataAreRefused() {
        ReportException e = assertThrows(ReportException.class, () -> parse("""
                {"data": null, "errors": [{"type": "NOT_FOUND", "message": "Could not resolve to a Repository with the name 'x/y'."}]}
                """));
        assertEquals(ReportException.Kind.MALFORMED, e.kind());
        assertTrue(e.getMessage().contains("Could not resolve"), e.getMessage());
    }

    @Test
    void truncatedAndWrongShapesAreMalformedWithTheirLine() {
        ReportException truncated = assertThrows(ReportException.class, () -> parse("[\n" + rest(1, "open").substring(0, 400)));
        assertEquals(ReportException.Kind.MALFORMED, truncated.kind());
        assertTrue(truncated.line() >= 2, truncated.getMessage());
        ReportException notAlert = assertThrows(ReportException.class, () -> parse("[\n  {\"number\": 1}\n]"));
        assertEquals(2, notAlert.line());
        ReportException scalar = assertThrows(ReportException.class, () -> parse("[\n 1]"));
        assertEquals(2, scalar.line());
        ReportException graphql = assertThrows(ReportException.class, () -> parse("""
                {"data": {"repository": {"vulnerabilityAlerts": {"nodes": [
                  "GHSA-aaaa-bbbb-cccc"]}}}}
                """));
        assertEquals(2, graphql.line());
        assertEquals(ReportException.Kind.MALFORMED, assertThrows(ReportException.class, () -> parse("{\"foo\": 1}")).kind());
    }

    @Test
    void repositoryOfAnAlertUrl() {
        assertEquals("https://github.com/o/r", GithubDependabotParser.repositoryOfAlert("https://github.com/o/r/security/dependabot/12"));
        assertEquals("https://ghe.example.com/o/r", GithubDependabotParser.repositoryOfAlert("https://ghe.example.com/o/r/security/dependabot/1"));
        assertNull(GithubDependabotParser.repositoryOfAlert("https://example.com/x"));
    }
}

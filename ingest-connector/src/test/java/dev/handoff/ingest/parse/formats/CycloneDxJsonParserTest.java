package dev.handoff.ingest.parse.formats;

import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.FormatDetector;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportInput;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CycloneDxJsonParserTest {

    private final CycloneDxJsonParser parser = new CycloneDxJsonParser();

    private List<ParsedFinding> parse(String json) throws ReportException {
        List<ParsedFinding> out = new ArrayList<>();
        parser.parse(new ReportInput(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), ParseLimits.defaults()), out::add);
        return out;
    }

    private static String q(String s) {
        return s.replace('\'', '"');
    }

    @Test
    void componentsAndMetadataAfterVulnerabilitiesStillResolve() throws Exception {
        List<ParsedFinding> findings = parse(q("""
                {'bomFormat': 'CycloneDX', 'specVersion': '1.5',
                 'vulnerabilities': [
                   {'id': 'CVE-2021-44228', 'ratings': [{'severity': 'critical'}],
                    'affects': [{'ref': 'log4j'}]}
                 ],
                 'components': [
                   {'bom-ref': 'log4j', 'type': 'library', 'name': 'log4j-core', 'version': '2.14.1',
                    'purl': 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1'}
                 ],
                 'metadata': {'timestamp': '2024-05-01T10:00:00Z',
                              'tools': {'components': [{'type': 'application', 'name': 'trivy', 'version': '0.50.0'}]}}
                }"""));
        assertEquals(1, findings.size());
        ParsedFinding f = findings.get(0);
        assertEquals("trivy", f.tool());
        assertEquals("0.50.0", f.toolVersion());
        assertEquals("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", f.target().getPackagePurl());
        assertEquals("log4j-core", f.target().getPackageName());
        assertEquals("2.14.1", f.target().getPackageVersion());
        assertEquals(Instant.parse("2024-05-01T10:00:00Z"), f.detectedAt());
        assertEquals("CVE-2021-44228 in log4j-core@2.14.1", f.title());
        assertTrue(f.hasCve());
    }

    @Test
    void nestedComponentsAreIndexed() throws Exception {
        List<ParsedFinding> findings = parse(q("""
                {'bomFormat': 'CycloneDX', 'specVersion': '1.4', 'metadata': {'tools': [{'vendor': 'anchore', 'name': 'grype', 'version': '0.41.0'}]},
                 'components': [
                   {'bom-ref': 'outer', 'type': 'container', 'name': 'app:1',
                    'components': [
                      {'bom-ref': 'mid', 'type': 'application', 'name': 'svc',
                       'components': [{'bom-ref': 'deep', 'type': 'library', 'name': 'jackson-databind', 'version': '2.9.4',
                                       'purl': 'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4'}]}
                    ]}
                 ],
                 'vulnerabilities': [{'id': 'GHSA-jfh8-c2jp-5v3q', 'ratings': [{'severity': 'high'}], 'affects': [{'ref': 'deep'}]}]
                }"""));
        assertEquals(1, findings.size());
        assertEquals("grype", findings.get(0).tool());
        assertEquals("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4", findings.get(0).target().getPackagePurl());
        assertEquals(List.of(new VulnerabilityId(VulnerabilityIdKind.GHSA, "GHSA-JFH8-C2JP-5V3Q")), findings.get(0).ids());
    }

    @Test
    void oneFindingPerAffectedComponentAndOneWithoutAffects() throws Exception {
        List<ParsedFinding> findings = parse(q("""
                {'bomFormat': 'CycloneDX', 'specVersion': '1.6', 'metadata': {},
                 'components': [{'bom-ref': 'a', 'name': 'a', 'version': '1', 'purl': 'pkg:npm/a@1'},
                                {'bom-ref': 'b', 'name': 'b', 'version': '2', 'purl': 'pkg:npm/b@2'}],
                 'vulnerabilities': [
                   {'id': 'CVE-2020-0001', 'ratings': [{'severity': 'low'}], 'affects': [{'ref': 'a'}, {'ref': 'b'}, {'ref': 'a'}]},
                   {'id': 'CVE-2020-0002', 'ratings': [{'severity': 'info'}]}
                 ]}"""));
        assertEquals(3, findings.size());
        assertEquals("pkg:npm/a@1", findings.get(0).target().getPackagePurl());
        assertEquals("pkg:npm/b@2", findings.get(1).target().getPackagePurl());
        assertNull(findings.get(2).target().getPackagePurl());
        assertEquals("cyclonedx", findings.get(2).tool());
        assertEquals(SeverityBand.INFO, findings.get(2).band());
    }

    @Test
    void severalRatingsPreferCvss3Or4ElseTheFirstWithASeverity() throws Exception {
        List<ParsedFinding> findings = parse(q("""
                {'bomFormat': 'CycloneDX', 'specVersion': '1.5', 'metadata': {}, 'components': [],
                 'vulnerabilities': [
                   {'id': 'CVE-2018-7489', 'ratings': [
                      {'severity': 'low', 'method': 'OWASP', 'vector': 'OWASP/K9:M1'},
                      {'severity': 'Critical', 'method': 'CVSSv31', 'score': 9.8, 'vector': 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
                       'source': {'name': 'NVD'}},
                      {'severity': 'high', 'method': 'CVSSv2', 'score': 7.5, 'vector': 'AV:N/AC:L/Au:N/C:P/I:P/A:P'}]},
                   {'id': 'CVE-2018-0002', 'ratings': [
                      {'severity': 'medium', 'method': 'other'},
                      {'severity': 'high', 'method': 'CVSSv2', 'score': 7.5}]},
                   {'id': 'CVE-2021-44228', 'ratings': [
                      {'score': 10.0, 'method': 'CVSSv3', 'vector': 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H'}]},
                   {'id': 'CVE-2021-0003', 'ratings': [{'severity': 'unknown'}]}
                 ]}"""));
        assertEquals(4, findings.size());
        ParsedFinding first = findings.get(0);
        assertEquals("Critical", first.severityLabel());
        assertEquals(SeverityBand.CRITICAL, first.band());
        assertEquals(2, first.cvss().size(), "CVSSv31 and CVSSv2, not OWASP");
        assertEquals("3.1", first.cvss().get(0).getVersion());
        assertEquals(9.8, first.cvss().get(0).getBaseScore());
        assertEquals("NVD", first.cvss().get(0).getSource());
        assertEquals("2.0", first.cvss().get(1).getVersion());

        assertEquals("medium", findings.get(1).severityLabel());
        assertEquals(SeverityBand.MEDIUM, findings.get(1).band());

        ParsedFinding unlabelled = findings.get(2);
        assertEquals("unknown", unlabelled.severityLabel());
        assertEquals(SeverityBand.CRITICAL, unlabelled.band(), "band from the CVSS score");
        assertEquals("3.1", unlabelled.cvss().get(0).getVersion(), "the vector's prefix wins over the method");

        assertEquals("unknown", findings.get(3).severityLabel());
        assertEquals(SeverityBand.LOW, findings.get(3).band());
        assertTrue(findings.get(3).cvss().isEmpty());
    }

    @Test
    void idsCwesReferencesAnalysisAndUnresolvedRefs() throws Exception {
        List<ParsedFinding> findings = parse(q("""
                {'bomFormat': 'CycloneDX', 'specVersion': '1.4',
                 'components': [{'bom-ref': 'pkg:maven/x/y@2.9.4', 'name': 'y', 'version': '2.9.4', 'purl': 'pkg:maven/x/y@2.9.4'}],
                 'vulnerabilities': [{
                    'bom-ref': 'v1', 'id': 'SNYK-JAVA-1', 'source': {'name': 'Snyk', 'url': 'https://snyk.io/vuln/SNYK-JAVA-1'},
                    'references': [{'id': 'CVE-2018-7489', 'source': {'name': 'NVD', 'url': 'https://nvd.nist.gov/vuln/detail/CVE-2018-7489'}}],
                    'ratings': [{'severity': 'critical', 'method': 'CVSSv3', 'score': 9.8, 'vector': 'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'}],
                    'cwes': [184, 502], 'description': 'deserialization', 'recommendation': 'Upgrade',
                    'advisories': [{'url': 'https://github.com/FasterXML/jackson-databind/issues/1931'}],
                    'analysis': {'state': 'not_affected', 'justification': 'code_not_reachable'},
                    'affects': [{'ref': 'pkg:maven/x/y@2.9.9'}, {'ref': 'urn:cdx:other-bom/1#comp'}],
                    'properties': [{'name': 'grype:fixed_versions', 'value': '2.9.5'}],
                    'tools': [{'vendor': 'Snyk', 'name': 'Snyk CLI', 'version': '1.729.0'}]
                 }]}"""));
        assertEquals(2, findings.size(), "a not_affected analysis is kept, as an attribute");
        ParsedFinding f = findings.get(0);
        assertEquals("Snyk CLI", f.tool(), "the vulnerability's tool when metadata names none");
        assertEquals(List.of(new VulnerabilityId(VulnerabilityIdKind.OTHER, "SNYK-JAVA-1"), new VulnerabilityId(VulnerabilityIdKind.CVE, "CVE-2018-7489")),
                f.ids());
        assertEquals(List.of("CWE-184", "CWE-502"), f.cwes());
        assertEquals("2.9.5", f.fixedVersion());
        assertEquals("not_affected", f.attributes().get("cyclonedx.analysis.state"));
        assertEquals("pkg:maven/x/y@2.9.9", f.target().getPackagePurl(), "an unresolved purl ref is kept as the purl");
        assertTrue(f.references().contains("https://snyk.io/vuln/SNYK-JAVA-1"));
        assertTrue(f.references().contains("https://nvd.nist.gov/vuln/detail/CVE-2018-7489"));
        assertEquals("3.0", f.cvss().get(0).getVersion());
        ParsedFinding other = findings.get(1);
        assertNull(other.target().getPackagePurl());
        assertEquals("urn:cdx:other-bom/1#comp", other.attributes().get("cyclonedx.affects.ref"));
        assertTrue(!other.hasAssetTarget());
    }

    @Test
    void containerSubjectGivesImageTagAndDigest() throws Exception {
        List<ParsedFinding> findings = parse(q("""
                {'bomFormat': 'CycloneDX', 'specVersion': '1.5',
                 'metadata': {'component': {'bom-ref': 'img', 'type': 'container', 'name': 'ubuntu:latest',
                    'purl': 'pkg:oci/ubuntu@sha256%3A6042500cf4b4?arch=amd64&repository_url=index.docker.io%2Flibrary%2Fubuntu'}},
                 'components': [{'bom-ref': 'p', 'name': 'bash', 'version': '5.1', 'purl': 'pkg:deb/ubuntu/bash@5.1'}],
                 'vulnerabilities': [{'id': 'CVE-2022-3715', 'ratings': [{'severity': 'low'}], 'affects': [{'ref': 'p'}]}]}"""));
        ParsedFinding f = findings.get(0);
        assertEquals("index.docker.io/library/ubuntu", f.target().getImage());
        assertEquals("latest", f.target().getImageTag());
        assertEquals("sha256:6042500cf4b4", f.target().getImageDigest());
        assertEquals("pkg:deb/ubuntu/bash@5.1", f.target().getPackagePurl());
        assertNull(f.target().getAssetHint());
    }

    @Test
    void oddValuesAreKeptNotFatal() throws Exception {
        List<ParsedFinding> findings = parse(q("""
                {'bomFormat': 'CycloneDX', 'specVersion': '1.5',
                 'metadata': {'timestamp': 'last tuesday', 'component': {'type': 'container', 'name': 'img', 'purl': 'pkg:oci/img@sha256%zz?repository_url=%'}},
                 'vulnerabilities': [{'id': 'CVE-2022-0001', 'ratings': [{'severity': 'high', 'score': 'n/a', 'method': 'CVSSv31'}],
                                      'cwes': 'not-a-list', 'references': {'id': 'x'}}]}"""));
        assertEquals(1, findings.size());
        assertNull(findings.get(0).detectedAt());
        assertEquals("sha256%zz", findings.get(0).target().getImageDigest());
        assertTrue(findings.get(0).cvss().isEmpty());
    }

    @Test
    void otherSubjectIsTheAssetHint() throws Exception {
        List<ParsedFinding> findings = parse(q("""
                {'bomFormat': 'CycloneDX', 'specVersion': '1.5',
                 'metadata': {'component': {'type': 'application', 'name': 'payments-api', 'version': '3.2.0'}},
                 'vulnerabilities': [{'id': 'CVE-2022-0001', 'ratings': [{'severity': 'none'}]}]}"""));
        assertEquals("payments-api", findings.get(0).target().getAssetHint());
        assertEquals(SeverityBand.INFO, findings.get(0).band());
    }

    @Test
    void corpusLog4jFile() throws Exception {
        List<ParsedFinding> findings = new ArrayList<>();
        try (InputStream in = getClass().getResourceAsStream("/scans/cyclonedx/grype_0.41.0_cdx1.4_log4j.json")) {
            parser.parse(new ReportInput(in, ParseLimits.defaults()), findings::add);
        }
        assertEquals(8, findings.size());
        assertTrue(findings.stream().allMatch(f -> f.tool().equals("grype") && "0.41.0".equals(f.toolVersion())));
        assertTrue(findings.stream().allMatch(f -> "pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2".equals(f.target().getPackagePurl())));
        assertEquals(4, findings.stream().filter(f -> f.severityLabel().equals("critical")).count());
        assertEquals("2.16.0", findings.get(4).fixedVersion());
    }

    @Test
    void emptyBomParsesToNothing() throws Exception {
        assertTrue(parse(q("{'bomFormat': 'CycloneDX', 'specVersion': '1.5', 'components': [], 'vulnerabilities': []}")).isEmpty());
    }

    @Test
    void truncatedJsonIsMalformedWithALine() {
        ReportException e = assertThrows(ReportException.class, () -> parse("{\"bomFormat\": \"CycloneDX\",\n\"vulnerabilities\": [\n{\"id\": \"CVE-1\""));
        assertEquals(ReportException.Kind.MALFORMED, e.kind());
        assertEquals(3, e.line());
    }

    @Test
    void wrongShapesAreMalformed() {
        ReportException notCdx = assertThrows(ReportException.class, () -> parse("{\"bomFormat\": \"SPDX\"}"));
        assertEquals(ReportException.Kind.MALFORMED, notCdx.kind());
        assertEquals(1, notCdx.line());
        ReportException missing = assertThrows(ReportException.class, () -> parse("{\"components\": []}"));
        assertEquals(ReportException.Kind.MALFORMED, missing.kind());
        ReportException array = assertThrows(ReportException.class, () -> parse("[]"));
        assertEquals(ReportException.Kind.MALFORMED, array.kind());
        ReportException vulns = assertThrows(ReportException.class,
                () -> parse("{\"bomFormat\": \"CycloneDX\",\n \"vulnerabilities\": {}}"));
        assertEquals(2, vulns.line());
    }

    @Test
    void detectorRecognisesCycloneDxJson() {
        byte[] b = q("{'bomFormat': 'CycloneDX', 'specVersion': '1.5'}").getBytes(StandardCharsets.UTF_8);
        assertEquals(Optional.of(ReportFormat.CYCLONEDX_JSON), FormatDetector.detect(b, b.length));
    }
}

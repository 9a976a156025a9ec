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
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenericJsonParserTest {

    private final GenericJsonParser parser = new GenericJsonParser();

    private List<ParsedFinding> parse(String json) throws ReportException {
        List<ParsedFinding> out = new ArrayList<>();
        parser.parse(new ReportInput(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), ParseLimits.defaults()), out::add);
        return out;
    }

    private static String q(String s) {
        return s.replace('\'', '"');
    }

    static final String EXAMPLE = q("""
            {
              'format': 'handoff-generic',
              'version': 1,
              'tool': {'name': 'pentest-2024-q2', 'version': '1'},
              'findings': [
                {
                  'title': 'Log4Shell in payments-api',
                  'severity': 'Critical',
                  'cve': ['CVE-2021-44228', 'CVE-2021-45046'],
                  'ghsa': 'GHSA-jfh8-c2jp-5v3q',
                  'rule_id': 'PT-017',
                  'cwe': ['CWE-502', 917],
                  'description': 'JNDI lookup in a logged header',
                  'cvss': {'version': '3.1', 'vector': 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 'score': 10.0},
                  'host': 'payments.internal.example.com',
                  'ip': '10.0.4.17',
                  'port': 8443,
                  'protocol': 'https',
                  'image': 'registry.example.com/payments/api',
                  'image_tag': '3.2.0',
                  'package_purl': 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
                  'package_name': 'log4j-core',
                  'package_version': '2.14.1',
                  'url': 'https://payments.internal.example.com:8443/api/charge',
                  'asset': 'payments-api',
                  'detected_at': '2024-05-02T09:30:00+02:00',
                  'fixed_version': '2.17.1',
                  'references': ['https://logging.apache.org/log4j/2.x/security.html'],
                  'ticket': 'SEC-1234',
                  'attributes': {'tester': 'alice'}
                },
                {'title': 'Verbose server banner', 'severity': 'info', 'host': 'www.example.com', 'port': '443'}
              ]
            }""");

    @Test
    void happyPath() throws Exception {
        List<ParsedFinding> findings = parse(EXAMPLE);
        assertEquals(2, findings.size());
        ParsedFinding f = findings.get(0);
        assertEquals("pentest-2024-q2", f.tool());
        assertEquals("1", f.toolVersion());
        assertEquals("Critical", f.severityLabel());
        assertEquals(SeverityBand.CRITICAL, f.band());
        assertEquals(List.of(new VulnerabilityId(VulnerabilityIdKind.CVE, "CVE-2021-44228"), new VulnerabilityId(VulnerabilityIdKind.CVE, "CVE-2021-45046"),
                new VulnerabilityId(VulnerabilityIdKind.GHSA, "GHSA-JFH8-C2JP-5V3Q"), new VulnerabilityId(VulnerabilityIdKind.TOOL_RULE, "PT-017")), f.ids());
        assertEquals(List.of("CWE-502", "CWE-917"), f.cwes());
        assertEquals("3.1", f.cvss().get(0).getVersion());
        assertEquals(10.0, f.cvss().get(0).getBaseScore());
        assertEquals(8443, f.target().getPort());
        assertEquals("payments-api", f.target().getAssetHint());
        assertEquals(Instant.parse("2024-05-02T07:30:00Z"), f.detectedAt());
        assertEquals("2.17.1", f.fixedVersion());
        assertEquals("SEC-1234", f.attributes().get("ticket"));
        assertEquals("alice", f.attributes().get("tester"));
        assertEquals(443, findings.get(1).target().getPort());
        assertEquals(SeverityBand.INFO, findings.get(1).band());
    }

    @Test
    void findingsBeforeToolGetTheTool() throws Exception {
        List<ParsedFinding> findings = parse(q("""
                {'findings': [{'severity': 'low', 'title': 'a'}], 'format': 'handoff-generic', 'tool': {'name': 'sorted-keys'}, 'version': 1}"""));
        assertEquals("sorted-keys", findings.get(0).tool());
        List<ParsedFinding> noTool = parse(q("{'format': 'handoff-generic', 'findings': [{'severity': 'low', 'title': 'a', 'cvss_score': 3.1}]}"));
        assertEquals("manual", noTool.get(0).tool());
        assertEquals(3.1, noTool.get(0).cvss().get(0).getBaseScore());
    }

    @Test
    void emptyFindings() throws Exception {
        assertTrue(parse(q("{'format': 'handoff-generic', 'version': 1, 'findings': []}")).isEmpty());
    }

    @Test
    void errorsNameTheFindingFieldAndLine() {
        ReportException severity = assertThrows(ReportException.class, () -> parse(q("""
                {'format': 'handoff-generic',
                 'findings': [
                   {'title': 'ok', 'severity': 'high'},
                   {'title': 'bad',
                    'severity': 'urgent'}]}""")));
        assertEquals(ReportException.Kind.MALFORMED, severity.kind());
        assertEquals(5, severity.line());
        assertTrue(severity.getMessage().contains("finding 2, field \"severity\""), severity.getMessage());

        ReportException title = assertThrows(ReportException.class, () -> parse(q("""
                {'format': 'handoff-generic',
                 'findings': [
                   {'severity': 'high'}]}""")));
        assertEquals(3, title.line());
        assertTrue(title.getMessage().contains("title is required"), title.getMessage());

        ReportException date = assertThrows(ReportException.class,
                () -> parse(q("{'format': 'handoff-generic', 'findings': [\n{'title': 't', 'severity': 'low', 'detected_at': 'yesterday'}]}")));
        assertEquals(2, date.line());
        assertTrue(date.getMessage().contains("detected_at"), date.getMessage());

        ReportException port = assertThrows(ReportException.class,
                () -> parse(q("{'format': 'handoff-generic', 'findings': [{'title': 't', 'severity': 'low', 'port': 70000}]}")));
        assertTrue(port.getMessage().contains("port"), port.getMessage());

        ReportException cve = assertThrows(ReportException.class,
                () -> parse(q("{'format': 'handoff-generic', 'findings': [{'title': 't', 'severity': 'low', 'cve': ['CVE-2021-1', 'log4shell']}]}")));
        assertTrue(cve.getMessage().contains("CVE"), cve.getMessage());

        ReportException cvss = assertThrows(ReportException.class, () -> parse(q(
                "{'format': 'handoff-generic', 'findings': [{'title': 't', 'severity': 'low', 'cvss': {'version': '3.0', 'vector': 'CVSS:3.1/AV:N'}}]}")));
        assertTrue(cvss.getMessage().contains("does not match"), cvss.getMessage());
    }

    @Test
    void documentErrors() {
        assertEquals(ReportException.Kind.MALFORMED, assertThrows(ReportException.class,
                () -> parse(q("{'findings': []}"))).kind());
        assertEquals(ReportException.Kind.MALFORMED, assertThrows(ReportException.class,
                () -> parse(q("{'format': 'something-else', 'findings': []}"))).kind());
        assertEquals(ReportException.Kind.MALFORMED, assertThrows(ReportException.class,
                () -> parse(q("{'format': 'handoff-generic', 'version': 2, 'findings': []}"))).kind());
        assertEquals(ReportException.Kind.MALFORMED, assertThrows(ReportException.class,
                () -> parse(q("{'format': 'handoff-generic', 'findings': {}}"))).kind());
        ReportException truncated = assertThrows(ReportException.class,
                () -> parse(q("{'format': 'handoff-generic',\n'findings': [\n{'title': 'x'")));
        assertEquals(ReportException.Kind.MALFORMED, truncated.kind());
        assertEquals(3, truncated.line());
    }

    @Test
    void detectorRecognisesGenericJson() {
        byte[] b = EXAMPLE.getBytes(StandardCharsets.UTF_8);
        assertEquals(Optional.of(ReportFormat.GENERIC_JSON), FormatDetector.detect(b, b.length));
    }
}

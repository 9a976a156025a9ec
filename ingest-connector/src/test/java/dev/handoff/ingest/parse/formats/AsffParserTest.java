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

class AsffParserTest {

    private final AsffParser parser = new AsffParser();

    private List<ParsedFinding> parse(String json) throws ReportException {
        List<ParsedFinding> out = new ArrayList<>();
        parser.parse(new ReportInput(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), ParseLimits.defaults()), out::add);
        return out;
    }

    private static String q(String s) {
        return s.replace('\'', '"');
    }

    private static String finding(String id, String extra) {
        return q("""
                {'SchemaVersion': '2018-10-08', 'Id': '%s',
                 'ProductArn': 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
                 'GeneratorId': 'aws-foundational-security-best-practices/v/1.0.0/S3.8', 'AwsAccountId': '012345678912',
                 'Region': 'us-east-1', 'Types': ['Software and Configuration Checks/Industry and Regulatory Standards'],
                 'CreatedAt': '2024-03-02T10:15:00.000Z', 'UpdatedAt': '2024-03-09T10:15:00.000Z',
                 'Severity': {'Label': 'MEDIUM', 'Normalized': 40}, 'Title': 'S3.8 Block Public Access', 'Description': 'd',
                 'Resources': [{'Type': 'AwsS3Bucket', 'Id': 'arn:aws:s3:::zeta-reports-bucket', 'Region': 'us-east-1'}]%s}
                """.formatted(id, extra));
    }

    @Test
    void threeTopLevelShapes() throws Exception {
        String one = finding("f-1", "");
        assertEquals(1, parse("[" + one + "]").size());
        assertEquals(1, parse("{\"Findings\": [" + one + "]}").size());
        assertEquals(1, parse("{\"findings\": [" + one + "], \"NextToken\": \"x\"}").size());
        assertEquals(0, parse("[]").size());
    }

    @Test
    void closedFindingsAreNotOpenFindings() throws Exception {
        List<ParsedFinding> findings = parse("[" + String.join(",",
                finding("passed", ", 'Compliance': {'Status': 'PASSED'}"),
                finding("failed", ", 'Compliance': {'Status': 'FAILED'}, 'Workflow': {'Status': 'NEW'}, 'RecordState': 'ACTIVE'"),
                finding("archived", ", 'RecordState': 'ARCHIVED'"),
                finding("resolved", ", 'Workflow': {'Status': 'RESOLVED'}"),
                finding("suppressed", ", 'Workflow': {'Status': 'SUPPRESSED'}"),
                finding("notified", ", 'Compliance': {'Status': 'WARNING'}, 'Workflow': {'Status': 'NOTIFIED'}")) + "]");
        assertEquals(List.of("failed", "notified"), findings.stream()
                .map(f -> f.ids().stream().filter(i -> i.getKind() == VulnerabilityIdKind.OTHER).findFirst().orElseThrow().getId())
                .toList());
        ParsedFinding f = findings.get(0);
        assertEquals("aws/securityhub", f.tool());
        assertEquals("MEDIUM", f.severityLabel());
        assertEquals(SeverityBand.MEDIUM, f.band());
        assertEquals("arn:aws:s3:::zeta-reports-bucket", f.target().getCloudResource());
        assertEquals("AwsS3Bucket", f.attributes().get("aws.resource_type"));
        assertEquals("012345678912", f.attributes().get("aws.account_id"));
        assertEquals("us-east-1", f.attributes().get("aws.region"));
        assertEquals(Instant.parse("2024-03-02T10:15:00Z"), f.detectedAt());
    }

    @Test
    void inspectorEcrVulnerability() throws Exception {
        String json = q("""
                {'Findings': [{
                  'SchemaVersion': '2018-10-08', 'Id': 'arn:aws:inspector2:eu-central-1:123456789012:finding/fbd3',
                  'ProductArn': 'arn:aws:securityhub:eu-central-1::product/aws/inspector', 'GeneratorId': 'AWSInspector',
                  'AwsAccountId': '123456789012', 'Region': 'eu-central-1', 'FirstObservedAt': '2023-08-23T14:00:39Z',
                  'CreatedAt': '2023-08-24T14:00:39Z', 'Severity': {'Normalized': 70}, 'Title': 'CVE-2023-2650 - openssl',
                  'Remediation': {'Recommendation': {'Text': 'upgrade', 'Url': 'https://example.org/fix'}},
                  'Resources': [{'Type': 'AwsEcrContainerImage', 'Partition': 'aws', 'Region': 'eu-central-1',
                    'Id': 'arn:aws:ecr:eu-central-1:123456789012:repository/repo-os/sha256:af96',
                    'Details': {'AwsEcrContainerImage': {'RegistryId': '123456789012', 'RepositoryName': 'repo-os',
                       'ImageDigest': 'sha256:af96', 'ImageTags': ['2023-08-23']}}}],
                  'Vulnerabilities': [{'Id': 'CVE-2023-2650',
                    'VulnerablePackages': [{'Name': 'openssl', 'Version': '1.1.1n', 'Epoch': '0', 'Release': '0+deb11u4',
                        'FixedInVersion': '0:1.1.1n-0+deb11u5'}],
                    'Cvss': [{'Version': '3.1', 'BaseScore': '6.5', 'BaseVector': 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', 'Source': 'NVD'}],
                    'Vendor': {'Url': 'https://security-tracker.debian.org/tracker/CVE-2023-2650'},
                    'ReferenceUrls': ['https://bugs.debian.org/x']}]
                }]}""");
        List<ParsedFinding> findings = parse(json);
        assertEquals(1, findings.size());
        ParsedFinding f = findings.get(0);
        assertEquals("aws/inspector", f.tool());
        assertEquals("HIGH", f.severityLabel(), "derived from Normalized when Label is absent");
        assertEquals(SeverityBand.HIGH, f.band());
        assertTrue(f.ids().contains(new VulnerabilityId(VulnerabilityIdKind.CVE, "CVE-2023-2650")));
        assertEquals(6.5, f.cvss().get(0).getBaseScore());
        assertEquals("3.1", f.cvss().get(0).getVersion());
        assertEquals("123456789012.dkr.ecr.eu-central-1.amazonaws.com/repo-os", f.target().getImage());
        assertEquals("2023-08-23", f.target().getImageTag());
        assertEquals("sha256:af96", f.target().getImageDigest());
        assertEquals("openssl", f.target().getPackageName());
        assertEquals("1.1.1n-0+deb11u4", f.target().getPackageVersion());
        assertEquals("0:1.1.1n-0+deb11u5", f.fixedVersion());
        assertEquals(Instant.parse("2023-08-23T14:00:39Z"), f.detectedAt());
        assertTrue(f.references().containsAll(List.of("https://example.org/fix", "https://security-tracker.debian.org/tracker/CVE-2023-2650",
                "https://bugs.debian.org/x")));
    }

    @Test
    void labelFallbacks() throws Exception {
        List<ParsedFinding> findings = parse(q("""
                [{'Id': 'a', 'Severity': {'Product': 2}, 'Title': 't'},
                 {'Id': 'b', 'Severity': {'Normalized': 0}, 'Title': 't'},
                 {'Id': 'c', 'Severity': {'Original': 'Severe', 'Normalized': 95}, 'Title': 't', 'FindingProviderFields': {'Severity': {'Label': 'CRITICAL'}}},
                 {'Id': 'd', 'Title': 't'}]"""));
        assertEquals("LOW", findings.get(0).severityLabel());
        assertEquals("INFORMATIONAL", findings.get(1).severityLabel());
        assertEquals(SeverityBand.INFO, findings.get(1).band());
        assertEquals("CRITICAL", findings.get(2).severityLabel());
        assertEquals("UNKNOWN", findings.get(3).severityLabel());
        assertEquals(SeverityBand.LOW, findings.get(3).band());
        assertNull(findings.get(3).target().getCloudResource());
        assertEquals("aws-security-hub", findings.get(3).tool());
    }

    @Test
    void corpusGuardDuty() throws Exception {
        List<ParsedFinding> findings = new ArrayList<>();
        try (InputStream in = getClass().getResourceAsStream("/scans/asff/guardduty.json")) {
            parser.parse(new ReportInput(in, ParseLimits.defaults()), findings::add);
        }
        assertEquals(4, findings.size());
        assertEquals("aws/guardduty", findings.get(0).tool());
        assertEquals("arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890", findings.get(0).target().getCloudResource());
        assertEquals("1.2.2.2", findings.get(0).target().getIp());
        assertEquals(4, findings.stream().map(f -> f.ids().get(0).getId()).distinct().count(), "the ASFF Id tells GuardDuty findings apart");
    }

    @Test
    void malformedInput() {
        ReportException truncated = assertThrows(ReportException.class, () -> parse("{\"Findings\": [\n{\"Id\": \"x\",\n"));
        assertEquals(ReportException.Kind.MALFORMED, truncated.kind());
        assertTrue(truncated.line() >= 2, truncated.getMessage());
        ReportException noFindings = assertThrows(ReportException.class, () -> parse("{\"Foo\": []}"));
        assertEquals(ReportException.Kind.MALFORMED, noFindings.kind());
        ReportException notObjects = assertThrows(ReportException.class, () -> parse("[\n1]"));
        assertEquals(ReportException.Kind.MALFORMED, notObjects.kind());
        assertEquals(2, notObjects.line());
        ReportException scalar = assertThrows(ReportException.class, () -> parse("\"x\""));
        assertEquals(ReportException.Kind.MALFORMED, scalar.kind());
    }

    @Test
    void detectorRecognisesAsffArrays() {
        byte[] b = ("[" + finding("x", "") + "]").getBytes(StandardCharsets.UTF_8);
        assertEquals(Optional.of(ReportFormat.ASFF), FormatDetector.detect(b, b.length));
    }
}

package dev.handoff.ingest.parse.formats;

import dev.handoff.avro.CvssScore;
import dev.handoff.avro.SeverityBand;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DependencyCheckJsonParserTest {

    /** reportSchema 1.1 as Dependency-Check 9/10 writes it. */
    private static final String REPORT = """
            {
                "reportSchema": "1.1",
                "scanInfo": {
                    "engineVersion": "10.0.3",
                    "dataSource": [ { "name": "NVD API Last Checked", "timestamp": "2024-07-30T08:00:00Z" } ]
                },
                "projectInfo": {
                    "name": "payments",
                    "groupID": "com.example",
                    "artifactID": "payments",
                    "version": "1.4.0",
                    "reportDate": "2024-07-30T08:12:45.120Z",
                    "credits": { "NVD": "This product uses the NVD API" }
                },
                "dependencies": [
                    {
                        "isVirtual": false,
                        "fileName": "log4j-core-2.14.1.jar",
                        "filePath": "/work/target/lib/log4j-core-2.14.1.jar",
                        "md5": "a", "sha1": "b", "sha256": "c",
                        "projectReferences": [ "payments:compile" ],
                        "evidenceCollected": {
                            "vendorEvidence": [ { "type": "vendor", "confidence": "HIGH", "source": "jar", "name": "vendor", "value": "apache" } ],
                            "productEvidence": [], "versionEvidence": []
                        },
                        "packages": [
                            { "id": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "confidence": "HIGHEST",
                              "url": "https://ossindex.sonatype.org/component/pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1" }
                        ],
                        "vulnerabilityIds": [ { "id": "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*", "confidence": "HIGHEST" } ],
                        "suppressedVulnerabilityIds": [ { "id": "cpe:2.3:a:apache:other:2.14.1:*:*:*:*:*:*:*" } ],
                        "vulnerabilities": [
                            {
                                "source": "NVD",
                                "name": "CVE-2021-44228",
                                "knownExploitedVulnerability": { "VendorProject": "Apache", "Product": "Log4j2" },
                                "severity": "CRITICAL",
                                "cvssv2": { "score": 9.3, "accessVector": "NETWORK", "accessComplexity": "MEDIUM", "authenticationr": "NONE",
                                    "confidentialityImpact": "COMPLETE", "integrityImpact": "COMPLETE", "availabilityImpact": "COMPLETE",
                                    "severity": "HIGH", "version": "2.0" },
                                "cvssv3": { "baseScore": 10.0, "attackVector": "NETWORK", "attackComplexity": "LOW", "privilegesRequired": "NONE",
                                    "userInteraction": "NONE", "scope": "CHANGED", "confidentialityImpact": "HIGH", "integrityImpact": "HIGH",
                                    "availabilityImpact": "HIGH", "baseSeverity": "CRITICAL", "version": "3.1" },
                                "cwes": [ "CWE-917", "CWE-20", "NVD-CWE-noinfo" ],
                                "description": "Apache Log4j2 JNDI features do not protect against attacker controlled LDAP endpoints.",
                                "notes": "",
                                "references": [ { "source": "MISC", "url": "https://logging.apache.org/log4j/2.x/security.html", "name": "x" } ],
                                "vulnerableSoftware": [
                                    { "software": { "id": "cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*", "vulnerabilityIdMatched": "true",
                                        "versionStartIncluding": "2.13.0", "versionEndExcluding": "2.15.0" } }
                                ]
                            },
                            {
                                "source": "OSSINDEX",
                                "name": "sonatype-2021-4682",
                                "unscored": "true", "severity" : "Unknown",
                                "cvssv4": { "vectorString": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
                                    "source": "ossindex", "version": "4.0", "baseScore": 6.9, "baseSeverity": "MEDIUM" },
                                "description": "Denial of service",
                                "notes": "",
                                "references": [],
                                "vulnerableSoftware": []
                            }
                        ],
                        "suppressedVulnerabilities": [
                            { "source": "NVD", "name": "CVE-2021-45046", "cvssv3": { "baseScore": 9.0, "baseSeverity": "CRITICAL" },
                              "description": "suppressed", "notes": "", "references": [], "vulnerableSoftware": [] }
                        ]
                    },
                    {
                        "isVirtual": true,
                        "fileName": "lodash:4.17.15",
                        "filePath": "/work/package-lock.json?lodash",
                        "vulnerabilities": [
                            { "source": "NPM", "name": "GHSA-p6mc-m468-83gw", "unscored": "true", "severity": "high",
                              "cwes": [ "CWE-1321" ], "description": "Prototype Pollution", "notes": "", "references": [],
                              "vulnerableSoftware": [] }
                        ],
                        "packages": [ { "id": "pkg:npm/lodash@4.17.15", "confidence": "HIGHEST" } ]
                    },
                    {
                        "isVirtual": false,
                        "fileName": "clean.jar",
                        "filePath": "/work/target/lib/clean.jar"
                    }
                ]
            }
            """;

    @Test
    void vulnerabilitiesAreFindingsAndSuppressedOnesAreNot() throws Exception {
        List<ParsedFinding> findings = parse(REPORT);
        assertEquals(3, findings.size());
        assertTrue(findings.stream().noneMatch(f -> f.title().equals("CVE-2021-45046")));
        assertEquals(List.of("CRITICAL", "Unknown", "high"), findings.stream().map(ParsedFinding::severityLabel).toList());
        assertEquals(List.of(SeverityBand.CRITICAL, SeverityBand.MEDIUM, SeverityBand.HIGH), findings.stream().map(ParsedFinding::band).toList());
    }

    @Test
    void fieldsOfOneVulnerability() throws Exception {
        ParsedFinding log4shell = parse(REPORT).get(0);
        assertEquals("10.0.3", log4shell.toolVersion());
        assertEquals(Instant.parse("2024-07-30T08:12:45.120Z"), log4shell.detectedAt());
        assertEquals(VulnerabilityIdKind.CVE, log4shell.ids().get(0).getKind());
        assertEquals(List.of("CWE-917", "CWE-20"), log4shell.cwes());
        CvssScore v3 = log4shell.cvss().stream().filter(c -> c.getVersion().equals("3.1")).findFirst().orElseThrow();
        assertEquals("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", v3.getVector());
        assertEquals(10.0, v3.getBaseScore());
        CvssScore v2 = log4shell.cvss().stream().filter(c -> c.getVersion().equals("2.0")).findFirst().orElseThrow();
        assertEquals("AV:N/AC:M/Au:N/C:C/I:C/A:C", v2.getVector());
        assertEquals("2.15.0", log4shell.fixedVersion());
        assertEquals("true", log4shell.attributes().get("knownExploited"));
        assertEquals("/work/target/lib/log4j-core-2.14.1.jar", log4shell.target().getFilePath());
        assertEquals("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", log4shell.target().getPackagePurl());
        assertEquals("org.apache.logging.log4j:log4j-core", log4shell.target().getPackageName());
        assertEquals("2.14.1", log4shell.target().getPackageVersion());
        assertEquals("payments", log4shell.attributes().get("project"));
        assertEquals(List.of("https://logging.apache.org/log4j/2.x/security.html"), log4shell.references());
    }

    @Test
    void unscoredSeveritiesAndOtherIds() throws Exception {
        List<ParsedFinding> findings = parse(REPORT);
        ParsedFinding ossindex = findings.get(1);
        assertEquals(VulnerabilityIdKind.OTHER, ossindex.ids().get(0).getKind());
        assertFalse(ossindex.hasCve());
        assertTrue(ossindex.hasCvss());
        assertEquals("4.0", ossindex.cvss().get(0).getVersion());
        assertEquals("ossindex", ossindex.cvss().get(0).getSource());
        assertEquals(SeverityBand.MEDIUM, ossindex.band(), "'Unknown' takes the band of the CVSS v4 score");

        ParsedFinding npm = findings.get(2);
        assertEquals(VulnerabilityIdKind.GHSA, npm.ids().get(0).getKind());
        assertEquals("pkg:npm/lodash@4.17.15", npm.target().getPackagePurl(), "packages after vulnerabilities still count");
        assertEquals("lodash", npm.target().getPackageName());
        assertEquals("4.17.15", npm.target().getPackageVersion());
    }

    @Test
    void aMissingSeverityIsLabelledMissing() throws Exception {
        List<ParsedFinding> findings = parse("""
                {"reportSchema":"1.1","scanInfo":{"engineVersion":"8.4.0"},"projectInfo":{"name":"x","reportDate":"2023-01-01T00:00:00Z"},
                 "dependencies":[{"fileName":"a.jar","filePath":"/a.jar","vulnerabilities":[
                   {"source":"NVD","name":"CVE-2022-0001","cvssv2":{"score":5.0},"description":"d"},
                   {"source":"RETIREJS","name":"jQuery XSS","description":"d"}]}]}
                """);
        assertEquals(List.of("(missing)", "(missing)"), findings.stream().map(ParsedFinding::severityLabel).toList());
        assertEquals(SeverityBand.MEDIUM, findings.get(0).band(), "from the v2 score");
        assertEquals(SeverityBand.LOW, findings.get(1).band(), "no score: Dependency-Check's estimate for an unknown severity");
    }

    @Test
    void noDependenciesNoFindings() throws Exception {
        assertEquals(List.of(), parse("{\"reportSchema\":\"1.1\",\"scanInfo\":{\"engineVersion\":\"8.0.2\"},\"dependencies\":[]}"));
    }

    @Test
    void theFormatIsDetectedFromContent() {
        byte[] bytes = REPORT.getBytes(StandardCharsets.UTF_8);
        assertEquals(Optional.of(ReportFormat.DEPENDENCY_CHECK_JSON), FormatDetector.detect(bytes, bytes.length));
    }

    @Test
    void truncatedJsonIsMalformedWithItsPosition() {
        String truncated = REPORT.substring(0, REPORT.indexOf("\"sonatype-2021-4682\""));
        ReportException e = assertThrows(ReportException.class, () -> parse(truncated));
        assertEquals(ReportException.Kind.MALFORMED, e.kind(), e.getMessage());
        assertTrue(e.line() > 1 && e.column() > 0, e.getMessage());
    }

    @Test
    void theWrongShapeIsMalformedWithItsPosition() {
        ReportException notAnObject = assertThrows(ReportException.class, () -> parse("\"reportSchema\""));
        assertEquals(ReportException.Kind.MALFORMED, notAnObject.kind());
        ReportException dependencies = assertThrows(ReportException.class, () -> parse("{\"reportSchema\":\"1.1\",\n  \"dependencies\":{}}"));
        assertEquals(ReportException.Kind.MALFORMED, dependencies.kind(), dependencies.getMessage());
        assertEquals(2, dependencies.line());
        assertTrue(dependencies.column() > 0);
        ReportException empty = assertThrows(ReportException.class, () -> parse(""));
        assertEquals(ReportException.Kind.MALFORMED, empty.kind());
    }

    private static List<ParsedFinding> parse(String report) throws ReportException {
        List<ParsedFinding> out = new ArrayList<>();
        new DependencyCheckJsonParser().parse(new ReportInput(new ByteArrayInputStream(report.getBytes(StandardCharsets.UTF_8)),
                ParseLimits.defaults()), out::add);
        return out;
    }
}

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
import dev.handoff.ingest.parse.ReportParsers;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DependencyCheckXmlParserTest {

    /** Schema 2.x (Dependency-Check 5 to 8): suppressed vulnerabilities inside {@code vulnerabilities}. */
    private static final String SCHEMA_2 = """
            <?xml version="1.0"?>
            <analysis xmlns="https://jeremylong.github.io/DependencyCheck/dependency-check.2.5.xsd">
              <scanInfo><engineVersion>7.1.1</engineVersion>
                <dataSource><name>NVD CVE Modified</name><timestamp>2022-07-26T10:00:00</timestamp></dataSource></scanInfo>
              <projectInfo><name>shop-api</name><reportDate>2022-07-26T11:38:46.555044Z</reportDate>
                <credits>NVD</credits></projectInfo>
              <dependencies>
                <dependency isVirtual="false">
                  <fileName>tika-core-1.21.jar</fileName>
                  <filePath>/build/lib/tika-core-1.21.jar</filePath>
                  <sha1>abc</sha1>
                  <relatedDependencies><relatedDependency><fileName>tika-copy.jar</fileName><filePath>/other/tika-copy.jar</filePath>
                    <identifiers><package><id>pkg:maven/org.example/not-this@0.1</id></package></identifiers></relatedDependency>
                  </relatedDependencies>
                  <evidenceCollected><evidence type="vendor" confidence="HIGH"><source>file</source><name>name</name><value>tika</value></evidence></evidenceCollected>
                  <identifiers>
                    <package confidence="HIGH"><id>pkg:maven/org.apache.tika/tika-core@1.21</id><url>https://ossindex.sonatype.org/component/pkg:maven/org.apache.tika/tika-core@1.21</url></package>
                    <vulnerabilityIds confidence="HIGHEST"><id>cpe:2.3:a:apache:tika:1.21:*:*:*:*:*:*:*</id></vulnerabilityIds>
                  </identifiers>
                  <vulnerabilities>
                    <vulnerability source="NVD">
                      <name>CVE-2019-10088</name>
                      <severity>HIGH</severity>
                      <cvssV2><score>6.8</score><accessVector>NETWORK</accessVector><accessComplexity>MEDIUM</accessComplexity>
                        <authenticationr>NONE</authenticationr><confidentialImpact>PARTIAL</confidentialImpact><integrityImpact>PARTIAL</integrityImpact>
                        <availabilityImpact>PARTIAL</availabilityImpact><severity>MEDIUM</severity><version>2.0</version></cvssV2>
                      <cvssV3><baseScore>8.8</baseScore><attackVector>NETWORK</attackVector><attackComplexity>LOW</attackComplexity>
                        <privilegesRequired>NONE</privilegesRequired><userInteraction>REQUIRED</userInteraction><scope>UNCHANGED</scope>
                        <confidentialityImpact>HIGH</confidentialityImpact><integrityImpact>HIGH</integrityImpact>
                        <availabilityImpact>HIGH</availabilityImpact><baseSeverity>HIGH</baseSeverity><version>3.1</version></cvssV3>
                      <cwes><cwe>CWE-770</cwe><cwe>NVD-CWE-Other</cwe></cwes>
                      <description>A carefully crafted zip file can cause an OOM.</description>
                      <references>
                        <reference><source>CONFIRM</source><url>https://security.netapp.com/advisory/ntap-20190828-0004/</url><name>advisory</name></reference>
                      </references>
                      <vulnerableSoftware>
                        <software versionStartIncluding="1.7" versionEndExcluding="1.22">cpe:2.3:a:apache:tika:*:*:*:*:*:*:*:*</software>
                        <software vulnerabilityIdMatched="true" versionStartIncluding="1.7" versionEndExcluding="1.22">cpe:2.3:a:apache:tika:*:*:*:*:*:*:*:*</software>
                      </vulnerableSoftware>
                    </vulnerability>
                    <vulnerability source="OSSINDEX">
                      <name>BREACH attack possible in CSRF tokens</name>
                      <severity>0.0</severity>
                      <cwes><cwe>$enc.xml($cweEntry)</cwe></cwes>
                      <description>&gt; The CSRF tokens generated by Spring are vulnerable to a BREACH attack.</description>
                      <references><reference><source>OSSINDEX</source><url>https://ossindex.sonatype.org/vuln/d6ea6ac5</url></reference></references>
                    </vulnerability>
                    <vulnerability source="NPM">
                      <name>GHSA-jfh8-c2jp-5v3q</name>
                      <severity unscored="true">moderate</severity>
                      <description>Prototype pollution</description>
                    </vulnerability>
                    <suppressedVulnerability source="NVD">
                      <name>CVE-2019-10093</name><severity>MEDIUM</severity>
                      <cvssV3><baseScore>5.5</baseScore></cvssV3>
                      <description>suppressed: not a finding</description>
                    </suppressedVulnerability>
                  </vulnerabilities>
                </dependency>
                <dependency isVirtual="false">
                  <fileName>clean.jar</fileName><filePath>/build/lib/clean.jar</filePath>
                  <vulnerabilities>
                    <suppressedVulnerability source="NVD"><name>CVE-2020-0001</name><severity>HIGH</severity></suppressedVulnerability>
                  </vulnerabilities>
                </dependency>
              </dependencies>
            </analysis>
            """;

    /** Schema 1.x (Dependency-Check 1.x to 3.x): flat CVSS fields, typed identifiers, a separate suppressed list. */
    private static final String SCHEMA_1 = """
            <?xml version="1.0"?>
            <analysis xmlns="https://jeremylong.github.io/DependencyCheck/dependency-check.1.8.xsd">
              <scanInfo><engineVersion>3.3.2</engineVersion></scanInfo>
              <projectInfo><name>legacy-portal</name><reportDate>2018-09-04T10:00:00.000-0400</reportDate></projectInfo>
              <dependencies>
                <dependency>
                  <fileName>commons-fileupload-1.2.1.jar</fileName>
                  <filePath>/app/WEB-INF/lib/commons-fileupload-1.2.1.jar</filePath>
                  <identifiers>
                    <identifier type="cpe" confidence="HIGHEST"><name>(cpe:/a:apache:commons_fileupload:1.2.1)</name></identifier>
                    <identifier type="maven" confidence="HIGHEST"><name>(commons-fileupload:commons-fileupload:1.2.1)</name></identifier>
                  </identifiers>
                  <vulnerabilities>
                    <vulnerability>
                      <name>CVE-2014-0050</name>
                      <cvssScore>7.5</cvssScore>
                      <cvssAccessVector>NETWORK</cvssAccessVector>
                      <cvssAccessComplexity>LOW</cvssAccessComplexity>
                      <cvssAuthenticationr>NONE</cvssAuthenticationr>
                      <cvssConfidentialImpact>PARTIAL</cvssConfidentialImpact>
                      <cvssIntegrityImpact>PARTIAL</cvssIntegrityImpact>
                      <cvssAvailabilityImpact>PARTIAL</cvssAvailabilityImpact>
                      <severity>High</severity>
                      <cwe>CWE-264 Permissions, Privileges, and Access Controls</cwe>
                      <description>MultipartStream.java in Apache Commons FileUpload allows a denial of service.</description>
                      <references><reference><source>CONFIRM</source><url>http://tomcat.apache.org/security-8.html</url><name>x</name></reference></references>
                      <vulnerableSoftware><software allPreviousVersion="true">cpe:/a:apache:commons_fileupload:1.3</software></vulnerableSoftware>
                    </vulnerability>
                  </vulnerabilities>
                  <suppressedVulnerabilities>
                    <suppressedVulnerability><name>CVE-2016-3092</name><cvssScore>7.8</cvssScore><severity>High</severity></suppressedVulnerability>
                  </suppressedVulnerabilities>
                </dependency>
              </dependencies>
            </analysis>
            """;

    @Test
    void suppressedVulnerabilitiesAreNotFindings() throws Exception {
        List<ParsedFinding> findings = parse(SCHEMA_2);
        assertEquals(3, findings.size());
        assertTrue(findings.stream().noneMatch(f -> f.title().equals("CVE-2019-10093") || f.title().equals("CVE-2020-0001")));
        assertEquals(1, parse(SCHEMA_1).size());
    }

    @Test
    void schema2Fields() throws Exception {
        ParsedFinding tika = parse(SCHEMA_2).get(0);
        assertEquals("dependency-check", tika.tool());
        assertEquals("7.1.1", tika.toolVersion());
        assertEquals("CVE-2019-10088", tika.title());
        assertEquals(VulnerabilityIdKind.CVE, tika.ids().get(0).getKind());
        assertEquals("HIGH", tika.severityLabel());
        assertEquals(SeverityBand.HIGH, tika.band());
        assertEquals(List.of("CWE-770"), tika.cwes(), "NVD-CWE-Other is no CWE");
        CvssScore v3 = tika.cvss().stream().filter(c -> c.getVersion().equals("3.1")).findFirst().orElseThrow();
        assertEquals("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", v3.getVector());
        assertEquals(8.8, v3.getBaseScore());
        assertEquals("NVD", v3.getSource());
        CvssScore v2 = tika.cvss().stream().filter(c -> c.getVersion().equals("2.0")).findFirst().orElseThrow();
        assertEquals("AV:N/AC:M/Au:N/C:P/I:P/A:P", v2.getVector());
        assertEquals(6.8, v2.getBaseScore());
        assertEquals("1.22", tika.fixedVersion(), "versionEndExcluding of the matched vulnerable software");
        assertEquals(List.of("https://security.netapp.com/advisory/ntap-20190828-0004/"), tika.references());
        assertEquals("/build/lib/tika-core-1.21.jar", tika.target().getFilePath());
        assertEquals("pkg:maven/org.apache.tika/tika-core@1.21", tika.target().getPackagePurl(), "not the related dependency's");
        assertEquals("org.apache.tika:tika-core", tika.target().getPackageName());
        assertEquals("1.21", tika.target().getPackageVersion());
        assertNull(tika.target().getRepository());
        assertEquals("shop-api", tika.attributes().get("project"));
        assertEquals("tika-core-1.21.jar", tika.attributes().get("fileName"));
        assertEquals(Instant.parse("2022-07-26T11:38:46.555044Z"), tika.detectedAt());
    }

    @Test
    void unscoredAndSourceSpecificSeverities() throws Exception {
        List<ParsedFinding> findings = parse(SCHEMA_2);
        ParsedFinding breach = findings.get(1);
        assertEquals("0.0", breach.severityLabel(), "the label exactly as written");
        assertEquals(SeverityBand.LOW, breach.band(), "unscored, no CVSS: Dependency-Check's own estimate for unknown (3.9)");
        assertEquals(VulnerabilityIdKind.OTHER, breach.ids().get(0).getKind());
        assertFalse(breach.hasCve());
        assertFalse(breach.hasCvss());
        assertEquals(List.of(), breach.cwes(), "a template placeholder is no CWE");

        ParsedFinding npm = findings.get(2);
        assertEquals("moderate", npm.severityLabel());
        assertEquals(SeverityBand.MEDIUM, npm.band());
        assertEquals(VulnerabilityIdKind.GHSA, npm.ids().get(0).getKind());
    }

    @Test
    void bandRules() {
        assertEquals(SeverityBand.CRITICAL, DependencyCheckXmlParser.band("CRITICAL", List.of()));
        assertEquals(SeverityBand.MEDIUM, DependencyCheckXmlParser.band("Medium", List.of()));
        assertEquals(SeverityBand.HIGH, DependencyCheckXmlParser.band("7.5", List.of()));
        assertEquals(SeverityBand.CRITICAL, DependencyCheckXmlParser.band("(missing)", List.of(9.8, 5.0)), "the first score in v4, v3, v2 order");
        assertEquals(SeverityBand.MEDIUM, DependencyCheckXmlParser.band("Unknown", List.of(5.0)));
        assertEquals(SeverityBand.LOW, DependencyCheckXmlParser.band("0.0", List.of()));
        assertEquals(SeverityBand.INFO, DependencyCheckXmlParser.band("info", List.of()));
    }

    @Test
    void schema1FlatCvssAndMavenIdentifiers() throws Exception {
        ParsedFinding f = parse(SCHEMA_1).get(0);
        assertEquals("3.3.2", f.toolVersion());
        assertEquals("High", f.severityLabel());
        assertEquals(SeverityBand.HIGH, f.band());
        assertTrue(f.hasCve());
        assertEquals(1, f.cvss().size());
        assertEquals("2.0", f.cvss().get(0).getVersion());
        assertEquals(7.5, f.cvss().get(0).getBaseScore());
        assertEquals("AV:N/AC:L/Au:N/C:P/I:P/A:P", f.cvss().get(0).getVector());
        assertEquals(List.of("CWE-264"), f.cwes());
        assertEquals("pkg:maven/commons-fileupload/commons-fileupload@1.2.1", f.target().getPackagePurl());
        assertEquals("/app/WEB-INF/lib/commons-fileupload-1.2.1.jar", f.target().getFilePath());
        assertEquals(Instant.parse("2018-09-04T14:00:00Z"), f.detectedAt());
    }

    @Test
    void anyNamespaceOrNoneIsAccepted() throws Exception {
        for (String ns : List.of("https://jeremylong.github.io/DependencyCheck/dependency-check.1.3.xsd",
                "https://jeremylong.github.io/DependencyCheck/dependency-check.2.1.xsd",
                "https://jeremylong.github.io/DependencyCheck/dependency-check.4.1.xsd", "")) {
            String report = SCHEMA_2.replace("https://jeremylong.github.io/DependencyCheck/dependency-check.2.5.xsd", ns)
                    .replace(" xmlns=\"\"", "");
            assertEquals(3, parse(report).size(), ns);
        }
        String prefixed = """
                <?xml version="1.0"?><dc:analysis xmlns:dc="https://jeremylong.github.io/DependencyCheck/dependency-check.3.0.xsd">
                <dc:dependencies><dc:dependency><dc:fileName>a.jar</dc:fileName><dc:vulnerabilities>
                <dc:vulnerability source="NVD"><dc:name>CVE-2021-44228</dc:name><dc:severity>CRITICAL</dc:severity>
                <dc:cvssV3><dc:baseScore>10.0</dc:baseScore></dc:cvssV3></dc:vulnerability>
                </dc:vulnerabilities></dc:dependency></dc:dependencies></dc:analysis>""";
        List<ParsedFinding> findings = parse(prefixed);
        assertEquals(1, findings.size());
        assertEquals("a.jar", findings.get(0).target().getFilePath());
        assertEquals("3.x", findings.get(0).cvss().get(0).getVersion(), "no version given");
    }

    @Test
    void cvssV4FromSchema4() throws Exception {
        List<ParsedFinding> findings = parse("""
                <?xml version="1.0"?><analysis xmlns="https://jeremylong.github.io/DependencyCheck/dependency-check.4.1.xsd">
                <dependencies><dependency isVirtual="false"><fileName>app.jar</fileName><filePath>/app.jar</filePath>
                <vulnerabilities><vulnerability source="NVD"><name>CVE-2024-0001</name><severity>CRITICAL</severity>
                <cvssV4><source>cna@example.org</source><type>Secondary</type><version>4.0</version>
                  <vectorString>CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N</vectorString>
                  <baseScore>9.3</baseScore><baseSeverity>CRITICAL</baseSeverity></cvssV4>
                <knownExploitedVulnerability><vendorProject>x</vendorProject></knownExploitedVulnerability>
                <description>d</description><references/><vulnerableSoftware/></vulnerability></vulnerabilities>
                </dependency></dependencies></analysis>""");
        ParsedFinding f = findings.get(0);
        assertEquals("4.0", f.cvss().get(0).getVersion());
        assertEquals("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", f.cvss().get(0).getVector());
        assertEquals("cna@example.org", f.cvss().get(0).getSource());
        assertEquals("true", f.attributes().get("knownExploited"));
    }

    @Test
    void markupInFieldsStaysPlainTextAndNeverBecomesALink() throws Exception {
        List<ParsedFinding> findings = parse("""
                <?xml version="1.0" encoding="UTF-8"?>
                <analysis><scanInfo><engineVersion>6.5.0</engineVersion></scanInfo><dependencies><dependency>
                <fileName>&lt;img/src/onerror=alert(`FileName`)&gt;</fileName>
                <filePath>&lt;img/src/onerror=alert(`FilePath`)&gt;</filePath>
                <vulnerabilities><vulnerability source="NVD">
                <description>&lt;img/src/onerror=alert(`VulnDescription`)&gt;</description>
                <references><reference><name>http://example.com</name><url>aaa" onmouseover=alert(1) foo="a</url></reference>
                <reference><name>asdfg</name><url>http://example.com/q?aaa" onmouseover=alert(1) foo="a</url></reference></references>
                </vulnerability></vulnerabilities></dependency></dependencies></analysis>""");
        assertEquals(1, findings.size());
        ParsedFinding f = findings.get(0);
        assertEquals("(missing)", f.severityLabel());
        assertEquals("<img/src/onerror=alert(`VulnDescription`)>", f.description());
        assertEquals("<img/src/onerror=alert(`FilePath`)>", f.target().getFilePath());
        assertEquals(List.of(), f.references());
        assertTrue(f.hasAssetTarget());
        assertTrue(f.ids().isEmpty());
    }

    @Test
    void theFormatIsDetectedFromContent() {
        byte[] bytes = SCHEMA_2.getBytes(StandardCharsets.UTF_8);
        assertEquals(Optional.of(ReportFormat.DEPENDENCY_CHECK_XML), FormatDetector.detect(bytes, bytes.length));
    }

    @Test
    void aDoctypeIsRefused() {
        String xxe = """
                <?xml version="1.0" encoding="UTF-8"?>
                <!DOCTYPE analysis [
                  <!ELEMENT analysis ANY >
                  <!ENTITY cve SYSTEM "file:///dev/random" >
                ]>
                <analysis xmlns="https://jeremylong.github.io/DependencyCheck/dependency-check.2.1.xsd">
                  <projectInfo><name>&cve;</name></projectInfo></analysis>""";
        ReportException direct = assertThrows(ReportException.class, () -> parse(xxe));
        assertEquals(ReportException.Kind.UNSAFE, direct.kind(), direct.getMessage());
        ReportException viaParsers = assertThrows(ReportException.class, () -> new ReportParsers().parse(
                new ByteArrayInputStream(xxe.getBytes(StandardCharsets.UTF_8)), Optional.empty(), ParseLimits.defaults(), f -> { }));
        assertEquals(ReportException.Kind.UNSAFE, viaParsers.kind(), viaParsers.getMessage());
        assertTrue(viaParsers.getMessage().contains("DOCTYPE"));
    }

    @Test
    void truncatedXmlIsMalformedWithItsPosition() {
        String truncated = SCHEMA_2.substring(0, SCHEMA_2.indexOf("<name>BREACH"));
        ReportException e = assertThrows(ReportException.class, () -> parse(truncated));
        assertEquals(ReportException.Kind.MALFORMED, e.kind(), e.getMessage());
        assertTrue(e.line() > 1 && e.column() > 0, e.getMessage());
    }

    @Test
    void anotherRootIsMalformedWithItsPosition() {
        ReportException e = assertThrows(ReportException.class, () -> parse("<?xml version=\"1.0\"?>\n\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\"/>"));
        assertEquals(ReportException.Kind.MALFORMED, e.kind(), e.getMessage());
        assertEquals(3, e.line());
        assertTrue(e.column() > 0);
    }

    private static List<ParsedFinding> parse(String report) throws ReportException {
        List<ParsedFinding> out = new ArrayList<>();
        new DependencyCheckXmlParser().parse(new ReportInput(new ByteArrayInputStream(report.getBytes(StandardCharsets.UTF_8)),
                ParseLimits.defaults()), out::add);
        return out;
    }
}

package dev.handoff.schemas;

import dev.handoff.avro.CvssScore;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SourceTool;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Realistic findings for tests, shaped like a Trivy image scan of log4j. */
final class SampleFindings {

    private SampleFindings() {
    }

    static FindingTarget.Builder log4jTarget() {
        return FindingTarget.newBuilder()
                .setImage("registry.example.com/payments/api")
                .setImageTag("1.4.2")
                .setImageDigest("sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270")
                .setPackagePurl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
                .setPackageName("org.apache.logging.log4j:log4j-core")
                .setPackageVersion("2.14.1")
                .setFilePath("app/lib/log4j-core-2.14.1.jar");
    }

    static FindingReported.Builder log4j() {
        FindingReported.Builder b = FindingReported.newBuilder()
                .setEventId("0f8e2a4e-3c55-4a53-9a43-4f0c2b7c1d01")
                .setEventTime(Instant.parse("2026-11-02T09:15:00Z"))
                .setRecordedTime(Instant.parse("2026-11-02T09:15:02.250Z"))
                .setSource("ingest-connector/http")
                .setActor(null)
                .setFindingId("")
                .setReportId("r-20261102-0915-trivy")
                .setSourceTool(new SourceTool("Trivy", "0.50.1"))
                .setVulnerabilityIds(List.of(
                        new VulnerabilityId(VulnerabilityIdKind.GHSA, "GHSA-jfh8-c2jp-5v3q"),
                        new VulnerabilityId(VulnerabilityIdKind.CVE, "CVE-2021-44228")))
                .setCweIds(List.of("CWE-502", "CWE-400"))
                .setTitle("log4j-core: Remote code injection in Log4j")
                .setDescription("Apache Log4j2 JNDI features do not protect against attacker controlled LDAP endpoints.")
                .setScannerSeverity("CRITICAL")
                .setScannerBand(SeverityBand.CRITICAL)
                .setCvss(List.of(
                        new CvssScore("3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "nvd"),
                        new CvssScore("2.0", "AV:N/AC:M/Au:N/C:C/I:C/A:C", 9.3, "nvd")))
                .setTarget(log4jTarget().build())
                .setDetectedAt(Instant.parse("2026-11-02T09:14:31Z"))
                .setFixedVersion("2.15.0")
                .setReferences(List.of("https://nvd.nist.gov/vuln/detail/CVE-2021-44228"))
                .setAttributes(Map.of("trivy.class", "lang-pkgs", "trivy.target", "Java"));
        return b;
    }
}

package dev.handoff.streams.enrich;

import dev.handoff.avro.Asset;
import dev.handoff.avro.AssetAliases;
import dev.handoff.avro.AssetCriticality;
import dev.handoff.avro.AssetExposure;
import dev.handoff.avro.CvssScore;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SourceTool;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/** Minimal findings and assets for enrichment tests. */
final class Fixtures {

    static final String V31_CRITICAL_98 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

    private static final Instant T = Instant.parse("2026-11-02T09:15:00Z");

    private Fixtures() {
    }

    static FindingReported finding(SeverityBand scannerBand, List<CvssScore> cvss, VulnerabilityId... ids) {
        return FindingReported.newBuilder()
                .setEventId("e-1")
                .setEventTime(T)
                .setRecordedTime(T)
                .setSource("test")
                .setFindingId("f-1")
                .setSourceTool(new SourceTool("Trivy", null))
                .setVulnerabilityIds(Arrays.asList(ids))
                .setTitle("a finding")
                .setScannerSeverity(scannerBand.name())
                .setScannerBand(scannerBand)
                .setCvss(cvss)
                .setTarget(FindingTarget.newBuilder().setHost("api.example.com").build())
                .build();
    }

    static VulnerabilityId cve(String id) {
        return new VulnerabilityId(VulnerabilityIdKind.CVE, id);
    }

    static CvssScore cvss(String version, String vector, Double baseScore) {
        return new CvssScore(version, vector, baseScore, "nvd");
    }

    static Asset asset(AssetCriticality criticality, AssetExposure exposure) {
        return Asset.newBuilder()
                .setEventId("a-1")
                .setEventTime(T)
                .setRecordedTime(T)
                .setSource("cmdb-sync")
                .setAssetId("asset-1")
                .setName("payments api")
                .setAliases(AssetAliases.newBuilder().build())
                .setCriticality(criticality)
                .setExposure(exposure)
                .build();
    }
}

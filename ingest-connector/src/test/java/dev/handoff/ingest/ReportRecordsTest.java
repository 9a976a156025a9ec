package dev.handoff.ingest;

import dev.handoff.avro.FindingReported;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.schemas.FindingIds;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ReportRecordsTest {

    private static final Instant RECORDED = Instant.parse("2025-03-03T12:00:00Z");

    private static ParsedFinding finding() {
        ParsedFinding.Builder b = ParsedFinding.builder("CodeQL").toolVersion("2.5.4")
                .id(VulnerabilityIdKind.TOOL_RULE, "java/sql-injection")
                .cwe("CWE-89")
                .title("SQL injection")
                .severity("error", SeverityBand.HIGH)
                .detectedAt(Instant.parse("2024-01-02T03:04:05.123456789Z"))
                .attribute("levelSource", "result");
        b.target().setRepository("https://github.com/acme/shop.git").setFilePath("src/Shop.java").setLine(42);
        return b.build();
    }

    @Test
    void recordCarriesTheFindingIdTheSharedFunctionGivesAndTheEnvelope() {
        FindingReported r = new ReportRecords("sha256:abc", "ingest-connector/cli", null, null, RECORDED).toRecord(finding(), 7);
        assertEquals(FindingIds.of(r), r.getFindingId());
        assertEquals("sha256:abc/7", r.getEventId());
        assertEquals("sha256:abc", r.getReportId());
        assertEquals("CodeQL", r.getSourceTool().getName());
        assertEquals("java/sql-injection", r.getVulnerabilityIds().get(0).getId());
        assertEquals("result", r.getAttributes().get("levelSource"));
    }

    @Test
    void timesHaveTheSchemasMillisecondPrecisionAndTheDetectionTimeIsTheEventTimeWithoutAScanTime() {
        FindingReported r = new ReportRecords("sha256:abc", "cli", null, null, RECORDED).toRecord(finding(), 0);
        assertEquals(Instant.parse("2024-01-02T03:04:05.123Z"), r.getDetectedAt());
        assertEquals(Instant.parse("2024-01-02T03:04:05.123Z"), r.getEventTime());
        Instant scanned = Instant.parse("2025-01-01T00:00:00Z");
        assertEquals(scanned, new ReportRecords("sha256:abc", "cli", null, scanned, RECORDED).toRecord(finding(), 0).getEventTime());
    }

    @Test
    void anAssetHintBindsTheFindingAndSoChangesItsId() {
        ParsedFinding f = finding();
        FindingReported plain = new ReportRecords("sha256:abc", "cli", null, null, RECORDED).toRecord(f, 0);
        FindingReported hinted = new ReportRecords("sha256:abc", "cli", " payments-api ", null, RECORDED).toRecord(f, 0);
        assertEquals("payments-api", hinted.getTarget().getAssetHint());
        assertNull(f.target().getAssetHint(), "the parsed finding is left as it was");
        assertEquals(FindingIds.of(hinted), hinted.getFindingId());
        assertNotEquals(plain.getFindingId(), hinted.getFindingId());
    }
}

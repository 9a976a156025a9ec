package dev.handoff.launcher.audit;

import dev.handoff.avro.ActivityKind;
import dev.handoff.avro.Actor;
import dev.handoff.avro.ActorKind;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.FindingActivity;
import dev.handoff.avro.FindingStatus;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SourceTool;
import dev.handoff.avro.Stage;
import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AuditTrailTest {

    private static final Instant T0 = Instant.parse("2026-11-23T09:00:00Z");

    private static FindingActivity.Builder entry(String id, ActivityKind kind, Instant at) {
        return FindingActivity.newBuilder().setEventId(id).setEventTime(at).setRecordedTime(at.plusMillis(150))
                .setSource("handoff-streams").setFindingId("f1-a").setKind(kind).setCauseEventId("cause-" + id);
    }

    private static final FindingActivity CAPTURED = entry("e1", ActivityKind.CAPTURED, T0).setStage(Stage.CAPTURE)
            .setSourceTool(new SourceTool("Trivy", "0.50.1")).build();
    private static final FindingActivity ENRICHED = entry("e2", ActivityKind.ENRICHED, T0).setStage(Stage.ENRICHMENT)
            .setBand(SeverityBand.HIGH).setAttributes(Map.of("reasons", "cvss", "missing", "cve,asset")).build();
    private static final FindingActivity TAGGED = entry("e3", ActivityKind.FAILURE_MODE_TAGGED, T0)
            .setFailureModes(List.of(FailureMode.ASSET_BINDING_GAP, FailureMode.SEVERITY_MISMATCH)).setNote("no asset matches").build();
    private static final FindingActivity ACKED = entry("e4", ActivityKind.ACKNOWLEDGED, T0.plusSeconds(600)).setStage(Stage.ACKNOWLEDGEMENT)
            .setActor(new Actor("ana", ActorKind.PERSON, "Ana Lima")).setOwnerId("ana")
            .setFromStatus(FindingStatus.OPEN).setToStatus(FindingStatus.ACKNOWLEDGED).build();

    @Test
    void rowsAreInEventTimeOrderWithEntriesOfOneMomentInLogOrderAndRepeatsDropped() {
        AuditTrail trail = new AuditTrail(List.of(ACKED, CAPTURED, ENRICHED, CAPTURED, TAGGED), "payments");

        assertEquals(List.of("e1", "e2", "e3", "e4"), trail.entries().stream().map(FindingActivity::getEventId).toList());
    }

    @Test
    void detailsJoinTheStatusChangeNoteToolAndSortedAttributes() {
        assertEquals("tool: Trivy 0.50.1", AuditTrail.details(CAPTURED));
        assertEquals("missing=cve,asset; reasons=cvss", AuditTrail.details(ENRICHED));
        assertEquals("status OPEN -> ACKNOWLEDGED", AuditTrail.details(ACKED));
        assertEquals("note: no asset matches", AuditTrail.details(TAGGED));
    }

    @Test
    void theCsvHasTheHeaderAndOneQuotedWhereNeededRowPerEntry() {
        StringWriter out = new StringWriter();
        new AuditTrail(List.of(CAPTURED, ENRICHED, TAGGED, ACKED), "payments").writeCsv(out);

        assertEquals(String.join("\r\n",
                "time,recorded_time,stage,activity,actor,owner,team,band,failure_modes,details,source,event_id,cause_event_id,evidence,controls",
                "2026-11-23T09:00:00Z,2026-11-23T09:00:00.150Z,CAPTURE,CAPTURED,,,payments,,,tool: Trivy 0.50.1,handoff-streams,e1,cause-e1,"
                        + "identification,NIST SP 800-53 RA-5",
                "2026-11-23T09:00:00Z,2026-11-23T09:00:00.150Z,ENRICHMENT,ENRICHED,,,payments,HIGH,,\"missing=cve,asset; reasons=cvss\","
                        + "handoff-streams,e2,cause-e2,identification,NIST SP 800-53 RA-5",
                "2026-11-23T09:00:00Z,2026-11-23T09:00:00.150Z,,FAILURE_MODE_TAGGED,,,payments,,ASSET_BINDING_GAP; SEVERITY_MISMATCH,"
                        + "note: no asset matches,handoff-streams,e3,cause-e3,timely handling,SOC 2 CC7.1; ISO/IEC 27001:2022 A.8.8",
                "2026-11-23T09:10:00Z,2026-11-23T09:10:00.150Z,ACKNOWLEDGEMENT,ACKNOWLEDGED,ana (Ana Lima),ana,payments,,,"
                        + "status OPEN -> ACKNOWLEDGED,handoff-streams,e4,cause-e4,timely handling,SOC 2 CC7.1; ISO/IEC 27001:2022 A.8.8",
                ""), out.toString());
    }

    @Test
    void jsonLinesCarryTheSameColumnsWithListsAsArraysAndAbsentValuesAsNull() {
        StringWriter out = new StringWriter();
        new AuditTrail(List.of(TAGGED), null).writeNdjson(out);

        assertEquals("{\"time\":\"2026-11-23T09:00:00Z\",\"recorded_time\":\"2026-11-23T09:00:00.150Z\",\"stage\":null,"
                + "\"activity\":\"FAILURE_MODE_TAGGED\",\"actor\":null,\"owner\":null,\"team\":null,\"band\":null,"
                + "\"failure_modes\":[\"ASSET_BINDING_GAP\",\"SEVERITY_MISMATCH\"],\"details\":\"note: no asset matches\","
                + "\"source\":\"handoff-streams\",\"event_id\":\"e3\",\"cause_event_id\":\"cause-e3\",\"evidence\":\"timely handling\","
                + "\"controls\":[\"SOC 2 CC7.1\",\"ISO/IEC 27001:2022 A.8.8\"]}\n", out.toString());
    }

    @Test
    void evidenceCountsSummariseTheRows() {
        assertEquals(Map.of("identification", 2L, "timely handling", 2L),
                new AuditTrail(List.of(CAPTURED, ENRICHED, TAGGED, ACKED), null).evidenceCounts());
    }
}

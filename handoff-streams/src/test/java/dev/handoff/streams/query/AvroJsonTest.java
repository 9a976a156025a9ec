package dev.handoff.streams.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.ActivityKind;
import dev.handoff.avro.Actor;
import dev.handoff.avro.ActorKind;
import dev.handoff.avro.CaptureOrigin;
import dev.handoff.avro.CvssScore;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.FindingActivity;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.FindingStatus;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.KevEntry;
import dev.handoff.avro.LatencySketch;
import dev.handoff.avro.RouteKind;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SourceTool;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AvroJsonTest {

    private static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z");

    @Test
    void findingStateRendersEveryFieldUnderItsSchemaNameInSchemaOrder() {
        ObjectNode json = AvroJson.toJson(state());

        List<String> names = new ArrayList<>();
        json.fieldNames().forEachRemaining(names::add);
        assertEquals(FindingState.getClassSchema().getFields().stream().map(Schema.Field::name).toList(), names);
        assertTrue(names.contains("finding_id") && names.contains("acknowledged_at") && names.contains("no_ack_deadline"));
    }

    @Test
    void timestampsAreIsoInstantsAndEnumsAreTheirNames() {
        ObjectNode json = AvroJson.toJson(state());

        assertEquals("2026-11-02T09:00:00Z", json.get("captured_at").asText());
        assertEquals("2026-11-02T09:00:00.250Z", json.get("event_time").asText(), "millisecond precision is kept");
        assertEquals("2026-11-02T13:00:00Z", json.get("handoff_deadline").asText(), "a timestamp inside a union");
        assertEquals("OPEN", json.get("status").asText());
        assertEquals("FIRST_TIME", json.get("origin").asText());
        assertEquals("CRITICAL", json.get("band").asText());
        assertEquals("ASSET_OWNER", json.get("route").asText());
    }

    @Test
    void nullUnionsAreJsonNullAndPresentUnionsAreTheBareValue() {
        ObjectNode json = AvroJson.toJson(state());

        for (String field : List.of("acknowledged_at", "acknowledged_by", "triaged_at", "business_unit", "sla_policy_version")) {
            assertTrue(json.get(field).isNull(), field + " is JSON null, not absent or {\"null\": ...}");
        }
        assertEquals("u-ana", json.get("owner_id").asText());
        assertEquals(9.8, json.get("cvss_score").asDouble());
        assertTrue(json.get("cvss_score").isDouble());
        assertEquals("u-sec", json.get("actor").get("id").asText(), "a record inside a union is a plain object");
        assertEquals("SERVICE", json.get("actor").get("kind").asText());
        assertTrue(json.get("actor").get("display_name").isNull());
    }

    @Test
    void nestedRecordsArraysAndScalarsKeepTheirShape() {
        ObjectNode json = AvroJson.toJson(state());

        assertEquals("Trivy", json.get("source_tool").get("name").asText());
        assertEquals("registry.example.com/payments/api", json.get("target").get("image").asText());
        assertTrue(json.get("target").get("host").isNull());
        assertEquals("CVE", json.get("vulnerability_ids").get(0).get("kind").asText());
        assertEquals("CVE-2021-44228", json.get("vulnerability_ids").get(0).get("id").asText());
        assertEquals(List.of("Trivy", "grype"), texts(json.get("source_tools")));
        assertEquals(List.of("ASSET_BINDING_GAP", "SEVERITY_MISMATCH"), texts(json.get("failure_modes")));
        assertEquals(10.0, json.get("cvss").get(0).get("base_score").asDouble());
        assertEquals(2, json.get("capture_count").asInt());
        assertTrue(json.get("capture_count").isInt());
        assertTrue(json.get("kev").isBoolean() && json.get("kev").asBoolean());
        assertTrue(json.get("enrichment_complete").isBoolean() && !json.get("enrichment_complete").asBoolean());
        assertTrue(json.get("band_reasons").isArray() && json.get("band_reasons").isEmpty());
    }

    @Test
    void mapsBecomeObjectsWithSortedKeys() {
        FindingActivity activity = FindingActivity.newBuilder()
                .setEventId("e1").setEventTime(T0).setRecordedTime(T0).setSource("handoff-streams").setFindingId("f1-abc")
                .setKind(ActivityKind.UNROUTED).setAttributes(Map.of("zeta", "last", "cause", "ASSET_BINDING_GAP", "alpha", "first"))
                .build();

        JsonNode attributes = AvroJson.toJson(activity).get("attributes");

        List<String> keys = new ArrayList<>();
        attributes.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("alpha", "cause", "zeta"), keys);
        assertEquals("ASSET_BINDING_GAP", attributes.get("cause").asText());
        assertTrue(AvroJson.toJson(activity).get("stage").isNull());
    }

    @Test
    void datesAreIsoDatesAndBytesAreBase64() {
        KevEntry kev = KevEntry.newBuilder().setEventId("k1").setEventTime(T0).setRecordedTime(T0).setSource("cisa")
                .setCveId("CVE-2021-44228").setDateAdded(LocalDate.parse("2021-12-10")).setDueDate(LocalDate.parse("2021-12-24"))
                .setKnownRansomwareUse(true).build();
        ObjectNode kevJson = AvroJson.toJson(kev);
        assertEquals("2021-12-10", kevJson.get("date_added").asText());
        assertEquals("2021-12-24", kevJson.get("due_date").asText(), "a date inside a union");

        ByteBuffer bytes = ByteBuffer.wrap(new byte[] {1, 2, 3, (byte) 0xff});
        LatencySketch sketch = LatencySketch.newBuilder().setEncoding("ddsketch").setRelativeAccuracy(0.01).setBytes(bytes).build();
        assertEquals("AQID/w==", AvroJson.toJson(sketch).get("bytes").asText());
        assertEquals(0, bytes.position(), "rendering does not consume the record's buffer");
    }

    private static FindingState state() {
        return FindingState.newBuilder()
                .setEventId("cap-1/f1-abc/state").setEventTime(T0.plusMillis(250)).setRecordedTime(T0.plusSeconds(1))
                .setSource("handoff-streams")
                .setActor(Actor.newBuilder().setId("u-sec").setKind(ActorKind.SERVICE).build())
                .setFindingId("f1-abc").setStatus(FindingStatus.OPEN).setOrigin(CaptureOrigin.FIRST_TIME)
                .setTitle("CVE-2021-44228 in api").setSourceTool(new SourceTool("Trivy", "0.50.1"))
                .setSourceTools(List.of("Trivy", "grype"))
                .setVulnerabilityIds(List.of(new VulnerabilityId(VulnerabilityIdKind.CVE, "CVE-2021-44228")))
                .setTarget(FindingTarget.newBuilder().setImage("registry.example.com/payments/api").setImageTag("1.0").build())
                .setCaptureCount(2).setReopenCount(0).setScannerSeverity("HIGH").setScannerBand(SeverityBand.HIGH)
                .setBand(SeverityBand.CRITICAL).setBandReasons(List.of())
                .setCvss(List.of(CvssScore.newBuilder().setVersion("3.1").setBaseScore(10.0).build()))
                .setCvssScore(9.8).setKev(true).setEnrichmentComplete(false).setEnrichmentMissing(List.of("asset"))
                .setOwnerId("u-ana").setRoute(RouteKind.ASSET_OWNER).setAckInferred(false)
                .setFailureModes(List.of(FailureMode.ASSET_BINDING_GAP, FailureMode.SEVERITY_MISMATCH))
                .setCapturedAt(T0).setEnrichedAt(T0).setRoutedAt(T0)
                .setHandoffDeadline(T0.plusSeconds(4 * 3600))
                .build();
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}

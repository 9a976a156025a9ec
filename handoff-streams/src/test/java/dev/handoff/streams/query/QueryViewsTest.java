package dev.handoff.streams.query;

import com.fasterxml.jackson.databind.JsonNode;
import dev.handoff.avro.ActivityKind;
import dev.handoff.avro.CaptureOrigin;
import dev.handoff.avro.FindingActivity;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.FindingStatus;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SourceTool;
import dev.handoff.avro.Stage;
import dev.handoff.avro.UnroutedCause;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The views' JSON, what instances send each other, and how a queued finding's cause is read. */
class QueryViewsTest {

    private static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z");

    @Test
    void aFindingCrossesBetweenInstancesUnchanged() {
        FindingView view = new FindingView(state("api"), List.of(activity(T0, ActivityKind.CAPTURED, Map.of()),
                activity(T0.plusSeconds(60), ActivityKind.UNROUTED, Map.of("cause", "NO_ACTIVE_OWNER"))));

        FindingView received = PeerWire.decode(Json.read(Json.write(PeerWire.encode(view))));

        assertEquals(view, received);
        assertEquals(view.toJson(), received.toJson());
    }

    @Test
    void findingViewJsonHasStateAndTimeline() {
        FindingView view = new FindingView(state(null), List.of(activity(T0, ActivityKind.CAPTURED, Map.of())));
        JsonNode json = view.toJson();
        assertEquals("f1-abc", json.get("state").get("finding_id").asText());
        assertEquals("CAPTURED", json.get("timeline").get(0).get("kind").asText());
        assertEquals("CAPTURE", json.get("timeline").get(0).get("stage").asText());
    }

    @Test
    void unroutedItemsRoundTripAndMeasureTheirWaitAtTheAskingInstance() {
        UnroutedItem item = new UnroutedItem("f1-abc", T0, Duration.ZERO, UnroutedCause.GROUP_INBOX, SeverityBand.HIGH, "title", null);
        UnroutedItem later = UnroutedItem.fromJson(item.toJson()).at(T0.plus(Duration.ofMinutes(90)));
        assertEquals(Duration.ofMinutes(90), later.timeInQueue());
        assertEquals("PT1H30M", later.toJson().get("time_in_queue").asText());
        assertEquals(5_400_000L, later.toJson().get("time_in_queue_ms").asLong());
        assertEquals(UnroutedCause.GROUP_INBOX, later.cause());
        assertTrue(later.toJson().get("asset_id").isNull());
        assertEquals(Duration.ZERO, item.at(T0.minusSeconds(5)).timeInQueue(), "event time ahead of the clock is not a negative wait");
    }

    @Test
    void unroutedQueueReportsDepthAndOldest() {
        UnroutedItem a = new UnroutedItem("f1-a", T0, Duration.ZERO, UnroutedCause.ASSET_BINDING_GAP, null, null, null);
        UnroutedItem b = new UnroutedItem("f1-b", T0.plusSeconds(60), Duration.ZERO, UnroutedCause.ASSET_BINDING_GAP, null, null, null);
        JsonNode json = new UnroutedQueue(T0.plusSeconds(120), List.of(a, b)).toJson();
        assertEquals(2, json.get("depth").asInt());
        assertEquals(T0.toString(), json.get("oldest_entered_at").asText());
        assertEquals(T0.plusSeconds(120).toString(), json.get("as_of").asText());
        assertTrue(new UnroutedQueue(T0, List.of()).toJson().get("oldest_entered_at").isNull());
    }

    @Test
    void ownerItemsRoundTrip() {
        OwnerOpenItem item = new OwnerOpenItem("f1-abc", SeverityBand.CRITICAL, FindingStatus.ACKNOWLEDGED, "title", T0,
                T0.plusSeconds(4 * 3600), T0.plusSeconds(600));
        assertEquals(item, OwnerOpenItem.fromJson(item.toJson()));
        assertEquals("2026-11-02T13:00:00Z", item.toJson().get("handoff_deadline").asText());
    }

    @Test
    void queueCauseComesFromTheStateWhenUnboundOtherwiseFromTheRouter() {
        assertEquals(UnroutedCause.ASSET_BINDING_GAP, QueryService.causeOf(state(null), UnroutedCause.NO_ACTIVE_OWNER),
                "no asset is a binding gap whatever was recorded before");
        assertEquals(UnroutedCause.GROUP_INBOX, QueryService.causeOf(state("api"), UnroutedCause.GROUP_INBOX));
        assertEquals(UnroutedCause.NO_ACTIVE_OWNER, QueryService.causeOf(state("api"), UnroutedCause.ASSET_BINDING_GAP),
                "the asset arrived since, yet nobody is routable");
        assertEquals(UnroutedCause.NO_ACTIVE_OWNER, QueryService.causeOf(state("api"), null));
        assertNull(QueryService.causeOf(null, null));
    }

    private static FindingState state(String assetId) {
        return FindingState.newBuilder()
                .setEventId("e").setEventTime(T0).setRecordedTime(T0).setSource("handoff-streams").setFindingId("f1-abc")
                .setStatus(FindingStatus.OPEN).setOrigin(CaptureOrigin.FIRST_TIME).setTitle("t")
                .setSourceTool(new SourceTool("Trivy", null)).setTarget(FindingTarget.newBuilder().setImage("img").build())
                .setScannerBand(SeverityBand.HIGH).setBand(SeverityBand.HIGH).setAssetId(assetId).setCapturedAt(T0).build();
    }

    private static FindingActivity activity(Instant at, ActivityKind kind, Map<String, String> attributes) {
        return FindingActivity.newBuilder().setEventId("e-" + kind).setEventTime(at).setRecordedTime(at).setSource("handoff-streams")
                .setFindingId("f1-abc").setKind(kind).setStage(kind == ActivityKind.CAPTURED ? Stage.CAPTURE : null)
                .setAttributes(attributes).build();
    }
}

package dev.handoff.streams.stages;

import dev.handoff.avro.ActivityKind;
import dev.handoff.avro.Actor;
import dev.handoff.avro.ActorKind;
import dev.handoff.avro.FindingActivity;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActivityHistoryTest {

    private static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z");

    private final Topics topics = new Topics("handoff.", 1, new EmbeddedSchemaRegistry());
    private final ActivityHistory.ActivityHistorySerde serde = new ActivityHistory.ActivityHistorySerde(topics.valueSerde(Topics.FINDINGS_ACTIVITY));
    private final Serializer<FindingActivity> encoder = topics.valueSerde(Topics.FINDINGS_ACTIVITY).serializer();

    @Test
    void appendedRecordsComeBackAsWrittenAndTheTimelineIsInEventTimeThenIdOrder() {
        byte[] late = encode(activity("b", T0.plusSeconds(60), ActivityKind.ROUTED));
        byte[] early = encode(activity("z", T0, ActivityKind.CAPTURED));
        byte[] sameTime = encode(activity("a", T0, ActivityKind.ENRICHED));
        ActivityHistory history = ActivityHistory.empty().append(List.of(late), ActivityHistory.MAX_BYTES)
                .append(List.of(early, sameTime), ActivityHistory.MAX_BYTES);

        List<byte[]> records = history.records();
        assertEquals(3, records.size());
        assertArrayEquals(late, records.get(0), "records keep the order they were recorded in");
        assertArrayEquals(early, records.get(1));
        assertArrayEquals(sameTime, records.get(2));

        ActivityHistory read = roundTrip(history);
        assertEquals(history, read);
        assertEquals(List.of("a", "z", "b"), read.timeline().stream().map(FindingActivity::getEventId).toList(),
                "the timeline is ordered by event time, then event id");
        assertEquals(0, read.omitted());
    }

    @Test
    void pastItsBoundTheOldestEntriesAreDroppedAndCounted() {
        ActivityHistory history = ActivityHistory.empty();
        List<byte[]> all = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            byte[] record = encode(activity(String.format("e%03d", i), T0.plusSeconds(i), ActivityKind.DUPLICATE_CAPTURE));
            all.add(record);
            history = history.append(List.of(record), 2_000);
        }
        List<byte[]> kept = history.records();
        assertTrue(serde.serializer().serialize("t", history).length <= 2_000, "the stored value stays within the bound");
        assertEquals(40, kept.size() + history.omitted(), "every entry is either kept or counted as omitted");
        assertTrue(history.omitted() > 0);
        for (int i = 0; i < kept.size(); i++) {
            assertArrayEquals(all.get(all.size() - kept.size() + i), kept.get(i), "the newest entries are the ones kept");
        }
    }

    @Test
    void aSaveLargerThanTheBoundIsKeptWhole() {
        byte[] a = encode(activity("a", T0, ActivityKind.CAPTURED));
        byte[] b = encode(activity("b", T0, ActivityKind.ENRICHED));
        ActivityHistory history = ActivityHistory.empty().append(List.of(a), 10_000).append(List.of(a, b), 10);
        assertEquals(2, history.records().size(), "what a save appends is never dropped, even past the bound");
        assertEquals(1, history.omitted());
    }

    @Test
    void aValueOfAnotherFormatIsRefusedWithAReason() {
        byte[] oneActivity = encode(activity("a", T0, ActivityKind.CAPTURED)); // what an earlier build stored
        SerializationException e = assertThrows(SerializationException.class, () -> serde.deserializer().deserialize("t", oneActivity));
        assertTrue(e.getMessage().contains("reset the streams application"), e.getMessage());
        byte[] truncated = serde.serializer().serialize("t", ActivityHistory.empty().append(List.of(oneActivity), 10_000));
        byte[] cut = java.util.Arrays.copyOf(truncated, truncated.length - 3);
        SerializationException corrupt = assertThrows(SerializationException.class, () -> serde.deserializer().deserialize("t", cut).records());
        assertTrue(corrupt.getMessage().contains("corrupt"), corrupt.getMessage());
    }

    private ActivityHistory roundTrip(ActivityHistory history) {
        return serde.deserializer().deserialize("t", serde.serializer().serialize("t", history));
    }

    private byte[] encode(FindingActivity a) {
        return encoder.serialize(topics.name(Topics.FINDINGS_ACTIVITY), a);
    }

    private static FindingActivity activity(String id, Instant at, ActivityKind kind) {
        return FindingActivity.newBuilder()
                .setEventId(id).setEventTime(at).setRecordedTime(at).setSource("test")
                .setActor(Actor.newBuilder().setId("handoff-streams").setKind(ActorKind.SERVICE).build())
                .setFindingId("f1").setKind(kind).setStage(null).setCauseEventId(id)
                .setFromStatus(null).setToStatus(null).setOwnerId(null).setBand(null).setSourceTool(null).setNote(null)
                .build();
    }
}

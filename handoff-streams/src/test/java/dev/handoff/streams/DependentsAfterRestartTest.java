package dev.handoff.streams;

import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.KevEntry;
import dev.handoff.avro.Owner;
import dev.handoff.avro.RouteKind;
import dev.handoff.avro.SeverityBand;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import dev.handoff.streams.reference.ReferenceKind;
import dev.handoff.streams.stages.FindingLifecycleProcessor;
import dev.handoff.streams.stages.StoreNames;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

import static dev.handoff.streams.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which findings a reference change re-evaluates is an in-memory index rebuilt at every {@code init} (decision 0012):
 * the routing keys from the dependents store's one entry per routed finding, the SLA policy and CVE keys from the
 * finding states. These tests start a new processor on the stores an earlier one left (a restart, a rebalance, a
 * revived task) and check that a reference change still reaches the findings that depend on it.
 */
class DependentsAfterRestartTest {

    private static final String FANOUT = "handoff.fanout";
    private static final String IMAGE = "registry.example/payments-api";

    private final Topics topics = new Topics("handoff.", 1, new EmbeddedSchemaRegistry());
    private final List<KeyValueStore<String, Object>> stores = TaskRevivalTest.lifecycleStores(topics);
    private long offset;

    @Test
    void anOwnerWhoLeavesAfterARestartStillMovesTheirFindingsToTheLead() {
        FindingReported f = routedToAnaBeforeARestart(SeverityBand.HIGH);
        MockProcessorContext<String, Object> after = restart();

        reference(after, Topics.OWNERS, ReferenceKind.OWNER, "u-ana", Owner.newBuilder(Fixtures.person("u-ana", false, "payments"))
                .setEventTime(T0.plusSeconds(600)).build());

        FindingState s = state(f.getFindingId());
        assertEquals("u-lead", s.getOwnerId(), "the owner's departure must reach the finding routed to them before the restart");
        assertEquals(RouteKind.TEAM_LEAD, s.getRoute());
    }

    @Test
    void aKevEntryAfterARestartStillRaisesTheFindingsWithThatCve() {
        FindingReported f = routedToAnaBeforeARestart(SeverityBand.MEDIUM);
        MockProcessorContext<String, Object> after = restart();

        reference(after, Topics.KEV, ReferenceKind.KEV, "CVE-2021-44228", KevEntry.newBuilder()
                .setEventId("kev-1").setEventTime(T0.plusSeconds(3600)).setRecordedTime(T0.plusSeconds(3600)).setSource("kev-sync")
                .setCveId("CVE-2021-44228").setDateAdded(LocalDate.of(2021, 12, 10)).build());

        FindingState s = state(f.getFindingId());
        assertTrue(s.getKev(), "the KEV entry must reach the open finding whose CVE it names");
        assertEquals(SeverityBand.HIGH, s.getBand());
    }

    @Test
    void anAcknowledgedFindingIsNoLongerReroutedWhenItsOwnerLeaves() {
        FindingReported f = routedToAnaBeforeARestart(SeverityBand.HIGH);
        MockProcessorContext<String, Object> before = restart();
        before.setRecordMetadata(topics.name(Topics.FINDINGS_COMMANDS), 0, offset++);
        dev.handoff.avro.LifecycleCommand ack = Fixtures.command(f.getFindingId(), dev.handoff.avro.CommandKind.ACKNOWLEDGE, "u-ana",
                T0.plusSeconds(300));
        processor.process(new Record<>(f.getFindingId(), topics.valueSerde(Topics.FINDINGS_COMMANDS).serializer()
                .serialize(topics.name(Topics.FINDINGS_COMMANDS), ack), ack.getEventTime().toEpochMilli()));
        MockProcessorContext<String, Object> after = restart();

        reference(after, Topics.OWNERS, ReferenceKind.OWNER, "u-ana", Owner.newBuilder(Fixtures.person("u-ana", false, "payments"))
                .setEventTime(T0.plusSeconds(600)).build());

        assertEquals("u-ana", state(f.getFindingId()).getOwnerId(), "an acknowledged finding stays with who acknowledged it");
        List<String> kinds = activityKinds(f.getFindingId());
        assertTrue(kinds.contains("ROUTED") && kinds.contains("ACKNOWLEDGED") && !kinds.contains("REROUTED"),
                "routed, acknowledged, never re-routed: " + kinds);
    }

    // ------------------------------------------------------------------ helpers

    private FindingLifecycleProcessor processor;
    /** Every context a processor instance ran with, for what each forwarded. */
    private final List<MockProcessorContext<String, Object>> contexts = new java.util.ArrayList<>();

    private FindingReported routedToAnaBeforeARestart(SeverityBand band) {
        MockProcessorContext<String, Object> before = restart();
        reference(before, Topics.OWNERS, ReferenceKind.OWNER, "u-ana", Fixtures.person("u-ana", true, "payments"));
        reference(before, Topics.OWNERS, ReferenceKind.OWNER, "u-lead", Fixtures.person("u-lead", true, "payments"));
        reference(before, Topics.OWNERS, ReferenceKind.OWNER, "u-esc", Fixtures.person("u-esc", true, "payments"));
        reference(before, Topics.TEAMS, ReferenceKind.TEAM, "payments", Fixtures.team("payments", "u-lead", List.of("u-esc")));
        reference(before, Topics.ASSETS, ReferenceKind.ASSET, "api", Fixtures.asset("api", IMAGE, "u-ana", "payments"));
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", band, T0);
        TaskRevivalTest.capture(topics, processor, before, f, offset++);
        assertEquals("u-ana", state(f.getFindingId()).getOwnerId(), "routed to the asset's owner before the restart");
        return f;
    }

    /** A new processor instance on the stores the last one left, as after a restart or a rebalance. */
    private MockProcessorContext<String, Object> restart() {
        processor = new FindingLifecycleProcessor(topics, FANOUT, "handoff.noise-flags", TaskRevivalTest.replaySettings());
        MockProcessorContext<String, Object> context = TaskRevivalTest.context(stores);
        processor.init(context);
        contexts.add(context);
        return context;
    }

    private <V extends SpecificRecord> void reference(MockProcessorContext<String, Object> context, TopicDef<V> topic,
                                                      ReferenceKind kind, String id, V value) {
        context.setRecordMetadata(FANOUT, 0, offset++);
        byte[] bytes = topics.valueSerde(topic).serializer().serialize(topics.name(topic), value);
        Instant at = (Instant) value.get(value.getSchema().getField("event_time").pos());
        processor.process(new Record<>(kind.fanoutKey(id), bytes, at.toEpochMilli()));
        for (MockProcessorContext.CapturedForward<? extends String, ?> f : context.forwarded()) {
            assertNotEquals(Optional.of(FindingLifecycleProcessor.TO_DEADLETTER), f.childName(), () -> "dead-lettered: " + f.record().value());
        }
    }

    /** The kinds of the finding's activities the processor instances sent to findings.activity, in order. */
    private List<String> activityKinds(String findingId) {
        List<String> kinds = new java.util.ArrayList<>();
        for (MockProcessorContext<String, Object> c : contexts) {
            for (MockProcessorContext.CapturedForward<? extends String, ?> f : c.forwarded()) {
                if (f.childName().equals(Optional.of(FindingLifecycleProcessor.TO_ACTIVITY)) && findingId.equals(f.record().key())) {
                    kinds.add(((dev.handoff.avro.FindingActivity) f.record().value()).getKind().name());
                }
            }
        }
        return kinds;
    }

    private FindingState state(String findingId) {
        return (FindingState) store(StoreNames.FINDING_STATE).get(findingId);
    }

    private KeyValueStore<String, Object> store(String name) {
        return stores.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }
}

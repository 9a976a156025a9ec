package dev.handoff.streams;

import dev.handoff.avro.FindingReported;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.UnroutedEvent;
import dev.handoff.avro.UnroutedEventKind;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import dev.handoff.streams.stages.FindingLifecycleProcessor;
import dev.handoff.streams.stages.LifecycleSettings;
import dev.handoff.streams.stages.StoreNames;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static dev.handoff.streams.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The unrouted queue keeps a depth counter, an index by entry time and one age alarm per entry beside the queue
 * itself, so a depth snapshot does not read the whole queue. They live in the unlogged timer store, so a start finds
 * only the queue (and state written before they existed, the same): the processor builds them at every start, and
 * must not raise an age alert that already fired.
 */
class UnroutedQueueStateTest {

    private final Topics topics = new Topics("handoff.", 1, new EmbeddedSchemaRegistry());

    @Test
    void aQueueWithoutItsIndexIsIndexedAtEveryStartAndAlertsFiredBeforeAreNotRaisedAgain() {
        LifecycleSettings settings = TaskRevivalTest.replaySettings();
        List<KeyValueStore<String, Object>> stores = TaskRevivalTest.lifecycleStores(topics);
        MockProcessorContext<String, Object> context = TaskRevivalTest.context(stores);
        KeyValueStore<String, Object> queue = named(stores, StoreNames.UNROUTED_QUEUE);
        KeyValueStore<String, Object> fired = named(stores, StoreNames.SLA_FIRED);
        // As an earlier version left it: two findings in the queue, the older one's age alert already raised.
        Instant olderEntry = T0.minus(Duration.ofHours(10));
        Instant newerEntry = T0.minus(Duration.ofHours(1));
        queue.put("f-older", olderEntry.toEpochMilli());
        queue.put("f-newer", newerEntry.toEpochMilli());
        fired.put("unrouted-age|f-older|" + olderEntry.toEpochMilli(), T0.minus(Duration.ofHours(6)).toEpochMilli());

        FindingLifecycleProcessor processor = new FindingLifecycleProcessor(topics, "handoff.fanout", "handoff.noise-flags", settings);
        processor.init(context);
        // Five hours on, a bound-nowhere capture moves stream time: the newer entry passes the 4 h limit, and the
        // snapshot counts the two old entries and the new one, the oldest from the index.
        FindingReported later = Fixtures.finding("registry.example/orphan", "CVE-2026-0003", SeverityBand.LOW, T0.plus(Duration.ofHours(4)));
        TaskRevivalTest.capture(topics, processor, context, later, 0);

        assertEquals(List.of("f-newer@" + newerEntry), TaskRevivalTest.ageCrossings(context),
                "only the entry whose alert never fired crosses the age limit");
        UnroutedEvent snapshot = context.forwarded().stream().map(f -> f.record().value())
                .filter(v -> v instanceof UnroutedEvent e && e.getKind() == UnroutedEventKind.DEPTH_SNAPSHOT)
                .map(UnroutedEvent.class::cast).reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no depth snapshot"));
        assertEquals(3, snapshot.getDepth(), "both old entries and the new capture");
        assertEquals(olderEntry, snapshot.getOldestEnteredAt());

        // A restart on the same stores rebuilds them from scratch: the same queue, not counted twice.
        context = TaskRevivalTest.context(stores);
        processor.init(context);
        TaskRevivalTest.capture(topics, processor, context,
                Fixtures.finding("registry.example/orphan-2", "CVE-2026-0004", SeverityBand.LOW, T0.plus(Duration.ofHours(5))), 1);
        UnroutedEvent after = context.forwarded().stream().map(f -> f.record().value())
                .filter(v -> v instanceof UnroutedEvent e && e.getKind() == UnroutedEventKind.DEPTH_SNAPSHOT)
                .map(UnroutedEvent.class::cast).reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no depth snapshot after the restart"));
        assertEquals(4, after.getDepth());
    }

    private static KeyValueStore<String, Object> named(List<KeyValueStore<String, Object>> stores, String name) {
        return stores.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }
}

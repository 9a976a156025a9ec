package dev.handoff.streams;

import dev.handoff.avro.FindingReported;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.UnroutedEvent;
import dev.handoff.avro.UnroutedEventKind;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import dev.handoff.streams.metrics.CohortPartials;
import dev.handoff.streams.metrics.GaugeSnapshot;
import dev.handoff.streams.metrics.MetricsNames;
import dev.handoff.streams.metrics.MetricsSettings;
import dev.handoff.streams.stages.FindingLifecycleProcessor;
import dev.handoff.streams.stages.LifecycleSettings;
import dev.handoff.streams.stages.StoreNames;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static dev.handoff.streams.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Exactly-once revives a task after an aborted transaction: its stores are rolled back to the last commit and Kafka
 * Streams calls {@code init} again on the same processor instances. Nothing a processor keeps in fields may then
 * remember what the aborted transaction did. {@code TopologyTestDriver} never aborts, so these tests play the revival
 * by hand: process, roll every store back to a copy taken before, init again on a new context, process the same input.
 * What the second pass forwards must be what the first forwarded, since the first's output was aborted with it.
 */
class TaskRevivalTest {

    private final Topics topics = new Topics("handoff.", 1, new EmbeddedSchemaRegistry());

    @Test
    void anUnroutedAgeAlertAbortedWithItsTransactionIsRaisedAgainAfterTheRevival() {
        LifecycleSettings settings = replaySettings();
        FindingLifecycleProcessor processor = new FindingLifecycleProcessor(topics, "handoff.fanout", "handoff.noise-flags", settings);
        List<KeyValueStore<String, Object>> stores = lifecycleStores();

        MockProcessorContext<String, Object> first = context(stores);
        processor.init(first);
        // No asset binds this image: the finding waits in the unrouted queue.
        capture(processor, first, Fixtures.finding("registry.example/orphan", "CVE-2026-0001", SeverityBand.HIGH, T0), 0);
        Map<String, Map<String, Object>> committed = copy(stores);

        // Five hours later another capture moves stream time past the age limit: the first finding's alert fires.
        FindingReported later = Fixtures.finding("registry.example/orphan-2", "CVE-2026-0002", SeverityBand.LOW, T0.plus(Duration.ofHours(5)));
        capture(processor, first, later, 1);
        List<String> firstPass = ageCrossings(first);
        assertEquals(1, firstPass.size(), "the first pass raises the age crossing; forwarded: " + first.forwarded());

        // The transaction aborts: stores back to the commit, init again on a new context, the same record again.
        rollBack(stores, committed);
        MockProcessorContext<String, Object> revived = context(stores);
        processor.init(revived);
        capture(processor, revived, later, 1);
        assertEquals(firstPass, ageCrossings(revived), "the aborted crossing must be raised again, not remembered as fired");
    }

    @Test
    void aGaugeAbortedWithItsTransactionIsSentAgainAfterTheRevival() {
        CohortPartials router = new CohortPartials(MetricsSettings.defaults(), LifecycleSettings.Clock.STREAM);
        List<KeyValueStore<String, Object>> stores = List.of(store(MetricsNames.DAY_MEMBERS_STORE, Serdes.ByteArray()),
                store(MetricsNames.PARTIALS_REFRESH_STORE, Serdes.String()));
        GaugeSnapshot gauge = new GaugeSnapshot(0, T0, 3, T0.minusSeconds(600), 0, 0);

        MockProcessorContext<String, byte[]> first = context(stores);
        router.init(first);
        Map<String, Map<String, Object>> committed = copy(stores);
        router.process(new Record<>("gauge", gauge, T0.toEpochMilli()));
        assertEquals(1, first.forwarded().size(), "the first gauge goes to the metrics processor");

        rollBack(stores, committed);
        MockProcessorContext<String, byte[]> revived = context(stores);
        router.init(revived);
        router.process(new Record<>("gauge", gauge, T0.toEpochMilli()));
        assertEquals(1, revived.forwarded().size(), "the aborted gauge must be sent again, not suppressed as unchanged");
    }

    // ------------------------------------------------------------------ the revival, by hand

    private void capture(Processor<String, byte[], String, Object> processor, MockProcessorContext<String, Object> context,
                         FindingReported finding, long offset) {
        capture(topics, processor, context, finding, offset);
    }

    /** Feeds one capture to the processor as if read from partition 0 at {@code offset}; fails on a dead letter. */
    static void capture(Topics topics, Processor<String, byte[], String, Object> processor, MockProcessorContext<String, Object> context,
                        FindingReported finding, long offset) {
        String topic = topics.name(Topics.FINDINGS_REPORTED);
        context.setRecordMetadata(topic, 0, offset);
        byte[] value = topics.valueSerde(Topics.FINDINGS_REPORTED).serializer().serialize(topic, finding);
        processor.process(new Record<>(finding.getFindingId(), value, finding.getEventTime().toEpochMilli()));
        for (MockProcessorContext.CapturedForward<? extends String, ?> f : context.forwarded()) {
            assertNotEquals(Optional.of(FindingLifecycleProcessor.TO_DEADLETTER), f.childName(), () -> "dead-lettered: " + f.record().value());
        }
    }

    static List<String> ageCrossings(MockProcessorContext<String, Object> context) {
        List<String> crossings = new ArrayList<>();
        for (MockProcessorContext.CapturedForward<? extends String, ?> f : context.forwarded()) {
            if (f.record().value() instanceof UnroutedEvent e && e.getKind() == UnroutedEventKind.THRESHOLD_CROSSED && e.getFindingId() != null) {
                crossings.add(e.getFindingId() + "@" + e.getEnteredAt());
            }
        }
        return crossings;
    }

    private List<KeyValueStore<String, Object>> lifecycleStores() {
        return lifecycleStores(topics);
    }

    /** Every store of the lifecycle processor, in memory and unlogged. */
    static List<KeyValueStore<String, Object>> lifecycleStores(Topics topics) {
        Map<String, Serde<?>> serdes = new LinkedHashMap<>();
        serdes.put(StoreNames.FINDING_STATE, topics.valueSerde(Topics.FINDINGS_STATE));
        serdes.put(StoreNames.UNROUTED_QUEUE, Serdes.Long());
        serdes.put(StoreNames.DEPENDENTS, Serdes.String());
        serdes.put(StoreNames.OWNER_OPEN, Serdes.String());
        serdes.put(StoreNames.SLA_FIRED, Serdes.Long());
        serdes.put(StoreNames.ASSETS, topics.valueSerde(Topics.ASSETS));
        serdes.put(StoreNames.OWNERS, topics.valueSerde(Topics.OWNERS));
        serdes.put(StoreNames.TEAMS, topics.valueSerde(Topics.TEAMS));
        serdes.put(StoreNames.KEV, topics.valueSerde(Topics.KEV));
        serdes.put(StoreNames.SLA_POLICIES, topics.valueSerde(Topics.SLA_POLICY));
        List<KeyValueStore<String, Object>> stores = new ArrayList<>();
        serdes.forEach((name, serde) -> stores.add(store(name, serde)));
        return stores;
    }

    /**
     * The stream clock with every queue snapshot taken (no wall-clock gap), a depth limit never reached, and a 4 h age
     * limit: a replay stepped through by hand.
     */
    static LifecycleSettings replaySettings() {
        LifecycleSettings defaults = LifecycleSettings.defaults();
        return new LifecycleSettings(LifecycleSettings.Clock.STREAM, defaults.punctuateInterval(), defaults.maxAlertsPerRun(),
                defaults.reminders(), defaults.noise(),
                new LifecycleSettings.UnroutedLimits(Duration.ofMinutes(1), 1_000, Duration.ofHours(4), Duration.ZERO));
    }

    @SuppressWarnings("unchecked")
    private static KeyValueStore<String, Object> store(String name, Serde<?> valueSerde) {
        return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), (Serde<Object>) valueSerde)
                .withLoggingDisabled().build();
    }

    static <K, V> MockProcessorContext<K, V> context(List<KeyValueStore<String, Object>> stores) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "revival-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9");
        MockProcessorContext<K, V> context = new MockProcessorContext<>(props);
        context.setCurrentSystemTimeMs(System.currentTimeMillis());
        for (KeyValueStore<String, Object> store : stores) {
            if (!store.isOpen()) {
                store.init(context.getStateStoreContext(), store);
            }
            context.addStateStore(store);
        }
        return context;
    }

    private static Map<String, Map<String, Object>> copy(List<KeyValueStore<String, Object>> stores) {
        Map<String, Map<String, Object>> copy = new LinkedHashMap<>();
        for (KeyValueStore<String, Object> store : stores) {
            Map<String, Object> entries = new LinkedHashMap<>();
            try (KeyValueIterator<String, Object> all = store.all()) {
                all.forEachRemaining(kv -> entries.put(kv.key, kv.value));
            }
            copy.put(store.name(), entries);
        }
        return copy;
    }

    private static void rollBack(List<KeyValueStore<String, Object>> stores, Map<String, Map<String, Object>> committed) {
        for (KeyValueStore<String, Object> store : stores) {
            List<String> keys = new ArrayList<>();
            try (KeyValueIterator<String, Object> all = store.all()) {
                all.forEachRemaining(kv -> keys.add(kv.key));
            }
            keys.forEach(store::delete);
            committed.get(store.name()).forEach(store::put);
        }
        assertEquals(committed, copy(stores));
    }
}

package dev.handoff.streams;

import dev.handoff.avro.FindingState;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.streams.metrics.CohortMessage;
import dev.handoff.streams.metrics.CohortPartials;
import dev.handoff.streams.metrics.CohortMetricsProcessor;
import dev.handoff.streams.metrics.MetricsNames;
import dev.handoff.streams.metrics.MetricsSettings;
import dev.handoff.streams.noise.OwnerLoadProcessor;
import dev.handoff.streams.reference.ReferenceFanout;
import dev.handoff.streams.reference.ReferenceKind;
import dev.handoff.streams.stages.FindingLifecycleProcessor;
import dev.handoff.streams.stages.LifecycleSettings;
import dev.handoff.streams.stages.StoreNames;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The handoff topology: reference changes checked and fanned out to every finding partition, and the lifecycle
 * processor that keeps each finding's six stage times and writes the activity log, the current state,
 * owner notifications, unrouted-queue events and dead letters. Every node, store and topic is named.
 */
public final class HandoffTopology {

    /** Suffix (after the topic prefix) of the topic that carries reference changes to every partition. */
    public static final String FANOUT_TOPIC_SUFFIX = "streams.reference-fanout";
    /** Owner-keyed deliveries and releases, so one task sees an owner's whole load. */
    public static final String OWNER_LOAD_TOPIC_SUFFIX = "streams.owner-load";
    /** Noise flags keyed by finding id, back to the finding's partition. */
    public static final String NOISE_FLAGS_TOPIC_SUFFIX = "streams.noise-flags";

    /**
     * Stores whose writes the record cache cannot merge (decision 0011): a finding's member facts are rewritten when they
     * change, rarely within one commit. Caching them only added entries to the cache's sorted maps, whose lookups were the
     * largest single cost of the stream threads.
     */
    static final Set<String> UNCACHED = Set.of(MetricsNames.DAY_MEMBERS_STORE);

    private HandoffTopology() {
    }

    public static String fanoutTopic(Topics topics) {
        return topics.prefix() + FANOUT_TOPIC_SUFFIX;
    }

    /** The topics handoff-streams declares itself, each with the findings' partition count. */
    public static List<String> internalTopics(Topics topics) {
        return List.of(fanoutTopic(topics), topics.prefix() + OWNER_LOAD_TOPIC_SUFFIX, topics.prefix() + NOISE_FLAGS_TOPIC_SUFFIX,
                cohortPartialsTopic(topics));
    }

    /**
     * The internal topics as they must be created: each with {@code partitions} (the findings' count), and the
     * cohort-partials topic compacted, since it is the partials store's changelog (decision 0010).
     */
    public static List<NewTopic> newInternalTopics(Topics topics, int partitions, short replicationFactor) {
        return internalTopics(topics).stream()
                .map(name -> new NewTopic(name, partitions, replicationFactor).configs(internalTopicConfigs(topics, name)))
                .toList();
    }

    /** The topic configs an internal topic must have (none but the cleanup policy of the compacted one). */
    public static Map<String, String> internalTopicConfigs(Topics topics, String name) {
        return name.equals(cohortPartialsTopic(topics)) ? Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT) : Map.of();
    }

    public static String cohortPartialsTopic(Topics topics) {
        return topics.prefix() + MetricsNames.COHORT_PARTIALS_TOPIC_SUFFIX;
    }

    public static Topology build(Topics topics) {
        return build(topics, LifecycleSettings.defaults());
    }

    public static Topology build(Topics topics, LifecycleSettings settings) {
        return build(topics, settings, MetricsSettings.defaults());
    }

    public static Topology build(Topics topics, LifecycleSettings settings, MetricsSettings metrics) {
        return build(topics, settings, metrics, settings.clock());
    }

    /**
     * With the metrics' refresh on its own clock: a replay of past weeks runs SLA timers on the events' time
     * ({@code sla.clock=stream}) while the cohorts are recomputed on the wall clock, as of now.
     */
    public static Topology build(Topics topics, LifecycleSettings settings, MetricsSettings metrics, LifecycleSettings.Clock metricsClock) {
        Topology t = new Topology();
        String fanout = fanoutTopic(topics);

        Map<String, ReferenceKind> kindByTopic = new LinkedHashMap<>();
        for (ReferenceKind kind : ReferenceKind.values()) {
            kindByTopic.put(topics.name(kind.topic()), kind);
        }
        t.addSource("reference-source", new StringDeserializer(), new ByteArrayDeserializer(),
                kindByTopic.keySet().toArray(String[]::new));
        t.addProcessor("reference-fanout", () -> new ReferenceFanout(kindByTopic, topics), "reference-source");
        t.addSink(ReferenceFanout.TO_FANOUT, fanout, new StringSerializer(), new ByteArraySerializer(),
                new ReferenceFanout.Multicast(), "reference-fanout");
        addSink(t, topics, ReferenceFanout.TO_DEADLETTER, Topics.DEADLETTER, "reference-fanout");

        String ownerLoad = topics.prefix() + OWNER_LOAD_TOPIC_SUFFIX;
        String noiseFlags = topics.prefix() + NOISE_FLAGS_TOPIC_SUFFIX;
        t.addSource("findings-source", new StringDeserializer(), new ByteArrayDeserializer(),
                topics.name(Topics.FINDINGS_REPORTED), topics.name(Topics.FINDINGS_COMMANDS),
                topics.name(Topics.NOTIFICATIONS_RECEIPTS), fanout, noiseFlags);
        t.addProcessor("finding-lifecycle", () -> new FindingLifecycleProcessor(topics, fanout, noiseFlags, settings), "findings-source");
        t.addSink(FindingLifecycleProcessor.TO_OWNER_LOAD, ownerLoad, new StringSerializer(), new StringSerializer(), "finding-lifecycle");

        t.addSource("owner-load-source", new StringDeserializer(), new StringDeserializer(), ownerLoad);
        t.addProcessor("owner-load", () -> new OwnerLoadProcessor(settings.noise()), "owner-load-source");
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(OwnerLoadProcessor.STORE), Serdes.String(), Serdes.Long())
                .withLoggingEnabled(Map.of()).withCachingEnabled(), "owner-load");
        t.addSink(OwnerLoadProcessor.TO_NOISE_FLAGS, noiseFlags, new StringSerializer(), new StringSerializer(), "owner-load");

        // A saved state is encoded once, for its store and findings.state alike (decision 0012).
        EncodedOnce<FindingState> states = EncodedOnce.of(topics, Topics.FINDINGS_STATE);
        addStore(t, StoreNames.FINDING_STATE, states);
        addStore(t, StoreNames.UNROUTED_QUEUE, Serdes.Long());
        addStore(t, StoreNames.DEPENDENTS, Serdes.String());
        addStore(t, StoreNames.OWNER_OPEN, Serdes.String());
        addStore(t, StoreNames.SLA_FIRED, Serdes.Long());
        addStore(t, StoreNames.ASSETS, topics.valueSerde(Topics.ASSETS));
        addStore(t, StoreNames.OWNERS, topics.valueSerde(Topics.OWNERS));
        addStore(t, StoreNames.TEAMS, topics.valueSerde(Topics.TEAMS));
        addStore(t, StoreNames.KEV, topics.valueSerde(Topics.KEV));
        addStore(t, StoreNames.SLA_POLICIES, topics.valueSerde(Topics.SLA_POLICY));

        // No store keeps the activities: a finding's history is read from findings.activity (decision 0015).
        addSink(t, topics, FindingLifecycleProcessor.TO_ACTIVITY, Topics.FINDINGS_ACTIVITY);
        t.addSink(FindingLifecycleProcessor.TO_STATE, topics.name(Topics.FINDINGS_STATE), new StringSerializer(), states.serializer(),
                "finding-lifecycle");
        addSink(t, topics, FindingLifecycleProcessor.TO_NOTIFY, Topics.NOTIFY_REQUESTS);
        addSink(t, topics, FindingLifecycleProcessor.TO_UNROUTED, Topics.ALERTS_UNROUTED);
        addSink(t, topics, FindingLifecycleProcessor.TO_BREACH, Topics.ALERTS_SLA_BREACH);
        addSink(t, topics, FindingLifecycleProcessor.TO_DEADLETTER, Topics.DEADLETTER);

        addMetrics(t, topics, metricsClock, metrics);
        return t;
    }

    /**
     * Cohort metrics (decisions 0005 and 0014): beside the lifecycle processor, each finding partition keeps its
     * findings' member facts by cohort day and sends its share of each changed cohort, as of the refresh boundary, on
     * an internal topic partitioned by series, where the metrics processor merges the shares and publishes the day,
     * week and month rows.
     */
    private static void addMetrics(Topology t, Topics topics, LifecycleSettings.Clock clock, MetricsSettings metrics) {
        String partials = cohortPartialsTopic(topics);
        t.addProcessor(MetricsNames.PARTIALS_NODE, () -> new CohortPartials(metrics, clock), "finding-lifecycle");
        t.addStateStore(cached(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(MetricsNames.DAY_MEMBERS_STORE),
                Serdes.String(), Serdes.ByteArray()).withLoggingEnabled(Map.of())), MetricsNames.PARTIALS_NODE);
        addStore(t, MetricsNames.PARTIALS_REFRESH_STORE, Serdes.String(), MetricsNames.PARTIALS_NODE);
        t.addSink("cohort-partials-sink", partials, new StringSerializer(), new ByteArraySerializer(),
                new CohortMessage.Partitioner(), MetricsNames.PARTIALS_NODE);

        // The partials store takes the compacted partials topic as its changelog (decision 0010): each record is the store
        // entry it makes, so a restore reads the topic, and the store costs no changelog write of its own.
        ProcessorSupplier<String, byte[], String, Object> processor = () -> new CohortMetricsProcessor(metrics, clock);
        @SuppressWarnings({"unchecked", "rawtypes"})
        ProcessorSupplier<String, byte[], Void, Void> updater = (ProcessorSupplier) processor;
        t.addReadOnlyStateStore(cached(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(MetricsNames.PARTIALS_STORE),
                        Serdes.String(), Serdes.ByteArray())),
                "cohort-partials-source", new StringDeserializer(), new ByteArrayDeserializer(), partials, MetricsNames.METRICS_NODE, updater);
        addStore(t, MetricsNames.HANDOFF_DAYS_STORE, topics.valueSerde(Topics.METRICS_HANDOFF), MetricsNames.METRICS_NODE);
        addStore(t, MetricsNames.CYCLE_DAYS_STORE, topics.valueSerde(Topics.METRICS_CYCLE), MetricsNames.METRICS_NODE);
        addStore(t, MetricsNames.REFRESH_STORE, Serdes.String(), MetricsNames.METRICS_NODE);
        addStore(t, MetricsNames.GAUGES_STORE, Serdes.String(), MetricsNames.METRICS_NODE);
        addSink(t, topics, CohortMetricsProcessor.TO_HANDOFF, Topics.METRICS_HANDOFF, MetricsNames.METRICS_NODE);
        addSink(t, topics, CohortMetricsProcessor.TO_CYCLE, Topics.METRICS_CYCLE, MetricsNames.METRICS_NODE);
    }

    private static <V> void addStore(Topology t, String name, Serde<V> valueSerde) {
        addStore(t, name, valueSerde, "finding-lifecycle");
    }

    private static <V> void addStore(Topology t, String name, Serde<V> valueSerde, String processor) {
        t.addStateStore(cached(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), valueSerde)
                .withLoggingEnabled(Map.of())), processor);
    }

    /** With the record cache, unless the store is one of {@link #UNCACHED}. */
    private static <S extends StateStore> StoreBuilder<S> cached(StoreBuilder<S> store) {
        return UNCACHED.contains(store.name()) ? store : store.withCachingEnabled();
    }

    /**
     * A topic's serde whose serializer remembers, per thread, the last {@value #REMEMBERED} values it encoded and their
     * bytes: a finding state is put into its store and then forwarded to its topic by the same stream thread, and is
     * Avro-encoded once instead of twice. The bytes are always the topic's encoding (the store's too, whatever topic Kafka Streams names), so
     * they are interchangeable. Values are compared by identity: a saved state is never changed after.
     */
    static final class EncodedOnce<V> implements Serde<V> {
        static final int REMEMBERED = 8;

        private final Serializer<V> encoder;
        private final org.apache.kafka.common.serialization.Deserializer<V> decoder;
        private final String topic;
        private final ThreadLocal<Memo> memo = ThreadLocal.withInitial(Memo::new);

        EncodedOnce(Serde<V> topicSerde, String topic) {
            this.encoder = topicSerde.serializer();
            this.decoder = topicSerde.deserializer();
            this.topic = topic;
        }

        static <V extends SpecificRecord> EncodedOnce<V> of(Topics topics, TopicDef<V> topic) {
            return new EncodedOnce<>(topics.valueSerde(topic), topics.name(topic));
        }

        byte[] encode(V value) {
            if (value == null) {
                return null;
            }
            Memo m = memo.get();
            for (int i = 0; i < REMEMBERED; i++) {
                if (m.values[i] == value) {
                    return m.bytes[i];
                }
            }
            byte[] bytes = encoder.serialize(topic, value);
            m.values[m.next] = value;
            m.bytes[m.next] = bytes;
            m.next = (m.next + 1) % REMEMBERED;
            return bytes;
        }

        /** One thread's last values and their bytes, replaced round robin. */
        private static final class Memo {
            final Object[] values = new Object[REMEMBERED];
            final byte[][] bytes = new byte[REMEMBERED][];
            int next;
        }

        @Override
        public Serializer<V> serializer() {
            return (ignoredTopic, value) -> encode(value);
        }

        @Override
        public org.apache.kafka.common.serialization.Deserializer<V> deserializer() {
            return decoder;
        }
    }

    private static <V extends SpecificRecord> void addSink(Topology t, Topics topics, String name, TopicDef<V> topic) {
        addSink(t, topics, name, topic, "finding-lifecycle");
    }

    @SuppressWarnings("unchecked")
    private static <V extends SpecificRecord> void addSink(Topology t, Topics topics, String name, TopicDef<V> topic, String parent) {
        Serializer<V> values = topics.valueSerde(topic).serializer();
        t.addSink(name, topics.name(topic), new StringSerializer(), (Serializer<Object>) (Serializer<?>) values, parent);
    }
}

package dev.handoff.streams.query;

import com.fasterxml.jackson.databind.JsonNode;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.UnroutedCause;
import dev.handoff.avro.CycleWindow;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.streams.metrics.GaugeSnapshot;
import dev.handoff.streams.metrics.GaugeStore;
import dev.handoff.streams.metrics.MetricRows;
import dev.handoff.streams.metrics.MetricsNames;
import dev.handoff.streams.stages.StoreNames;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsNotStartedException;
import org.apache.kafka.streams.errors.UnknownStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Answers the query API from the lifecycle processor's state stores with Kafka Streams interactive
 * queries. A finding is read on the instance whose active task holds its partition (here, or over HTTP
 * from that instance's internal endpoint); the queue and owner views gather every instance's part.
 *
 * <p>{@code applicationServer} must be the {@code application.server} value this instance's Kafka
 * Streams was configured with: that is how the service recognises itself in the group's metadata.
 * Reads that hit a rebalance are retried for a short while and then answered with a 503.
 */
public final class QueryService {

    public static final Duration DEFAULT_PEER_TIMEOUT = Duration.ofSeconds(3);
    public static final Duration DEFAULT_STORE_WAIT = Duration.ofSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(QueryService.class);
    private static final Serializer<String> KEYS = new StringSerializer();
    private static final Set<KafkaStreams.State> DEAD = EnumSet.of(KafkaStreams.State.PENDING_SHUTDOWN,
            KafkaStreams.State.NOT_RUNNING, KafkaStreams.State.PENDING_ERROR, KafkaStreams.State.ERROR);
    private static final long RETRY_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final int MAX_ID_LENGTH = 512;

    private static final Comparator<UnroutedItem> OLDEST_FIRST = Comparator.comparing(UnroutedItem::enteredAt)
            .thenComparing(UnroutedItem::findingId);
    /** The owner's most urgent work first: nearest handoff deadline, then the longest waiting. */
    private static final Comparator<OwnerOpenItem> MOST_URGENT_FIRST = Comparator
            .comparing(OwnerOpenItem::handoffDeadline, Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(OwnerOpenItem::capturedAt, Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(OwnerOpenItem::findingId);

    private final KafkaStreams streams;
    private final HostInfo self;
    private final PeerClient peers;
    private final Duration storeWait;
    private final ZoneId zone;
    private final ActivityHistory history;

    /**
     * @param history where a finding's timeline is read from ({@code findings.activity}); its owner closes it
     * @param zone    the workspace zone whose day boundaries cut metric cohorts ({@code metrics.zone})
     */
    public QueryService(KafkaStreams streams, String applicationServer, ActivityHistory history, ZoneId zone) {
        this(streams, applicationServer, history, DEFAULT_PEER_TIMEOUT, DEFAULT_STORE_WAIT, zone);
    }

    /**
     * @param peerTimeout bound on each call to another instance (connect and answer)
     * @param storeWait   how long a read waits for stores that are rebalancing before answering 503
     */
    public QueryService(KafkaStreams streams, String applicationServer, ActivityHistory history, Duration peerTimeout,
                        Duration storeWait, ZoneId zone) {
        this.zone = Objects.requireNonNull(zone, "zone");
        this.history = Objects.requireNonNull(history, "history");
        this.streams = Objects.requireNonNull(streams, "streams");
        this.self = parseHostInfo(applicationServer);
        this.peers = new PeerClient(Objects.requireNonNull(peerTimeout, "peerTimeout"));
        this.storeWait = Objects.requireNonNull(storeWait, "storeWait");
    }

    private static HostInfo parseHostInfo(String applicationServer) {
        if (applicationServer == null || applicationServer.isBlank()) {
            throw new IllegalArgumentException("application.server (host:port this instance advertises) is required for queries");
        }
        try {
            return HostInfo.buildFromEndpoint(applicationServer.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("application.server must be host:port, was '" + applicationServer + "'", e);
        }
    }

    /** This instance as the group's metadata names it. */
    public HostInfo self() {
        return self;
    }

    public KafkaStreams.State streamsState() {
        return streams.state();
    }

    // ------------------------------------------------------------------ public views

    /** The finding's state and timeline, from whichever instance holds it; empty when no such finding exists. */
    public Optional<FindingView> finding(String findingId) {
        requireId(findingId, "finding id");
        KeyQueryMetadata where = ownerOf(findingId);
        if (where.activeHost().equals(self)) {
            return readLocalFinding(findingId, where.partition());
        }
        return remoteFinding(where.activeHost(), findingId);
    }

    /** Every instance's unrouted queue as of {@code now}, oldest first. */
    public UnroutedQueue unrouted(Instant now) {
        Objects.requireNonNull(now, "now");
        List<UnroutedItem> all = gather(StoreNames.UNROUTED_QUEUE, "/internal/queues/unrouted", UnroutedItem::fromJson,
                () -> localUnrouted(now), "the unrouted queue");
        return new UnroutedQueue(now, all.stream().map(i -> i.at(now)).sorted(OLDEST_FIRST).toList());
    }

    /** The open findings routed to {@code ownerId} on every instance, most urgent first. */
    public List<OwnerOpenItem> ownerOpen(String ownerId) {
        requireId(ownerId, "owner id");
        List<OwnerOpenItem> all = gather(StoreNames.OWNER_OPEN, "/internal/owners/" + PeerClient.segment(ownerId) + "/open",
                OwnerOpenItem::fromJson, () -> localOwnerOpen(ownerId), "the open findings of owner " + ownerId);
        return all.stream().sorted(MOST_URGENT_FIRST).toList();
    }

    /** The workspace zone of metric cohorts. */
    public ZoneId zone() {
        return zone;
    }

    /** Metric rows merged over every instance's cohorts: whole range per (band, key), or per window with a granularity. */
    public List<MetricRows.Row> metrics(MetricRows.Selection selection, String queryString, MetricRows.Parts parts) {
        String what = "the metrics";
        List<MetricRows.Row> partials = gatherBodies(MetricsNames.HANDOFF_DAYS_STORE, "/internal/metrics/rows?" + queryString
                        + "&parts=" + parts.name().toLowerCase(java.util.Locale.ROOT),
                PeerWire::decodeRows, () -> localMetrics(selection, parts), what);
        return MetricRows.merge(partials, now());
    }

    /**
     * The workspace gauges: every metrics task holds every partition's snapshots, so the freshest local
     * copy answers; an instance without a metrics task asks the others.
     */
    public Optional<GaugeAnswer> gauges(Instant from, Instant to) {
        List<GaugeAnswer> answers = gatherBodies(MetricsNames.GAUGES_STORE,
                "/internal/metrics/gauges?from=" + from.toEpochMilli() + "&to=" + to.toEpochMilli(),
                body -> body.has("latest") ? List.of(GaugeAnswer.fromJson(body)) : List.of(),
                () -> localGauges(from, to).map(List::of).orElse(List.of()), "the gauges");
        return answers.stream().max(Comparator.comparing(a -> a.latest().at()));
    }

    /** The workspace's default SLA policy as the lifecycle processor holds it, or the built-in one before any was published. */
    public dev.handoff.avro.SlaPolicy defaultSlaPolicy() {
        dev.handoff.avro.SlaPolicy builtIn = dev.handoff.streams.sla.SlaPolicies.defaultPolicy();
        try {
            if (streams.state() == KafkaStreams.State.RUNNING && hostsStore(StoreNames.SLA_POLICIES)) {
                ReadOnlyKeyValueStore<String, dev.handoff.avro.SlaPolicy> policies = store(StoreNames.SLA_POLICIES, null);
                dev.handoff.avro.SlaPolicy published = policies.get(builtIn.getPolicyId());
                return published == null ? builtIn : published;
            }
        } catch (RuntimeException e) {
            log.debug("SLA policies not readable right now ({}); describing the built-in policy", e.toString());
        }
        return builtIn;
    }

    /** Kafka Streams of this instance, for its own metrics. */
    KafkaStreams streams() {
        return streams;
    }

    /** This instance's freshest workspace gauges, for the Prometheus endpoint; empty when it holds none. */
    Optional<GaugeSnapshot> localLatestGauges() {
        try {
            if (streams.state() != KafkaStreams.State.RUNNING || !hostsStore(MetricsNames.GAUGES_STORE)) {
                return Optional.empty();
            }
            return Optional.ofNullable(GaugeStore.sum(this.<String>store(MetricsNames.GAUGES_STORE, null)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    // ------------------------------------------------------------------ this instance only (the internal endpoints)

    List<MetricRows.Row> localMetrics(MetricRows.Selection selection, MetricRows.Parts parts) {
        awaitRunning("the metrics");
        return withStores("the metrics", () -> {
            if (!hostsStore(MetricsNames.HANDOFF_DAYS_STORE)) {
                return List.<MetricRows.Row>of();
            }
            // One partition at a time: MetricRows.read finds a dimension's series by skipping through its store's
            // keys in order, and a store spanning several local partitions iterates them one after the other, not in
            // one order, so series of the later partitions would be skipped. A series lives in one partition.
            List<MetricRows.Row> rows = new ArrayList<>();
            Instant at = now();
            for (int partition : localPartitions(MetricsNames.COHORT_PARTIALS_TOPIC_SUFFIX)) {
                ReadOnlyKeyValueStore<String, HandoffWindow> days = store(MetricsNames.HANDOFF_DAYS_STORE, partition);
                ReadOnlyKeyValueStore<String, CycleWindow> cycles = store(MetricsNames.CYCLE_DAYS_STORE, partition);
                rows.addAll(MetricRows.read(days, cycles, selection, zone, at, parts));
            }
            return rows;
        });
    }

    /** The partitions of the source topic ending with {@code topicSuffix} this instance's active tasks process. */
    private Set<Integer> localPartitions(String topicSuffix) {
        Set<Integer> partitions = new java.util.TreeSet<>();
        for (org.apache.kafka.streams.ThreadMetadata thread : streams.metadataForLocalThreads()) {
            for (org.apache.kafka.streams.TaskMetadata task : thread.activeTasks()) {
                task.topicPartitions().stream().filter(tp -> tp.topic().endsWith(topicSuffix))
                        .forEach(tp -> partitions.add(tp.partition()));
            }
        }
        return partitions;
    }

    Optional<GaugeAnswer> localGauges(Instant from, Instant to) {
        awaitRunning("the gauges");
        return withStores("the gauges", () -> {
            if (!hostsStore(MetricsNames.GAUGES_STORE)) {
                return Optional.<GaugeAnswer>empty();
            }
            ReadOnlyKeyValueStore<String, String> store = store(MetricsNames.GAUGES_STORE, null);
            GaugeSnapshot latest = GaugeStore.sum(store);
            return latest == null ? Optional.<GaugeAnswer>empty() : Optional.of(new GaugeAnswer(latest, GaugeStore.history(store, from, to)));
        });
    }

    private static Instant now() {
        return Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    }

    /**
     * The finding from this instance's stores. Answers 503 when another instance holds the finding's
     * partition: the caller's metadata was stale and it should ask again after the rebalance settles.
     */
    Optional<FindingView> localFinding(String findingId) {
        requireId(findingId, "finding id");
        KeyQueryMetadata where = ownerOf(findingId);
        if (!where.activeHost().equals(self)) {
            throw QueryException.unavailable("finding " + findingId + " is held by instance " + PeerClient.endpoint(where.activeHost())
                    + ", not by " + PeerClient.endpoint(self) + ": the asking instance's metadata is out of date; retry", null);
        }
        return readLocalFinding(findingId, where.partition());
    }

    /** This instance's part of the unrouted queue (time in queue measured at {@code now}), unsorted. */
    List<UnroutedItem> localUnrouted(Instant now) {
        awaitRunning("the unrouted queue");
        return withStores("the unrouted queue", () -> {
            if (!hostsStore(StoreNames.UNROUTED_QUEUE)) {
                return List.<UnroutedItem>of();
            }
            ReadOnlyKeyValueStore<String, Long> queue = store(StoreNames.UNROUTED_QUEUE, null);
            ReadOnlyKeyValueStore<String, FindingState> states = store(StoreNames.FINDING_STATE, null);
            List<UnroutedItem> items = new ArrayList<>();
            try (KeyValueIterator<String, Long> it = queue.all()) {
                it.forEachRemaining(kv -> {
                    FindingState state = states.get(kv.key);
                    UnroutedCause cause = causeOf(state, state == null ? null : state.getUnroutedCause());
                    items.add(new UnroutedItem(kv.key, Instant.ofEpochMilli(kv.value), Duration.ZERO, cause,
                            state == null ? null : state.getBand(), state == null ? null : state.getTitle(),
                            state == null ? null : state.getAssetId()).at(now));
                });
            }
            return items;
        });
    }

    /** This instance's open findings of {@code ownerId}, unsorted. */
    List<OwnerOpenItem> localOwnerOpen(String ownerId) {
        requireId(ownerId, "owner id");
        String what = "the open findings of owner " + ownerId;
        awaitRunning(what);
        return withStores(what, () -> {
            if (!hostsStore(StoreNames.OWNER_OPEN)) {
                return List.<OwnerOpenItem>of();
            }
            ReadOnlyKeyValueStore<String, String> index = store(StoreNames.OWNER_OPEN, null);
            ReadOnlyKeyValueStore<String, FindingState> states = store(StoreNames.FINDING_STATE, null);
            String prefix = ownerId + "|";
            List<OwnerOpenItem> items = new ArrayList<>();
            try (KeyValueIterator<String, String> it = index.prefixScan(prefix, KEYS)) {
                it.forEachRemaining(kv -> {
                    String findingId = kv.key.substring(prefix.length());
                    // The index and the state live in the same task, so the state is local too.
                    FindingState s = states.get(findingId);
                    items.add(s == null
                            ? new OwnerOpenItem(findingId, band(kv.value), null, null, null, null, null)
                            : new OwnerOpenItem(findingId, s.getBand(), s.getStatus(), s.getTitle(), s.getCapturedAt(),
                                    s.getHandoffDeadline(), s.getAcknowledgedAt()));
                });
            }
            return items;
        });
    }

    // ------------------------------------------------------------------ reading

    private Optional<FindingView> readLocalFinding(String findingId, int partition) {
        Optional<FindingState> state = withStores("finding " + findingId,
                () -> Optional.ofNullable(this.<FindingState>store(StoreNames.FINDING_STATE, partition).get(findingId)));
        // The timeline is read from findings.activity (decision 0015), outside the store retries: it needs no store.
        return state.map(s -> new FindingView(s, history.read(findingId, s.getCapturedAt())));
    }

    /**
     * Why a queued finding has no owner. No bound asset is always a binding gap; otherwise the cause its last
     * routing found (on the state since decision 0015), unless that is a binding gap the asset register has since closed.
     */
    static UnroutedCause causeOf(FindingState state, UnroutedCause lastRecorded) {
        if (state != null && state.getAssetId() == null) {
            return UnroutedCause.ASSET_BINDING_GAP;
        }
        if (lastRecorded != null && lastRecorded != UnroutedCause.ASSET_BINDING_GAP) {
            return lastRecorded;
        }
        return state == null ? lastRecorded : UnroutedCause.NO_ACTIVE_OWNER;
    }

    private static SeverityBand band(String name) {
        try {
            return SeverityBand.valueOf(name);
        } catch (IllegalArgumentException | NullPointerException e) {
            return null;
        }
    }

    private <V> ReadOnlyKeyValueStore<String, V> store(String name, Integer partition) {
        StoreQueryParameters<ReadOnlyKeyValueStore<String, V>> params =
                StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.keyValueStore());
        return streams.store(partition == null ? params : params.withPartition(partition));
    }

    private boolean hostsStore(String store) {
        return clientsOf(store).stream().anyMatch(m -> m.hostInfo().equals(self));
    }

    /** The instances with active tasks of {@code store}; throws {@link NotYet} while the metadata is not available. */
    private Collection<StreamsMetadata> clientsOf(String store) {
        try {
            return streams.streamsMetadataForStore(store);
        } catch (StreamsNotStartedException | IllegalStateException e) {
            throw new NotYet("Kafka Streams on this instance is " + streams.state());
        }
    }

    // ------------------------------------------------------------------ where the data is

    private KeyQueryMetadata ownerOf(String findingId) {
        return retrying("finding " + findingId, () -> {
            failIfDead("finding " + findingId);
            KeyQueryMetadata m;
            try {
                m = streams.queryMetadataForKey(StoreNames.FINDING_STATE, findingId, KEYS);
            } catch (StreamsNotStartedException | IllegalStateException e) {
                throw new NotYet("Kafka Streams on this instance is " + streams.state());
            }
            if (m == null || KeyQueryMetadata.NOT_AVAILABLE.equals(m) || m.activeHost() == null
                    || HostInfo.unavailable().equals(m.activeHost())) {
                throw new NotYet("no instance is active for the finding's partition (the group is rebalancing)");
            }
            return m;
        });
    }

    private Optional<FindingView> remoteFinding(HostInfo holder, String findingId) {
        String host = PeerClient.endpoint(holder);
        log.debug("forwarding finding {} to {}", findingId, host);
        PeerClient.Response r;
        try {
            r = peers.await(peers.get(holder, "/internal/findings/" + PeerClient.segment(findingId)));
        } catch (PeerClient.PeerFailure e) {
            log.warn("instance {} holding finding {} did not answer: {}", host, findingId, e.getMessage());
            throw QueryException.unavailable("instance " + host + " holds finding " + findingId + " but did not answer ("
                    + e.getMessage() + "); it may be down, retry once the group has rebalanced", e);
        }
        return switch (r.status()) {
            case 200 -> {
                try {
                    yield Optional.of(PeerWire.decode(r.body()));
                } catch (RuntimeException e) {
                    throw QueryException.badGateway("instance " + host + " answered finding " + findingId
                            + " with a body this instance cannot read: " + e.getMessage(), e);
                }
            }
            case 404 -> Optional.empty();
            case 503 -> throw QueryException.unavailable("instance " + host + " cannot answer for finding " + findingId
                    + " right now: " + r.error(), null);
            default -> throw QueryException.badGateway("instance " + host + " answered HTTP " + r.status()
                    + " for finding " + findingId + ": " + r.error(), null);
        };
    }

    /**
     * This instance's part plus every other instance's, fetched in parallel. One silent instance fails
     * the whole answer: a queue missing a partition would under-report depth without saying so.
     */
    private <T> List<T> gather(String store, String path, Function<JsonNode, T> parse, Supplier<List<T>> local, String what) {
        return gatherBodies(store, path, body -> {
            List<T> items = new ArrayList<>();
            for (JsonNode item : body.path("items")) {
                items.add(parse.apply(item));
            }
            return items;
        }, local, what);
    }

    /** {@link #gather} with the parser given each instance's whole answer. */
    private <T> List<T> gatherBodies(String store, String path, Function<JsonNode, List<T>> parse, Supplier<List<T>> local, String what) {
        awaitRunning(what);
        Map<HostInfo, CompletableFuture<PeerClient.Response>> calls = new LinkedHashMap<>();
        for (StreamsMetadata m : retrying(what, () -> clientsOf(store))) {
            if (!m.hostInfo().equals(self)) {
                calls.put(m.hostInfo(), peers.get(m.hostInfo(), path));
            }
        }
        List<T> all = new ArrayList<>(local.get());
        List<String> failures = new ArrayList<>();
        for (Map.Entry<HostInfo, CompletableFuture<PeerClient.Response>> call : calls.entrySet()) {
            String host = PeerClient.endpoint(call.getKey());
            try {
                PeerClient.Response r = peers.await(call.getValue());
                if (r.status() != 200) {
                    failures.add(host + " answered HTTP " + r.status() + ": " + r.error());
                    continue;
                }
                all.addAll(parse.apply(r.body()));
            } catch (PeerClient.PeerFailure e) {
                failures.add(host + " did not answer (" + e.getMessage() + ")");
            } catch (RuntimeException e) {
                failures.add(host + " sent an answer this instance cannot read (" + e.getMessage() + ")");
            }
        }
        if (!failures.isEmpty()) {
            log.warn("incomplete answer for {}: {}", what, failures);
            throw QueryException.unavailable("cannot list " + what + " completely: " + String.join("; ", failures), null);
        }
        return all;
    }

    // ------------------------------------------------------------------ waiting out rebalances

    /** Waits (briefly) for RUNNING: while rebalancing, the set of local partitions is in flux. */
    private void awaitRunning(String what) {
        retrying(what, () -> {
            failIfDead(what);
            if (streams.state() != KafkaStreams.State.RUNNING) {
                throw new NotYet("Kafka Streams on this instance is " + streams.state() + ", not RUNNING");
            }
            return Boolean.TRUE;
        });
    }

    private <T> T withStores(String what, Supplier<T> read) {
        return retrying(what, () -> {
            failIfDead(what);
            try {
                return read.get();
            } catch (UnknownStateStoreException e) {
                throw new IllegalStateException("store missing from the topology: " + e.getMessage(), e);
            } catch (InvalidStateStoreException e) {
                throw new NotYet("the local stores are not queryable (" + e.getMessage() + ")");
            }
        });
    }

    private void failIfDead(String what) {
        KafkaStreams.State state = streams.state();
        if (DEAD.contains(state)) {
            throw QueryException.unavailable("cannot read " + what + ": Kafka Streams on this instance is " + state, null);
        }
    }

    private <T> T retrying(String what, Supplier<T> attempt) {
        long deadline = System.nanoTime() + storeWait.toNanos();
        while (true) {
            try {
                return attempt.get();
            } catch (NotYet e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw QueryException.unavailable("cannot read " + what + " right now: " + e.getMessage()
                            + "; retry shortly", null);
                }
                LockSupport.parkNanos(RETRY_PAUSE_NANOS);
                if (Thread.currentThread().isInterrupted()) {
                    throw QueryException.unavailable("interrupted while waiting to read " + what, null);
                }
            }
        }
    }

    private static void requireId(String id, String what) {
        if (id == null || id.isBlank()) {
            throw QueryException.badRequest(what + " is empty");
        }
        if (id.length() > MAX_ID_LENGTH) {
            throw QueryException.badRequest(what + " is longer than " + MAX_ID_LENGTH + " characters");
        }
        if (id.indexOf('|') >= 0 || id.chars().anyMatch(Character::isISOControl)) {
            throw QueryException.badRequest(what + " contains '|' or a control character, which no id has");
        }
    }

    /** A transient condition worth another attempt until the store wait runs out. */
    private static final class NotYet extends RuntimeException {
        NotYet(String message) {
            super(message, null, false, false);
        }
    }
}

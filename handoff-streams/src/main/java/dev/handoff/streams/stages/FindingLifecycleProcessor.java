package dev.handoff.streams.stages;

import dev.handoff.avro.ActivityKind;
import dev.handoff.avro.Actor;
import dev.handoff.avro.AlertLevel;
import dev.handoff.avro.Asset;
import dev.handoff.avro.CaptureOrigin;
import dev.handoff.avro.CommandKind;
import dev.handoff.avro.DeadLetterKind;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.DispatchOutcome;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.FindingActivity;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.FindingStatus;
import dev.handoff.avro.KevEntry;
import dev.handoff.avro.LifecycleCommand;
import dev.handoff.avro.NotificationDispatched;
import dev.handoff.avro.NotificationReason;
import dev.handoff.avro.Owner;
import dev.handoff.avro.OwnerNotification;
import dev.handoff.avro.Reassignment;
import dev.handoff.avro.ResponsibleSide;
import dev.handoff.avro.RouteKind;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SeverityChange;
import dev.handoff.avro.SlaBreach;
import dev.handoff.avro.SlaKind;
import dev.handoff.avro.SlaPolicy;
import dev.handoff.avro.Stage;
import dev.handoff.avro.Team;
import dev.handoff.avro.UnroutedCause;
import dev.handoff.avro.UnroutedEvent;
import dev.handoff.avro.UnroutedEventKind;
import dev.handoff.avro.UnroutedThreshold;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.schemas.LifecycleCommands;
import dev.handoff.schemas.Topics;
import dev.handoff.streams.SortableMillis;
import dev.handoff.streams.enrich.SeverityBands;
import dev.handoff.streams.noise.OwnerLoad;
import dev.handoff.streams.enrich.SeverityNormaliser;
import dev.handoff.streams.input.DeadLetters;
import dev.handoff.streams.input.InputRules;
import dev.handoff.streams.reference.ReferenceKind;
import dev.handoff.streams.routing.AliasIndex;
import dev.handoff.streams.routing.Dependencies;
import dev.handoff.streams.routing.OwnerResolver;
import dev.handoff.streams.sla.SlaClock;
import dev.handoff.streams.sla.SlaPolicies;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The per-finding stage state machine (DESIGN.md sections 3 and 4): captures, lifecycle commands,
 * delivery receipts and reference-data changes of one partition come through here in log order; the
 * finding's state lives in {@link StoreNames#FINDING_STATE} and every accepted input and derived
 * transition goes to the activity log. Bad input goes to the dead-letter topic; nothing here throws.
 */
public final class FindingLifecycleProcessor implements Processor<String, byte[], String, Object> {

    public static final String TO_ACTIVITY = "to-findings-activity";
    public static final String TO_STATE = "to-findings-state";
    public static final String TO_NOTIFY = "to-notify-requests";
    public static final String TO_UNROUTED = "to-alerts-unrouted";
    public static final String TO_BREACH = "to-alerts-sla-breach";
    public static final String TO_OWNER_LOAD = "to-owner-load";
    public static final String TO_DEADLETTER = "to-deadletter";
    /** The metrics router beside this processor: every saved state and every gauge snapshot. */
    public static final String TO_METRICS = dev.handoff.streams.metrics.MetricsNames.PARTIALS_NODE;

    private static final Logger log = LoggerFactory.getLogger(FindingLifecycleProcessor.class);
    private static final String SOURCE = "handoff-streams";

    private static final String STREAM_TIME_KEY = "~stream-time";
    /** The band reason of a severity a person set with CHANGE_SEVERITY. */
    private static final String MANUAL_REASON = "manual";
    private static final String LAST_SNAPSHOT_KEY = "~unrouted-snapshot";
    /*
     * The unrouted queue's own keys in the timer store, so a depth snapshot reads a counter and one key instead of the
     * whole queue (in a replay a snapshot is due about once per record): an index by entry time whose first key is the
     * oldest entry, and one age alarm per entry, due when it passes the age limit and deleted when it fires.
     */
    private static final String QUEUE_PREFIX = "U|";
    private static final String AGE_PREFIX = "A|";
    /** The dependents store's only keys: {@code F|<finding id>}, the reference keys its last routing decision read. */
    private static final String ROUTED_PREFIX = "F|";
    private static final org.apache.kafka.common.serialization.StringSerializer KEYS = new org.apache.kafka.common.serialization.StringSerializer();

    private final Topics topics;
    private final String fanoutTopic;
    private final String noiseFlagsTopic;
    private final LifecycleSettings settings;
    private SlaTimers timers;
    /**
     * The finding state last read or saved, so the save after a read does not read and decode it again (an Avro decode
     * of the whole state per input). Only this processor writes the store, always through {@link #save}; emptied in
     * {@code init}, where a revived task's stores are rolled back.
     */
    private String loadedId;
    private FindingState loaded;
    private TimerIndex timerIndex;
    private DependentsIndex dependentIndex;
    private KeyValueStore<String, Long> fired;
    private Instant streamTime = Instant.EPOCH;
    private final SeverityNormaliser normaliser = new SeverityNormaliser();
    private final Map<String, SlaClock> clocks = new HashMap<>();
    /**
     * The clock of each team's policy, so a save does not read and decode the team and its policy from their stores (a
     * third of the stream threads' Avro decoding in the end-to-end bench). Emptied when a team or a policy changes.
     */
    private final Map<String, SlaClock> clockByTeam = new HashMap<>();
    /** The event time of the last depth snapshot (logged under {@code LAST_SNAPSHOT_KEY}; read from the store in {@code init}). */
    private Long lastSnapshotMs;
    /** Stream clock: a depth snapshot is due but waits for the wall-clock gap (see {@link #process}). */
    private boolean snapshotPending;
    /** The partition's unrouted queue depth, counted from the queue in {@code init} and kept with each entry and departure. */
    private int unroutedDepth;
    private long lastSnapshotWallMs = Long.MIN_VALUE;

    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, FindingState> states;
    private KeyValueStore<String, Long> unrouted;
    private KeyValueStore<String, String> dependents;
    private KeyValueStore<String, String> ownerOpen;
    private KeyValueStore<String, Asset> assets;
    private KeyValueStore<String, Owner> owners;
    private KeyValueStore<String, Team> teams;
    private KeyValueStore<String, KevEntry> kev;
    private KeyValueStore<String, SlaPolicy> policies;
    private AliasIndex aliases;
    private DecodedReferences<Asset> assetRecords;
    private DecodedReferences<Owner> ownerRecords;
    private DecodedReferences<Team> teamRecords;
    private DecodedReferences<KevEntry> kevRecords;

    private Deserializer<FindingReported> reportedDeserializer;
    private Deserializer<LifecycleCommand> commandDeserializer;
    private Deserializer<NotificationDispatched> receiptDeserializer;
    private final Map<ReferenceKind, Deserializer<? extends SpecificRecord>> referenceDeserializers = new HashMap<>();

    public FindingLifecycleProcessor(Topics topics, String fanoutTopic, String noiseFlagsTopic, LifecycleSettings settings) {
        this.topics = topics;
        this.fanoutTopic = fanoutTopic;
        this.noiseFlagsTopic = noiseFlagsTopic;
        this.settings = settings;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        // Kafka Streams calls init again on this same instance when it revives a task after an aborted transaction
        // (exactly-once: a fenced producer, a timed-out transaction). The stores are then rolled back to the last
        // commit, so every in-memory copy of them must go too.
        clocks.clear();
        clockByTeam.clear();
        loadedId = null;
        loaded = null;
        snapshotPending = false;
        lastSnapshotWallMs = Long.MIN_VALUE;
        states = context.getStateStore(StoreNames.FINDING_STATE);
        unrouted = context.getStateStore(StoreNames.UNROUTED_QUEUE);
        dependents = context.getStateStore(StoreNames.DEPENDENTS);
        ownerOpen = context.getStateStore(StoreNames.OWNER_OPEN);
        assets = context.getStateStore(StoreNames.ASSETS);
        owners = context.getStateStore(StoreNames.OWNERS);
        teams = context.getStateStore(StoreNames.TEAMS);
        kev = context.getStateStore(StoreNames.KEV);
        policies = context.getStateStore(StoreNames.SLA_POLICIES);
        assetRecords = new DecodedReferences<>(assets);
        ownerRecords = new DecodedReferences<>(owners);
        teamRecords = new DecodedReferences<>(teams);
        kevRecords = new DecodedReferences<>(kev);
        reportedDeserializer = topics.valueSerde(Topics.FINDINGS_REPORTED).deserializer();
        commandDeserializer = topics.valueSerde(Topics.FINDINGS_COMMANDS).deserializer();
        receiptDeserializer = topics.valueSerde(Topics.NOTIFICATIONS_RECEIPTS).deserializer();
        for (ReferenceKind kind : ReferenceKind.values()) {
            referenceDeserializers.put(kind, topics.valueSerde(kind.topic()).deserializer());
        }
        timerIndex = new TimerIndex(); // nothing an aborted transaction left can survive into a revived task
        dependentIndex = new DependentsIndex();
        fired = context.getStateStore(StoreNames.SLA_FIRED);
        timers = new SlaTimers(timerIndex, fired, settings.reminders());
        lastSnapshotMs = fired.get(LAST_SNAPSHOT_KEY);
        Long savedStreamTime = fired.get(STREAM_TIME_KEY);
        streamTime = savedStreamTime == null ? Instant.EPOCH : Instant.ofEpochMilli(savedStreamTime);
        if (settings.clock() == LifecycleSettings.Clock.WALL) {
            context.schedule(settings.punctuateInterval(), org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME,
                    ts -> fireDue(Instant.ofEpochMilli(ts)));
            context.schedule(settings.unrouted().snapshotInterval(), org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME,
                    ts -> snapshotUnrouted(Instant.ofEpochMilli(ts)));
        } else if (!settings.unrouted().replayGap().isZero()) {
            // A snapshot held back by the wall-clock gap is taken when the gap has passed, records or not, so the last
            // one of a replay describes the queue at its end.
            context.schedule(settings.unrouted().replayGap(), org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME,
                    ts -> {
                        if (snapshotPending) {
                            snapshotUnrouted(streamTime);
                        }
                    });
        }
        aliases = new AliasIndex();
        try (KeyValueIterator<String, Asset> all = assets.all()) {
            all.forEachRemaining(kv -> aliases.put(kv.value));
        }
        rebuildTimers();
    }

    /**
     * The timer index is in memory and not logged (decisions 0009, 0011): every timer is implied by a finding's state and
     * the alerts already fired, both logged, so it is rebuilt here, from a new index, on every start, rebalance and
     * revival instead of costing a changelog write per key (the largest changelog of the end-to-end bench). The same
     * holds for the unrouted queue's index and age alarms, which it also holds, and the depth counted from the queue.
     */
    private void rebuildTimers() {
        try (KeyValueIterator<String, FindingState> all = states.all()) {
            all.forEachRemaining(kv -> {
                reschedule(kv.value);
                dependentIndex.addAll(impliedDependencies(kv.value), kv.key);
            });
        }
        try (KeyValueIterator<String, String> routed = dependents.prefixScan(ROUTED_PREFIX, KEYS)) {
            routed.forEachRemaining(kv -> dependentIndex.addAll(splitKeys(kv.value), kv.key.substring(ROUTED_PREFIX.length())));
        }
        indexUnroutedQueue();
    }

    @Override
    public void process(Record<String, byte[]> record) {
        Optional<RecordMetadata> meta = context.recordMetadata();
        String topic = meta.map(RecordMetadata::topic).orElse("");
        try {
            if (topic.equals(topics.name(Topics.FINDINGS_REPORTED))) {
                onCapture(record, decode(reportedDeserializer, record, topic));
            } else if (topic.equals(topics.name(Topics.FINDINGS_COMMANDS))) {
                onCommand(record, decode(commandDeserializer, record, topic));
            } else if (topic.equals(topics.name(Topics.NOTIFICATIONS_RECEIPTS))) {
                onReceipt(record, decode(receiptDeserializer, record, topic));
            } else if (topic.equals(fanoutTopic)) {
                onReferenceChange(record);
            } else if (topic.equals(noiseFlagsTopic)) {
                onNoiseFlag(record);
            } else {
                deadLetter(record, DeadLetterKind.INTERNAL, "record from unexpected topic '" + topic + "'", null);
            }
        } catch (Rejected rejected) {
            deadLetter(record, rejected.kind, rejected.getMessage(), rejected.getCause());
        } catch (RuntimeException e) {
            // A bug must not stop every finding behind this record: park it with the stack's cause and go on.
            log.error("could not process a record of {} (key {}): {}", topic, record.key(), e.toString(), e);
            deadLetter(record, DeadLetterKind.INTERNAL, "internal error while processing: " + e, e);
        }
        if (settings.clock() == LifecycleSettings.Clock.STREAM) {
            fireDue(streamTime);
            Long last = lastSnapshotMs;
            if (last == null || !streamTime.isBefore(Instant.ofEpochMilli(last).plus(settings.unrouted().snapshotInterval()))) {
                // A replay of weeks passes a snapshot interval of event time about once per record; each snapshot is an
                // event and a gauge sent to every metrics partition. At most one per replay gap of wall time, then.
                long wall = context.currentSystemTimeMs();
                if (lastSnapshotWallMs == Long.MIN_VALUE || wall - lastSnapshotWallMs >= settings.unrouted().replayGap().toMillis()) {
                    snapshotUnrouted(streamTime);
                } else {
                    snapshotPending = true;
                }
            }
        }
    }

    // ------------------------------------------------------------------ unrouted queue depth and limits

    /**
     * Reports this partition's queue depth (keyed {@code depth/<partition>}: the workspace depth is the
     * sum of every partition's latest snapshot) and sends it with the partition's gauges to the metrics.
     * Threshold crossings are raised as they happen: the depth limit when a finding enters the queue
     * ({@link #adjustDepth}), the age limit by each entry's alarm ({@link #fireAgeAlarms}).
     */
    private void snapshotUnrouted(Instant now) {
        fired.put(LAST_SNAPSHOT_KEY, now.toEpochMilli());
        lastSnapshotMs = now.toEpochMilli();
        snapshotPending = false;
        lastSnapshotWallMs = context.currentSystemTimeMs();
        String depthKey = depthKey();
        int depth = unroutedDepth;
        Instant oldest = oldestUnrouted();
        Cause cause = new Cause("unrouted-snapshot/" + context.taskId().partition() + "/" + now.toEpochMilli(), now, null, SOURCE);
        Emits out = new Emits(depthKey, cause);
        UnroutedEvent snapshot = unroutedEvent(out, cause, UnroutedEventKind.DEPTH_SNAPSHOT)
                .setDepth(depth).setOldestEnteredAt(oldest).build();
        out.emit(TO_UNROUTED, depthKey, snapshot);
        out.flushWithoutState(context);
        context.forward(new Record<String, Object>(depthKey, new dev.handoff.streams.metrics.GaugeSnapshot(context.taskId().partition(),
                now, depth, oldest, 0, 0), now.toEpochMilli()), TO_METRICS);
    }

    private String depthKey() {
        return "depth/" + context.taskId().partition();
    }

    private Instant oldestUnrouted() {
        String first = timerIndex.first(QUEUE_PREFIX, QUEUE_PREFIX + "~");
        return first == null ? null : Instant.ofEpochMilli(Long.parseLong(first.substring(QUEUE_PREFIX.length(), QUEUE_PREFIX.length() + 13)));
    }

    private static String queueKey(long enteredMs, String findingId) {
        return QUEUE_PREFIX + SortableMillis.of(enteredMs) + "|" + findingId;
    }

    private String ageAlarmKey(long enteredMs, String findingId) {
        return AGE_PREFIX + SortableMillis.of(enteredMs + settings.unrouted().ageLimit().toMillis()) + "|" + enteredMs + "|" + findingId;
    }

    /** Counts the queue and builds its index and age alarms from the queue itself; an entry whose age alert fired gets no alarm. */
    private void indexUnroutedQueue() {
        int depth = 0;
        try (KeyValueIterator<String, Long> it = unrouted.all()) {
            while (it.hasNext()) {
                KeyValue<String, Long> kv = it.next();
                depth++;
                timerIndex.put(queueKey(kv.value, kv.key), "");
                if (fired.get(ageFiredKey(kv.key, kv.value)) == null) {
                    timerIndex.put(ageAlarmKey(kv.value, kv.key), "");
                }
            }
        }
        unroutedDepth = depth;
    }

    private static String ageFiredKey(String findingId, long enteredMs) {
        return "unrouted-age|" + findingId + "|" + enteredMs;
    }

    /** Counts an entry or a departure, and raises the depth crossing once when the depth reaches its limit. */
    private void adjustDepth(int delta, Emits out, Cause cause) {
        unroutedDepth += delta;
        int depth = unroutedDepth;
        String depthKey = depthKey();
        String overKey = "unrouted-depth-over|" + depthKey;
        boolean over = depth >= settings.unrouted().depthLimit();
        boolean wasOver = fired.get(overKey) != null;
        if (over && !wasOver) {
            fired.put(overKey, cause.eventTime().toEpochMilli());
            out.emit(TO_UNROUTED, depthKey, unroutedEvent(out, cause, UnroutedEventKind.THRESHOLD_CROSSED)
                    .setDepth(depth).setOldestEnteredAt(oldestUnrouted()).setThreshold(UnroutedThreshold.DEPTH)
                    .setLimit((long) settings.unrouted().depthLimit()).build());
        } else if (!over && wasOver) {
            fired.delete(overKey);
        }
    }

    /** Raises the age crossing of each queue entry whose alarm is due at {@code now}, at most {@code budget}; returns how many. */
    private int fireAgeAlarms(Instant now, int budget) {
        List<String> due = timerIndex.keys(AGE_PREFIX, AGE_PREFIX + SortableMillis.of(now.toEpochMilli()) + "|~", budget);
        for (String key : due) {
            timerIndex.delete(key);
            String[] p = key.split("\\|", 4); // A | due | entered | finding id
            long entered = Long.parseLong(p[2]);
            String findingId = p[3];
            Long current = unrouted.get(findingId);
            String firedKey = ageFiredKey(findingId, entered);
            if (current == null || current != entered || fired.get(firedKey) != null) {
                continue; // left the queue (or re-entered later) since the alarm was set, or already raised
            }
            fired.put(firedKey, now.toEpochMilli());
            Cause cause = new Cause("unrouted-age/" + findingId + "/" + entered, now, null, SOURCE);
            Emits out = new Emits(findingId, cause);
            FindingState s = load(findingId);
            out.emit(TO_UNROUTED, findingId, unroutedEvent(out, cause, UnroutedEventKind.THRESHOLD_CROSSED)
                    .setFindingId(findingId).setBand(s == null ? null : s.getBand())
                    .setEnteredAt(Instant.ofEpochMilli(entered)).setTimeInQueueMs(now.toEpochMilli() - entered)
                    .setThreshold(UnroutedThreshold.AGE).setLimit(settings.unrouted().ageLimit().toMillis()).build());
            out.flushWithoutState(context);
        }
        return due.size();
    }

    // ------------------------------------------------------------------ SLA timers

    /** Emits the alerts due at {@code now}, at most {@code maxAlertsPerRun}; the rest wait for the next scan. */
    private void fireDue(Instant now) {
        int budget = settings.maxAlertsPerRun() - fireAgeAlarms(now, settings.maxAlertsPerRun());
        // A fired breach schedules its first reminder, which may itself be due: scan again until nothing is.
        while (budget > 0) {
            List<SlaTimers.Timer> due = timers.due(now, budget);
            if (due.isEmpty()) {
                return;
            }
            budget -= due.size();
            fire(due);
        }
    }

    private void fire(List<SlaTimers.Timer> due) {
        for (SlaTimers.Timer t : due) {
            FindingState s = load(t.findingId());
            if (s == null || !stillApplies(s, t)) {
                timers.markFired(t);
                continue;
            }
            if (!timers.markFired(t)) {
                continue;
            }
            Cause cause = new Cause(t.alertId(), t.due(), null, SOURCE);
            Emits out = new Emits(t.findingId(), cause);
            List<FailureMode> modes = s.getFailureModes().isEmpty() ? List.of(FailureMode.UNCLASSIFIED) : s.getFailureModes();
            SlaBreach alert = SlaBreach.newBuilder()
                    .setEventId(t.alertId())
                    .setEventTime(t.due())
                    .setRecordedTime(now())
                    .setSource(SOURCE)
                    .setAlertId(t.alertId())
                    .setFindingId(t.findingId())
                    .setSla(t.sla())
                    .setLevel(t.level())
                    .setDeadline(t.deadline())
                    .setResponsible(t.sla() == SlaKind.REMEDIATION ? ResponsibleSide.ENGINEERING : ResponsibleSide.SECURITY_OPERATIONS)
                    .setBand(s.getBand())
                    .setTitle(s.getTitle())
                    .setOwnerId(s.getOwnerId())
                    .setTeamId(s.getTeamId())
                    .setFailureModes(modes)
                    .setReminderNumber(t.reminder())
                    .setCapturedAt(s.getCapturedAt())
                    .setAcknowledgedAt(s.getAcknowledgedAt())
                    .build();
            out.activity(t.level() == AlertLevel.WARNING ? ActivityKind.SLA_WARNING : ActivityKind.SLA_BREACHED, null,
                    FindingState.newBuilder(s), a -> a.setFailureModes(modes).setBand(s.getBand())
                            .setAttributes(Map.of("sla", t.sla().name(), "level", t.level().name(),
                                    "deadline", t.deadline().toString(), "reminder", Integer.toString(t.reminder()))));
            out.emit(TO_BREACH, t.findingId(), alert);
            out.flushWithoutState(context, s.getCapturedAt());
            timers.nextReminder(t).ifPresent(timers::add);
        }
    }

    /** A timer still applies when the finding is still open on the same deadline and the SLA's clock still runs. */
    private static boolean stillApplies(FindingState s, SlaTimers.Timer t) {
        // Remediation runs until verified closure, so a resolved but unverified finding can still breach.
        if (!Transitions.REMEDIATION_RUNNING.contains(s.getStatus())) {
            return false;
        }
        return switch (t.sla()) {
            case HANDOFF -> s.getAcknowledgedAt() == null && t.deadline().equals(s.getHandoffDeadline());
            case NO_ACK -> s.getAcknowledgedAt() == null && t.deadline().equals(s.getNoAckDeadline());
            case REMEDIATION -> s.getAcknowledgedAt() != null && t.deadline().equals(s.getRemediationDeadline());
        };
    }

    private void reschedule(FindingState s) {
        SlaClock clock = clockFor(s.getTeamId());
        Instant start = s.getOrigin() == CaptureOrigin.REOPEN && s.getReopenedAt() != null ? s.getReopenedAt() : s.getCapturedAt();
        Instant handoffWarning = clock.handoff(start, s.getBand()).map(SlaClock.Deadlines::handoffWarning).orElse(null);
        Instant remediationWarning = s.getAcknowledgedAt() == null ? null
                : clock.remediation(s.getAcknowledgedAt(), s.getBand()).map(SlaClock.Remediation::warning).orElse(null);
        timers.reschedule(s.getFindingId(), SlaTimers.wanted(s, handoffWarning, remediationWarning));
    }

    private void advanceStreamTime(Instant eventTime) {
        if (eventTime != null && eventTime.isAfter(streamTime)) {
            streamTime = eventTime;
            fired.put(STREAM_TIME_KEY, eventTime.toEpochMilli());
        }
    }

    // ------------------------------------------------------------------ stage 1: capture

    private void onCapture(Record<String, byte[]> record, FindingReported finding) {
        String id = finding.getFindingId();
        InputRules.idProblem("finding_id", id).ifPresent(p -> {
            throw new Rejected(DeadLetterKind.VALIDATION, p + ": compute it with FindingIds.of(finding)");
        });
        if (!id.equals(record.key())) {
            throw new Rejected(DeadLetterKind.VALIDATION, "record key " + InputRules.quote(record.key()) + " differs from finding_id "
                    + InputRules.quote(id) + ": findings must be keyed by their id so every record of a finding reaches the same partition");
        }
        checkEventTime(finding.getEventTime(), record);
        Cause cause = new Cause(finding.getEventId(), finding.getEventTime(), finding.getActor(), finding.getSource());
        FindingState existing = load(id);
        if (existing == null) {
            firstCapture(finding, cause);
        } else if (Transitions.REOPENED_BY_CAPTURE.contains(existing.getStatus())) {
            reopen(existing, cause, finding, "captured again after " + existing.getStatus());
        } else {
            duplicate(existing, finding, cause);
        }
    }

    private void firstCapture(FindingReported f, Cause cause) {
        FindingState.Builder s = FindingState.newBuilder()
                .setEventId(cause.eventId())
                .setEventTime(cause.eventTime())
                .setRecordedTime(now())
                .setSource(SOURCE)
                .setActor(cause.actor())
                .setFindingId(f.getFindingId())
                .setStatus(FindingStatus.OPEN)
                .setOrigin(CaptureOrigin.FIRST_TIME)
                .setTitle(f.getTitle())
                .setSourceTool(f.getSourceTool())
                .setSourceTools(List.of(f.getSourceTool().getName()))
                .setVulnerabilityIds(f.getVulnerabilityIds())
                .setTarget(f.getTarget())
                .setCaptureCount(1)
                .setReopenCount(0)
                .setScannerSeverity(f.getScannerSeverity())
                .setScannerBand(f.getScannerBand())
                .setBand(f.getScannerBand())
                .setCvss(f.getCvss())
                // Avro builders return null for unset fields until build(); the logic below reads these.
                .setBandReasons(List.of())
                .setKev(false)
                .setEnrichmentComplete(false)
                .setEnrichmentMissing(List.of())
                .setRoute(RouteKind.UNROUTED)
                .setAckInferred(false)
                .setFailureModes(List.of())
                .setCapturedAt(cause.eventTime());
        Emits out = new Emits(f.getFindingId(), cause);
        out.activity(ActivityKind.CAPTURED, Stage.CAPTURE, s, a -> a.setSourceTool(f.getSourceTool()));
        enrichAndRoute(s, cause, out, NotificationReason.NEW_FINDING);
        save(s, out);
    }

    private void duplicate(FindingState existing, FindingReported f, Cause cause) {
        FindingState.Builder s = FindingState.newBuilder(existing)
                .setCaptureCount(existing.getCaptureCount() + 1)
                .setSourceTools(union(existing.getSourceTools(), List.of(f.getSourceTool().getName())))
                .setVulnerabilityIds(unionIds(existing.getVulnerabilityIds(), f.getVulnerabilityIds()));
        if (s.getCvss().isEmpty() && !f.getCvss().isEmpty()) {
            // A second scanner can complete enrichment the first one left partial.
            s.setCvss(f.getCvss());
        }
        Emits out = new Emits(f.getFindingId(), cause);
        out.activity(ActivityKind.DUPLICATE_CAPTURE, null, s, a -> a.setSourceTool(f.getSourceTool())
                .setAttributes(Map.of("report_event_id", f.getEventId())));
        if (Transitions.OPEN_STATUSES.contains(existing.getStatus())) {
            enrich(s, cause, out);
        }
        save(s, out);
    }

    private void reopen(FindingState existing, Cause cause, FindingReported capture, String why) {
        FindingState.Builder s = FindingState.newBuilder(existing)
                .setStatus(FindingStatus.OPEN)
                .setOrigin(CaptureOrigin.REOPEN)
                .setReopenCount(existing.getReopenCount() + 1)
                .setReopenedAt(cause.eventTime())
                // A reopened finding needs a new handoff: the stages after routing start again.
                .setNotifiedAt(null)
                .setAcknowledgedAt(null)
                .setAcknowledgedBy(null)
                .setAckInferred(false)
                .setTriagedAt(null)
                .setInProgressAt(null)
                .setResolvedAt(null)
                .setVerifiedAt(null)
                .setRemediationDeadline(null);
        if (capture != null) {
            s.setCaptureCount(existing.getCaptureCount() + 1)
                    .setSourceTools(union(existing.getSourceTools(), List.of(capture.getSourceTool().getName())));
        }
        Emits out = new Emits(existing.getFindingId(), cause);
        out.activity(ActivityKind.REOPENED, null, s, a -> a.setFromStatus(existing.getStatus())
                .setToStatus(FindingStatus.OPEN).setNote(why));
        // Routing is evaluated afresh: the owner may have changed since the first handoff.
        s.setOwnerId(null).setRoute(RouteKind.UNROUTED);
        // A new handoff starts here, so its deadlines run from the reopening, not from t0 (long past).
        enrich(s, cause, out, true);
        route(s, cause, out, NotificationReason.REOPENED);
        save(s, out);
    }

    // ------------------------------------------------------------------ stages 2 and 3: enrichment and routing

    private void enrichAndRoute(FindingState.Builder s, Cause cause, Emits out, NotificationReason reason) {
        enrich(s, cause, out);
        route(s, cause, out, reason);
    }

    /** Stage 2: binds the asset and normalises severity with the data at hand; records what is still missing. */
    private void enrich(FindingState.Builder s, Cause cause, Emits out) {
        enrich(s, cause, out, false);
    }

    /** @param newHandoff a new handoff starts with this input (a reopening): its deadlines are set afresh */
    private void enrich(FindingState.Builder s, Cause cause, Emits out, boolean newHandoff) {
        Optional<AliasIndex.Binding> binding = aliases.bind(s.getTarget());
        Optional<Asset> asset = binding.map(b -> assetRecords.get(b.assetId()));
        boolean inKev = SeverityNormaliser.cves(view(s)).stream().anyMatch(cve -> kevRecords.get(cve) != null);
        SeverityNormaliser.Normalised n = normaliser.normalise(view(s), asset, inKev);

        SeverityBand before = s.getEnrichedAt() == null ? null : s.getBand();
        boolean wasComplete = s.getEnrichmentComplete();
        SeverityBand band = n.band();
        List<String> reasons = n.reasons();
        if (before != null && s.getBandReasons().contains(MANUAL_REASON) && SeverityBands.rank(before) > SeverityBands.rank(band)) {
            // A person set this band (CHANGE_SEVERITY): a rescan or a register change may raise it, never undo it.
            band = before;
            reasons = union(reasons, List.of(MANUAL_REASON));
        }
        SeverityBand normalised = band;
        s.setAssetId(asset.map(Asset::getAssetId).orElse(null))
                .setBand(band)
                .setBandReasons(reasons)
                .setCvssScore(n.cvssScore())
                .setKev(inKev)
                .setEnrichmentMissing(n.missing())
                .setEnrichmentComplete(n.missing().isEmpty());
        asset.ifPresent(a -> {
            if (a.getBusinessUnit() != null) {
                s.setBusinessUnit(a.getBusinessUnit());
            }
        });
        if (n.mismatch()) {
            addModes(s, out, Set.of(FailureMode.SEVERITY_MISMATCH), "scanner band " + n.scannerBand() + " is below workspace band " + n.band());
        }
        if (s.getEnrichedAt() == null) {
            s.setEnrichedAt(cause.eventTime());
            out.activity(ActivityKind.ENRICHED, Stage.ENRICHMENT, s, a -> a.setBand(n.band())
                    .setAttributes(Map.of("missing", String.join(",", n.missing()), "reasons", String.join(",", n.reasons()))));
        } else if (!wasComplete && n.missing().isEmpty()) {
            out.activity(ActivityKind.ENRICHMENT_COMPLETED, null, s, a -> a.setBand(normalised));
        }
        if (before != null && SeverityBands.rank(normalised) > SeverityBands.rank(before)) {
            severityRaised(s, cause, out, before, normalised, "re-normalised: " + String.join(",", n.reasons()));
        } else if (before == null || newHandoff) {
            setHandoffDeadlines(s, cause, out);
        }
    }

    /** Stage 3: asset to owner; a named, active person with a channel completes it, anything else queues the finding. */
    private void route(FindingState.Builder s, Cause cause, Emits out, NotificationReason reason) {
        if (s.getAcknowledgedAt() != null || !Transitions.OPEN_STATUSES.contains(s.getStatus())) {
            return;
        }
        if (s.getRoute() == RouteKind.REASSIGNED && s.getOwnerId() != null) {
            // A person chose this owner; the asset register does not overrule them.
            return;
        }
        Optional<Asset> asset = Optional.ofNullable(s.getAssetId()).map(assetRecords::get);
        OwnerResolver.Route route = OwnerResolver.resolve(asset, ownerRecords::get, teamRecords::get);
        String previousOwner = s.getOwnerId();
        addModes(s, out, route.modes(), route.explanation());
        s.setTeamId(route.teamId());
        if (s.getEnrichedAt() != null && !clockFor(route.teamId()).policyId().equals(s.getSlaPolicyId())) {
            // Deadlines run on the team's policy, and routing is what names the team: at a first capture enrichment
            // set them from the default policy, before the team was known.
            setHandoffDeadlines(s, cause, out);
        }
        if (route.businessUnit() != null) {
            s.setBusinessUnit(route.businessUnit());
        }
        // Every record the decision read, the owners it passed over included: any of them changing can change it.
        replaceDependencies(s.getFindingId(), new ArrayList<>(Dependencies.referencedIds(route, null)));
        if (route.ownerId() == null) {
            s.setOwnerId(null).setRoute(RouteKind.UNROUTED).setUnroutedCause(route.cause());
            if (previousOwner != null || s.getRoutedAt() == null) {
                out.activity(ActivityKind.UNROUTED, null, s, a -> a.setNote(route.explanation())
                        .setAttributes(Map.of("cause", String.valueOf(route.cause()))));
            }
            enterUnrouted(s, cause, out, route.cause());
            return;
        }
        s.setOwnerId(route.ownerId()).setRoute(route.kind()).setUnroutedCause(null);
        leaveUnrouted(s, cause, out, route.cause());
        if (route.ownerId().equals(previousOwner)) {
            return;
        }
        if (s.getRoutedAt() == null) {
            // A register entry changed before the capture still routes no earlier than t0.
            s.setRoutedAt(later(cause.eventTime(), s.getCapturedAt()));
            out.activity(ActivityKind.ROUTED, Stage.ROUTING, s, a -> a.setOwnerId(route.ownerId()).setNote(route.explanation()));
        } else {
            out.activity(ActivityKind.REROUTED, null, s, a -> a.setOwnerId(route.ownerId()).setNote(route.explanation()));
        }
        requestNotification(s, cause, out, previousOwner == null ? reason : NotificationReason.REASSIGNED);
    }

    private void requestNotification(FindingState.Builder s, Cause cause, Emits out, NotificationReason reason) {
        OwnerNotification n = OwnerNotification.newBuilder()
                .setEventId(out.nextId("notify"))
                .setEventTime(cause.eventTime())
                .setRecordedTime(now())
                .setSource(SOURCE)
                .setNotificationId(s.getFindingId() + "/" + reason + "/" + s.getOwnerId() + "/" + cause.eventId())
                .setFindingId(s.getFindingId())
                .setOwnerId(s.getOwnerId())
                .setTeamId(s.getTeamId())
                .setReason(reason)
                .setBand(s.getBand())
                .setTitle(s.getTitle())
                .setTargetSummary(TargetSummary.of(s.getTarget()))
                .setAssetId(s.getAssetId())
                .setHandoffDeadline(s.getHandoffDeadline())
                .setVulnerabilityIds(s.getVulnerabilityIds())
                .setFailureModes(s.getFailureModes())
                .build();
        out.emit(TO_NOTIFY, s.getOwnerId(), n);
    }

    private void enterUnrouted(FindingState.Builder s, Cause cause, Emits out, UnroutedCause why) {
        if (unrouted.get(s.getFindingId()) != null) {
            return;
        }
        long entered = cause.eventTime().toEpochMilli();
        unrouted.put(s.getFindingId(), entered);
        timerIndex.put(queueKey(entered, s.getFindingId()), "");
        timerIndex.put(ageAlarmKey(entered, s.getFindingId()), "");
        out.emit(TO_UNROUTED, s.getFindingId(), unroutedEvent(out, cause, UnroutedEventKind.ENTERED)
                .setFindingId(s.getFindingId()).setCause(why).setBand(s.getBand())
                .setEnteredAt(cause.eventTime()).setTimeInQueueMs(0L).build());
        adjustDepth(1, out, cause);
    }

    private void leaveUnrouted(FindingState.Builder s, Cause cause, Emits out, UnroutedCause why) {
        Long entered = unrouted.get(s.getFindingId());
        if (entered == null) {
            return;
        }
        unrouted.delete(s.getFindingId());
        timerIndex.delete(queueKey(entered, s.getFindingId()));
        timerIndex.delete(ageAlarmKey(entered, s.getFindingId()));
        adjustDepth(-1, out, cause);
        out.emit(TO_UNROUTED, s.getFindingId(), unroutedEvent(out, cause, UnroutedEventKind.LEFT)
                .setFindingId(s.getFindingId()).setCause(why).setBand(s.getBand())
                .setEnteredAt(Instant.ofEpochMilli(entered))
                .setTimeInQueueMs(Math.max(0, cause.eventTime().toEpochMilli() - entered)).build());
    }

    private UnroutedEvent.Builder unroutedEvent(Emits out, Cause cause, UnroutedEventKind kind) {
        return UnroutedEvent.newBuilder().setEventId(out.nextId("unrouted")).setEventTime(cause.eventTime())
                .setRecordedTime(now()).setSource(SOURCE).setKind(kind);
    }

    // ------------------------------------------------------------------ SLA deadlines

    private void setHandoffDeadlines(FindingState.Builder s, Cause cause, Emits out) {
        SlaClock clock = clockFor(s.getTeamId());
        Instant start = s.getOrigin() == CaptureOrigin.REOPEN && s.getReopenedAt() != null ? s.getReopenedAt() : s.getCapturedAt();
        Optional<SlaClock.Deadlines> d = clock.handoff(start, s.getBand());
        s.setHandoffDeadline(d.map(SlaClock.Deadlines::handoff).orElse(null))
                .setNoAckDeadline(d.map(SlaClock.Deadlines::noAck).orElse(null))
                .setSlaPolicyId(clock.policyId())
                .setSlaPolicyVersion(clock.policyVersion());
        d.ifPresent(x -> out.activity(ActivityKind.DEADLINES_SET, null, s, a -> a.setBand(s.getBand())
                .setAttributes(Map.of("handoff_deadline", x.handoff().toString(), "no_ack_deadline", x.noAck().toString()))));
        if (s.getAcknowledgedAt() != null) {
            setRemediationDeadline(s, clock);
        }
    }

    private void setRemediationDeadline(FindingState.Builder s, SlaClock clock) {
        s.setRemediationDeadline(clock.remediation(s.getAcknowledgedAt(), s.getBand())
                .map(SlaClock.Remediation::deadline).orElse(null));
    }

    private SlaClock clockFor(String teamId) {
        String key = teamId == null ? "" : teamId;
        SlaClock clock = clockByTeam.get(key);
        if (clock == null) {
            clock = policyClock(teamId);
            clockByTeam.put(key, clock);
        }
        return clock;
    }

    private SlaClock policyClock(String teamId) {
        String policyId = Optional.ofNullable(teamId).map(teamRecords::get).map(Team::getSlaPolicyId).orElse("default");
        SlaPolicy policy = Optional.ofNullable(policies.get(policyId)).or(() -> Optional.ofNullable(policies.get("default")))
                .orElseGet(SlaPolicies::defaultPolicy);
        String cacheKey = policy.getPolicyId() + "@" + policy.getVersion();
        return clocks.computeIfAbsent(cacheKey, k -> new SlaClock(policy));
    }

    private void severityRaised(FindingState.Builder s, Cause cause, Emits out, SeverityBand from, SeverityBand to, String why) {
        out.activity(ActivityKind.SEVERITY_CHANGED, null, s, a -> a.setBand(to)
                .setNote(why).setAttributes(Map.of("from_band", from.toString())));
        if (s.getRoutedAt() != null) {
            // Raised after routing: the owner was handed the finding under the wrong band.
            addModes(s, out, Set.of(FailureMode.SEVERITY_MISMATCH), "severity raised from " + from + " to " + to + " after routing");
        }
        setHandoffDeadlines(s, cause, out);
    }

    // ------------------------------------------------------------------ stages 5 and 6, and the rest of the lifecycle

    private void onCommand(Record<String, byte[]> record, LifecycleCommand c) {
        LifecycleCommands.problem(c).ifPresent(p -> {
            throw new Rejected(DeadLetterKind.VALIDATION, "command rejected: " + p);
        });
        InputRules.idProblem("finding_id", c.getFindingId()).ifPresent(p -> {
            throw new Rejected(DeadLetterKind.VALIDATION, "command rejected: " + p);
        });
        if (!c.getFindingId().equals(record.key())) {
            throw new Rejected(DeadLetterKind.VALIDATION, "record key " + InputRules.quote(record.key()) + " differs from finding_id "
                    + InputRules.quote(c.getFindingId()));
        }
        checkEventTime(c.getEventTime(), record);
        FindingState existing = load(c.getFindingId());
        if (existing == null) {
            throw new Rejected(DeadLetterKind.UNKNOWN_FINDING, c.getKind() + " for unknown finding " + InputRules.quote(c.getFindingId())
                    + ": no capture of it has been seen (check the id, or send the finding first)");
        }
        if (!Transitions.allowed(c.getKind(), existing.getStatus())) {
            throw new Rejected(DeadLetterKind.INVALID_TRANSITION, c.getKind() + " is not allowed for finding "
                    + c.getFindingId() + " in status " + existing.getStatus() + " (allowed from "
                    + Transitions.allowedFrom(c.getKind()) + ")");
        }
        Cause cause = new Cause(c.getEventId(), c.getEventTime(), c.getActor(), c.getSource());
        if (c.getKind() == CommandKind.REOPEN) {
            reopen(existing, cause, null, c.getNote() == null ? "reopened by " + c.getActor().getId() : c.getNote());
            return;
        }
        FindingState.Builder s = FindingState.newBuilder(existing).setActor(c.getActor());
        Emits out = new Emits(c.getFindingId(), cause);
        Instant t = c.getEventTime();
        String actor = c.getActor().getId();
        switch (c.getKind()) {
            case ACKNOWLEDGE -> acknowledge(s, cause, out, false, c.getNote());
            case ENTER_TRIAGE -> {
                inferAckIfMissing(s, cause, out);
                s.setTriagedAt(t).setStatus(FindingStatus.TRIAGED);
                out.activity(ActivityKind.TRIAGED, Stage.TRIAGE, s, a -> a.setFromStatus(existing.getStatus())
                        .setToStatus(FindingStatus.TRIAGED).setNote(c.getNote()));
            }
            case START_WORK -> {
                inferAckIfMissing(s, cause, out);
                s.setInProgressAt(t).setStatus(FindingStatus.IN_PROGRESS);
                out.activity(ActivityKind.WORK_STARTED, null, s, a -> a.setFromStatus(existing.getStatus())
                        .setToStatus(FindingStatus.IN_PROGRESS).setNote(c.getNote()));
            }
            case RESOLVE -> {
                inferAckIfMissing(s, cause, out);
                s.setResolvedAt(t).setStatus(FindingStatus.RESOLVED);
                out.activity(ActivityKind.RESOLVED, null, s, a -> a.setFromStatus(existing.getStatus())
                        .setToStatus(FindingStatus.RESOLVED).setNote(c.getNote()));
            }
            case VERIFY -> {
                s.setVerifiedAt(t).setStatus(FindingStatus.VERIFIED);
                out.activity(ActivityKind.VERIFIED, null, s, a -> a.setFromStatus(existing.getStatus())
                        .setToStatus(FindingStatus.VERIFIED).setNote(c.getNote()));
            }
            case REASSIGN -> {
                Reassignment r = (Reassignment) c.getDetails();
                reassign(s, cause, out, r.getToOwnerId(), r.getToTeamId(), c.getNote());
            }
            case ACCEPT_RISK -> close(s, out, existing.getStatus(), FindingStatus.RISK_ACCEPTED, ActivityKind.RISK_ACCEPTED, c.getNote());
            case MARK_FALSE_POSITIVE -> close(s, out, existing.getStatus(), FindingStatus.FALSE_POSITIVE,
                    ActivityKind.MARKED_FALSE_POSITIVE, c.getNote());
            case CHANGE_SEVERITY -> {
                SeverityBand to = ((SeverityChange) c.getDetails()).getBand();
                SeverityBand from = s.getBand();
                s.setBand(to).setBandReasons(union(s.getBandReasons(), List.of(MANUAL_REASON)));
                if (SeverityBands.rank(to) > SeverityBands.rank(from)) {
                    severityRaised(s, cause, out, from, to, c.getNote() == null ? "changed by " + actor : c.getNote());
                } else {
                    out.activity(ActivityKind.SEVERITY_CHANGED, null, s, a -> a.setBand(to).setNote(c.getNote())
                            .setAttributes(Map.of("from_band", from.toString())));
                    setHandoffDeadlines(s, cause, out);
                }
            }
            case COMMENT -> out.activity(ActivityKind.COMMENTED, null, s, a -> a.setNote(c.getNote()));
            default -> throw new IllegalStateException("unhandled command " + c.getKind());
        }
        save(s, out);
    }

    /** Stage 5. An acknowledgement by someone other than the routed owner first reassigns the finding to them. */
    private void acknowledge(FindingState.Builder s, Cause cause, Emits out, boolean inferred, String note) {
        String actor = cause.actor().getId();
        if (!actor.equals(s.getOwnerId())) {
            reassign(s, cause, out, actor, null, "acknowledged by " + actor + " instead of the routed owner");
        }
        FindingStatus from = s.getStatus();
        s.setAcknowledgedAt(cause.eventTime()).setAcknowledgedBy(actor).setAckInferred(inferred);
        if (s.getStatus() == FindingStatus.OPEN) {
            s.setStatus(FindingStatus.ACKNOWLEDGED);
        }
        out.activity(inferred ? ActivityKind.ACK_INFERRED : ActivityKind.ACKNOWLEDGED, Stage.ACKNOWLEDGEMENT, s,
                a -> a.setOwnerId(actor).setFromStatus(from).setToStatus(s.getStatus()).setNote(note));
        setRemediationDeadline(s, clockFor(s.getTeamId()));
        leaveUnrouted(s, cause, out, null);
        clearDependencies(s.getFindingId());
    }

    private void inferAckIfMissing(FindingState.Builder s, Cause cause, Emits out) {
        if (s.getAcknowledgedAt() != null) {
            return;
        }
        addModes(s, out, Set.of(FailureMode.ACK_AMBIGUITY), "no explicit acknowledgement before this transition");
        acknowledge(s, cause, out, true, null);
    }

    private void reassign(FindingState.Builder s, Cause cause, Emits out, String toOwner, String toTeam, String note) {
        String from = s.getOwnerId();
        s.setOwnerId(toOwner).setRoute(RouteKind.REASSIGNED).setUnroutedCause(null);
        Owner owner = ownerRecords.get(toOwner);
        if (toTeam != null) {
            s.setTeamId(toTeam);
        } else if (owner != null && owner.getTeamId() != null) {
            s.setTeamId(owner.getTeamId());
        }
        if (s.getRoutedAt() == null) {
            s.setRoutedAt(cause.eventTime());
        }
        out.activity(ActivityKind.REASSIGNED, null, s, a -> a.setOwnerId(toOwner).setNote(note)
                .setAttributes(from == null ? Map.of() : Map.of("from_owner_id", from)));
        leaveUnrouted(s, cause, out, null);
        if (s.getAcknowledgedAt() == null && !toOwner.equals(cause.actor().getId())) {
            s.setNotifiedAt(null);
            requestNotification(s, cause, out, NotificationReason.REASSIGNED);
        }
    }

    private void close(FindingState.Builder s, Emits out, FindingStatus from, FindingStatus to, ActivityKind kind, String note) {
        s.setStatus(to);
        out.activity(kind, null, s, a -> a.setFromStatus(from).setToStatus(to).setNote(note));
        leaveUnrouted(s, out.cause, out, null);
        clearDependencies(s.getFindingId());
    }

    // ------------------------------------------------------------------ stage 4: notification receipts

    private void onReceipt(Record<String, byte[]> record, NotificationDispatched receipt) {
        InputRules.idProblem("finding_id", receipt.getFindingId()).ifPresent(p -> {
            throw new Rejected(DeadLetterKind.VALIDATION, "delivery receipt rejected: " + p);
        });
        checkEventTime(receipt.getEventTime(), record);
        FindingState existing = load(receipt.getFindingId());
        if (existing == null) {
            throw new Rejected(DeadLetterKind.UNKNOWN_FINDING, "delivery receipt for unknown finding " + InputRules.quote(receipt.getFindingId()));
        }
        if (receipt.getOutcome() != DispatchOutcome.DELIVERED || receipt.getKind() != DispatchKind.OWNER_NOTIFICATION
                && receipt.getKind() != DispatchKind.DIGEST) {
            return;
        }
        if (receipt.getOwnerId() == null || !receipt.getOwnerId().equals(existing.getOwnerId())) {
            // Stage 4 is a delivery to the owner the finding is routed to now; others are history.
            return;
        }
        ownerLoad(receipt.getOwnerId(), new OwnerLoad(OwnerLoad.Kind.DELIVERED, existing.getFindingId(), receipt.getEventTime()));
        if (existing.getNotifiedAt() != null) {
            return;
        }
        Cause cause = new Cause(receipt.getEventId(), receipt.getEventTime(), null, receipt.getSource());
        FindingState.Builder s = FindingState.newBuilder(existing).setNotifiedAt(receipt.getEventTime());
        Emits out = new Emits(existing.getFindingId(), cause);
        out.activity(ActivityKind.NOTIFIED, Stage.NOTIFICATION, s, a -> a.setOwnerId(receipt.getOwnerId())
                .setAttributes(Map.of("channel", receipt.getChannel().toString(), "target", receipt.getTarget())));
        save(s, out);
    }

    // ------------------------------------------------------------------ notification noise

    private void ownerLoad(String owner, OwnerLoad change) {
        context.forward(new Record<String, Object>(owner, change.encode(), change.at().toEpochMilli()), TO_OWNER_LOAD);
    }

    /** A delivery reached an owner already holding too many notifications: the finding is tagged. */
    private void onNoiseFlag(Record<String, byte[]> record) {
        FindingState existing = load(record.key());
        if (existing == null || existing.getAcknowledgedAt() != null || !Transitions.OPEN_STATUSES.contains(existing.getStatus())) {
            return;
        }
        String flag = record.value() == null ? "" : new String(record.value(), java.nio.charset.StandardCharsets.UTF_8);
        Instant at = Instant.ofEpochMilli(record.timestamp());
        Cause cause = new Cause("noise/" + record.key() + "/" + record.timestamp(), at, null, SOURCE);
        FindingState.Builder s = FindingState.newBuilder(existing);
        Emits out = new Emits(existing.getFindingId(), cause);
        addModes(s, out, Set.of(FailureMode.NOTIFICATION_NOISE), "delivered into a crowded queue: " + flag);
        if (!out.isEmpty()) {
            save(s, out);
        }
    }

    // ------------------------------------------------------------------ reference data changes

    private void onReferenceChange(Record<String, byte[]> record) {
        String key = record.key();
        ReferenceKind kind = ReferenceKind.ofFanoutKey(key)
                .orElseThrow(() -> new Rejected(DeadLetterKind.VALIDATION, "fan-out key " + InputRules.quote(key) + " names no reference kind"));
        String id = ReferenceKind.idOfFanoutKey(key);
        SpecificRecord value = record.value() == null ? null
                : decode(referenceDeserializers.get(kind), record, topics.name(kind.topic()));
        Instant at = value == null ? Instant.ofEpochMilli(record.timestamp()) : (Instant) value.get(value.getSchema().getField("event_time").pos());
        // The fan-out checked it already; records it forwarded before it did are checked here.
        checkEventTime(at, record);
        String eventId = value == null ? "tombstone/" + key + "/" + record.timestamp()
                : (String) value.get(value.getSchema().getField("event_id").pos());
        Cause cause = new Cause(eventId, at, null, topics.name(kind.topic()));
        advanceStreamTime(at);
        switch (kind) {
            case ASSET -> {
                assetRecords.write(id, (Asset) value);
                if (value == null) {
                    aliases.remove(id);
                } else {
                    aliases.put((Asset) value);
                }
                Set<String> affected = dependentsOf(kind.fanoutKey(id)); // a copy, sorted
                try (KeyValueIterator<String, Long> queue = unrouted.all()) {
                    queue.forEachRemaining(kv -> affected.add(kv.key));
                }
                reevaluate(affected, cause, true);
            }
            case OWNER -> {
                ownerRecords.write(id, (Owner) value);
                reevaluate(dependentsOf(kind.fanoutKey(id)), cause, false);
            }
            case TEAM -> {
                teamRecords.write(id, (Team) value);
                clockByTeam.clear();
                reevaluate(dependentsOf(kind.fanoutKey(id)), cause, false);
            }
            case KEV -> {
                kevRecords.write(id, (KevEntry) value);
                reevaluate(dependentsOf(kind.fanoutKey(id)), cause, true);
            }
            case SLA_POLICY -> {
                SlaPolicy policy = (SlaPolicy) value;
                if (policy != null) {
                    try {
                        SlaPolicies.validate(policy);
                    } catch (IllegalArgumentException e) {
                        throw new Rejected(DeadLetterKind.VALIDATION, "SLA policy " + id + " v" + policy.getVersion()
                                + " rejected, the previous version stays in force: " + e.getMessage());
                    }
                }
                putOrDelete(policies, id, policy);
                clockByTeam.clear();
                // Open findings on this policy get their deadlines from the new version (pending timers follow).
                reevaluateDeadlines(dependentsOf(kind.fanoutKey(id)), cause);
            }
            default -> throw new IllegalStateException("unhandled reference kind " + kind);
        }
    }

    private void reevaluate(Set<String> findingIds, Cause cause, boolean reenrich) {
        for (String findingId : findingIds) {
            FindingState existing = load(findingId);
            if (existing == null || !Transitions.OPEN_STATUSES.contains(existing.getStatus())) {
                continue;
            }
            FindingState.Builder s = FindingState.newBuilder(existing);
            Emits out = new Emits(findingId, cause);
            if (reenrich) {
                enrich(s, cause, out);
            }
            route(s, cause, out, NotificationReason.NEW_FINDING);
            if (!out.isEmpty()) {
                save(s, out);
            }
        }
    }

    private void reevaluateDeadlines(Set<String> findingIds, Cause cause) {
        for (String findingId : findingIds) {
            FindingState existing = load(findingId);
            if (existing == null || !Transitions.OPEN_STATUSES.contains(existing.getStatus())) {
                continue;
            }
            FindingState.Builder s = FindingState.newBuilder(existing);
            Emits out = new Emits(findingId, cause);
            setHandoffDeadlines(s, cause, out);
            save(s, out);
        }
    }

    private static <V> void putOrDelete(KeyValueStore<String, V> store, String key, V value) {
        if (value == null) {
            store.delete(key);
        } else {
            store.put(key, value);
        }
    }

    // ------------------------------------------------------------------ dependency index


    /**
     * Records the reference keys a routing decision read: one {@code F|<finding id>} store entry (the only thing of the
     * index that is logged) and the in-memory reverse index (decision 0012).
     */
    private void replaceDependencies(String findingId, List<String> keys) {
        if (keys.isEmpty()) {
            clearDependencies(findingId);
            return;
        }
        String joined = String.join("\n", keys);
        String old = dependents.get(ROUTED_PREFIX + findingId);
        if (joined.equals(old)) {
            return; // a re-route to the same references: rewriting them would be a changelog write for nothing
        }
        if (old != null) {
            dependentIndex.removeAll(splitKeys(old), findingId);
        }
        dependentIndex.addAll(keys, findingId);
        dependents.put(ROUTED_PREFIX + findingId, joined);
    }

    private void clearDependencies(String findingId) {
        String old = dependents.get(ROUTED_PREFIX + findingId);
        if (old == null) {
            return;
        }
        dependentIndex.removeAll(splitKeys(old), findingId);
        dependents.delete(ROUTED_PREFIX + findingId);
    }

    private static List<String> splitKeys(String joined) {
        return joined.isEmpty() ? List.of() : List.of(joined.split("\n"));
    }

    /**
     * The reference keys an open finding depends on by its state alone: its SLA policy (a new version moves its
     * deadlines) and its CVEs (a KEV entry can raise its band). A closed finding depends on nothing.
     */
    static List<String> impliedDependencies(FindingState s) {
        if (s == null || !Transitions.OPEN_STATUSES.contains(s.getStatus())) {
            return List.of();
        }
        List<String> keys = new ArrayList<>();
        if (s.getSlaPolicyId() != null) {
            keys.add(ReferenceKind.SLA_POLICY.fanoutKey(s.getSlaPolicyId()));
        }
        for (String cve : SeverityNormaliser.cves(s.getVulnerabilityIds())) {
            keys.add(ReferenceKind.KEV.fanoutKey(cve));
        }
        return keys;
    }

    /** Whether two states of a finding imply the same dependencies, without deriving them (most saves change neither input). */
    private static boolean sameImpliedDependencies(FindingState a, FindingState b) {
        boolean openA = a != null && Transitions.OPEN_STATUSES.contains(a.getStatus());
        boolean openB = b != null && Transitions.OPEN_STATUSES.contains(b.getStatus());
        if (!openA || !openB) {
            return openA == openB;
        }
        return java.util.Objects.equals(a.getSlaPolicyId(), b.getSlaPolicyId()) && a.getVulnerabilityIds().equals(b.getVulnerabilityIds());
    }

    private Set<String> dependentsOf(String referenceKey) {
        return dependentIndex.dependentsOf(referenceKey);
    }

    // ------------------------------------------------------------------ output

    private void save(FindingState.Builder s, Emits out) {
        Cause cause = out.cause;
        s.setEventId(cause.eventId()).setEventTime(cause.eventTime()).setRecordedTime(now()).setSource(SOURCE);
        FindingState state = s.build();
        FindingState before = load(state.getFindingId());
        states.put(state.getFindingId(), state);
        loadedId = state.getFindingId();
        loaded = state;
        if (!sameImpliedDependencies(before, state)) {
            dependentIndex.removeAll(impliedDependencies(before), state.getFindingId());
            dependentIndex.addAll(impliedDependencies(state), state.getFindingId());
        }
        releaseLoad(before, state, cause.eventTime());
        indexOwner(before, state);
        reschedule(state);
        timers.forgetSpent(before, state);
        advanceStreamTime(cause.eventTime());
        out.flush(context, before, state);
    }

    /**
     * The record timestamp of a finding's activity on {@code findings.activity}: its event time, but never before the
     * finding's capture. A reader of the finding's history seeks the topic to its {@code captured_at} by timestamp
     * ({@code offsetsForTimes}, decision 0015); an input whose event time lies before the capture (a register entry
     * changed earlier, a clock behind) would otherwise land before that offset and be missed. The activity's own
     * {@code event_time} is unchanged.
     */
    static long activityTimestamp(long eventTimeMs, Instant capturedAt) {
        return capturedAt == null ? eventTimeMs : Math.max(eventTimeMs, capturedAt.toEpochMilli());
    }

    /** An owner stops holding a delivered notification once it is acknowledged, closed or routed to someone else. */
    private void releaseLoad(FindingState before, FindingState after, Instant at) {
        if (before == null || before.getNotifiedAt() == null || before.getAcknowledgedAt() != null
                || before.getOwnerId() == null || !Transitions.OPEN_STATUSES.contains(before.getStatus())) {
            return;
        }
        boolean stillHeld = after.getAcknowledgedAt() == null && Transitions.OPEN_STATUSES.contains(after.getStatus())
                && before.getOwnerId().equals(after.getOwnerId());
        if (!stillHeld) {
            ownerLoad(before.getOwnerId(), new OwnerLoad(OwnerLoad.Kind.RELEASED, before.getFindingId(), at));
        }
    }

    /** Keeps {@link StoreNames#OWNER_OPEN} in step with the finding's owner and status. */
    private void indexOwner(FindingState before, FindingState after) {
        String oldKey = before != null && before.getOwnerId() != null && Transitions.OPEN_STATUSES.contains(before.getStatus())
                ? before.getOwnerId() + "|" + before.getFindingId() : null;
        String newKey = after.getOwnerId() != null && Transitions.OPEN_STATUSES.contains(after.getStatus())
                ? after.getOwnerId() + "|" + after.getFindingId() : null;
        if (oldKey != null && !oldKey.equals(newKey)) {
            ownerOpen.delete(oldKey);
        }
        if (newKey != null && (!newKey.equals(oldKey) || before.getBand() != after.getBand())) {
            ownerOpen.put(newKey, after.getBand().name());
        }
    }

    private void addModes(FindingState.Builder s, Emits out, Set<FailureMode> modes, String why) {
        Set<FailureMode> current = new LinkedHashSet<>(s.getFailureModes());
        List<FailureMode> added = modes.stream().filter(current::add).sorted().toList();
        if (added.isEmpty()) {
            return;
        }
        s.setFailureModes(new ArrayList<>(current));
        out.activity(ActivityKind.FAILURE_MODE_TAGGED, null, s, a -> a.setFailureModes(added).setNote(why));
    }

    private void deadLetter(Record<String, byte[]> record, DeadLetterKind kind, String reason, Throwable cause) {
        Record<String, Object> dl = DeadLetters.of(record, context.recordMetadata(), kind, reason, cause, now(), SOURCE);
        log.warn("dead-lettered {} record (key {}): {}", context.recordMetadata().map(RecordMetadata::topic).orElse("?"),
                InputRules.quote(record.key()), reason);
        context.forward(dl, TO_DEADLETTER);
    }

    /**
     * Refuses an event dated where Kafka cannot date the records it causes (InputRules). The broker judges a
     * timestamp by its own clock, so this is the machine's clock, not the context's (a test driver's is mocked).
     */
    private void checkEventTime(Instant eventTime, Record<String, byte[]> record) {
        InputRules.eventTimeProblem(eventTime, record.timestamp(), System.currentTimeMillis()).ifPresent(p -> {
            throw new Rejected(DeadLetterKind.VALIDATION, p);
        });
    }

    private static <T> T decode(Deserializer<T> deserializer, Record<String, byte[]> record, String topic) {
        if (record.value() == null) {
            throw new Rejected(DeadLetterKind.VALIDATION, "null value on " + topic + ": tombstones are not valid here");
        }
        try {
            return deserializer.deserialize(topic, record.value());
        } catch (RuntimeException e) {
            throw new Rejected(DeadLetterKind.DESERIALIZATION, e.getMessage(), e);
        }
    }

    private FindingState load(String findingId) {
        if (findingId != null && findingId.equals(loadedId)) {
            return loaded;
        }
        FindingState state = states.get(findingId);
        loadedId = findingId;
        loaded = state;
        return state;
    }

    private Instant now() {
        return Instant.ofEpochMilli(context.currentSystemTimeMs());
    }

    /** A view of the state as the capture-shaped input the severity normaliser reads. */
    private static FindingReported view(FindingState.Builder s) {
        return FindingReported.newBuilder()
                .setEventId(s.getEventId()).setEventTime(s.getEventTime()).setRecordedTime(s.getRecordedTime())
                .setSource(s.getSource()).setFindingId(s.getFindingId()).setSourceTool(s.getSourceTool())
                .setVulnerabilityIds(s.getVulnerabilityIds()).setTitle(s.getTitle())
                .setScannerSeverity(s.getScannerSeverity()).setScannerBand(s.getScannerBand())
                .setCvss(s.getCvss()).setTarget(s.getTarget()).build();
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static List<String> union(List<String> a, List<String> b) {
        LinkedHashSet<String> all = new LinkedHashSet<>(a);
        all.addAll(b);
        return new ArrayList<>(all);
    }

    private static List<VulnerabilityId> unionIds(List<VulnerabilityId> a, List<VulnerabilityId> b) {
        LinkedHashSet<VulnerabilityId> all = new LinkedHashSet<>(a);
        all.addAll(b);
        return new ArrayList<>(all);
    }

    /** Input that cannot be processed, with the dead-letter class it belongs to. */
    private static final class Rejected extends RuntimeException {
        private final DeadLetterKind kind;

        Rejected(DeadLetterKind kind, String message) {
            this(kind, message, null);
        }

        Rejected(DeadLetterKind kind, String message, Throwable cause) {
            super(message, cause, false, false);
            this.kind = kind;
        }
    }

    /** The records one input produces, emitted together after the state is saved. */
    private final class Emits {
        private final String findingId;
        private final Cause cause;
        private final List<FindingActivity> activities = new ArrayList<>();
        private final List<KeyValue<String, KeyValue<String, SpecificRecord>>> others = new ArrayList<>();
        private int seq;

        Emits(String findingId, Cause cause) {
            this.findingId = findingId;
            this.cause = cause;
        }

        String nextId(String kind) {
            return cause.derivedId(findingId, kind, seq++);
        }

        void activity(ActivityKind kind, Stage stage, FindingState.Builder s, java.util.function.Consumer<FindingActivity.Builder> more) {
            FindingActivity.Builder a = FindingActivity.newBuilder()
                    .setEventId(nextId(kind.name()))
                    .setEventTime(cause.eventTime())
                    .setRecordedTime(now())
                    .setSource(SOURCE)
                    .setActor(cause.actor())
                    .setFindingId(findingId)
                    .setKind(kind)
                    .setStage(stage)
                    .setCauseEventId(cause.eventId())
                    .setFromStatus(null)
                    .setToStatus(null)
                    .setOwnerId(null)
                    .setBand(null)
                    .setSourceTool(null)
                    .setNote(null);
            more.accept(a);
            activities.add(a.build());
        }

        void emit(String child, String key, SpecificRecord value) {
            others.add(KeyValue.pair(child, KeyValue.pair(key, value)));
        }

        private void forwardActivities(ProcessorContext<String, Object> ctx, long ts) {
            for (FindingActivity a : activities) {
                ctx.forward(new Record<String, Object>(findingId, a, ts), TO_ACTIVITY);
            }
        }

        boolean isEmpty() {
            return activities.isEmpty() && others.isEmpty();
        }

        /** Emits records that change no finding state: no activity, or those of a finding captured at {@code capturedAt}. */
        void flushWithoutState(ProcessorContext<String, Object> ctx) {
            flushWithoutState(ctx, null);
        }

        void flushWithoutState(ProcessorContext<String, Object> ctx, Instant capturedAt) {
            long ts = cause.eventTime().toEpochMilli();
            forwardActivities(ctx, activityTimestamp(ts, capturedAt));
            for (KeyValue<String, KeyValue<String, SpecificRecord>> o : others) {
                ctx.forward(new Record<>(o.value.key, o.value.value, ts), o.key);
            }
        }

        void flush(ProcessorContext<String, Object> ctx, FindingState before, FindingState state) {
            long ts = cause.eventTime().toEpochMilli();
            forwardActivities(ctx, activityTimestamp(ts, state.getCapturedAt()));
            ctx.forward(new Record<String, Object>(findingId, state, ts), TO_STATE);
            ctx.forward(new Record<String, Object>(findingId, new dev.handoff.streams.metrics.StateSaved(before, state), ts), TO_METRICS);
            for (KeyValue<String, KeyValue<String, SpecificRecord>> o : others) {
                ctx.forward(new Record<>(o.value.key, o.value.value, ts), o.key);
            }
        }
    }
}

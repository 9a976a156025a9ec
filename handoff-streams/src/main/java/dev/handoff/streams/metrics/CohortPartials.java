package dev.handoff.streams.metrics;

import dev.handoff.avro.FindingState;
import dev.handoff.avro.RouteKind;
import dev.handoff.avro.WindowGranularity;
import dev.handoff.streams.stages.LifecycleSettings;
import dev.handoff.streams.stages.Transitions;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Runs beside the lifecycle processor (same task, same finding partition) and does the first half of the metrics
 * (decision 0014). It keeps each finding's cohort values and member facts once, under its cohort day
 * ({@link MetricsNames#DAY_MEMBERS_STORE}), and marks the day dirty when a save changed them, remembering which of
 * the day's cohorts changed. At each refresh boundary it recomputes, as of that boundary, the changed cohorts of its
 * dirty days and the cohorts whose share sent before is no longer exact (a member's window or deadline has passed):
 * one pass over a day's members gives this partition's share of each, sent as a {@link CohortPartial} to the metrics
 * partition of the cohort's series. A cohort this partition no longer has members in gets a tombstone. It also counts the partition's open findings and
 * those routed to a current owner, and adds them to the gauge snapshot the lifecycle processor sends with each
 * unrouted-depth snapshot.
 */
public final class CohortPartials implements Processor<String, Object, String, byte[]> {

    /**
     * Shares one refresh batch computes (whole days at a time, so a batch may end a day beyond it), so a backlog cannot
     * stall the task; the rest wait for the next batch. The same bound as a metrics partition's batch of cohorts.
     */
    public static final int MAX_SHARES_PER_REFRESH = 200;
    /**
     * A snapshot equal to the last one forwarded is dropped unless this long has passed since: each one is multicast to
     * every metrics partition, and a replay on the stream clock takes one per minute of event time, about one per input
     * record (the end-to-end bench measured it as the largest cost of a replay). Values are exact either way.
     */
    static final Duration GAUGE_HEARTBEAT = Duration.ofHours(1);

    static final String MEMBER = "d|";
    private static final String OPEN_KEY = "~open";
    private static final String CURRENT_KEY = "~open-current";
    private static final String SENT = "sent|";
    private static final StringSerializer KEYS = new StringSerializer();
    private static final byte OPEN = 1;
    private static final byte CURRENT = 2;

    private final MetricsSettings settings;
    private final LifecycleSettings.Clock clock;
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, byte[]> members;
    private KeyValueStore<String, String> refresh;
    private RefreshQueue queue;
    private RefreshTicks ticks;
    /** The cohorts of each dirty day that changed since its last refresh, as this instance saw them. */
    private Map<String, Set<String>> changed;
    /**
     * Days marked dirty in the store before this instance started (or was revived): which of their cohorts changed is
     * not known, so all are recomputed.
     */
    private Set<String> wholeDays;
    private long open;
    private long openWithCurrentOwner;
    private GaugeSnapshot lastGauge;

    public CohortPartials(MetricsSettings settings, LifecycleSettings.Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.members = context.getStateStore(MetricsNames.DAY_MEMBERS_STORE);
        this.refresh = context.getStateStore(MetricsNames.PARTIALS_REFRESH_STORE);
        // A revived task (after an aborted transaction) runs init again on this instance, with its stores rolled back:
        // what was remembered of them is forgotten, and the gauge last forwarded may have been aborted with it.
        this.queue = new RefreshQueue(refresh);
        this.ticks = new RefreshTicks(settings.refreshInterval(), Duration.ZERO);
        this.changed = new HashMap<>();
        this.wholeDays = queue.dirty();
        this.lastGauge = null;
        this.open = stored(OPEN_KEY);
        this.openWithCurrentOwner = stored(CURRENT_KEY);
        PunctuationType type = clock == LifecycleSettings.Clock.WALL ? PunctuationType.WALL_CLOCK_TIME : PunctuationType.STREAM_TIME;
        context.schedule(ticks.period(), type, ts -> ticks.onTick(ts, this::refresh));
    }

    @Override
    public void process(Record<String, Object> record) {
        if (record.value() instanceof StateSaved saved) {
            ticks.arrived();
            onState(saved.before(), saved.after());
        } else if (record.value() instanceof GaugeSnapshot gauge) {
            GaugeSnapshot full = gauge.withCounts(open, openWithCurrentOwner);
            if (unchanged(full)) {
                return;
            }
            lastGauge = full;
            context.forward(record.withKey(CohortMessage.GAUGE_KEY_PREFIX + gauge.partition()).withValue(CohortMessage.gauge(full)));
        }
    }

    /**
     * What the finding was is derived from the state before the save, which the lifecycle processor read anyway: the
     * member entry it had then is exactly {@code DayMember.of(before)}, written when {@code before} was saved. So the
     * save costs no read here, and no index from finding to day is kept (decision 0015).
     */
    private void onState(FindingState stateBefore, FindingState state) {
        String findingId = state.getFindingId();
        count(stateBefore == null ? 0 : flags(stateBefore), flags(state));
        DayMember member = DayMember.of(state, settings.zone());
        String day = member.day().toString();
        byte[] value = member.encode();
        DayMember was = stateBefore == null ? null : DayMember.of(stateBefore, settings.zone());
        if (was != null) {
            String dayBefore = was.day().toString();
            if (dayBefore.equals(day) && Arrays.equals(was.encode(), value)) {
                return;
            }
            // The cohorts it was in changed too: it left them (band raised, re-routed, reopened on another day) or its
            // facts there changed.
            markChanged(dayBefore, was.cohorts());
            if (!dayBefore.equals(day)) {
                members.delete(memberKey(dayBefore, findingId));
            }
        }
        members.put(memberKey(day, findingId), value);
        markChanged(day, member.cohorts());
    }

    private void markChanged(String day, List<CohortKey> cohorts) {
        Set<String> ids = changed.computeIfAbsent(day, d -> new HashSet<>());
        for (CohortKey cohort : cohorts) {
            ids.add(cohort.id());
        }
        queue.markDirty(day);
    }

    // ------------------------------------------------------------------ refresh

    /**
     * Recomputes the shares of dirty and due days, as of the boundary of {@code ts}, a day at a time until
     * {@link #MAX_SHARES_PER_REFRESH} shares are done; true when it stopped at that bound.
     */
    boolean refresh(long ts) {
        Instant asOf = Instant.ofEpochMilli(ticks.boundary(ts));
        int done = 0;
        while (done < MAX_SHARES_PER_REFRESH) {
            // Due by the boundary, not the tick: a share expiring between the two is still exact as of the boundary.
            Set<String> next = queue.take(asOf, 1);
            if (next.isEmpty()) {
                return false;
            }
            String day = next.iterator().next();
            done += recompute(LocalDate.parse(day), asOf, ts);
        }
        return true;
    }

    /** Recomputes the day's changed and expired shares; the number of shares sent. */
    private int recompute(LocalDate day, Instant asOf, long ts) {
        String dayId = day.toString();
        Map<String, Instant> sent = sent(day);
        boolean whole = wholeDays.remove(dayId);
        Set<String> saved = changed.remove(dayId);
        Set<String> wanted = saved == null ? new HashSet<>() : saved;
        sent.forEach((id, until) -> {
            if (until != null && !until.isAfter(asOf)) {
                wanted.add(id);
            }
        });
        Map<String, Share> shares = new LinkedHashMap<>();
        try (KeyValueIterator<String, byte[]> it = members.prefixScan(MEMBER + day + "|", KEYS)) {
            while (it.hasNext()) {
                DayMember m = DayMember.decode(day, it.next().value);
                Instant change = m.facts().nextChangeAfter(asOf);
                for (CohortKey cohort : m.cohorts()) {
                    String id = cohort.id();
                    if (!whole && !wanted.contains(id)) {
                        continue;
                    }
                    Share share = shares.computeIfAbsent(id, x -> new Share(cohort, new CohortAccumulator(asOf).asShare()));
                    share.acc.add(m.facts());
                    share.validUntil = earlier(share.validUntil, change);
                }
            }
        }
        int partition = context.taskId().partition();
        for (Share share : shares.values()) {
            CohortAccumulator.Window window = Windows.window(WindowGranularity.DAY, day, settings.zone(), share.cohort);
            Instant until = share.validUntil;
            CohortPartial partial = new CohortPartial(share.acc.handoffWindow(window, asOf), share.acc.cycleWindow(window, asOf), until);
            String id = share.cohort.id();
            sent.put(id, until);
            context.forward(new Record<>(CohortMessage.partialKey(id, partition), partial.encode(), ts));
        }
        for (String id : new ArrayList<>(sent.keySet())) {
            if ((whole || wanted.contains(id)) && !shares.containsKey(id)) {
                // A tombstone: the topic is compacted and is the partials store's changelog (decision 0010).
                context.forward(new Record<String, byte[]>(CohortMessage.partialKey(id, partition), null, ts));
                sent.remove(id);
            }
        }
        Instant dayNext = null;
        for (Instant until : sent.values()) {
            dayNext = earlier(dayNext, until);
        }
        queue.dueAt(dayId, dayNext);
        saveSent(day, sent);
        return Math.max(1, shares.size());
    }

    /** The earlier of two times, where null is never (a share no event can change is exact for ever). */
    private static Instant earlier(Instant a, Instant b) {
        return a == null || (b != null && b.isBefore(a)) ? b : a;
    }

    /** This partition's share of one cohort, as one refresh builds it. */
    private static final class Share {
        final CohortKey cohort;
        final CohortAccumulator acc;
        /** Null until a member that can change by time alone is added: exact for ever. */
        Instant validUntil;

        Share(CohortKey cohort, CohortAccumulator acc) {
            this.cohort = cohort;
            this.acc = acc;
        }
    }

    /**
     * The cohorts of a day this partition has sent a share of, each with the time until which that share is exact
     * (null: as long as no event changes it); {@code sent|day}, one line per cohort.
     */
    private Map<String, Instant> sent(LocalDate day) {
        Map<String, Instant> out = new LinkedHashMap<>();
        String value = refresh.get(SENT + day);
        if (value != null && !value.isEmpty()) {
            for (String line : value.split("\n")) {
                int tab = line.lastIndexOf('\t');
                String until = line.substring(tab + 1);
                out.put(line.substring(0, tab), until.isEmpty() ? null : Instant.ofEpochMilli(Long.parseLong(until)));
            }
        }
        return out;
    }

    private void saveSent(LocalDate day, Map<String, Instant> sent) {
        if (sent.isEmpty()) {
            refresh.delete(SENT + day);
            return;
        }
        StringBuilder b = new StringBuilder();
        sent.forEach((id, until) -> b.append(id).append('\t').append(until == null ? "" : Long.toString(until.toEpochMilli())).append('\n'));
        refresh.put(SENT + day, b.toString());
    }

    // ------------------------------------------------------------------ gauges and open counts

    private boolean unchanged(GaugeSnapshot g) {
        GaugeSnapshot last = lastGauge;
        return last != null && last.unroutedDepth() == g.unroutedDepth() && Objects.equals(last.oldestUnroutedAt(), g.oldestUnroutedAt())
                && last.open() == g.open() && last.openWithCurrentOwner() == g.openWithCurrentOwner()
                && g.at().isBefore(last.at().plus(GAUGE_HEARTBEAT)) && !g.at().isBefore(last.at());
    }

    /**
     * Open, and routed to a current owner: the owner the asset binds, or a person named by a reassignment.
     * A fallback to the team lead or the escalation chain means the binding is stale.
     */
    static byte flags(FindingState s) {
        if (!Transitions.OPEN_STATUSES.contains(s.getStatus())) {
            return 0;
        }
        boolean current = s.getOwnerId() != null && (s.getRoute() == RouteKind.ASSET_OWNER || s.getRoute() == RouteKind.REASSIGNED);
        return (byte) (OPEN | (current ? CURRENT : 0));
    }

    private void count(byte before, byte after) {
        int openDelta = bit(after, OPEN) - bit(before, OPEN);
        if (openDelta != 0) {
            open += openDelta;
            store(OPEN_KEY, open);
        }
        int currentDelta = bit(after, CURRENT) - bit(before, CURRENT);
        if (currentDelta != 0) {
            openWithCurrentOwner += currentDelta;
            store(CURRENT_KEY, openWithCurrentOwner);
        }
    }

    private static int bit(byte flags, byte mask) {
        return (flags & mask) != 0 ? 1 : 0;
    }

    /**
     * The counters live in the refresh store, which has the record cache: they change with most saves, and in the
     * uncached members store each change was another changelog record.
     */
    private void store(String key, long value) {
        refresh.put(key, Long.toString(value));
    }

    private long stored(String key) {
        String v = refresh.get(key);
        return v == null ? 0 : Long.parseLong(v);
    }

    static String memberKey(String day, String findingId) {
        return MEMBER + day + "|" + findingId;
    }

}

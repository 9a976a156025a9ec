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

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Runs beside the lifecycle processor (same task, same finding partition) and does the first half of the metrics
 * (decision 0014). It keeps each finding's cohort values and member facts once, under its cohort day
 * ({@link MetricsNames#DAY_MEMBERS_STORE}), and marks the day dirty when a save changed them. At each refresh boundary
 * it recomputes its dirty days, and the days where a member's window or deadline has passed, as of that boundary: one
 * pass over a day's members gives this partition's share of all the day's cohorts, each sent as a
 * {@link CohortPartial} to the metrics partition of the cohort's series, unless it equals the share sent before. A
 * cohort this partition no longer has members in gets a tombstone. It also counts the partition's open findings and
 * those routed to a current owner, and adds them to the gauge snapshot the lifecycle processor sends with each
 * unrouted-depth snapshot.
 */
public final class CohortPartials implements Processor<String, Object, String, byte[]> {

    /** Days one refresh batch recomputes, so a backlog cannot stall the task; the rest wait for the next batch. */
    public static final int MAX_DAYS_PER_REFRESH = 16;
    /**
     * A snapshot equal to the last one forwarded is dropped unless this long has passed since: each one is multicast to
     * every metrics partition, and a replay on the stream clock takes one per minute of event time, about one per input
     * record (the end-to-end bench measured it as the largest cost of a replay). Values are exact either way.
     */
    static final Duration GAUGE_HEARTBEAT = Duration.ofHours(1);

    static final String MEMBER = "d|";
    static final String FINDING = "f|";
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
        this.lastGauge = null;
        this.open = stored(OPEN_KEY);
        this.openWithCurrentOwner = stored(CURRENT_KEY);
        PunctuationType type = clock == LifecycleSettings.Clock.WALL ? PunctuationType.WALL_CLOCK_TIME : PunctuationType.STREAM_TIME;
        context.schedule(ticks.period(), type, ts -> ticks.onTick(ts, this::refresh));
    }

    @Override
    public void process(Record<String, Object> record) {
        if (record.value() instanceof FindingState state) {
            ticks.arrived();
            onState(state);
        } else if (record.value() instanceof GaugeSnapshot gauge) {
            GaugeSnapshot full = gauge.withCounts(open, openWithCurrentOwner);
            if (unchanged(full)) {
                return;
            }
            lastGauge = full;
            context.forward(record.withKey(CohortMessage.GAUGE_KEY_PREFIX + gauge.partition()).withValue(CohortMessage.gauge(full)));
        }
    }

    private void onState(FindingState state) {
        String findingId = state.getFindingId();
        byte[] entry = members.get(FINDING + findingId);
        byte flagsBefore = entry == null ? 0 : entry[0];
        String dayBefore = entry == null ? null : new String(entry, 1, entry.length - 1, StandardCharsets.UTF_8);
        byte flags = flags(state);
        count(flagsBefore, flags);
        DayMember member = DayMember.of(state, settings.zone());
        String day = member.day().toString();
        byte[] value = member.encode();
        String key = memberKey(day, findingId);
        if (dayBefore != null && !dayBefore.equals(day)) {
            // Reopened: the new handoff belongs to its reopening day's cohorts.
            members.delete(memberKey(dayBefore, findingId));
            queue.markDirty(dayBefore);
        } else if (dayBefore != null && Arrays.equals(members.get(key), value)) {
            if (flags != flagsBefore) {
                members.put(FINDING + findingId, findingEntry(flags, day));
            }
            return;
        }
        members.put(key, value);
        if (entry == null || flags != flagsBefore || !day.equals(dayBefore)) {
            members.put(FINDING + findingId, findingEntry(flags, day));
        }
        queue.markDirty(day);
    }

    // ------------------------------------------------------------------ refresh

    /** Recomputes up to {@link #MAX_DAYS_PER_REFRESH} days as of the boundary of {@code ts}; true when it stopped at that bound. */
    boolean refresh(long ts) {
        Instant asOf = Instant.ofEpochMilli(ticks.boundary(ts));
        Set<String> days = queue.take(Instant.ofEpochMilli(ts), MAX_DAYS_PER_REFRESH);
        for (String day : days) {
            recompute(LocalDate.parse(day), asOf, ts);
        }
        return days.size() >= MAX_DAYS_PER_REFRESH;
    }

    private void recompute(LocalDate day, Instant asOf, long ts) {
        Map<String, Share> shares = new LinkedHashMap<>();
        Instant dayNext = null;
        try (KeyValueIterator<String, byte[]> it = members.prefixScan(MEMBER + day + "|", KEYS)) {
            while (it.hasNext()) {
                DayMember m = DayMember.decode(day, it.next().value);
                Instant change = m.facts().nextChangeAfter(asOf);
                dayNext = earlier(dayNext, change);
                for (CohortKey cohort : m.cohorts()) {
                    Share share = shares.computeIfAbsent(cohort.id(), id -> new Share(cohort, new CohortAccumulator(asOf)));
                    share.acc.add(m.facts());
                    share.validUntil = earlier(share.validUntil, change);
                }
            }
        }
        queue.dueAt(day.toString(), dayNext);
        Map<String, byte[]> before = sent(day);
        Map<String, byte[]> after = new LinkedHashMap<>();
        int partition = context.taskId().partition();
        for (Share share : shares.values()) {
            CohortAccumulator.Window window = Windows.window(WindowGranularity.DAY, day, settings.zone(), share.cohort);
            share.acc.compactSketches(true);
            CohortPartial partial = new CohortPartial(share.acc.handoffWindow(window, asOf), share.acc.cycleWindow(window, asOf),
                    share.validUntil);
            byte[] digest = partial.digest();
            String id = share.cohort.id();
            after.put(id, digest);
            if (!Arrays.equals(before.get(id), digest)) {
                context.forward(new Record<>(CohortMessage.partialKey(id, partition), partial.encode(), ts));
            }
        }
        for (String id : before.keySet()) {
            if (!after.containsKey(id)) {
                // A tombstone: the topic is compacted and is the partials store's changelog (decision 0010).
                context.forward(new Record<String, byte[]>(CohortMessage.partialKey(id, partition), null, ts));
            }
        }
        if (!after.equals(before)) {
            saveSent(day, after);
        }
    }

    private static Instant earlier(Instant a, Instant b) {
        return a == null || (b != null && b.isBefore(a)) ? b : a;
    }

    /** This partition's share of one cohort, as one refresh builds it. */
    private static final class Share {
        final CohortKey cohort;
        final CohortAccumulator acc;
        Instant validUntil;

        Share(CohortKey cohort, CohortAccumulator acc) {
            this.cohort = cohort;
            this.acc = acc;
        }
    }

    /** The digest of each partial last sent for a day's cohorts ({@code sent|day}: one line per cohort). */
    private Map<String, byte[]> sent(LocalDate day) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        String value = refresh.get(SENT + day);
        if (value != null && !value.isEmpty()) {
            for (String line : value.split("\n")) {
                int tab = line.lastIndexOf('\t');
                out.put(line.substring(0, tab), Base64.getDecoder().decode(line.substring(tab + 1)));
            }
        }
        return out;
    }

    private void saveSent(LocalDate day, Map<String, byte[]> digests) {
        if (digests.isEmpty()) {
            refresh.delete(SENT + day);
            return;
        }
        StringBuilder b = new StringBuilder();
        digests.forEach((id, digest) -> b.append(id).append('\t').append(Base64.getEncoder().encodeToString(digest)).append('\n'));
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

    private void store(String key, long value) {
        members.put(key, Long.toString(value).getBytes(StandardCharsets.UTF_8));
    }

    private long stored(String key) {
        byte[] v = members.get(key);
        return v == null ? 0 : Long.parseLong(new String(v, StandardCharsets.UTF_8));
    }

    static String memberKey(String day, String findingId) {
        return MEMBER + day + "|" + findingId;
    }

    private static byte[] findingEntry(byte flags, String day) {
        byte[] d = day.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[d.length + 1];
        out[0] = flags;
        System.arraycopy(d, 0, out, 1, d.length);
        return out;
    }
}

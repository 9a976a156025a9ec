package dev.handoff.streams.metrics;

import dev.handoff.avro.CycleWindow;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.avro.MetricDimension;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.WindowGranularity;
import dev.handoff.streams.stages.LifecycleSettings;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Keeps each cohort's members (one task holds every day of a series) and publishes its rows. A cohort is
 * recomputed from its members when a member joins, changes or leaves (marked dirty, recomputed at the
 * next refresh) and when one of its members' windows or deadlines passes (indexed by time), so every
 * row is exact as of its {@code as_of} and stays exact until the next indexed time. Each recomputed day
 * re-emits the ISO week and calendar month holding it, merged from the series' day rows. Decision 0005.
 */
public final class CohortMetricsProcessor implements Processor<String, byte[], String, Object> {

    public static final String TO_HANDOFF = "to-metrics-handoff";
    public static final String TO_CYCLE = "to-metrics-cycle";

    private static final Logger log = LoggerFactory.getLogger(CohortMetricsProcessor.class);
    private static final StringSerializer KEYS = new StringSerializer();
    private static final String DIRTY = "dirty|";
    private static final String DUE = "due|";
    private static final String NEXT = "next|";
    static final String LATEST = "latest|";
    static final String HISTORY = "history|";
    /** Bound on the cohorts one refresh run recomputes (with their weeks and months), so a backlog cannot stall the task. */
    public static final int MAX_COHORTS_PER_REFRESH = 200;
    /**
     * Share of the task's time the refresh may take. On a backlog the dirty cohorts are the large ones of the
     * last days, and recomputing them every interval took 40 % of the stream threads at a quarter of the
     * end-to-end bench's million events; rows are then published less often, never wrong.
     */
    static final double REFRESH_SHARE = 0.2;
    /**
     * A refresh that left dirty or due cohorts behind, once no member has arrived for {@link #QUIET_AFTER}, runs again at
     * every tick of this period (budget allowing) instead of a whole refresh interval later. With one run per interval,
     * 200 cohorts per 10 s, the end-to-end bench's rows caught up for over five minutes after its million events were
     * consumed, with the machine idle. While members keep arriving (a backlog), the refresh keeps to its interval, so
     * catching up does not slow the backlog down.
     */
    public static final Duration CATCH_UP_TICK = Duration.ofMillis(250);
    /** How long no member may have arrived before the refresh catches up: the input has been consumed. */
    public static final Duration QUIET_AFTER = Duration.ofSeconds(1);
    /**
     * A catching-up run takes batches of {@link #MAX_COHORTS_PER_REFRESH} until this much time has passed. Short, as it
     * holds up the other tasks of its stream thread (a breach alert due meanwhile waits for it).
     */
    static final long CATCH_UP_RUN_MS = 100;
    /**
     * Share of the task's time a catching-up run may take: with nothing arriving, more than {@link #REFRESH_SHARE}. At
     * 100 ms runs and 250 ms ticks the refresh works 40 % of the time; with one-second ticks, 250 ms runs and the
     * regular share it worked 12.5 % of the time, and the bench's rows caught up 90–250 s after a million events.
     */
    static final double CATCH_UP_SHARE = 0.5;

    private final MetricsSettings settings;
    private final LifecycleSettings.Clock clock;
    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, byte[]> members;
    private KeyValueStore<String, HandoffWindow> handoffDays;
    private KeyValueStore<String, CycleWindow> cycleDays;
    private KeyValueStore<String, String> refresh;
    private KeyValueStore<String, String> gauges;
    /**
     * Cohorts this instance knows are marked dirty in the refresh store: a member message of one of them writes nothing
     * more. A busy cohort gets many member messages between two refreshes (10 s), and every commit in between (200 ms)
     * turned the same mark into another changelog record. Emptied by {@link #init}, so a revived task, whose store was
     * rolled back, marks again.
     */
    private Set<String> markedDirty;
    /** The dirty key after which the next refresh run starts (null: from the first). */
    private String dirtyResume;
    private RefreshBudget budget;
    /** Punctuation time of the next regular refresh. */
    private long nextRegular;
    /** The last refresh stopped at its bound: cohorts are still waiting. */
    private boolean behind;
    /** Member records processed since the last tick. */
    private long arrivedSinceTick;
    /** Punctuation time of the last tick that saw members arrive; none for {@link #QUIET_AFTER} means the input is consumed. */
    private long lastBusyTick;

    public CohortMetricsProcessor(MetricsSettings settings, LifecycleSettings.Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        members = context.getStateStore(MetricsNames.MEMBERS_STORE);
        handoffDays = context.getStateStore(MetricsNames.HANDOFF_DAYS_STORE);
        cycleDays = context.getStateStore(MetricsNames.CYCLE_DAYS_STORE);
        refresh = context.getStateStore(MetricsNames.REFRESH_STORE);
        gauges = context.getStateStore(MetricsNames.GAUGES_STORE);
        markedDirty = new HashSet<>();
        dirtyResume = null; // a revived task starts its refresh scan from the beginning of the rolled-back store
        budget = new RefreshBudget(REFRESH_SHARE);
        PunctuationType type = clock == LifecycleSettings.Clock.WALL ? PunctuationType.WALL_CLOCK_TIME : PunctuationType.STREAM_TIME;
        nextRegular = Long.MIN_VALUE;
        behind = false;
        arrivedSinceTick = 0;
        lastBusyTick = Long.MIN_VALUE;
        Duration tick = settings.refreshInterval().compareTo(CATCH_UP_TICK) < 0 ? settings.refreshInterval() : CATCH_UP_TICK;
        context.schedule(tick, type, this::onTick);
    }

    /**
     * A refresh every refresh interval, and at every tick between while the last one left work behind and no member
     * has come for {@link #QUIET_AFTER}.
     */
    private void onTick(long ts) {
        if (arrivedSinceTick > 0) {
            lastBusyTick = ts;
        }
        arrivedSinceTick = 0;
        boolean quiet = lastBusyTick == Long.MIN_VALUE || ts - lastBusyTick >= QUIET_AFTER.toMillis();
        boolean regular = ts >= nextRegular;
        boolean catchUp = behind && quiet;
        if (!(regular || catchUp) || !budget.allows(ts)) {
            return;
        }
        long started = System.nanoTime();
        do {
            behind = refresh(Instant.ofEpochMilli(ts));
        } while (behind && catchUp && (System.nanoTime() - started) / 1_000_000 < CATCH_UP_RUN_MS);
        budget.ran(ts, (System.nanoTime() - started) / 1_000_000, catchUp ? CATCH_UP_SHARE : REFRESH_SHARE);
        if (regular) {
            nextRegular = ts + settings.refreshInterval().toMillis();
        }
    }

    /**
     * Every record becomes the members store entry with its own key and value, gauges included, so the store is what
     * the compacted topic holds and a restore from the topic (its changelog, decision 0010) rebuilds it exactly.
     */
    @Override
    public void process(Record<String, byte[]> record) {
        String key = record.key();
        try {
            if (CohortMessage.isGauge(key)) {
                members.put(key, record.value());
                onGauge(CohortMessage.gauge(record.value()));
                return;
            }
            arrivedSinceTick++;
            String cohort = CohortMessage.cohortOf(key);
            if (record.value() == null) {
                members.delete(key);
            } else {
                members.put(key, record.value());
            }
            markDirty(cohort);
        } catch (RuntimeException e) {
            // Only handoff-streams writes this topic; a record it cannot read is a bug, which must not stop the metrics.
            log.error("ignoring an unreadable cohort message (key {}): {}", key, e.toString(), e);
        }
    }

    // ------------------------------------------------------------------ gauges

    private void onGauge(GaugeSnapshot snapshot) {
        gauges.put(LATEST + snapshot.partition(), snapshot.encode());
        GaugeSnapshot sum = GaugeStore.sum(gauges);
        if (sum == null) {
            return;
        }
        long step = settings.gaugeStep().toMillis();
        long bucket = Math.floorDiv(snapshot.at().toEpochMilli(), step) * step;
        gauges.put(HISTORY + GaugeStore.millis(bucket), sum.encode());
        // The workspace rows of the current day carry the gauges: refresh those this task holds.
        LocalDate today = snapshot.at().atZone(settings.zone()).toLocalDate();
        for (SeverityBand band : SeverityBand.values()) {
            String id = new CohortKey(MetricDimension.ALL, CohortKey.ALL, band, today).id();
            if (handoffDays.get(id) != null) {
                markDirty(id);
            }
        }
    }

    private void markDirty(String cohortId) {
        if (markedDirty.add(cohortId)) {
            refresh.put(DIRTY + cohortId, "");
        }
    }

    // ------------------------------------------------------------------ refresh

    /** Recomputes up to {@link #MAX_COHORTS_PER_REFRESH} dirty or due cohorts; true when it stopped at that bound. */
    boolean refresh(Instant now) {
        Set<String> cohorts = new LinkedHashSet<>();
        List<String> done = new ArrayList<>();
        // At most MAX_COHORTS_PER_REFRESH per run, the rest stay marked for the next: on a backlog nearly every cohort of
        // the last weeks changes between two runs, and recomputing them all stalled the task (end-to-end bench, issue G).
        // Round robin from where the last run stopped, so cohorts late in key order are not starved by busy early ones.
        takeDirty(cohorts, done, dirtyResume == null ? DIRTY : dirtyResume, DIRTY + "\uffff");
        if (dirtyResume != null) {
            takeDirty(cohorts, done, DIRTY, dirtyResume);
        }
        dirtyResume = cohorts.size() < MAX_COHORTS_PER_REFRESH || done.isEmpty() ? null : done.get(done.size() - 1) + "\u0000";
        try (KeyValueIterator<String, String> it = refresh.range(DUE, DUE + GaugeStore.millis(now.toEpochMilli()) + "|\uffff")) {
            while (it.hasNext() && cohorts.size() < MAX_COHORTS_PER_REFRESH) {
                String key = it.next().key;
                cohorts.add(key.substring(key.indexOf('|', DUE.length()) + 1));
                done.add(key);
            }
        }
        for (String key : done) {
            refresh.delete(key);
            if (key.startsWith(DIRTY)) {
                markedDirty.remove(key.substring(DIRTY.length()));
            }
        }
        Set<String> periods = new LinkedHashSet<>();
        for (String id : cohorts) {
            CohortKey cohort = CohortKey.parse(id);
            recompute(cohort, now);
            periods.add(WindowGranularity.WEEK + "|" + cohort.series() + Windows.firstDay(WindowGranularity.WEEK, cohort.day()));
            periods.add(WindowGranularity.MONTH + "|" + cohort.series() + Windows.firstDay(WindowGranularity.MONTH, cohort.day()));
        }
        for (String period : periods) {
            int cut = period.indexOf('|');
            CohortKey first = CohortKey.parse(period.substring(cut + 1));
            emitMerged(WindowGranularity.valueOf(period.substring(0, cut)), first, now);
        }
        pruneHistory(now);
        if (!cohorts.isEmpty()) {
            log.debug("task {} recomputed {} cohorts and {} weeks/months as of {}", context.taskId(), cohorts.size(), periods.size(), now);
        }
        return cohorts.size() >= MAX_COHORTS_PER_REFRESH;
    }

    private void takeDirty(Set<String> cohorts, List<String> done, String from, String to) {
        try (KeyValueIterator<String, String> it = refresh.range(from, to)) {
            while (it.hasNext() && cohorts.size() < MAX_COHORTS_PER_REFRESH) {
                String key = it.next().key;
                if (key.startsWith(DIRTY) && cohorts.add(key.substring(DIRTY.length()))) {
                    done.add(key);
                }
            }
        }
    }

    private void recompute(CohortKey cohort, Instant now) {
        String id = cohort.id();
        CohortAccumulator acc = new CohortAccumulator(now);
        Instant next = null;
        try (KeyValueIterator<String, byte[]> it = members.prefixScan(id + "|", KEYS)) {
            while (it.hasNext()) {
                CohortMember m = CohortMember.decode(it.next().value);
                acc.add(m);
                Instant change = m.nextChangeAfter(now);
                if (change != null && (next == null || change.isBefore(next))) {
                    next = change;
                }
            }
        }
        String oldNext = refresh.get(NEXT + id);
        if (oldNext != null) {
            refresh.delete(DUE + oldNext + "|" + id);
            refresh.delete(NEXT + id);
        }
        if (next != null) {
            String at = GaugeStore.millis(next.toEpochMilli());
            refresh.put(DUE + at + "|" + id, "");
            refresh.put(NEXT + id, at);
        }
        CohortAccumulator.Window window = Windows.window(WindowGranularity.DAY, cohort.day(), settings.zone(), cohort);
        HandoffWindow handoff = withGauges(acc.handoffWindow(window, now), now);
        CycleWindow cycle = acc.cycleWindow(window, now);
        if (acc.captured() == 0) {
            // Every member left (re-banded, re-routed): publish the emptied row so BI drops it, then forget it.
            handoffDays.delete(id);
            cycleDays.delete(id);
        } else {
            acc.compactSketches(true);
            handoffDays.put(id, acc.handoffWindow(window, now));
            cycleDays.put(id, acc.cycleWindow(window, now));
        }
        forward(WindowGranularity.DAY, cohort, handoff, cycle, now);
    }

    /**
     * Re-merges the ISO week or calendar month holding {@code anyDay} from the series' stored days, keeps it
     * (under {@link MetricRows#periodKey}, so range queries read a month as one row) and publishes it.
     */
    private void emitMerged(WindowGranularity granularity, CohortKey anyDay, Instant now) {
        LocalDate first = Windows.firstDay(granularity, anyDay.day());
        CohortAccumulator acc = MetricRows.mergePeriod(handoffDays, cycleDays, granularity, anyDay);
        CohortAccumulator.Window window = Windows.window(granularity, first, settings.zone(), anyDay);
        CohortKey firstDay = new CohortKey(anyDay.dimension(), anyDay.key(), anyDay.band(), first);
        String stored = MetricRows.periodKey(granularity, firstDay);
        HandoffWindow handoff = withGauges(acc.handoffWindow(window, now), now);
        CycleWindow cycle = acc.cycleWindow(window, now);
        if (acc.captured() == 0) {
            handoffDays.delete(stored);
            cycleDays.delete(stored);
        } else {
            acc.compactSketches(true);
            handoffDays.put(stored, acc.handoffWindow(window, now));
            cycleDays.put(stored, acc.cycleWindow(window, now));
        }
        forward(granularity, firstDay, handoff, cycle, now);
    }

    /** Rows of the whole workspace whose window holds {@code now} carry the now-gauges. */
    private HandoffWindow withGauges(HandoffWindow row, Instant now) {
        if (row.getDimension() != MetricDimension.ALL || now.isBefore(row.getWindowStart()) || !now.isBefore(row.getWindowEnd())) {
            return row;
        }
        GaugeSnapshot sum = GaugeStore.sum(gauges);
        if (sum == null) {
            return row;
        }
        return HandoffWindow.newBuilder(row)
                .setUnroutedDepth((int) Math.min(Integer.MAX_VALUE, sum.unroutedDepth()))
                .setOldestUnroutedAt(sum.oldestUnroutedAt())
                .setOpenFindings(sum.open())
                .setOpenWithCurrentOwner(sum.openWithCurrentOwner())
                .setOwnershipCurrency(sum.ownershipCurrency())
                .build();
    }

    private void forward(WindowGranularity granularity, CohortKey cohort, HandoffWindow handoff, CycleWindow cycle, Instant now) {
        String key = granularity + "|" + cohort.day() + "|" + cohort.band() + "|" + cohort.dimension() + "|" + cohort.key();
        long ts = now.toEpochMilli();
        context.forward(new Record<String, Object>(key, handoff, ts), TO_HANDOFF);
        context.forward(new Record<String, Object>(key, cycle, ts), TO_CYCLE);
    }

    private void pruneHistory(Instant now) {
        String cutoff = HISTORY + GaugeStore.millis(now.minus(settings.gaugeRetention()).toEpochMilli());
        List<String> old = new ArrayList<>();
        try (KeyValueIterator<String, String> it = gauges.range(HISTORY, cutoff)) {
            it.forEachRemaining(kv -> old.add(kv.key));
        }
        old.forEach(gauges::delete);
    }

    /** For tests and the query API: the store value of a cohort's member. */
    static List<KeyValue<String, CohortMember>> members(KeyValueStore<String, byte[]> store, String cohortId) {
        List<KeyValue<String, CohortMember>> out = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = store.prefixScan(cohortId + "|", KEYS)) {
            it.forEachRemaining(kv -> out.add(KeyValue.pair(kv.key, CohortMember.decode(kv.value))));
        }
        return out;
    }
}

package dev.handoff.streams.metrics;

import dev.handoff.avro.CycleWindow;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.avro.MetricDimension;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.WindowGranularity;
import dev.handoff.streams.stages.LifecycleSettings;
import org.apache.kafka.common.serialization.StringSerializer;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The second half of the metrics (decision 0014): keeps, per cohort of the series this partition holds (one task holds
 * every day of a series), the latest {@link CohortPartial} of each finding partition, and publishes the cohort's day
 * row merged from them (counts summed, sketches merged: exactly the row all its members make), with the ISO week and
 * calendar month holding the day re-merged from the series' day rows. A cohort is re-merged at the refresh after one
 * of its partials changed. The finding partitions compute their partials as of the same refresh boundaries, so the
 * row's {@code as_of} is the latest partial's; a row is published only when every partial is exact at that time (none
 * has a member whose window or deadline passed since it was computed), otherwise at the refresh after the late
 * partial arrives. Decision 0005 for the rows.
 */
public final class CohortMetricsProcessor implements Processor<String, byte[], String, Object> {

    public static final String TO_HANDOFF = "to-metrics-handoff";
    public static final String TO_CYCLE = "to-metrics-cycle";

    private static final Logger log = LoggerFactory.getLogger(CohortMetricsProcessor.class);
    private static final StringSerializer KEYS = new StringSerializer();
    static final String LATEST = "latest|";
    static final String HISTORY = "history|";
    /** Bound on the cohorts one refresh run re-merges (with their weeks and months), so a backlog cannot stall the task. */
    public static final int MAX_COHORTS_PER_REFRESH = 200;
    /** How long no partial may have arrived before a refresh left behind catches up: see {@link RefreshTicks}. */
    public static final Duration QUIET_AFTER = RefreshTicks.QUIET_AFTER;
    /** A refresh that left cohorts behind runs again at every tick of this period once quiet: see {@link RefreshTicks}. */
    public static final Duration CATCH_UP_TICK = RefreshTicks.TICK;

    private final MetricsSettings settings;
    private final LifecycleSettings.Clock clock;
    private ProcessorContext<String, Object> context;
    private KeyValueStore<String, byte[]> partials;
    private KeyValueStore<String, HandoffWindow> handoffDays;
    private KeyValueStore<String, CycleWindow> cycleDays;
    private KeyValueStore<String, String> gauges;
    private RefreshQueue queue;
    private RefreshTicks ticks;

    public CohortMetricsProcessor(MetricsSettings settings, LifecycleSettings.Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        partials = context.getStateStore(MetricsNames.PARTIALS_STORE);
        handoffDays = context.getStateStore(MetricsNames.HANDOFF_DAYS_STORE);
        cycleDays = context.getStateStore(MetricsNames.CYCLE_DAYS_STORE);
        gauges = context.getStateStore(MetricsNames.GAUGES_STORE);
        // A revived task's stores were rolled back: what this instance remembered of them is forgotten.
        queue = new RefreshQueue(context.getStateStore(MetricsNames.REFRESH_STORE));
        // Half an interval after the finding partitions' boundary, by when each has sent its partials as of it.
        ticks = new RefreshTicks(settings.refreshInterval(), settings.refreshInterval().dividedBy(2));
        PunctuationType type = clock == LifecycleSettings.Clock.WALL ? PunctuationType.WALL_CLOCK_TIME : PunctuationType.STREAM_TIME;
        context.schedule(ticks.period(), type, ts -> ticks.onTick(ts, t -> refresh(Instant.ofEpochMilli(t))));
    }

    /**
     * Every record becomes the partials store entry with its own key and value, gauges included, so the store is what
     * the compacted topic holds and a restore from the topic (its changelog, decision 0010) rebuilds it exactly.
     */
    @Override
    public void process(Record<String, byte[]> record) {
        String key = record.key();
        try {
            if (CohortMessage.isGauge(key)) {
                partials.put(key, record.value());
                onGauge(CohortMessage.gauge(record.value()));
                return;
            }
            ticks.arrived();
            String cohort = CohortMessage.cohortOf(key);
            if (record.value() == null) {
                partials.delete(key);
            } else {
                partials.put(key, record.value());
            }
            queue.markDirty(cohort);
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
                queue.markDirty(id);
            }
        }
    }

    // ------------------------------------------------------------------ refresh

    /** Re-merges up to {@link #MAX_COHORTS_PER_REFRESH} dirty cohorts; true when it stopped at that bound. */
    boolean refresh(Instant now) {
        Set<String> cohorts = queue.take(now, MAX_COHORTS_PER_REFRESH);
        Set<String> periods = new LinkedHashSet<>();
        for (String id : cohorts) {
            CohortKey cohort = CohortKey.parse(id);
            if (!remerge(cohort, now)) {
                continue;
            }
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
            log.debug("task {} re-merged {} cohorts and {} weeks/months at {}", context.taskId(), cohorts.size(), periods.size(), now);
        }
        return cohorts.size() >= MAX_COHORTS_PER_REFRESH;
    }

    /**
     * Merges the cohort's partials into its day row and publishes it; false, publishing nothing, while a partial is not
     * exact at the latest one's {@code as_of} (its partition sends a newer one, which marks the cohort again).
     */
    private boolean remerge(CohortKey cohort, Instant now) {
        String id = cohort.id();
        List<CohortPartial> shares = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = partials.prefixScan(id + "|", KEYS)) {
            while (it.hasNext()) {
                shares.add(CohortPartial.decode(it.next().value));
            }
        }
        Instant asOf = shares.isEmpty() ? now : shares.get(0).asOf();
        for (CohortPartial p : shares) {
            asOf = p.asOf().isAfter(asOf) ? p.asOf() : asOf;
        }
        for (CohortPartial p : shares) {
            if (!p.exactAt(asOf)) {
                log.debug("cohort {}: a partial as of {} is not exact at {}; waiting for its partition", id, p.asOf(), asOf);
                return false;
            }
        }
        CohortAccumulator acc = new CohortAccumulator(asOf);
        for (CohortPartial p : shares) {
            acc.add(p.handoff()).add(p.cycle());
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
        return true;
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
}

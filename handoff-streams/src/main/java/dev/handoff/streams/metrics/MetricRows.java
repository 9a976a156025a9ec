package dev.handoff.streams.metrics;

import dev.handoff.avro.CycleWindow;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.avro.MetricDimension;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.WindowGranularity;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Answers metric queries from the day rows: reads a range of days of the matching series and merges
 * them, per (band, key) over the whole range, or per (window, band, key) for a time series. Merging uses
 * {@link CohortAccumulator}, the arithmetic that made the rows, so a range answer equals the row its days
 * would make together (sketches within their 1 % guarantee). Partial answers from several instances
 * merge the same way.
 */
public final class MetricRows {

    /** A merged answer for one group: the handoff numbers and the cycle segments. */
    public record Row(HandoffWindow handoff, CycleWindow cycle) {
    }

    /** Which rows to read. {@code key} null: every key of the dimension. {@code granularity} null: one row over the range. */
    public record Selection(LocalDate from, LocalDate to, Set<SeverityBand> bands, MetricDimension dimension, String key,
                            WindowGranularity granularity) {
    }

    private static final Comparator<Row> ORDER = Comparator
            .comparing((Row r) -> r.handoff().getBand())
            .thenComparing(r -> r.handoff().getDimensionKey())
            .thenComparing(r -> r.handoff().getWindowStart());

    private MetricRows() {
    }

    /** What a query needs: the handoff numbers, the cycle segments, or both. */
    public enum Parts {
        /** The handoff numbers with the six-stage decomposition. */
        HANDOFF,
        /** The five numbers only: no stage sketches merged (the all-teams listing). */
        FIVE,
        CYCLE,
        BOTH
    }

    /**
     * This instance's part of the answer from its local stores, merged per group. A whole-range answer
     * reads, per series, the stored MONTH and WEEK rows the range covers whole and the DAY rows at its
     * edges (about 15 rows for 90 days instead of 90); a time series reads the days. With no key, the
     * series of the dimension are found by skipping from one series to the next, never reading days
     * outside the range: the stores must be one partition's, whose keys iterate in order (a store over
     * several partitions iterates them one after the other, and the skipping would miss series).
     */
    public static List<Row> read(ReadOnlyKeyValueStore<String, HandoffWindow> handoffDays, ReadOnlyKeyValueStore<String, CycleWindow> cycleDays,
                                 Selection s, ZoneId zone, Instant recordedTime, Parts parts) {
        boolean handoff = parts != Parts.CYCLE;
        boolean cycle = parts == Parts.CYCLE || parts == Parts.BOTH;
        List<String> allSeries = series(handoff ? handoffDays : cycleDays, s);
        if (s.granularity() == null) {
            // Series are independent: read and merge them in parallel (the stores serve concurrent reads).
            List<Group> read = (allSeries.size() > 8 ? allSeries.parallelStream() : allSeries.stream()).map(series -> {
                CohortKey first = CohortKey.parse(series + s.from());
                Group g = new Group(window(first, s, zone), parts);
                for (String key : coveringKeys(first, s.from(), s.to())) {
                    if (handoff) {
                        HandoffWindow h = handoffDays.get(key);
                        if (h != null) {
                            g.add(h);
                        }
                    }
                    if (cycle) {
                        CycleWindow c = cycleDays.get(key);
                        if (c != null) {
                            g.add(c);
                        }
                    }
                }
                return g;
            }).filter(g -> g.rows > 0).toList();
            return build(read, recordedTime);
        }
        Map<String, Group> groups = new LinkedHashMap<>();
        for (String series : allSeries) {
            String from = series + s.from();
            String to = series + s.to();
            if (handoff) {
                try (KeyValueIterator<String, HandoffWindow> it = handoffDays.range(from, to)) {
                    while (it.hasNext()) {
                        KeyValue<String, HandoffWindow> kv = it.next();
                        CohortKey day = CohortKey.parse(kv.key);
                        groups.computeIfAbsent(groupId(day, s), x -> new Group(window(day, s, zone), parts)).add(kv.value);
                    }
                }
            }
            if (cycle) {
                try (KeyValueIterator<String, CycleWindow> it = cycleDays.range(from, to)) {
                    while (it.hasNext()) {
                        KeyValue<String, CycleWindow> kv = it.next();
                        CohortKey day = CohortKey.parse(kv.key);
                        groups.computeIfAbsent(groupId(day, s), x -> new Group(window(day, s, zone), parts)).add(kv.value);
                    }
                }
            }
        }
        groups.values().removeIf(g -> g.rows == 0);
        return build(groups.values(), recordedTime);
    }

    /**
     * The ISO week or calendar month holding {@code anyDay}, merged from the series' stored day rows (what
     * the metrics processor stores under {@link #periodKey} and publishes).
     */
    public static CohortAccumulator mergePeriod(ReadOnlyKeyValueStore<String, HandoffWindow> handoffDays,
                                                ReadOnlyKeyValueStore<String, CycleWindow> cycleDays,
                                                WindowGranularity granularity, CohortKey anyDay) {
        CohortAccumulator acc = new CohortAccumulator(Instant.EPOCH);
        String from = anyDay.series() + Windows.firstDay(granularity, anyDay.day());
        String to = anyDay.series() + Windows.lastDay(granularity, anyDay.day());
        try (KeyValueIterator<String, HandoffWindow> it = handoffDays.range(from, to)) {
            it.forEachRemaining(kv -> acc.add(kv.value));
        }
        try (KeyValueIterator<String, CycleWindow> it = cycleDays.range(from, to)) {
            it.forEachRemaining(kv -> acc.add(kv.value));
        }
        return acc;
    }

    /** Store key of a merged WEEK or MONTH row: the series, then {@code W} or {@code M} and its first day (sorts after every day). */
    public static String periodKey(WindowGranularity granularity, CohortKey firstDay) {
        return switch (granularity) {
            case DAY -> firstDay.id();
            case WEEK -> firstDay.series() + "W" + firstDay.day();
            case MONTH -> firstDay.series() + "M" + firstDay.day();
        };
    }

    /** The fewest stored rows that cover {@code from..to} exactly: whole months, then whole ISO weeks, then days. */
    static List<String> coveringKeys(CohortKey series, LocalDate from, LocalDate to) {
        List<String> keys = new ArrayList<>();
        LocalDate d = from;
        while (!d.isAfter(to)) {
            CohortKey at = new CohortKey(series.dimension(), series.key(), series.band(), d);
            LocalDate monthEnd = Windows.lastDay(WindowGranularity.MONTH, d);
            LocalDate weekEnd = Windows.lastDay(WindowGranularity.WEEK, d);
            if (d.getDayOfMonth() == 1 && !monthEnd.isAfter(to)) {
                keys.add(periodKey(WindowGranularity.MONTH, at));
                d = monthEnd.plusDays(1);
            } else if (d.getDayOfWeek() == java.time.DayOfWeek.MONDAY && !weekEnd.isAfter(to)
                    && weekEnd.getMonth() == d.getMonth()) {
                // A week that crosses into the next month would overlap that month's row: use its days instead.
                keys.add(periodKey(WindowGranularity.WEEK, at));
                d = weekEnd.plusDays(1);
            } else {
                keys.add(at.id());
                d = d.plusDays(1);
            }
        }
        return keys;
    }

    /** The series to read: one per band for a known key, else every series of the dimension in the store. */
    private static List<String> series(ReadOnlyKeyValueStore<String, ?> store, Selection s) {
        List<String> out = new ArrayList<>();
        if (s.key() != null) {
            for (SeverityBand band : s.bands()) {
                out.add(CohortKey.series(s.dimension(), s.key(), band));
            }
            return out;
        }
        String end = s.dimension().name() + "|\uffff";
        String cursor = s.dimension().name() + "|";
        while (true) {
            String next;
            try (KeyValueIterator<String, ?> it = store.range(cursor, end)) {
                if (!it.hasNext()) {
                    break;
                }
                next = it.peekNextKey();
            }
            String series = CohortKey.seriesOf(next);
            String[] parts = series.split("\\|", -1);
            if (parts.length >= 3 && s.bands().contains(SeverityBand.valueOf(parts[2]))) {
                out.add(series);
            }
            cursor = series + "\uffff";
        }
        return out;
    }

    /** Merges partial answers (from several instances) that describe the same group. */
    public static List<Row> merge(Collection<Row> partials, Instant recordedTime) {
        Map<String, Group> groups = new LinkedHashMap<>();
        for (Row r : partials) {
            HandoffWindow h = r.handoff();
            String id = h.getWindowStart().toEpochMilli() + "|" + h.getBand() + "|" + h.getDimension() + "|" + h.getDimensionKey();
            Group g = groups.computeIfAbsent(id, x -> new Group(new CohortAccumulator.Window(h.getGranularity(), h.getWindowStart(),
                    h.getWindowEnd(), h.getBand(), h.getDimension(), h.getDimensionKey())));
            g.acc.add(h);
                            g.rows++;
            if (r.cycle() != null) {
                g.acc.add(r.cycle());
            }
        }
        return build(groups.values(), recordedTime);
    }

    private static List<Row> build(Collection<Group> groups, Instant recordedTime) {
        List<Row> out = new ArrayList<>();
        for (Group g : groups) {
            g.acc.compactSketches(true);
            out.add(new Row(g.acc.handoffWindow(g.window, recordedTime), g.acc.cycleWindow(g.window, recordedTime)));
        }
        out.sort(ORDER);
        return out;
    }

    private static String groupId(CohortKey c, Selection s) {
        LocalDate first = s.granularity() == null ? s.from() : Windows.firstDay(s.granularity(), c.day());
        return first + "|" + c.band() + "|" + c.key();
    }

    private static CohortAccumulator.Window window(CohortKey c, Selection s, ZoneId zone) {
        if (s.granularity() == null) {
            return new CohortAccumulator.Window(WindowGranularity.DAY, Windows.start(s.from(), zone), Windows.end(s.to(), zone),
                    c.band(), c.dimension(), c.key());
        }
        return Windows.window(s.granularity(), c.day(), zone, c);
    }

    private static final class Group {
        final CohortAccumulator.Window window;
        final CohortAccumulator acc = new CohortAccumulator(Instant.EPOCH);
        int rows;

        void add(HandoffWindow h) {
            acc.add(h);
            rows++;
        }

        void add(CycleWindow c) {
            acc.add(c);
            rows++;
        }

        Group(CohortAccumulator.Window window) {
            this.window = window;
        }

        Group(CohortAccumulator.Window window, Parts parts) {
            this(window);
            if (parts == Parts.FIVE) {
                acc.withoutStages();
            }
        }
    }
}

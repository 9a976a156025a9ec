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

    /** This instance's part of the answer: the day rows of its local stores, merged per group. */
    public static List<Row> read(ReadOnlyKeyValueStore<String, HandoffWindow> handoffDays, ReadOnlyKeyValueStore<String, CycleWindow> cycleDays,
                                 Selection s, ZoneId zone, Instant recordedTime) {
        Map<String, Group> groups = new LinkedHashMap<>();
        for (String[] range : ranges(s)) {
            try (KeyValueIterator<String, HandoffWindow> it = handoffDays.range(range[0], range[1])) {
                while (it.hasNext()) {
                    KeyValue<String, HandoffWindow> kv = it.next();
                    CohortKey cohort = CohortKey.parse(kv.key);
                    if (matches(cohort, s)) {
                        groups.computeIfAbsent(groupId(cohort, s), g -> new Group(window(cohort, s, zone))).acc.add(kv.value);
                    }
                }
            }
            try (KeyValueIterator<String, CycleWindow> it = cycleDays.range(range[0], range[1])) {
                while (it.hasNext()) {
                    KeyValue<String, CycleWindow> kv = it.next();
                    CohortKey cohort = CohortKey.parse(kv.key);
                    Group g = matches(cohort, s) ? groups.get(groupId(cohort, s)) : null;
                    if (g != null) {
                        g.acc.add(kv.value);
                    }
                }
            }
        }
        return build(groups.values(), recordedTime);
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
            if (r.cycle() != null) {
                g.acc.add(r.cycle());
            }
        }
        return build(groups.values(), recordedTime);
    }

    private static List<Row> build(Collection<Group> groups, Instant recordedTime) {
        List<Row> out = new ArrayList<>();
        for (Group g : groups) {
            out.add(new Row(g.acc.handoffWindow(g.window, recordedTime), g.acc.cycleWindow(g.window, recordedTime)));
        }
        out.sort(ORDER);
        return out;
    }

    /** Key ranges to scan: one per band when the key is known, else the whole dimension. */
    private static List<String[]> ranges(Selection s) {
        List<String[]> out = new ArrayList<>();
        if (s.key() != null) {
            for (SeverityBand band : s.bands()) {
                String series = CohortKey.series(s.dimension(), s.key(), band);
                out.add(new String[] {series + s.from(), series + s.to()});
            }
        } else {
            out.add(new String[] {s.dimension().name() + "|", s.dimension().name() + "|\uffff"});
        }
        return out;
    }

    private static boolean matches(CohortKey c, Selection s) {
        return c.dimension() == s.dimension() && s.bands().contains(c.band()) && !c.day().isBefore(s.from()) && !c.day().isAfter(s.to())
                && (s.key() == null || s.key().equals(c.key()));
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

        Group(CohortAccumulator.Window window) {
            this.window = window;
        }
    }
}

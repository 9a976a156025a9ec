package dev.handoff.bench;

import dev.handoff.avro.CycleWindow;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.avro.MetricDimension;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.WindowGranularity;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import dev.handoff.streams.metrics.CohortAccumulator;
import dev.handoff.streams.metrics.CohortKey;
import dev.handoff.streams.metrics.MetricRows;
import dev.handoff.streams.metrics.MetricsNames;
import dev.handoff.streams.metrics.Windows;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;

/**
 * Real RocksDB day-row stores as the metrics processor fills them: {@code metrics-handoff-days} and
 * {@code metrics-cycle-days}, String keys ({@link CohortKey#id()}) and the Avro value serdes of the
 * metrics topics, logging disabled, initialised through a {@link MockProcessorContext} in a temp state
 * dir. Filled with {@code days} × 4 bands × {@code teams} TEAM rows plus the ALL rows, each row made by
 * a {@link CohortAccumulator} over 20-200 synthetic members. {@link #close()} deletes the directory.
 */
public final class MetricsStoreFixture implements AutoCloseable {

    public static final ZoneId ZONE = ZoneOffset.UTC;
    public static final Set<SeverityBand> BANDS = EnumSet.of(SeverityBand.CRITICAL, SeverityBand.HIGH, SeverityBand.MEDIUM,
            SeverityBand.LOW);
    public static final int MIN_MEMBERS = 20;
    public static final int MAX_MEMBERS = 200;
    /** The last stored day; the query's range ends here. */
    public static final LocalDate LAST_DAY = LocalDate.of(2025, 6, 30);
    /** The as_of of every row: noon of the day after the last one. */
    public static final Instant NOW = LAST_DAY.plusDays(1).atTime(12, 0).toInstant(ZoneOffset.UTC);

    public final Path stateDir;
    public final KeyValueStore<String, HandoffWindow> handoffDays;
    public final KeyValueStore<String, CycleWindow> cycleDays;
    /** The same RocksDB stores without serdes, after {@link #reopenRaw()} (the typed ones are closed then). */
    public KeyValueStore<Bytes, byte[]> rawHandoffDays;
    public KeyValueStore<Bytes, byte[]> rawCycleDays;
    public final Serde<HandoffWindow> handoffSerde;
    public final Serde<CycleWindow> cycleSerde;
    public final int days;
    public final int teams;
    public long rows;
    public long handoffBytes;
    public long cycleBytes;
    public long members;

    public MetricsStoreFixture(int days, int teams, long seed) {
        this.days = days;
        this.teams = teams;
        try {
            stateDir = Files.createTempDirectory("handoff-bench-state-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Topics topics = new Topics("bench.", 1, new EmbeddedSchemaRegistry());
        handoffSerde = topics.valueSerde(Topics.METRICS_HANDOFF);
        cycleSerde = topics.valueSerde(Topics.METRICS_CYCLE);
        MockProcessorContext<Object, Object> context = context();
        handoffDays = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(MetricsNames.HANDOFF_DAYS_STORE), Serdes.String(),
                handoffSerde).withLoggingDisabled().build();
        cycleDays = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(MetricsNames.CYCLE_DAYS_STORE), Serdes.String(),
                cycleSerde).withLoggingDisabled().build();
        handoffDays.init(context.getStateStoreContext(), handoffDays);
        cycleDays.init(context.getStateStoreContext(), cycleDays);
        fill(seed);
    }

    private MockProcessorContext<Object, Object> context() {
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "handoff-bench");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092");
        config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        return new MockProcessorContext<>(config, new TaskId(0, 0), stateDir.toFile());
    }

    /** Closes the typed stores and opens the same RocksDB directories as raw byte stores (to time RocksDB alone). */
    public void reopenRaw() {
        handoffDays.close();
        cycleDays.close();
        MockProcessorContext<Object, Object> context = context();
        rawHandoffDays = Stores.persistentKeyValueStore(MetricsNames.HANDOFF_DAYS_STORE).get();
        rawCycleDays = Stores.persistentKeyValueStore(MetricsNames.CYCLE_DAYS_STORE).get();
        rawHandoffDays.init(context.getStateStoreContext(), rawHandoffDays);
        rawCycleDays.init(context.getStateStoreContext(), rawCycleDays);
    }

    private void fill(long seed) {
        SyntheticMembers gen = new SyntheticMembers(seed);
        long started = System.nanoTime();
        LocalDate first = firstDay();
        for (LocalDate day = first; !day.isAfter(LAST_DAY); day = day.plusDays(1)) {
            Instant dayStart = Windows.start(day, ZONE);
            for (SeverityBand band : BANDS) {
                CohortAccumulator all = new CohortAccumulator(NOW);
                for (int t = 0; t < teams; t++) {
                    CohortAccumulator acc = new CohortAccumulator(NOW);
                    int n = gen.uniform(MIN_MEMBERS, MAX_MEMBERS);
                    for (int k = 0; k < n; k++) {
                        var m = gen.member(band, dayStart, NOW);
                        acc.add(m);
                        all.add(m);
                    }
                    members += n;
                    put(new CohortKey(MetricDimension.TEAM, team(t), band, day), acc);
                }
                put(new CohortKey(MetricDimension.ALL, CohortKey.ALL, band, day), all);
            }
        }
        // As the metrics processor does: every ISO week and month of each series, merged from its days.
        for (SeverityBand band : BANDS) {
            for (int t = -1; t < teams; t++) {
                CohortKey series = t < 0 ? new CohortKey(MetricDimension.ALL, CohortKey.ALL, band, first)
                        : new CohortKey(MetricDimension.TEAM, team(t), band, first);
                for (WindowGranularity g : List.of(WindowGranularity.WEEK, WindowGranularity.MONTH)) {
                    for (LocalDate d = Windows.firstDay(g, first); !d.isAfter(LAST_DAY); d = Windows.lastDay(g, d).plusDays(1)) {
                        CohortKey at = new CohortKey(series.dimension(), series.key(), band, d);
                        CohortAccumulator acc = MetricRows.mergePeriod(handoffDays, cycleDays, g, at).compactSketches(true);
                        CohortAccumulator.Window w = Windows.window(g, d, ZONE, at);
                        handoffDays.put(MetricRows.periodKey(g, at), acc.handoffWindow(w, NOW));
                        cycleDays.put(MetricRows.periodKey(g, at), acc.cycleWindow(w, NOW));
                    }
                }
            }
        }
        handoffDays.flush();
        cycleDays.flush();
        System.out.println();
        System.out.printf(Locale.ROOT, "[fixture] %d days x %d bands x %d teams (+ ALL): %d day rows, %d members, filled in %.1f s;"
                        + " avg stored HandoffWindow %d bytes, CycleWindow %d bytes; %s%n",
                days, BANDS.size(), teams, rows, members, (System.nanoTime() - started) / 1e9, handoffBytes / rows, cycleBytes / rows,
                stateDir);
    }

    private void put(CohortKey key, CohortAccumulator acc) {
        CohortAccumulator.Window w = Windows.window(WindowGranularity.DAY, key.day(), ZONE, key);
        acc.compactSketches(true); // stored rows carry compact sketches, as the metrics processor stores them
        HandoffWindow h = acc.handoffWindow(w, NOW);
        CycleWindow c = acc.cycleWindow(w, NOW);
        handoffDays.put(key.id(), h);
        cycleDays.put(key.id(), c);
        rows++;
        handoffBytes += handoffSerde.serializer().serialize("bench", h).length;
        cycleBytes += cycleSerde.serializer().serialize("bench", c).length;
    }

    public LocalDate firstDay() {
        return LAST_DAY.minusDays(days - 1L);
    }

    public static String team(int t) {
        return String.format(Locale.ROOT, "team-%02d", t);
    }

    /** The dashboard query: dimension TEAM, {@code key} (null: every team), all 4 bands, the last {@code queryDays} days. */
    public MetricRows.Selection selection(String key, int queryDays) {
        return new MetricRows.Selection(LAST_DAY.minusDays(queryDays - 1L), LAST_DAY, BANDS, MetricDimension.TEAM, key, null);
    }

    @Override
    public void close() {
        try {
            if (rawHandoffDays != null) {
                rawHandoffDays.close();
                rawCycleDays.close();
            } else {
                handoffDays.close();
                cycleDays.close();
            }
        } finally {
            deleteRecursively(stateDir);
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

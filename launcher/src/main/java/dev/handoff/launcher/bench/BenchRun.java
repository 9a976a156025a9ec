package dev.handoff.launcher.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import dev.handoff.streams.HandoffTopology;
import dev.handoff.streams.StreamsSettings;
import dev.handoff.streams.metrics.CohortMetricsProcessor;
import dev.handoff.streams.metrics.CohortPartials;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

/**
 * One {@code ./handoff bench}: generate the programme and its ground truth, start the in-process broker, take the
 * directory into handoff-streams, produce the events (raw produce), read them back (raw consume), run the plain EOS
 * count over them, then let Handoff process the whole backlog, check its metrics against the truth, time history queries
 * ({@code GET /findings/{id}}) on its query API, measure its state, and finally measure breach-alert delay on the wall
 * clock. Prints as it goes; returns 0 when the metrics are exact.
 */
public final class BenchRun {

    /** What to run. */
    public record Options(long events, long seed, int days, int partitions, int threads, Path dump, int breachFindings,
                          int historyQueries, boolean anchors, BenchProfile profile, Map<String, String> streamsOverrides) {
    }

    /** The figures of a run, for tests and the dump. */
    public record Figures(double produce, double consume, double raw, double eosCount, double handoff, long peakHeap,
                          long peakOldAfterGc, long liveStateBytes, long memtableBytes, long diskStateBytes, long openFindings,
                          Accuracy.Result accuracy, BreachDelay.Result breach, HistoryQueries.Result history) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "bench.";
    private static final String TRANSACTION_TIMEOUT = "producer.transaction.timeout.ms";

    private final Options o;
    private final PrintStream out;
    private Figures figures;

    public BenchRun(Options options, PrintStream out) {
        this.o = options;
        this.out = out;
    }

    public Figures figures() {
        return figures;
    }

    public int run() throws IOException {
        long t0 = System.nanoTime();
        out.printf("Handoff bench: %s events, seed %d, %d days, %d partitions, %d stream threads%n", Formatting.count(o.events()), o.seed(),
                o.days(), o.partitions(), o.threads());
        out.printf("machine:   %d cores, %s RAM, JDK %s (%s), max heap %s, load average %.2f%n", Runtime.getRuntime().availableProcessors(),
                totalRam(), System.getProperty("java.version"), System.getProperty("java.vm.name"), Formatting.mib(HeapSampler.maxHeap()),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        Path work = Files.createTempDirectory("handoff-bench-");
        try (LocalKafka kafka = LocalKafka.builder()
                // Events are dated up to weeks back: the broker must not expire them by their timestamps mid-run.
                .brokerProperty("log.retention.ms", "-1")
                .start();
             Admin admin = Admin.create(kafka.clientProperties())) {
            out.printf("broker:    in-process KRaft broker at %s%n", kafka.bootstrapServers());
            Topics topics = new Topics(PREFIX, o.partitions(), SchemaRegistries.fromConfig(Map.of(SchemaRegistries.URL_CONFIG, "embedded")));
            kafka.createTopics(topics.newTopics((short) 1));
            kafka.createTopics(HandoffTopology.newInternalTopics(topics, o.partitions(), (short) 1));
            kafka.createTopics(List.of(new NewTopic(PREFIX + "anchor.counts", o.partitions(), (short) 1)));

            // ---------------------------------------------------------------- generate
            // The timeline ends an hour before now (the broker refuses timestamps more than an hour ahead), on a whole hour.
            Instant end = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.HOURS).minus(Duration.ofHours(1));
            Instant start = end.minus(Duration.ofDays(o.days()));
            long genStarted = System.nanoTime();
            ProgrammeGenerator generator = ProgrammeGenerator.calibrated(o.profile(), o.seed(), o.events(), o.partitions(), start,
                    Duration.ofDays(o.days()));
            EventLog log = new EventLog(work.resolve("events.bin"));
            BenchDump dump = o.dump() == null ? null : new BenchDump(o.dump());
            List<ProducerRecord<String, byte[]>> reference = new ArrayList<>();
            GroundTruth[] truth = new GroundTruth[1];
            Map<String, org.apache.kafka.common.serialization.Serializer<SpecificRecord>> serializers = new HashMap<>();
            ProgrammeGenerator.Sink sink = new ProgrammeGenerator.Sink() {
                long n;

                @Override
                public void reference(String suffix, String key, SpecificRecord value) {
                    String topic = PREFIX + suffix;
                    reference.add(new ProducerRecord<>(topic, key, serializers.computeIfAbsent(suffix, k -> serializer(topics, k)).serialize(topic, value)));
                    if (dump != null) {
                        dump.record(suffix, key, value);
                    }
                }

                @Override
                public void event(String suffix, String key, Instant time, SpecificRecord value, TruthEvent t) {
                    String topic = PREFIX + suffix;
                    log.append(suffix, time.toEpochMilli(), key, serializers.computeIfAbsent(suffix, k -> serializer(topics, k)).serialize(topic, value));
                    truth[0].accept(t);
                    if (dump != null) {
                        dump.record(suffix, key, value);
                    }
                    if (++n % Math.max(1, o.events() / 10) == 0) {
                        out.printf("generate:  %3d%%  %s events%n", n * 100 / o.events(), Formatting.count(n));
                    }
                }
            };
            Directory directory = generator.directory(sink);
            truth[0] = new GroundTruth(directory);
            ProgrammeGenerator.Summary summary = generator.run(sink);
            log.close();
            if (dump != null) {
                dump.close();
            }
            out.printf("programme: %s findings, %s events %s, %s to %s; %s people in %d teams, %s assets (generated in %.1f s)%n",
                    Formatting.count(summary.findings()), Formatting.count(summary.events()), summary.byTopic(), summary.first(), summary.last(),
                    Formatting.count(summary.people()), summary.teams(), Formatting.count(summary.assets()), secondsSince(genStarted));
            out.printf("           findings per failure mode (truth): %s; NOTIFICATION_NOISE depending on timing: %d%n",
                    truth[0].findingsByMode(), truth[0].uncertainNoise());

            // ---------------------------------------------------------------- the service takes in the directory
            Map<String, String> settings = new HashMap<>(o.streamsOverrides());
            settings.putIfAbsent(StreamsSettings.METRICS_REFRESH_INTERVAL, StreamsSettings.defaults().get(StreamsSettings.METRICS_REFRESH_INTERVAL));
            settings.put("num.stream.threads", Integer.toString(o.threads()));
            // On a starved machine a transaction can outlive the 10 s default and be aborted by the coordinator (the
            // producer then fails with InvalidProducerEpochException and the tasks migrate); both apps get more room.
            settings.putIfAbsent(TRANSACTION_TIMEOUT, "60000");
            long refStarted = System.nanoTime();
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.clientProperties(), new StringSerializer(), new ByteArraySerializer())) {
                reference.forEach(producer::send);
                producer.flush();
            }
            HandoffRun handoff = new HandoffRun(kafka.bootstrapServers(), topics, admin, Files.createDirectories(work.resolve("handoff-state")), settings);
            try {
                handoff.startAndTakeInReference(List.of(PREFIX + "assets", PREFIX + "owners", PREFIX + "teams", PREFIX + "sla-policy"));
                handoff.stop();
                out.printf("reference: %s directory records fanned out to %d partitions and taken in by handoff-streams in %.1f s; stopped%n",
                        Formatting.count(reference.size()), o.partitions(), secondsSince(refStarted));

                // ---------------------------------------------------------------- anchors
                Anchors.Timing produce = Anchors.produce(kafka.bootstrapServers(), PREFIX, log.file(), summary.events(), n -> { });
                out.printf("produce:   %s events (%s) in %.1f s: %s events/s (one producer, acks=all, idempotent, linger 10 ms)%n",
                        Formatting.count(produce.records()), Formatting.mib(log.bytes()), seconds(produce.elapsed()), Formatting.rate(produce.perSecond()));
                double raw = Double.NaN;
                Anchors.Timing consume = null;
                Anchors.Timing eos = null;
                if (o.anchors()) {
                    consume = Anchors.consume(kafka.bootstrapServers(), PREFIX, o.partitions(), summary.events());
                    out.printf("consume:   %s events in %.1f s: %s events/s (one read_committed consumer)%n", Formatting.count(consume.records()),
                            seconds(consume.elapsed()), Formatting.rate(consume.perSecond()));
                    raw = summary.events() / (seconds(produce.elapsed()) + seconds(consume.elapsed()));
                    out.printf("raw:       produce + consume: %s events/s%n", Formatting.rate(raw));
                    Map<String, String> common = Map.of("num.stream.threads", Integer.toString(o.threads()),
                            "commit.interval.ms", HandoffRun.settings(settings).get("commit.interval.ms"),
                            TRANSACTION_TIMEOUT, settings.get(TRANSACTION_TIMEOUT));
                    ThreadCpu.Breakdown[] eosCpu = new ThreadCpu.Breakdown[1];
                    eos = Anchors.eosCount(kafka.bootstrapServers(), admin, PREFIX, o.partitions(), summary.events(),
                            Files.createDirectories(work.resolve("anchor-state")), Duration.ofDays(o.days()), common, n -> { },
                            b -> eosCpu[0] = b);
                    out.printf("eos-count: %s events in %.1f s: %s events/s (plain Kafka Streams, exactly_once_v2, groupByKey, windowedBy 1 h, count, %s)%n",
                            Formatting.count(eos.records()), seconds(eos.elapsed()), Formatting.rate(eos.perSecond()), common);
                    if (ThreadCpu.supported()) {
                        out.printf("           %s%n", eosCpu[0].format(eos.records(), seconds(eos.elapsed())));
                    }
                }

                // ---------------------------------------------------------------- Handoff
                out.printf("handoff:   starting handoff-streams again on the backlog (exactly_once_v2, %s)%n", describe(settings));
                Anchors.Timing processed;
                long peakHeap;
                long peakOld;
                long[] halfway = {0, 0};
                long compiled;
                long ended;
                ThreadCpu.Snapshot cpuBefore;
                ThreadCpu.Snapshot cpuAfter;
                try (HeapSampler heap = new HeapSampler()) {
                    long[] lastPrint = {System.nanoTime(), 0};
                    long resumed = System.nanoTime();
                    long compiledBefore = compileMillis();
                    cpuBefore = ThreadCpu.take();
                    processed = handoff.process(summary.events(), committed -> {
                        if (halfway[0] == 0 && committed * 2 >= summary.events()) {
                            halfway[0] = System.nanoTime();
                            halfway[1] = committed;
                        }
                        if (System.nanoTime() - lastPrint[0] > 5_000_000_000L) {
                            double rate = (committed - lastPrint[1]) / ((System.nanoTime() - lastPrint[0]) / 1e9);
                            out.printf("handoff:   %3d%%  %s events, %s events/s now, %.0f s in%n", committed * 100 / summary.events(),
                                    Formatting.count(committed), Formatting.rate(rate), secondsSince(resumed));
                            lastPrint[0] = System.nanoTime();
                            lastPrint[1] = committed;
                        }
                    }, took -> out.printf("handoff:   RUNNING after %.1f s (start-up, group join, tasks); timing from here%n", seconds(took)));
                    peakHeap = heap.peakUsed();
                    peakOld = heap.peakOldAfterGc();
                    compiled = compileMillis() - compiledBefore;
                    ended = System.nanoTime();
                    cpuAfter = ThreadCpu.take();
                }
                out.printf("handoff:   %s events in %.1f s: %s events/s (full topology, every input and internal topic consumed)%n",
                        Formatting.count(processed.records()), seconds(processed.elapsed()), Formatting.rate(processed.perSecond()));
                if (halfway[0] != 0 && ended > halfway[0]) {
                    // The first minute of a run is slowed by the JIT compiler, which the run's CPU shares with everything else.
                    out.printf("           second half: %s events/s (from %s events on); JIT compiler busy %.0f s of the %.0f s (one thread's time)%n",
                            Formatting.rate((processed.records() - halfway[1]) / ((ended - halfway[0]) / 1e9)), Formatting.count(halfway[1]),
                            compiled / 1000.0, seconds(processed.elapsed()));
                }
                if (ThreadCpu.supported()) {
                    out.printf("cpu:       %s%n", ThreadCpu.between(cpuBefore, cpuAfter).format(processed.records(), seconds(processed.elapsed())));
                    if (System.getenv("HANDOFF_BENCH_THREADS") != null) {
                        // For checking the grouping: the threads counted in the rest that spent most.
                        ThreadCpu.largestUngrouped(cpuBefore, cpuAfter, 12).forEach(e -> out.printf("           in the rest: %s %.1f s%n",
                                e.getKey(), e.getValue() / 1e9));
                    }
                }
                Writes writes = writes(admin, summary.events());
                out.printf("writes:    per input event %.1f records (offsets, transaction markers included): %.1f to Handoff's topics, %.1f to its internal"
                        + " and changelog topics; largest: %s%n", writes.perEvent(), writes.outputs(), writes.internal(), writes.largest());
                if (eos != null) {
                    out.printf("ratios:    Handoff / raw produce+consume %.1f %%; Handoff / plain EOS count %.1f %%%n",
                            100 * processed.perSecond() / raw, 100 * processed.perSecond() / eos.perSecond());
                }

                // ---------------------------------------------------------------- results
                Duration refresh = Duration.parse(HandoffRun.settings(settings).get(StreamsSettings.METRICS_REFRESH_INTERVAL));
                List<JsonNode> rows = handoff.finalRows(refresh);
                out.printf("metrics:   the last row was written %.0f s after the backlog was consumed (the refreshes catch up in"
                        + " batches of %d cohort shares per finding partition and %d cohorts per metrics partition once no input"
                        + " has come for %d s)%n", seconds(handoff.metricsCatchUp()), CohortPartials.MAX_SHARES_PER_REFRESH,
                        CohortMetricsProcessor.MAX_COHORTS_PER_REFRESH, CohortMetricsProcessor.QUIET_AFTER.toSeconds());
                JsonNode gauges = handoff.gauges();
                List<HandoffRun.StoreSize> stores = handoff.storeSizes();
                long live = stores.stream().mapToLong(HandoffRun.StoreSize::bytes).sum();
                long memtables = stores.stream().mapToLong(HandoffRun.StoreSize::memtableBytes).sum();
                // Asked of the service as the backlog left it, before it is closed for the disk measurement.
                HistoryQueries.Result history = o.historyQueries() > 0 ? historyQueries(handoff, truth[0]) : null;
                long disk = handoff.closeAndMeasureDisk();
                long open = truth[0].gauges().open();
                out.printf("memory:    peak heap in use %s, peak old generation after GC %s (whole JVM: broker, clients and service; max %s)%n",
                        Formatting.mib(peakHeap), Formatting.mib(peakOld), Formatting.mib(HeapSampler.maxHeap()));
                out.printf("state:     RocksDB live (Kafka Streams metrics) %s for %s open findings (%s in all): %s bytes per open finding;"
                        + " of it memtables %s, which the shared write-buffer budget bounds whatever the number of findings%n",
                        Formatting.mib(live), Formatting.count(open), Formatting.count(truth[0].findings()), Formatting.count(live / Math.max(1, open)),
                        Formatting.mib(memtables));
                out.printf("           on disk after close (state directory, memtables flushed) %s: %s bytes per open finding, %s per finding%n",
                        Formatting.mib(disk), Formatting.count(disk / Math.max(1, open)), Formatting.count(disk / Math.max(1, truth[0].findings())));
                StringBuilder largest = new StringBuilder();
                stores.stream().limit(8).forEach(s -> largest.append(largest.length() == 0 ? "" : ", ").append(s.store()).append(' ')
                        .append(Formatting.mib(s.bytes())).append(" (").append(Formatting.count(s.keys())).append(" keys)"));
                out.printf("           largest stores: %s%n", largest);
                out.println("accuracy:  metrics.handoff DAY rows of dimension ALL against the ground truth, each at its own as_of");
                Accuracy.Result accuracy = Accuracy.check(truth[0], rows, gauges);
                Accuracy.print(accuracy, out);

                // ---------------------------------------------------------------- breach delay
                BreachDelay.Result breach = null;
                if (o.breachFindings() > 0) {
                    breach = BreachDelay.run(kafka, admin, Files.createDirectories(work.resolve("breach-state")), o.breachFindings(),
                            Duration.ofSeconds(20), settings, out);
                    out.printf("breach:    alert arrival minus deadline over %d alerts: p50 %d ms, p99 %d ms, max %d ms%s%n",
                            breach.delaysMs().length, breach.quantile(0.5), breach.quantile(0.99), breach.quantile(1.0),
                            breach.missing() == 0 ? "" : " (" + breach.missing() + " never arrived)");
                }
                figures = new Figures(produce.perSecond(), consume == null ? Double.NaN : consume.perSecond(), raw,
                        eos == null ? Double.NaN : eos.perSecond(), processed.perSecond(), peakHeap, peakOld,
                        live, memtables, disk, open, accuracy, breach, history);
                printGoals(figures);
                if (dump != null) {
                    dump.rows(rows);
                    dump.json(BenchDump.GAUGES, gauges);
                    dump.json(BenchDump.RUN, run(summary));
                    out.printf("dump:      %s (events.ndjson, metrics-handoff.ndjson, gauges.json, run.json); recompute with ./handoff bench recompute %s%n",
                            o.dump(), o.dump());
                }
                out.printf("done in %.0f s%n", secondsSince(t0));
                return accuracy.exact() ? 0 : 1;
            } finally {
                handoff.close();
            }
        } finally {
            deleteQuietly(work);
        }
    }

    /** Records the pipeline wrote per input event, split into Handoff's own topics and the internal and changelog ones. */
    record Writes(double perEvent, double outputs, double internal, String largest) {
    }

    private static Writes writes(Admin admin, long events) {
        try {
            return writesOrThrow(admin, events);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not read the end offsets of the bench topics: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static Writes writesOrThrow(Admin admin, long events) throws ExecutionException, InterruptedException {
        List<String> names = admin.listTopics().names().get().stream()
                .filter(n -> n.startsWith(PREFIX) && !n.contains("anchor"))
                .filter(n -> Stream.concat(EventLog.TOPICS.stream(), Stream.of("assets", "owners", "teams", "kev", "sla-policy"))
                        .noneMatch(input -> n.equals(PREFIX + input)))
                .toList();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        admin.describeTopics(names).allTopicNames().get().forEach((name, d) -> d.partitions().forEach(p ->
                latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
        Map<String, Long> byTopic = new HashMap<>();
        admin.listOffsets(latest).all().get().forEach((tp, info) -> byTopic.merge(tp.topic(), info.offset(), Long::sum));
        long internal = byTopic.entrySet().stream().filter(e -> e.getKey().startsWith(PREFIX + "handoff-streams-") || e.getKey().startsWith(PREFIX + "streams."))
                .mapToLong(Map.Entry::getValue).sum();
        long all = byTopic.values().stream().mapToLong(Long::longValue).sum();
        StringBuilder largest = new StringBuilder();
        byTopic.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(6).forEach(e ->
                largest.append(largest.length() == 0 ? "" : ", ").append(e.getKey().substring(PREFIX.length()))
                        .append(String.format(Locale.ROOT, " %.1f", e.getValue() / (double) events)));
        return new Writes(all / (double) events, (all - internal) / (double) events, internal / (double) events, largest.toString());
    }

    private void printGoals(Figures f) {
        double ratio = f.handoff() / f.eosCount();
        out.println("goals:");
        if (!Double.isNaN(ratio)) {
            out.printf(Locale.ROOT, "  Handoff >= 65 %% of the plain EOS count:   %5.1f %%            %s%n", 100 * ratio, met(ratio >= 0.65));
        }
        out.printf(Locale.ROOT, "  Handoff >= 40,000 events/s:              %s events/s  %s%n", Formatting.rate(f.handoff()), met(f.handoff() >= 40_000));
        // On disk after close: the stores' data once, compressed, the memtables flushed into it. The live figure adds
        // the memtables as they stood, a fixed budget rather than a cost per finding (decision 0016).
        long perOpen = f.diskStateBytes() / Math.max(1, f.openFindings());
        out.printf(Locale.ROOT, "  state <= 1 KB per open finding:          %s bytes (on disk)  %s%n", Formatting.count(perOpen), met(perOpen <= 1000));
        if (f.breach() != null) {
            long p99 = f.breach().quantile(0.99);
            out.printf(Locale.ROOT, "  breach alert p99 <= 2 s after deadline:  %d ms            %s%n", p99, met(f.breach().missing() == 0 && p99 >= 0 && p99 <= 2000));
        }
        out.printf("  metrics exact against the ground truth:  %s%n", f.accuracy().exact() ? "yes" : "NO (" + f.accuracy().differences().size() + " differences)");
    }

    private static String met(boolean ok) {
        return ok ? "met" : "NOT met";
    }

    private ObjectNode run(ProgrammeGenerator.Summary s) {
        ObjectNode n = JSON.createObjectNode();
        n.put("events", s.events());
        n.put("findings", s.findings());
        n.put("seed", o.seed());
        n.put("days", o.days());
        n.put("partitions", o.partitions());
        n.put("first_event", s.first().toString());
        n.put("last_event", s.last().toString());
        ObjectNode profile = n.putObject("profile");
        o.profile().asMap().forEach(profile::put);
        if (figures != null) {
            ObjectNode f = n.putObject("events_per_second");
            f.put("produce", figures.produce());
            f.put("consume", figures.consume());
            f.put("raw_produce_consume", figures.raw());
            f.put("eos_count", figures.eosCount());
            f.put("handoff", figures.handoff());
            ObjectNode state = n.putObject("state");
            state.put("open_findings", figures.openFindings());
            state.put("live_bytes", figures.liveStateBytes());
            state.put("memtable_bytes", figures.memtableBytes());
            state.put("disk_bytes", figures.diskStateBytes());
            state.put("disk_bytes_per_open_finding", figures.diskStateBytes() / Math.max(1, figures.openFindings()));
            if (figures.history() != null) {
                n.set("history_query", figures.history().toJson());
            }
        }
        return n;
    }

    /**
     * Times {@code GET /findings/{id}} for a sample of the programme's findings and prints the figures; a failure of
     * its own (as opposed to a failed request, which it counts) is printed too, never thrown: the run's other figures
     * stand without it.
     */
    private HistoryQueries.Result historyQueries(HandoffRun handoff, GroundTruth truth) {
        try {
            HistoryQueries.Result r = HistoryQueries.run(handoff.queryPort(),
                    HistoryQueries.plan(truth.findingIds(), o.historyQueries(), HistoryQueries.WARM_UP));
            out.printf("history query: %s%n", r.format());
            if (r.firstFailure() != null) {
                out.printf("           first failure: %s%n", r.firstFailure());
            }
            return r;
        } catch (RuntimeException e) {
            out.printf("history query: not measured: %s%n", e);
            return null;
        }
    }

    /** The value serializer of an input or reference topic, built once: the serde looks its schema up on creation. */
    @SuppressWarnings("unchecked")
    private static org.apache.kafka.common.serialization.Serializer<SpecificRecord> serializer(Topics topics, String suffix) {
        dev.handoff.schemas.TopicDef<?> def = Topics.ALL.stream().filter(t -> t.suffix().equals(suffix)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the bench does not produce to " + suffix));
        return (org.apache.kafka.common.serialization.Serializer<SpecificRecord>) (org.apache.kafka.common.serialization.Serializer<?>)
                topics.valueSerde(def).serializer();
    }

    private static String describe(Map<String, String> overrides) {
        Map<String, String> s = HandoffRun.settings(overrides);
        return "num.stream.threads=" + s.get("num.stream.threads") + ", commit.interval.ms=" + s.get("commit.interval.ms")
                + ", " + TRANSACTION_TIMEOUT + "=" + s.get(TRANSACTION_TIMEOUT)
                + ", metrics.refresh.interval=" + s.get(StreamsSettings.METRICS_REFRESH_INTERVAL) + ", sla.clock=stream";
    }

    private static String totalRam() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return String.format(Locale.ROOT, "%.1f GiB", os.getTotalMemorySize() / (1024.0 * 1024 * 1024));
        }
        return "?";
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    private static double secondsSince(long nanos) {
        return (System.nanoTime() - nanos) / 1e9;
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory
        }
    }

    /** Milliseconds the JIT compiler has spent so far, or 0 where the JVM does not say. */
    private static long compileMillis() {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }
}

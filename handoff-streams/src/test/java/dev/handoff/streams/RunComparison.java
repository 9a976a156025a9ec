package dev.handoff.streams;

import dev.handoff.avro.AlertLevel;
import dev.handoff.avro.CaptureOrigin;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.avro.SlaBreach;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Shared by the exactly-once tests ({@link StreamsCrashIT}, {@link StreamsRebalanceIT}): when a run of the streams app
 * has finished its input, what it left on {@code findings.state}, {@code alerts.sla-breach} and {@code metrics.handoff}
 * ({@code read_committed}), and the assertion that two runs of the same programme left the same.
 *
 * <p>Every topic of a run starts with the run's prefix, its changelogs too (the application id is the prefix plus
 * {@code streams}), so "the run" is every topic with that prefix.
 */
final class RunComparison {

    /** Quiet period after which a run whose inputs are all consumed counts as finished: several metrics refreshes. */
    static final Duration QUIET = Duration.ofSeconds(5);

    private RunComparison() {
    }

    /** What one run left on the compared topics. */
    record Outputs(Map<String, FindingState> states, List<SlaBreach> breaches, Map<String, HandoffWindow> metrics,
                   long stateRecords, long metricRecords) {

        String summary() {
            return states.size() + " findings (" + stateRecords + " state records), " + breaches.size() + " alerts "
                    + breaches.stream().collect(Collectors.groupingBy(b -> b.getLevel().name(), TreeMap::new, Collectors.counting()))
                    + ", " + metrics.size() + " metric rows (" + metricRecords + " records)";
        }
    }

    // ------------------------------------------------------------------ when a run has finished

    /**
     * Waits until the application {@code applicationId} has consumed every record of every topic it reads (the
     * inputs, the reference topics and its own internal topics) and then nothing of the run changed for
     * {@link #QUIET} while its group stayed stable: no record, no commit, no metric refresh still to come.
     *
     * <p>Consumed means the group's committed offset is past the partition's last record. Not "lag zero": the app
     * writes its internal topics in transactions, and the marker closing a partition's last transaction may stay
     * behind the committed offset until the next record comes, so lag can stay at one forever.
     *
     * @param alive fails the wait with its message when the run died (returns null while it is fine)
     */
    static Duration awaitFinished(String bootstrap, String applicationId, Topics topics, Duration timeout, Supplier<String> alive) {
        return await(bootstrap, applicationId, topics, timeout, alive, QUIET);
    }

    /** Waits until the application has consumed every record of every topic it reads, without the quiet period. */
    static Duration awaitConsumed(String bootstrap, String applicationId, Topics topics, Duration timeout) {
        return await(bootstrap, applicationId, topics, timeout, () -> null, Duration.ZERO);
    }

    private static Duration await(String bootstrap, String applicationId, Topics topics, Duration timeout, Supplier<String> alive,
                                  Duration quiet) {
        Instant started = Instant.now();
        Instant deadline = started.plus(timeout);
        try (Admin admin = Admin.create(clientProps(bootstrap)); KafkaConsumer<byte[], byte[]> tail = committedReader(bootstrap)) {
            while (true) {
                check(deadline, timeout, alive, "the run " + topics.prefix() + "* to finish", () -> describe(admin, applicationId));
                if (!consumedEverything(admin, tail, applicationId, topics) || !stable(admin, applicationId)) {
                    pause(Duration.ofMillis(250));
                    continue;
                }
                if (quiet.isZero()) {
                    return Duration.between(started, Instant.now());
                }
                Map<TopicPartition, Long> before = stableOffsets(admin, runTopics(admin, topics));
                pause(quiet);
                if (consumedEverything(admin, tail, applicationId, topics) && stable(admin, applicationId)
                        && before.equals(stableOffsets(admin, runTopics(admin, topics)))) {
                    return Duration.between(started, Instant.now());
                }
            }
        }
    }

    /** The share of the programme's findings and commands the group has committed as consumed, 0 to 1. */
    static double progress(Admin admin, String applicationId, Topics topics) {
        Map<TopicPartition, OffsetAndMetadata> committed = committed(admin, applicationId);
        List<TopicPartition> inputs = new ArrayList<>();
        for (TopicDef<?> t : List.of(Topics.FINDINGS_REPORTED, Topics.FINDINGS_COMMANDS)) {
            for (int p = 0; p < topics.partitions(t); p++) {
                inputs.add(new TopicPartition(topics.name(t), p));
            }
        }
        Map<TopicPartition, Long> end = stableOffsets(admin, inputs);
        long total = end.values().stream().mapToLong(Long::longValue).sum();
        long done = inputs.stream().mapToLong(tp -> committed.containsKey(tp) ? committed.get(tp).offset() : 0).sum();
        return total == 0 ? 0 : (double) done / total;
    }

    private static boolean consumedEverything(Admin admin, KafkaConsumer<byte[], byte[]> tail, String applicationId, Topics topics) {
        List<TopicPartition> read = new ArrayList<>();
        for (String name : readTopics(topics)) {
            int partitions = name.startsWith(topics.prefix() + "streams.") ? topics.partitions(Topics.FINDINGS_REPORTED)
                    : partitionsOf(topics, name);
            for (int p = 0; p < partitions; p++) {
                read.add(new TopicPartition(name, p));
            }
        }
        Map<TopicPartition, OffsetAndMetadata> committed = committed(admin, applicationId);
        Map<TopicPartition, Long> end = stableOffsets(admin, read);
        for (TopicPartition tp : read) {
            long at = committed.containsKey(tp) ? committed.get(tp).offset() : 0;
            long lso = end.get(tp);
            if (at < lso && lastRecordOffset(tail, tp, lso) >= at) {
                return false;
            }
        }
        return true;
    }

    /** Every topic the app reads: the finding inputs, the reference topics and its internal topics. */
    private static List<String> readTopics(Topics topics) {
        List<String> names = new ArrayList<>();
        for (TopicDef<?> t : List.of(Topics.FINDINGS_REPORTED, Topics.FINDINGS_COMMANDS, Topics.NOTIFICATIONS_RECEIPTS,
                Topics.ASSETS, Topics.OWNERS, Topics.TEAMS, Topics.KEV, Topics.SLA_POLICY)) {
            names.add(topics.name(t));
        }
        names.addAll(HandoffTopology.internalTopics(topics));
        return names;
    }

    private static int partitionsOf(Topics topics, String name) {
        return Topics.ALL.stream().filter(t -> topics.name(t).equals(name)).findFirst().map(topics::partitions).orElseThrow();
    }

    /** Offset of the last committed record of {@code tp} below {@code lso} (transaction markers are not records); -1 if none. */
    private static long lastRecordOffset(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, long lso) {
        c.assign(List.of(tp));
        for (long back = 8; ; back *= 8) {
            long from = Math.max(0, lso - back);
            c.seek(tp, from);
            long last = -1;
            Instant deadline = Instant.now().plusSeconds(30);
            while (c.position(tp) < lso && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                    if (r.offset() < lso) {
                        last = Math.max(last, r.offset());
                    }
                }
            }
            if (last >= 0 || from == 0) {
                return last;
            }
        }
    }

    private static boolean stable(Admin admin, String applicationId) {
        try {
            ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(applicationId)).all().get().get(applicationId);
            return g.groupState() == GroupState.STABLE;
        } catch (ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String describe(Admin admin, String applicationId) {
        try {
            ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(applicationId)).all().get().get(applicationId);
            return "group " + applicationId + " is " + g.groupState() + " with " + g.members().size() + " members; committed "
                    + committed(admin, applicationId).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().offset())
                    .sorted().collect(Collectors.joining(", "));
        } catch (Exception e) {
            return "group " + applicationId + ": " + e;
        }
    }

    private static List<TopicPartition> runTopics(Admin admin, Topics topics) {
        try {
            Set<String> names = admin.listTopics().names().get().stream().filter(n -> n.startsWith(topics.prefix()))
                    .collect(Collectors.toCollection(TreeSet::new));
            List<TopicPartition> parts = new ArrayList<>();
            admin.describeTopics(names).allTopicNames().get().forEach((name, d) ->
                    d.partitions().forEach(p -> parts.add(new TopicPartition(name, p.partition()))));
            return parts;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list the run's topics: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Map<TopicPartition, OffsetAndMetadata> committed(Admin admin, String group) {
        try {
            Map<TopicPartition, OffsetAndMetadata> m = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
            m.forEach((tp, o) -> {
                if (o != null) {
                    out.put(tp, o);
                }
            });
            return out;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read the committed offsets of " + group + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The last stable offsets: what a read_committed reader can reach (an open transaction holds them back). */
    private static Map<TopicPartition, Long> stableOffsets(Admin admin, List<TopicPartition> parts) {
        Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
        parts.forEach(tp -> specs.put(tp, OffsetSpec.latest()));
        try {
            Map<TopicPartition, Long> out = new HashMap<>();
            admin.listOffsets(specs, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get()
                    .forEach((tp, info) -> out.put(tp, info.offset()));
            return out;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list offsets: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ what a run left

    static Outputs read(String bootstrap, Topics topics) {
        Map<String, FindingState> states = new HashMap<>();
        long[] stateRecords = {0};
        readAll(bootstrap, topics, Topics.FINDINGS_STATE, (k, v) -> {
            stateRecords[0]++;
            if (v == null) {
                states.remove(k);
            } else {
                states.put(k, v);
            }
        });
        List<SlaBreach> breaches = new ArrayList<>();
        readAll(bootstrap, topics, Topics.ALERTS_SLA_BREACH, (k, v) -> breaches.add(v));
        Map<String, HandoffWindow> metrics = new HashMap<>();
        long[] metricRecords = {0};
        readAll(bootstrap, topics, Topics.METRICS_HANDOFF, (k, v) -> {
            metricRecords[0]++;
            if (v == null) {
                metrics.remove(k);
            } else {
                metrics.put(k, v);
            }
        });
        return new Outputs(states, breaches, metrics, stateRecords[0], metricRecords[0]);
    }

    /** Every committed record of {@code topic}, up to its last stable offsets, in partition order. */
    private static <V extends SpecificRecord> void readAll(String bootstrap, Topics topics, TopicDef<V> topic,
                                                           java.util.function.BiConsumer<String, V> sink) {
        Deserializer<V> values = topics.valueSerde(topic).deserializer();
        try (KafkaConsumer<byte[], byte[]> c = committedReader(bootstrap)) {
            String name = topics.name(topic);
            List<TopicPartition> parts = new ArrayList<>();
            for (int p = 0; p < topics.partitions(topic); p++) {
                parts.add(new TopicPartition(name, p));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            StringDeserializer keys = new StringDeserializer();
            Instant deadline = Instant.now().plusSeconds(60);
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (Instant.now().isAfter(deadline)) {
                    fail("could not read " + name + " up to " + end + " within 60 s");
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    sink.accept(keys.deserialize(name, r.key()), r.value() == null ? null : values.deserialize(name, r.value()));
                }
            }
        }
    }

    // ------------------------------------------------------------------ the comparison

    /**
     * Asserts that {@code actual} holds exactly what {@code expected} holds: the latest state of every finding, every
     * alert as many times (a multiset: a doubled alert shows), the latest row of every metric key. Fields the wall
     * clock of the processing machine sets are left out, see {@link #comparable}.
     */
    /**
     * The checks every disturbed-run test makes: the uninterrupted run is complete (a state per finding, warnings,
     * breaches and reminders raised), both runs are consistent in themselves, and the disturbed one equals it.
     */
    static void assertDisturbedRunEqualsUninterrupted(int findings, Outputs expected, Outputs actual, String actualRun, String what) {
        assertEquals(findings, expected.states().size(), "every finding has a state in the uninterrupted run");
        for (AlertLevel level : List.of(AlertLevel.WARNING, AlertLevel.BREACH, AlertLevel.REMINDER)) {
            assertTrue(count(expected, level) > 0, "the programme raises " + level + " alerts: " + expected.summary());
        }
        assertConsistent(expected, "the uninterrupted run");
        assertConsistent(actual, actualRun);
        assertSameOutcome(expected, actual, what);
    }

    static void assertSameOutcome(Outputs expected, Outputs actual, String what) {
        List<String> problems = new ArrayList<>();
        diffMaps("findings.state (latest per finding)", normalised(expected.states(), RunComparison::comparable),
                normalised(actual.states(), RunComparison::comparable), problems);
        diffMaps("alerts.sla-breach (each alert with its count)", counts(expected.breaches()), counts(actual.breaches()), problems);
        diffMaps("metrics.handoff (latest per key, emptied cohorts left out)", normalised(withMembers(expected.metrics()),
                RunComparison::comparable), normalised(withMembers(actual.metrics()), RunComparison::comparable), problems);
        if (!problems.isEmpty()) {
            fail(what + " differs from the uninterrupted run:\n" + String.join("\n", problems)
                    + "\nexpected: " + expected.summary() + "\nactual:   " + actual.summary());
        }
    }

    /**
     * Within one run: no alert id twice (each alert has a deterministic id, so a doubled one is a duplicate), and the
     * workspace's day rows count each finding once, in the cohort of the day its handoff started and its final band.
     */
    static void assertConsistent(Outputs o, String what) {
        Map<String, Long> ids = o.breaches().stream().collect(Collectors.groupingBy(SlaBreach::getAlertId, Collectors.counting()));
        List<String> doubled = ids.entrySet().stream().filter(e -> e.getValue() > 1).map(e -> e.getKey() + " ×" + e.getValue())
                .sorted().limit(10).toList();
        assertTrue(doubled.isEmpty(), what + ": alerts emitted more than once: " + doubled);

        Map<String, Long> expected = new TreeMap<>();
        for (FindingState s : o.states().values()) {
            Instant start = s.getOrigin() == CaptureOrigin.REOPEN && s.getReopenedAt() != null ? s.getReopenedAt() : s.getCapturedAt();
            LocalDate day = start.atZone(ZoneOffset.UTC).toLocalDate();
            expected.merge("DAY|" + day + "|" + s.getBand() + "|ALL|all", 1L, Long::sum);
        }
        Map<String, Long> published = new TreeMap<>();
        o.metrics().forEach((key, row) -> {
            if (key.startsWith("DAY|") && key.endsWith("|ALL|all") && row.getCaptured() > 0) {
                published.put(key, row.getCaptured());
            }
        });
        assertEquals(expected, published, what + ": the workspace's day rows must count every finding once, in its cohort");
    }

    /**
     * The record without what the processing machine's wall clock sets: {@code recorded_time} is when the app saved the
     * state, differs between any two runs by construction, and no stage time comes from it (DESIGN §3).
     */
    static FindingState comparable(FindingState s) {
        return FindingState.newBuilder(s).setRecordedTime(Instant.EPOCH).build();
    }

    /** Without {@code recorded_time}: when the alert was emitted on the machine's clock; its event time is the due time. */
    static SlaBreach comparable(SlaBreach b) {
        return SlaBreach.newBuilder(b).setRecordedTime(Instant.EPOCH).build();
    }

    /**
     * Without the refresh stamp: {@code as_of} is the wall-clock time of the metrics refresh that computed the row
     * ({@code metrics.clock=wall}), {@code event_time} equals it, {@code event_id} is made from it, and
     * {@code recorded_time} is the same clock. The numbers do not depend on it here: every window, no-ack window and
     * deadline of the programme lies well in the past or the future of both runs ({@link GeneratedProgramme#baseFor}).
     */
    static HandoffWindow comparable(HandoffWindow w) {
        return HandoffWindow.newBuilder(w).setEventId("").setEventTime(Instant.EPOCH).setRecordedTime(Instant.EPOCH)
                .setAsOf(Instant.EPOCH).build();
    }

    /**
     * The rows of cohorts that have members. A cohort all of whose members left (re-routed from {@code none} to a team,
     * band raised) ends as an emptied row when a row was published while it had members, and as no row at all when
     * not: which of the two depends on when the refreshes ran relative to the moves (decision 0014), and both tell a
     * reader the same, that the cohort is empty.
     */
    private static Map<String, HandoffWindow> withMembers(Map<String, HandoffWindow> rows) {
        Map<String, HandoffWindow> out = new HashMap<>();
        rows.forEach((k, v) -> {
            if (v.getCaptured() > 0) {
                out.put(k, v);
            }
        });
        return out;
    }

    private static <V, C> Map<String, C> normalised(Map<String, V> m, Function<V, C> f) {
        Map<String, C> out = new HashMap<>();
        m.forEach((k, v) -> out.put(k, f.apply(v)));
        return out;
    }

    private static Map<String, Long> counts(List<SlaBreach> alerts) {
        Map<String, Long> out = new HashMap<>();
        for (SlaBreach b : alerts) {
            out.merge(comparable(b).toString(), 1L, Long::sum);
        }
        return out;
    }

    private static <V> void diffMaps(String what, Map<String, V> expected, Map<String, V> actual, List<String> problems) {
        Set<String> missing = new TreeSet<>(expected.keySet());
        missing.removeAll(actual.keySet());
        Set<String> extra = new TreeSet<>(actual.keySet());
        extra.removeAll(expected.keySet());
        List<String> differ = expected.keySet().stream().filter(actual::containsKey)
                .filter(k -> !Objects.equals(expected.get(k), actual.get(k))).sorted().toList();
        if (missing.isEmpty() && extra.isEmpty() && differ.isEmpty()) {
            return;
        }
        StringBuilder b = new StringBuilder(what + ": " + missing.size() + " missing, " + extra.size() + " extra, "
                + differ.size() + " different of " + expected.size());
        missing.stream().limit(3).forEach(k -> b.append("\n  missing ").append(cut(k)).append(" = ").append(cut(expected.get(k))));
        extra.stream().limit(3).forEach(k -> b.append("\n  extra   ").append(cut(k)).append(" = ").append(cut(actual.get(k))));
        differ.stream().limit(3).forEach(k -> b.append("\n  key ").append(cut(k)).append("\n    expected ")
                .append(cut(expected.get(k))).append("\n    actual   ").append(cut(actual.get(k))));
        problems.add(b.toString());
    }

    private static String cut(Object o) {
        String s = String.valueOf(o);
        return s.length() <= 1200 ? s : s.substring(0, 1200) + "…";
    }

    // ------------------------------------------------------------------ small things

    /** How long each step of a test took, for its summary line: {@code directory 12 s, programme 80 s, ...}. */
    static final class Steps {
        private final StringBuilder done = new StringBuilder();
        private Instant last = Instant.now();

        void mark(String step) {
            Instant now = Instant.now();
            done.append(done.length() == 0 ? "" : ", ").append(step).append(' ').append(Duration.between(last, now).toSeconds()).append(" s");
            last = now;
        }

        @Override
        public String toString() {
            return done.toString();
        }
    }

    static Properties clientProps(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return p;
    }

    private static KafkaConsumer<byte[], byte[]> committedReader(String bootstrap) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static void check(Instant deadline, Duration timeout, Supplier<String> alive, String what, Supplier<String> state) {
        String dead = alive.get();
        if (dead != null) {
            fail(dead + " while waiting for " + what);
        }
        if (Instant.now().isAfter(deadline)) {
            fail("no " + what + " within " + timeout + ": " + state.get());
        }
    }

    static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Whether any alert of the given level is present: a programme that raised none would prove little. */
    static long count(Outputs o, AlertLevel level) {
        return o.breaches().stream().filter(b -> b.getLevel() == level).count();
    }
}

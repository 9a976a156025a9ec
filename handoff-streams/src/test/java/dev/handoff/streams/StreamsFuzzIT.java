package dev.handoff.streams;

import dev.handoff.avro.DeadLetter;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.FindingStatus;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import dev.handoff.streams.FuzzRecords.Expect;
import dev.handoff.streams.FuzzRecords.Planned;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bad input never stops the streams service (DESIGN.md section 7), on a real broker with exactly-once v2:
 * thousands of seeded malformed, absurd and valid records on every input topic ({@link FuzzRecords}). Every
 * bad record yields exactly one dead letter with a reason and its original bytes, nothing legal is
 * dead-lettered, the app stays RUNNING on its original stream thread, and every valid finding reaches
 * findings.state. {@code -Dhandoff.fuzz.seed=N} runs another seed, {@code -Dhandoff.fuzz.records=N} another count.
 */
@Tag("integration")
class StreamsFuzzIT {

    private static final long SEED = Long.getLong("handoff.fuzz.seed", 20261123L);
    private static final int RECORDS = Integer.getInteger("handoff.fuzz.records", 2000);
    private static final int PARTITIONS = 3;

    @TempDir
    Path stateDir;

    @Test
    void everyBadRecordIsDeadLetteredOnceAndEveryValidFindingReachesItsState() throws Exception {
        long started = System.nanoTime();
        try (LocalKafka kafka = LocalKafka.start()) {
            String prefix = "fz-" + UUID.randomUUID().toString().substring(0, 8) + ".";
            Map<String, String> config = new HashMap<>();
            config.put("bootstrap.servers", kafka.bootstrapServers());
            config.put("application.id", prefix + "streams");
            config.put("state.dir", stateDir.toString());
            config.put("commit.interval.ms", "1000");
            config.put("num.stream.threads", "1");
            config.put(StreamsSettings.TOPIC_PREFIX, prefix);
            config.put(StreamsSettings.TOPIC_PARTITIONS, Integer.toString(PARTITIONS));
            config.put(StreamsSettings.SLA_CLOCK, "stream");
            config.put(StreamsSettings.QUERY_PORT, "0");
            Topics topics = new Topics(prefix, PARTITIONS, SchemaRegistries.embedded());
            kafka.createTopics(topics.newTopics((short) 1));
            kafka.createTopics(HandoffTopology.newInternalTopics(topics, PARTITIONS, (short) 1));

            try (HandoffStreamsApp app = new HandoffStreamsApp(StreamsSettings.from(config, Map.of()));
                 KafkaProducer<byte[], byte[]> producer = producer(kafka)) {
                KafkaStreams streams = app.start();
                Fixtures.await("streams RUNNING", () -> streams.state() == KafkaStreams.State.RUNNING);
                long runningAt = System.nanoTime();
                Set<String> threads = threadNames(streams);
                StateWatch watch = new StateWatch(streams);

                for (FuzzRecords.Reference r : FuzzRecords.directory()) {
                    send(producer, topics, r.topic(), r.id(), r.value());
                }
                FuzzRecords generator = new FuzzRecords(new Random(SEED), topics);
                List<Planned> plan = new ArrayList<>();
                for (int i = 0; i < RECORDS; i++) {
                    plan.add(generator.next());
                }
                // Commands that need their finding's capture processed go second, with the last third of the bad records.
                List<Planned> first = new ArrayList<>();
                List<Planned> second = new ArrayList<>();
                for (int i = 0; i < plan.size(); i++) {
                    Planned p = plan.get(i);
                    (p.afterCaptures() || i >= plan.size() * 2 / 3 && p.expect() == Expect.DEAD_LETTER ? second : first).add(p);
                }
                long expectedDead = plan.stream().filter(p -> p.expect() == Expect.DEAD_LETTER).count();
                Set<String> mustReachState = plan.stream().filter(p -> p.expect() == Expect.REACHES_STATE).map(Planned::findingId)
                        .collect(Collectors.toSet());
                Map<String, Planned> byPosition = new HashMap<>();
                try (Outputs out = new Outputs(kafka, topics)) {
                send(producer, first, byPosition);
                // Until every owed output is there, or nothing more arrives for 30 s (a stuck app; a slow machine still progresses).
                out.readUntil(() -> out.states.keySet().containsAll(mustReachState), Duration.ofSeconds(30), Duration.ofSeconds(150));
                send(producer, second, byPosition);
                long sentAt = System.nanoTime();
                out.readUntil(() -> out.deadLetters.size() >= expectedDead && out.states.keySet().containsAll(mustReachState)
                        && generator.acknowledged().stream().allMatch(id -> out.states.containsKey(id)
                        && out.states.get(id).getStatus() == FindingStatus.ACKNOWLEDGED), Duration.ofSeconds(30), Duration.ofSeconds(150));
                // A little longer: a record dead-lettered twice, or late, must show up before the counts are checked.
                out.readFor(Duration.ofSeconds(2));
                long doneAt = System.nanoTime();

                List<String> problems = new ArrayList<>();
                Map<String, List<DeadLetter>> deadByPosition = new HashMap<>();
                for (DeadLetter d : out.deadLetters) {
                    String at = position(d.getOriginalTopic(), d.getOriginalPartition() == null ? -1 : d.getOriginalPartition(),
                            d.getOriginalOffset() == null ? -1 : d.getOriginalOffset());
                    deadByPosition.computeIfAbsent(at, k -> new ArrayList<>()).add(d);
                    if (!byPosition.containsKey(at)) {
                        problems.add("a dead letter for no record that was sent (" + at + "): " + d.getErrorKind() + " " + abbreviate(d.getReason()));
                    }
                }
                Map<String, int[]> byKind = new TreeMap<>();
                byPosition.forEach((at, p) -> {
                    List<DeadLetter> dead = deadByPosition.getOrDefault(at, List.of());
                    byKind.computeIfAbsent(p.topic().substring(prefix.length()) + " | " + p.kind() + " -> " + p.expect(), k -> new int[2])[0]++;
                    if (p.expect() == Expect.DEAD_LETTER) {
                        if (dead.size() != 1) {
                            problems.add(p.kind() + " on " + at + ": " + dead.size() + " dead letters, expected exactly one");
                            return;
                        }
                        DeadLetter d = dead.get(0);
                        if (d.getReason() == null || d.getReason().isBlank() || d.getErrorKind() == null) {
                            problems.add(p.kind() + " on " + at + ": dead letter without a reason");
                        }
                        byte[] original = d.getOriginalValue() == null ? null : toArray(d.getOriginalValue());
                        if (!Arrays.equals(p.value(), original) && !truncatedCopy(d, p.value(), original)) {
                            problems.add(p.kind() + " on " + at + ": the dead letter does not carry the original value ("
                                    + (original == null ? "none" : original.length + " bytes") + " for " + (p.value() == null ? "a tombstone"
                                    : p.value().length + " bytes") + ")");
                        }
                        byKind.get(p.topic().substring(prefix.length()) + " | " + p.kind() + " -> " + p.expect())[1]++;
                    } else if (!dead.isEmpty()) {
                        problems.add(p.kind() + " on " + at + " is legal but was dead-lettered: " + abbreviate(dead.get(0).getReason()));
                    }
                });
                for (String id : mustReachState) {
                    if (!out.states.containsKey(id)) {
                        problems.add("valid finding " + id + " (" + plan.stream().filter(p -> id.equals(p.findingId())).findFirst()
                                .map(Planned::kind).orElse("?") + ") is not on findings.state");
                    }
                }
                for (String id : generator.acknowledged()) {
                    FindingState s = out.states.get(id);
                    if (s == null || s.getStatus() != FindingStatus.ACKNOWLEDGED) {
                        problems.add("finding " + id + " was acknowledged but is " + (s == null ? "missing" : s.getStatus()));
                    }
                }
                if (streams.state() != KafkaStreams.State.RUNNING) {
                    problems.add("the app is " + streams.state() + ", not RUNNING");
                }
                if (!watch.left().isEmpty()) {
                    problems.add("the app left RUNNING: " + watch.left());
                }
                if (!threadNames(streams).equals(threads)) {
                    problems.add("a stream thread died and was replaced: " + threads + " -> " + threadNames(streams));
                }
                watch.stop();

                long dead = plan.stream().filter(p -> p.expect() == Expect.DEAD_LETTER).count();
                long valid = plan.stream().filter(p -> p.expect() == Expect.REACHES_STATE).count();
                System.out.printf("StreamsFuzzIT seed=%d: %d records sent (%d to dead-letter, %d findings to reach findings.state, %d other legal),"
                                + " %d dead letters read; broker and app up in %.1f s, all sent %.1f s later, all processed %.1f s after that, %.1f s in all%n",
                        SEED, plan.size(), dead, valid, plan.size() - dead - valid, out.deadLetters.size(), (runningAt - started) / 1e9,
                        (sentAt - runningAt) / 1e9, (doneAt - sentAt) / 1e9, (System.nanoTime() - started) / 1e9);
                byKind.forEach((kind, n) -> System.out.printf("  %5d  %s%s%n", n[0], kind, n[1] > 0 ? " (" + n[1] + " dead letters as owed)" : ""));
                if (!problems.isEmpty()) {
                    fail(problems.size() + " problems (seed " + SEED + "):\n  " + problems.stream().limit(40).collect(Collectors.joining("\n  ")));
                }
                assertEquals(KafkaStreams.State.RUNNING, streams.state());
                assertTrue(valid > 0 && dead > 0);
                }
            }
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, List<Planned> plan, Map<String, Planned> byPosition) throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (Planned p : plan) {
            sent.add(producer.send(new ProducerRecord<>(p.topic(), p.key(), p.value())));
        }
        producer.flush();
        for (int i = 0; i < plan.size(); i++) {
            RecordMetadata m = sent.get(i).get();
            byPosition.put(position(m.topic(), m.partition(), m.offset()), plan.get(i));
        }
    }

    /** A dead letter may carry a prefix of a value too large to copy whole, when it says so. */
    private static boolean truncatedCopy(DeadLetter d, byte[] sent, byte[] carried) {
        String size = d.getHeaders().get("handoff.original.value.size");
        return sent != null && carried != null && size != null && Long.parseLong(size) == sent.length && carried.length < sent.length
                && Arrays.equals(Arrays.copyOf(sent, carried.length), carried);
    }

    private static KafkaProducer<byte[], byte[]> producer(LocalKafka kafka) {
        Properties p = kafka.clientProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @SuppressWarnings("unchecked")
    private static <V extends SpecificRecord> void send(KafkaProducer<byte[], byte[]> producer, Topics topics, TopicDef<V> def, String key,
                                                        SpecificRecord value) throws Exception {
        String topic = topics.name(def);
        producer.send(new ProducerRecord<>(topic, new StringSerializer().serialize(topic, key),
                topics.valueSerde(def).serializer().serialize(topic, (V) value))).get();
    }

    private static String position(String topic, int partition, long offset) {
        return topic + "/" + partition + "@" + offset;
    }

    private static byte[] toArray(java.nio.ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static String abbreviate(String s) {
        return s == null || s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }

    private static Set<String> threadNames(KafkaStreams streams) {
        return streams.metadataForLocalThreads().stream().map(ThreadMetadata::threadName).collect(Collectors.toSet());
    }

    /** Samples the app's state until stopped and keeps every state other than RUNNING it saw. */
    private static final class StateWatch {
        private final ConcurrentLinkedQueue<String> left = new ConcurrentLinkedQueue<>();
        private final Thread thread;
        private volatile boolean stop;

        StateWatch(KafkaStreams streams) {
            thread = new Thread(() -> {
                while (!stop) {
                    KafkaStreams.State s = streams.state();
                    if (s != KafkaStreams.State.RUNNING && left.size() < 20) {
                        left.add(s + " at " + Instant.now());
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
                }
            }, "fuzz-state-watch");
            thread.setDaemon(true);
            thread.start();
        }

        List<String> left() {
            return List.copyOf(left);
        }

        void stop() throws InterruptedException {
            stop = true;
            thread.join();
        }
    }

    /** The dead letters and latest finding states, read committed. */
    private static final class Outputs implements AutoCloseable {
        final List<DeadLetter> deadLetters = new ArrayList<>();
        final Map<String, FindingState> states = new HashMap<>();
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Topics topics;

        Outputs(LocalKafka kafka, Topics topics) {
            this.topics = topics;
            Properties c = kafka.clientProperties();
            c.put(ConsumerConfig.GROUP_ID_CONFIG, "fuzz-" + UUID.randomUUID());
            c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(4 * 1024 * 1024));
            consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            consumer.subscribe(List.of(topics.name(Topics.DEADLETTER), topics.name(Topics.FINDINGS_STATE)));
        }

        void readUntil(java.util.function.BooleanSupplier done, Duration quiet, Duration limit) {
            Instant deadline = Instant.now().plus(limit);
            Instant lastProgress = Instant.now();
            while (!done.getAsBoolean() && Instant.now().isBefore(deadline) && Instant.now().isBefore(lastProgress.plus(quiet))) {
                if (poll() > 0) {
                    lastProgress = Instant.now();
                }
            }
        }

        void readFor(Duration d) {
            Instant until = Instant.now().plus(d);
            while (Instant.now().isBefore(until)) {
                poll();
            }
        }

        @Override
        public void close() {
            consumer.close();
        }

        private int poll() {
            var records = consumer.poll(Duration.ofMillis(200));
            for (ConsumerRecord<byte[], byte[]> r : records) {
                if (r.topic().equals(topics.name(Topics.DEADLETTER))) {
                    deadLetters.add(topics.valueSerde(Topics.DEADLETTER).deserializer().deserialize(r.topic(), r.value()));
                } else if (r.value() != null) {
                    FindingState s = topics.valueSerde(Topics.FINDINGS_STATE).deserializer().deserialize(r.topic(), r.value());
                    states.put(s.getFindingId(), s);
                }
            }
            return records.count();
        }
    }
}

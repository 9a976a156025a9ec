package dev.handoff.alerter;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.handoff.avro.AlertLevel;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.DispatchOutcome;
import dev.handoff.avro.NotificationDispatched;
import dev.handoff.avro.NotificationReason;
import dev.handoff.avro.OwnerNotification;
import dev.handoff.avro.ResponsibleSide;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SlaBreach;
import dev.handoff.avro.SlaKind;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The alerter as its own process ({@link AlerterMain}, a child JVM) on a real broker in this JVM, killed with SIGKILL in
 * the middle of a few hundred deliveries and started again: what reaches the receivers and what lands on
 * {@code notifications.receipts} is compared with an uninterrupted run of the same input under another topic prefix.
 *
 * <p>Every target is a real HTTP endpoint on loopback ({@link Endpoint}) that records each request on arrival. Owner
 * notifications go to the webhook {@code owner}; SLA alerts to the webhook {@code soc} and the Slack target
 * {@code soc-slack}. Digests, quiet hours and escalation are off, so every alert goes out at once and both runs do the
 * same work. In the crashed run, once a quarter of the deliveries have arrived, the endpoint stops answering the two
 * webhooks: their {@link #CONCURRENCY} slots each fill with attempts that are in flight for certain when the kill lands,
 * while the Slack target goes on being answered, so the alerter is busy committing when it dies.
 *
 * <p>Each child's output goes to {@code target/alerter-crash-it/<run>-<n>.log}.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AlerterCrashIT {

    private static final int NOTIFICATIONS = 160;
    private static final int BREACHES = 160;
    /** Deliveries of one run: each notification to {@code owner}, each breach to {@code soc} and {@code soc-slack}. */
    private static final int DELIVERIES = NOTIFICATIONS + 2 * BREACHES;
    /** {@code alerter.target.concurrency}: the most attempts in flight per target, so the most re-sends per target. */
    private static final int CONCURRENCY = 8;
    /** How long the endpoint takes to answer: slow enough that attempts are in flight whenever the kill lands. */
    private static final Duration ANSWER_DELAY = Duration.ofMillis(40);
    private static final String ACK_SECRET = "alerter-crash-it-secret-0123456789";
    private static final String ACK_BASE = "https://handoff.example.com";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Path OUT = Path.of("target", "alerter-crash-it");

    private LocalKafka kafka;
    private Endpoint endpoint;
    private final List<Process> children = new ArrayList<>();
    private final Instant base = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    @BeforeAll
    void start() throws IOException {
        Files.createDirectories(OUT);
        kafka = LocalKafka.start();
        endpoint = new Endpoint();
    }

    @AfterEach
    void killChildren() throws InterruptedException {
        for (Process p : children) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        children.clear();
    }

    @AfterAll
    void stop() {
        if (endpoint != null) {
            endpoint.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void anAlerterKilledMidStreamAndRestartedDeliversAndRecordsWhatAnUninterruptedRunDoes() throws Exception {
        long t0 = System.nanoTime();
        List<OwnerNotification> notifications = notifications();
        List<SlaBreach> breaches = breaches();
        Alerts alerts = new Alerts(ACK_SECRET, ACK_BASE, Duration.ofDays(7));
        Map<String, Set<String>> expected = new TreeMap<>();
        expected.put("owner", notifications.stream().map(n -> alerts.ownerNotification(n, Optional.empty(), base).idempotencyKey())
                .collect(Collectors.toCollection(TreeSet::new)));
        expected.put("soc", breaches.stream().map(b -> alerts.slaAlert(b).idempotencyKey()).collect(Collectors.toCollection(TreeSet::new)));
        // Slack carries no idempotency key; the endpoint tells messages apart by the finding id in the message.
        expected.put("soc-slack", breaches.stream().map(SlaBreach::getFindingId).collect(Collectors.toCollection(TreeSet::new)));
        Map<String, String> findingOfSlaKey = new HashMap<>();
        breaches.forEach(b -> findingOfSlaKey.put(alerts.slaAlert(b).idempotencyKey(), b.getFindingId()));
        assertEquals(List.of(NOTIFICATIONS, BREACHES, BREACHES), List.of(expected.get("owner").size(), expected.get("soc").size(),
                expected.get("soc-slack").size()), "the inputs are distinct alerts");

        // 1. The uninterrupted run.
        Run reference = new Run("reference", notifications, breaches);
        Process ref = reference.start(1);
        awaitAll(reference, ref, expected);
        long refMillis = millisSince(t0);
        ref.destroy();
        assertTrue(ref.waitFor(30, TimeUnit.SECONDS), "the reference alerter did not stop on SIGTERM");
        // A static member stays in the group when it merely closes; a clean stop must leave, so others take over at once.
        assertEquals(List.of(), reference.groupMembers(), "the cleanly stopped alerter left its consumer group");

        // 2. The same input, killed with SIGKILL once a quarter of it has arrived, then started again.
        long t1 = System.nanoTime();
        Run crashed = new Run("crashed", notifications, breaches);
        Endpoint.Hold hold = endpoint.holdAfter(DELIVERIES / 4, crashed.paths(), Set.of(crashed.path("owner"), crashed.path("soc")));
        Process first = crashed.start(1);
        await("both webhooks holding " + CONCURRENCY + " unanswered attempts each", first,
                () -> hold.held(crashed.path("owner")).size() == CONCURRENCY && hold.held(crashed.path("soc")).size() == CONCURRENCY);
        first.destroyForcibly();
        assertTrue(first.waitFor(30, TimeUnit.SECONDS), "the killed alerter did not exit");
        // Process.destroyForcibly() is SIGKILL on Linux: the exit status is 128 + 9.
        assertEquals(137, first.exitValue(), "the first alerter died of SIGKILL");
        long killedAtMillis = millisSince(t1);
        Map<String, Integer> arrivedBeforeKill = crashed.arrivals(endpoint);
        int before = arrivedBeforeKill.values().stream().mapToInt(Integer::intValue).sum();
        hold.release();
        assertTrue(before < DELIVERIES && arrivedBeforeKill.get("soc-slack") < BREACHES,
                "the kill landed mid-stream, with the Slack target still being answered: " + arrivedBeforeKill);

        Map<String, Set<String>> inFlightAtKill = crashed.inFlightAfterTheKill();
        assertEquals(new TreeSet<>(hold.held(crashed.path("owner"))), inFlightAtKill.get("owner"),
                "the schedule records the unanswered webhook attempts as in flight");
        assertEquals(new TreeSet<>(hold.held(crashed.path("soc"))), inFlightAtKill.get("soc"));
        assertTrue(inFlightAtKill.get("soc-slack").size() <= CONCURRENCY, "in flight to Slack: " + inFlightAtKill.get("soc-slack"));

        long t2 = System.nanoTime();
        Process second = crashed.start(2);
        awaitAll(crashed, second, expected);
        long restartMillis = millisSince(t2);
        // The gauge is set after each commit: the schedule must drain, not stick with entries after the restart.
        await("nothing left waiting in the schedule (handoff_alerter_pending 0)", second,
                () -> {
                    String m = scrapeQuietly(crashed.metricsPort(2));
                    return m.contains("handoff_alerter_pending ") && counter(m, "handoff_alerter_pending", null) == 0;
                });
        String metrics = scrape(crashed.metricsPort(2));
        String schedule = crashed.scheduleSummary();
        second.destroy();
        assertTrue(second.waitFor(30, TimeUnit.SECONDS), "the restarted alerter did not stop on SIGTERM");

        // What the receivers saw: every alert, each key more than once only if it was in flight at the kill.
        Map<String, Map<String, Integer>> seen = crashed.seen(endpoint);
        Map<String, Set<String>> inFlightKeys = new TreeMap<>(inFlightAtKill);
        inFlightKeys.put("soc-slack", inFlightAtKill.get("soc-slack").stream().map(findingOfSlaKey::get)
                .collect(Collectors.toCollection(TreeSet::new)));
        Map<String, Set<String>> doubled = new TreeMap<>();
        seen.forEach((target, counts) -> doubled.put(target, counts.entrySet().stream().filter(e -> e.getValue() > 1)
                .map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new))));
        String summary = String.format("reference run %d ms; crashed run: killed after %d ms with %d of %d arrived %s, in flight %s;"
                        + " restarted and done in %d ms; keys seen more than once %s; %s", refMillis, killedAtMillis, before, DELIVERIES,
                arrivedBeforeKill, sizes(inFlightAtKill), restartMillis, sizes(doubled), schedule);
        System.out.println("AlerterCrashIT: " + summary);
        Files.writeString(OUT.resolve("summary.txt"), summary + System.lineSeparator());

        for (String target : expected.keySet()) {
            Map<String, Integer> counts = seen.get(target);
            assertEquals(expected.get(target), counts.keySet(), target + ": the distinct keys received are exactly the alerts (nothing lost)");
            assertTrue(inFlightKeys.get(target).containsAll(doubled.get(target)),
                    target + ": only attempts in flight at the kill arrived twice: " + doubled.get(target) + " not within " + inFlightKeys.get(target));
            assertTrue(counts.values().stream().allMatch(n -> n <= 2), target + ": nothing arrived three times: " + counts);
            int repeats = counts.values().stream().mapToInt(n -> n - 1).sum();
            assertTrue(repeats <= CONCURRENCY, target + ": repeats within the in-flight cap: " + repeats);
        }
        // The held webhook attempts had arrived, so their re-sends arrive a second time, and the receiver drops them by key.
        assertEquals(inFlightKeys.get("owner"), doubled.get("owner"));
        assertEquals(inFlightKeys.get("soc"), doubled.get("soc"));
        assertEquals(CONCURRENCY, doubled.get("owner").size());
        // Slack cannot drop a repeat: each re-send of an attempt in flight at the kill is counted as a possible duplicate.
        assertEquals(inFlightAtKill.get("soc-slack").size(), counter(metrics, "handoff_alerter_possible_duplicates_total", "soc-slack"),
                "possible duplicates counted for Slack:\n" + grep(metrics, "possible_duplicates"));
        assertEquals(0, counter(metrics, "handoff_alerter_possible_duplicates_total", "owner")
                + counter(metrics, "handoff_alerter_possible_duplicates_total", "soc"), "webhook re-sends are dropped by key, not counted");

        // What the log says: one receipt per delivery, equal to the uninterrupted run's.
        List<NotificationDispatched> refReceipts = reference.receipts();
        List<NotificationDispatched> receipts = crashed.receipts();
        assertEquals(DELIVERIES, refReceipts.size(), "reference receipts");
        assertEquals(DELIVERIES, receipts.size(), "one receipt per delivery in the crashed run, none twice");
        assertEquals(DELIVERIES, receipts.stream().map(NotificationDispatched::getEventId).distinct().count());
        Set<ReceiptView> want = refReceipts.stream().map(ReceiptView::of).collect(Collectors.toSet());
        Set<ReceiptView> got = receipts.stream().map(ReceiptView::of).collect(Collectors.toSet());
        assertEquals(List.of(), want.stream().filter(r -> !got.contains(r)).limit(5).toList(), "receipts of the uninterrupted run missing");
        assertEquals(List.of(), got.stream().filter(r -> !want.contains(r)).limit(5).toList(), "receipts the uninterrupted run has not");
        assertTrue(refReceipts.stream().allMatch(r -> r.getAttempts() == 1), "the uninterrupted run made one attempt each");
        Set<String> retried = receipts.stream().filter(r -> r.getAttempts() != 1)
                .map(r -> r.getTarget().substring(r.getTarget().indexOf(':') + 1) + " " + r.getIdempotencyKey())
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> inFlight = new TreeSet<>();
        inFlightAtKill.forEach((target, keys) -> keys.forEach(k -> inFlight.add(target + " " + k)));
        assertEquals(inFlight, retried, "exactly the deliveries in flight at the kill took a second attempt");
        assertTrue(receipts.stream().allMatch(r -> r.getAttempts() <= 2 && r.getOutcome() == DispatchOutcome.DELIVERED));
        assertEquals(List.of(), crashed.committed(Topics.DEADLETTER), "nothing dead-lettered");
    }

    /** A receipt without the fields a crash may rightly change; see docs/alerter.md. */
    private record ReceiptView(String eventId, String findingId, String notificationId, DispatchKind kind, String ownerId,
                               String channel, String target, DispatchOutcome outcome, String idempotencyKey, int digestSize,
                               int escalationStep) {
        // Left out: event_time and recorded_time (wall-clock times of the delivery and of the record), source (names the
        // instance, and each run has its own), attempts (a delivery in flight at the kill honestly took two).
        static ReceiptView of(NotificationDispatched r) {
            return new ReceiptView(r.getEventId(), r.getFindingId(), r.getNotificationId(), r.getKind(), r.getOwnerId(),
                    r.getChannel().name(), r.getTarget(), r.getOutcome(), r.getIdempotencyKey(), r.getDigestSize(), r.getEscalationStep());
        }
    }

    // ------------------------------------------------------------------------------------------------ the input

    private List<OwnerNotification> notifications() {
        SeverityBand[] bands = SeverityBand.values();
        List<OwnerNotification> out = new ArrayList<>();
        for (int i = 0; i < NOTIFICATIONS; i++) {
            String finding = String.format("f-own-%03d", i);
            Instant at = base.plusMillis(i);
            out.add(OwnerNotification.newBuilder().setEventId("e-" + finding).setEventTime(at).setRecordedTime(at).setSource("crash-it")
                    .setNotificationId("n-" + finding).setFindingId(finding).setOwnerId("u-" + (i % 8)).setTeamId("team-" + (i % 3))
                    .setReason(NotificationReason.NEW_FINDING).setBand(bands[i % bands.length]).setTitle("Finding " + finding)
                    .setHandoffDeadline(base.plus(Duration.ofHours(4)).plusSeconds(i)).build());
        }
        return out;
    }

    private List<SlaBreach> breaches() {
        AlertLevel[] levels = AlertLevel.values();
        SeverityBand[] bands = {SeverityBand.CRITICAL, SeverityBand.HIGH, SeverityBand.MEDIUM, SeverityBand.LOW};
        List<SlaBreach> out = new ArrayList<>();
        for (int i = 0; i < BREACHES; i++) {
            String finding = String.format("f-sla-%03d", i);
            AlertLevel level = levels[i % levels.length];
            Instant deadline = base.minus(Duration.ofHours(1)).plusSeconds(i);
            out.add(SlaBreach.newBuilder().setEventId("e-" + finding).setEventTime(base).setRecordedTime(base).setSource("crash-it")
                    .setAlertId("alert-" + finding + "-" + level).setFindingId(finding).setSla(SlaKind.HANDOFF).setLevel(level)
                    .setReminderNumber(level == AlertLevel.REMINDER ? 1 : 0).setDeadline(deadline).setResponsible(ResponsibleSide.ENGINEERING)
                    .setBand(bands[i % bands.length]).setTitle("OpenSSL in " + finding).setTeamId("team-" + (i % 3))
                    .setCapturedAt(deadline.minus(Duration.ofHours(4))).build());
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------ one deployment

    /** One deployment: its own topic prefix, consumer group and instance id, fed the same input as the other. */
    private final class Run {
        final String name;
        final String prefix;
        final Topics topics;
        final String instanceId;
        final Map<Integer, Integer> metricsPorts = new HashMap<>();

        Run(String name, List<OwnerNotification> notifications, List<SlaBreach> breaches) {
            this.name = name;
            this.prefix = "crash-" + name + "-" + UUID.randomUUID().toString().substring(0, 6) + ".";
            this.topics = new Topics(prefix, 3, SchemaRegistries.fromConfig(Map.of(SchemaRegistries.URL_CONFIG, "embedded")));
            this.instanceId = "crash-it-" + name;
            kafka.createTopics(topics.newTopics((short) 1));
            // One request in flight: on a loaded machine a just-created partition can refuse the first batch with
            // NOT_LEADER and accept the next one already in flight (a producer it does not know yet may start at any
            // sequence), after which the retried first batch is out of order until the delivery timeout: input lost.
            Properties p = kafka.clientProperties();
            p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
                notifications.forEach(n -> sent.add(send(producer, Topics.NOTIFY_REQUESTS, n.getOwnerId(), n)));
                breaches.forEach(b -> sent.add(send(producer, Topics.ALERTS_SLA_BREACH, b.getFindingId(), b)));
                producer.flush();
                for (Future<RecordMetadata> f : sent) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } catch (ExecutionException | TimeoutException e) {
                fail(name + ": the input could not be written", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(e);
            }
        }

        private <V extends SpecificRecord> Future<RecordMetadata> send(KafkaProducer<String, byte[]> producer, TopicDef<V> def, String key,
                                                                       V value) {
            String topic = topics.name(def);
            return producer.send(new ProducerRecord<>(topic, key, topics.valueSerde(def).serializer().serialize(topic, value)));
        }

        String path(String target) {
            return "/" + prefix + target;
        }

        Set<String> paths() {
            return Set.of(path("owner"), path("soc"), path("soc-slack"));
        }

        int metricsPort(int n) {
            return metricsPorts.get(n);
        }

        /** Starts AlerterMain in a child JVM with this run's settings file; its output goes to {@code <name>-<n>.log}. */
        Process start(int n) throws IOException {
            int port = freePort();
            metricsPorts.put(n, port);
            Map<String, String> c = new LinkedHashMap<>();
            c.put("bootstrap.servers", kafka.bootstrapServers());
            c.put("topic.prefix", prefix);
            c.put("schema.registry.url", "embedded");
            c.put("alerter.instance.id", instanceId);
            c.put("alerter.group.id", "alerter-" + prefix);
            c.put("alerter.metrics.port", Integer.toString(port));
            c.put("alerter.ack.secret", ACK_SECRET);
            c.put("alerter.ack.base-url", ACK_BASE);
            c.put("alerter.digest.interval", "PT0S");
            c.put("alerter.quiet.bands", "");
            c.put("alerter.escalation.after", "PT0S");
            c.put("alerter.target.concurrency", Integer.toString(CONCURRENCY));
            c.put("alerter.retry.initial", "PT0.2S");
            c.put("alerter.retry.max", "PT1S");
            for (String t : List.of("owner", "soc", "soc-slack")) {
                c.put("alerter.target." + t + ".type", t.endsWith("slack") ? "slack" : "webhook");
                c.put("alerter.target." + t + ".url", endpoint.url(path(t)).toString());
                // Longer than the held attempts wait for the kill: an attempt times out only if something is wrong.
                c.put("alerter.target." + t + ".timeout", "PT30S");
            }
            c.put("alerter.target.owner.secret", "webhook-signing-secret-owner");
            c.put("alerter.owner.targets", "owner");
            c.put("alerter.soc.targets", "soc,soc-slack");
            Path settings = OUT.resolve(name + ".properties");
            Files.writeString(settings, c.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(System.lineSeparator(), "", System.lineSeparator())));
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx160m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-cp", classpath(), AlerterMain.class.getName(), settings.toString());
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(OUT.resolve(name + "-" + n + ".log").toFile());
            // The settings file is the whole configuration: no HANDOFF_* variable of the machine running the build.
            pb.environment().keySet().removeIf(k -> k.startsWith("HANDOFF_") || k.equals("KAFKA_BOOTSTRAP_SERVERS"));
            Process p = pb.start();
            children.add(p);
            return p;
        }

        /** Arrivals so far per target. */
        Map<String, Integer> arrivals(Endpoint e) {
            Map<String, Integer> out = new TreeMap<>();
            seen(e).forEach((target, counts) -> out.put(target, counts.values().stream().mapToInt(Integer::intValue).sum()));
            return out;
        }

        /** Per target, how many times each key arrived. */
        Map<String, Map<String, Integer>> seen(Endpoint e) {
            Map<String, Map<String, Integer>> out = new TreeMap<>();
            for (String t : List.of("owner", "soc", "soc-slack")) {
                Map<String, Integer> counts = new TreeMap<>();
                e.arrived(path(t)).forEach(k -> counts.merge(k, 1, Integer::sum));
                out.put(t, counts);
            }
            return out;
        }

        /**
         * The idempotency keys of deliveries the committed schedule shows in flight, per target. Read once the killed
         * instance's last transaction has settled: a commit it sent just before it died still completes.
         */
        Map<String, Set<String>> inFlightAfterTheKill() throws Exception {
            try (Admin admin = Admin.create(kafka.clientProperties())) {
                String txId = "handoff-alerter-" + instanceId;
                long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (true) {
                    TransactionDescription d = admin.describeTransactions(List.of(txId)).description(txId).get(10, TimeUnit.SECONDS);
                    if (d.state() != TransactionState.PREPARE_COMMIT && d.state() != TransactionState.PREPARE_ABORT) {
                        break;
                    }
                    if (System.nanoTime() > until) {
                        fail("the killed alerter's transaction did not settle: " + d.state());
                    }
                    Thread.sleep(50);
                }
            }
            Map<String, Set<String>> out = new TreeMap<>();
            List.of("owner", "soc", "soc-slack").forEach(t -> out.put(t, new TreeSet<>()));
            schedule().values().stream().filter(j -> j.type() == Job.Type.DELIVERY && j.inflight())
                    .forEach(j -> out.get(j.target()).add(j.alert().idempotencyKey()));
            return out;
        }

        /** The members of this run's consumer group, by group instance id. */
        List<String> groupMembers() throws Exception {
            String group = "alerter-" + prefix;
            try (Admin admin = Admin.create(kafka.clientProperties())) {
                return admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get(10, TimeUnit.SECONDS).members().stream()
                        .map(m -> m.groupInstanceId().orElse(m.consumerId())).toList();
            }
        }

        String scheduleSummary() {
            Map<Job.Type, Long> byType = new TreeMap<>(schedule().values().stream().collect(Collectors.groupingBy(Job::type, Collectors.counting())));
            return "schedule at the end " + byType;
        }

        /** The committed schedule: the latest entry per id. */
        Map<String, Job> schedule() {
            Map<String, Job> latest = new LinkedHashMap<>();
            readCommitted(AlerterTopics.pending(topics), (k, v) -> {
                if (v == null) {
                    latest.remove(k);
                } else {
                    latest.put(k, Job.fromBytes(v));
                }
            });
            return latest;
        }

        List<NotificationDispatched> receipts() {
            return committed(Topics.NOTIFICATIONS_RECEIPTS);
        }

        <V extends SpecificRecord> List<V> committed(TopicDef<V> def) {
            String topic = topics.name(def);
            List<V> out = new ArrayList<>();
            readCommitted(topic, (k, v) -> out.add(topics.valueSerde(def).deserializer().deserialize(topic, v)));
            return out;
        }
    }

    /** Waits until every expected key arrived at every target and the run's receipts are all committed. */
    private void awaitAll(Run run, Process child, Map<String, Set<String>> expected) throws Exception {
        await(run.name + ": every alert at its endpoint", child, () -> {
            Map<String, Map<String, Integer>> seen = run.seen(endpoint);
            return expected.keySet().stream().allMatch(t -> seen.get(t).keySet().containsAll(expected.get(t)));
        });
        await(run.name + ": a receipt for every delivery", child, () -> run.receipts().size() >= DELIVERIES);
    }

    // ------------------------------------------------------------------------------------------------ the endpoint

    /**
     * The loopback endpoint of every target: records each request on arrival (the webhook's {@code Idempotency-Key}, or
     * for Slack the finding the message names) and answers 200 after {@link #ANSWER_DELAY}. A {@link Hold} stops the
     * answers on some paths after a number of arrivals, so attempts stay in flight until it is released.
     */
    static final class Endpoint implements AutoCloseable {

        private static final Pattern SLACK_FINDING = Pattern.compile("finding `([^`]+)`");

        private final HttpServer server;
        private final Map<String, ConcurrentLinkedQueue<String>> arrivals = new java.util.concurrent.ConcurrentHashMap<>();
        private volatile Hold hold;

        Endpoint() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            server.setExecutor(Executors.newCachedThreadPool());
            server.createContext("/", this::handle);
            server.start();
        }

        /** Holds back the answers on {@code held} once {@code after} requests have arrived on {@code counted}. */
        final class Hold {
            private final int after;
            private final Set<String> counted;
            private final Set<String> heldPaths;
            private final AtomicInteger arrived = new AtomicInteger();
            private final CountDownLatch release = new CountDownLatch(1);
            private final Map<String, ConcurrentLinkedQueue<String>> held = new java.util.concurrent.ConcurrentHashMap<>();

            private Hold(int after, Set<String> counted, Set<String> heldPaths) {
                this.after = after;
                this.counted = counted;
                this.heldPaths = heldPaths;
            }

            /** The keys of requests on {@code path} waiting for an answer. */
            List<String> held(String path) {
                return List.copyOf(held.getOrDefault(path, new ConcurrentLinkedQueue<>()));
            }

            void release() {
                hold = null;
                release.countDown();
            }
        }

        Hold holdAfter(int after, Set<String> counted, Set<String> heldPaths) {
            Hold h = new Hold(after, counted, heldPaths);
            hold = h;
            return h;
        }

        URI url(String path) {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
        }

        List<String> arrived(String path) {
            return List.copyOf(arrivals.getOrDefault(path, new ConcurrentLinkedQueue<>()));
        }

        private void handle(HttpExchange exchange) throws IOException {
            String path = exchange.getRequestURI().getPath();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
            if (key == null) {
                Matcher m = SLACK_FINDING.matcher(body);
                key = m.find() ? m.group(1) : "(unrecognised) " + body;
            }
            arrivals.computeIfAbsent(path, p -> new ConcurrentLinkedQueue<>()).add(key);
            try {
                Hold h = hold;
                if (h != null && h.counted.contains(path) && h.arrived.incrementAndGet() > h.after && h.heldPaths.contains(path)) {
                    h.held.computeIfAbsent(path, p -> new ConcurrentLinkedQueue<>()).add(key);
                    h.release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
                } else {
                    Thread.sleep(ANSWER_DELAY.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] out = "ok".getBytes(StandardCharsets.UTF_8);
            try {
                exchange.sendResponseHeaders(200, out.length);
                try (OutputStream o = exchange.getResponseBody()) {
                    o.write(out);
                }
            } catch (IOException callerGone) {
                // the alerter that sent it was killed
            }
        }

        @Override
        public void close() {
            Hold h = hold;
            if (h != null) {
                h.release();
            }
            server.stop(0);
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Everything committed on {@code topic} up to now: all partitions from the start to their last stable offset. */
    private void readCommitted(String topic, java.util.function.BiConsumer<String, byte[]> each) {
        Properties p = kafka.clientProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (System.nanoTime() > until) {
                    fail("could not read " + topic + " to its end");
                }
                c.poll(Duration.ofMillis(100)).forEach(r -> each.accept(r.key(), r.value()));
            }
        }
    }

    /** The test class path (failsafe runs tests from a manifest-only jar and puts the real one in this property). */
    private static String classpath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        assertTrue(List.of(cp.split(File.pathSeparator)).stream().anyMatch(e -> e.endsWith("classes") || e.contains("sla-alerter")),
                "no alerter classes on the class path: " + cp);
        return cp;
    }

    private static String scrape(int port) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    private static String scrapeQuietly(int port) {
        try {
            return scrape(port);
        } catch (Exception | AssertionError e) {
            return "";
        }
    }

    /** The sum of a Prometheus metric's samples whose {@code target} label is {@code target} (any, when null). */
    private static double counter(String metrics, String name, String target) {
        double sum = 0;
        for (String line : metrics.split("\n")) {
            if ((line.startsWith(name + "{") || line.startsWith(name + " "))
                    && (target == null || line.contains("target=\"" + target + "\""))) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static String grep(String metrics, String what) {
        return metrics.lines().filter(l -> l.contains(what)).collect(Collectors.joining("\n"));
    }

    private static Map<String, Integer> sizes(Map<String, Set<String>> m) {
        Map<String, Integer> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.size()));
        return out;
    }

    /** Waits for {@code condition}; fails when it does not come within {@link #WAIT} or the child dies. */
    private void await(String what, Process child, BooleanSupplier condition) throws Exception {
        long until = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (!child.isAlive()) {
                fail("the alerter died (exit " + child.exitValue() + ") while waiting for " + what + ":\n" + tail());
            }
            if (System.nanoTime() > until) {
                fail("no " + what + " within " + WAIT.toSeconds() + " s:\n" + tail());
            }
            Thread.sleep(50);
        }
    }

    /** The last lines of the newest child log. */
    private static String tail() {
        try (var files = Files.list(OUT)) {
            Path log = files.filter(f -> f.toString().endsWith(".log")).max((a, b) -> Long.compare(a.toFile().lastModified(),
                    b.toFile().lastModified())).orElse(null);
            if (log == null) {
                return "(no log)";
            }
            List<String> lines = Files.readAllLines(log);
            return log + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }
}

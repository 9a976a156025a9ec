package dev.handoff.alerter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.avro.AlertLevel;
import dev.handoff.avro.CaptureOrigin;
import dev.handoff.avro.ChannelAddress;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.DeadLetter;
import dev.handoff.avro.DeadLetterKind;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.DispatchOutcome;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.FindingStatus;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.NotificationDispatched;
import dev.handoff.avro.NotificationReason;
import dev.handoff.avro.Owner;
import dev.handoff.avro.OwnerKind;
import dev.handoff.avro.OwnerNotification;
import dev.handoff.avro.ResponsibleSide;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SlaBreach;
import dev.handoff.avro.SlaKind;
import dev.handoff.avro.SourceTool;
import dev.handoff.avro.Team;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.AckLinks;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The alerter against a real broker and real HTTP endpoints on loopback: retries through injected faults ending in one
 * delivery, permanent failures to the dead-letter topic, deduplication, digests, escalation stopped by an
 * acknowledgement, bad input, and a restart mid-stream with nothing lost and nothing delivered twice.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AlerterIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ACK_SECRET = "alerter-it-secret-0123456789";
    private static final Duration WAIT = Duration.ofSeconds(45);

    private LocalKafka kafka;
    private Receiver receiver;
    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        kafka = LocalKafka.start();
        receiver = new Receiver();
    }

    @AfterAll
    void stop() throws Exception {
        for (AutoCloseable c : closeLater) {
            c.close();
        }
        receiver.close();
        kafka.close();
    }

    /** One isolated deployment: its own topic prefix, directory and alerter. */
    private final class Deployment implements AutoCloseable {
        final String prefix = "al-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        final Topics topics = new Topics(prefix, 3, SchemaRegistries.fromConfig(Map.of(SchemaRegistries.URL_CONFIG, "embedded")));
        final Map<String, String> config = new HashMap<>();
        final KafkaProducer<String, byte[]> producer;
        Alerter alerter;

        Deployment(Map<String, String> extra) {
            kafka.createTopics(topics.newTopics((short) 1));
            config.put("bootstrap.servers", kafka.bootstrapServers());
            config.put("topic.prefix", prefix);
            config.put("alerter.instance.id", "it-" + prefix);
            config.put("alerter.group.id", "alerter-" + prefix);
            config.put("alerter.metrics.port", "-1");
            config.put("alerter.ack.secret", ACK_SECRET);
            config.put("alerter.ack.base-url", "https://handoff.example.com");
            config.put("alerter.retry.initial", "PT0.2S");
            config.put("alerter.retry.max", "PT1S");
            config.put("alerter.retry.attempts", "6");
            config.put("alerter.breaker.failures", "50");
            config.put("alerter.quiet.bands", "");
            config.put("alerter.escalation.after", "PT0S");
            config.put("alerter.digest.interval", "PT0S");
            String path = "/" + prefix;
            for (String t : List.of("owner", "soc", "flaky", "refused", "gone")) {
                config.put("alerter.target." + t + ".type", "webhook");
                config.put("alerter.target." + t + ".url", receiver.url(path + t).toString());
                config.put("alerter.target." + t + ".timeout", "PT1S");
                config.put("alerter.target." + t + ".secret", "webhook-signing-secret-" + t);
            }
            config.put("alerter.owner.targets", "owner");
            config.put("alerter.soc.targets", "soc");
            config.putAll(extra);
            Properties p = kafka.clientProperties();
            producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        }

        String path(String target) {
            return "/" + prefix + target;
        }

        Deployment startAlerter() {
            AlerterSettings settings = AlerterSettings.from(config, Map.of());
            alerter = Alerter.start(settings, Channels.standard(settings));
            return this;
        }

        void stopAlerter() {
            alerter.close();
            alerter = null;
        }

        <V extends SpecificRecord> void send(TopicDef<V> def, String key, V value) {
            String topic = topics.name(def);
            producer.send(new ProducerRecord<>(topic, key, topics.valueSerde(def).serializer().serialize(topic, value)));
            producer.flush();
        }

        void sendRaw(TopicDef<?> def, String key, byte[] bytes) {
            producer.send(new ProducerRecord<>(topics.name(def), key, bytes));
            producer.flush();
        }

        <V extends SpecificRecord> List<V> committed(TopicDef<V> def) {
            String topic = topics.name(def);
            List<V> out = new ArrayList<>();
            readCommitted(topic, (k, v) -> out.add(topics.valueSerde(def).deserializer().deserialize(topic, v)));
            return out;
        }

        List<NotificationDispatched> receipts(Predicate<NotificationDispatched> which) {
            return committed(Topics.NOTIFICATIONS_RECEIPTS).stream().filter(which).toList();
        }

        @Override
        public void close() {
            if (alerter != null) {
                alerter.close();
            }
            producer.close();
        }
    }

    private Deployment deployment(Map<String, String> extra) {
        Deployment d = new Deployment(extra);
        closeLater.add(d);
        return d;
    }

    // ------------------------------------------------------------------------------------------------ tests

    @Test
    void transientFaultsEndInExactlyOneDeliveryAndPermanentOnesInTheDeadLetterTopic() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Map<String, String> settings = new HashMap<>(Map.of(
                "alerter.route.flaky.teams", "team-flaky", "alerter.route.flaky.kinds", "sla", "alerter.route.flaky.targets", "flaky",
                "alerter.route.refused.teams", "team-refused", "alerter.route.refused.kinds", "sla", "alerter.route.refused.targets", "refused",
                "alerter.target.refused.url", "http://127.0.0.1:" + closedPort + "/refused",
                "alerter.route.gone.teams", "team-gone", "alerter.route.gone.kinds", "sla", "alerter.route.gone.targets", "gone"));
        // The refused alert must still be retrying when the test brings its endpoint up: six attempts (about 4 s) ran out
        // once before the late receiver started (CI, 2026-12-07); thirty keep it retrying for about 28 s.
        settings.put("alerter.retry.attempts", "30");
        Deployment d = deployment(settings);
        // flaky: 500, then a hang past the 1 s timeout, then 429 with Retry-After, then success
        receiver.script(d.path("flaky"), n -> switch (n) {
            case 1 -> Receiver.Answer.status(500);
            case 2 -> new Receiver.Answer(599, null, 2_500, "too late"); // the alerter gives up after its 1 s timeout
            case 3 -> new Receiver.Answer(429, "1", 0, "slow down");
            default -> Receiver.Answer.ok();
        });
        receiver.script(d.path("gone"), n -> new Receiver.Answer(410, null, 0, "channel_is_archived"));
        d.startAlerter();

        d.send(Topics.ALERTS_SLA_BREACH, "f-flaky", breach("f-flaky", "team-flaky", AlertLevel.BREACH));
        d.send(Topics.ALERTS_SLA_BREACH, "f-gone", breach("f-gone", "team-gone", AlertLevel.BREACH));
        d.send(Topics.ALERTS_SLA_BREACH, "f-refused", breach("f-refused", "team-refused", AlertLevel.BREACH));

        await("the flaky endpoint accepts the alert", () -> !receiver.accepted(d.path("flaky")).isEmpty());
        // connection refused until the endpoint comes up; then the retry gets through
        await("a retry after connection refused", () -> counter(d, "handoff_alerter_retries_total", "target=\"refused\"") >= 1);
        try (Receiver late = new Receiver(closedPort)) {
            await("the refused endpoint, once up, gets the alert", () -> !late.accepted("/refused").isEmpty());
            assertEquals(1, late.accepted("/refused").size());
        }
        await("the 410 is dead-lettered", () -> d.committed(Topics.DEADLETTER).stream().anyMatch(x -> x.getReason().contains("410")));

        List<Receiver.Request> flaky = receiver.requests(d.path("flaky"));
        assertEquals(4, flaky.size(), "500, timeout, 429, 200: " + flaky);
        assertEquals(1, receiver.accepted(d.path("flaky")).size(), "one key, answered 2xx once (the timed-out 200 was not waited for)");
        assertEquals(flaky.get(0).header("Idempotency-Key"), flaky.get(3).header("Idempotency-Key"), "every attempt carries the same key");

        await("the flaky delivery's receipt", () -> !d.receipts(r -> r.getFindingId().equals("f-flaky") && r.getTarget().endsWith(":flaky")).isEmpty());
        List<NotificationDispatched> receipts = d.receipts(r -> r.getFindingId().equals("f-flaky") && r.getTarget().endsWith(":flaky"));
        assertEquals(1, receipts.size(), receipts.toString());
        assertEquals(DispatchOutcome.DELIVERED, receipts.get(0).getOutcome());
        assertEquals(4, receipts.get(0).getAttempts());
        assertEquals(DispatchKind.SLA_ALERT, receipts.get(0).getKind());

        assertEquals(1, receiver.requests(d.path("gone")).size(), "a 410 is not retried");
        DeadLetter dl = d.committed(Topics.DEADLETTER).stream().filter(x -> x.getReason().contains("410")).findFirst().orElseThrow();
        assertEquals(DeadLetterKind.DELIVERY_FAILED, dl.getErrorKind());
        assertEquals("channel_is_archived", dl.getHeaders().get("response"));
        assertEquals("410", dl.getHeaders().get("http_status"));
        await("the failed delivery's receipt", () -> !d.receipts(r -> r.getFindingId().equals("f-gone")).isEmpty());
        assertEquals(DispatchOutcome.FAILED, d.receipts(r -> r.getFindingId().equals("f-gone") && r.getTarget().endsWith(":gone")).get(0).getOutcome());
        // the SOC channel got all three at once, unaffected by the slow and failing endpoints
        assertEquals(3, receiver.accepted(d.path("soc")).size());
    }

    @Test
    void theSameAlertIsDeliveredOnceAndBadInputGoesToTheDeadLetterTopic() throws Exception {
        Deployment d = deployment(Map.of()).startAlerter();
        SlaBreach b = breach("f-dup", "team-a", AlertLevel.WARNING);
        d.send(Topics.ALERTS_SLA_BREACH, "f-dup", b);
        d.sendRaw(Topics.NOTIFY_REQUESTS, "u-x", "not avro at all".getBytes());
        d.send(Topics.ALERTS_SLA_BREACH, "f-dup", b);
        SlaBreach other = SlaBreach.newBuilder(b).setAlertId(b.getAlertId() + "-r1").setLevel(AlertLevel.REMINDER).setReminderNumber(1).build();
        d.send(Topics.ALERTS_SLA_BREACH, "f-dup", other);
        await("both distinct alerts delivered", () -> receiver.accepted(d.path("soc")).size() == 2);
        await("the garbage is dead-lettered", () -> d.committed(Topics.DEADLETTER).stream()
                .anyMatch(x -> x.getErrorKind() == DeadLetterKind.DESERIALIZATION));
        assertEquals(2, receiver.requests(d.path("soc")).size(), "the repeated breach was not sent again");
        assertTrue(counter(d, "handoff_alerter_deduplicated_total", "") >= 1);
        DeadLetter bad = d.committed(Topics.DEADLETTER).stream().filter(x -> x.getErrorKind() == DeadLetterKind.DESERIALIZATION).findFirst().orElseThrow();
        assertEquals("not avro at all", new String(bad.getOriginalValue().array()));
        assertEquals(d.topics.name(Topics.NOTIFY_REQUESTS), bad.getOriginalTopic());
    }

    @Test
    void mediumNotificationsAreBatchedIntoOneDigestPerOwner() throws Exception {
        Deployment d = deployment(Map.of("alerter.digest.interval", "PT2S", "alerter.digest.bands", "medium,low"));
        d.send(Topics.OWNERS, "u-dana", owner("u-dana", "Dana", "dana@example.com", "team-a"));
        d.startAlerter();
        for (int i = 0; i < 3; i++) {
            d.send(Topics.NOTIFY_REQUESTS, "u-dana", notification("f-med-" + i, "u-dana", "team-a", SeverityBand.MEDIUM));
        }
        d.send(Topics.NOTIFY_REQUESTS, "u-dana", notification("f-crit", "u-dana", "team-a", SeverityBand.CRITICAL));
        await("one digest and one immediate notification", () -> receiver.accepted(d.path("owner")).size() == 2);
        List<JsonNode> bodies = new ArrayList<>();
        for (Receiver.Request r : receiver.requests(d.path("owner"))) {
            bodies.add(JSON.readTree(r.body()));
        }
        JsonNode digest = bodies.stream().filter(b -> b.path("kind").asText().equals("DIGEST")).findFirst().orElseThrow();
        assertEquals(3, digest.path("items").size(), digest.toString());
        assertEquals("u-dana", digest.path("recipient").path("owner_id").asText());
        JsonNode single = bodies.stream().filter(b -> b.path("kind").asText().equals("OWNER_NOTIFICATION")).findFirst().orElseThrow();
        String link = single.path("items").get(0).path("ack_link").asText();
        assertTrue(link.startsWith("https://handoff.example.com/v1/ack/"), link);
        AckLinks.Claims claims = new AckLinks(ACK_SECRET).verify(link.substring(link.lastIndexOf('/') + 1), Instant.now());
        assertEquals("f-crit", claims.findingId());
        assertEquals("u-dana", claims.ownerId());

        await("a receipt per finding of the digest", () -> d.receipts(r -> r.getKind() == DispatchKind.DIGEST).size() >= 3);
        List<NotificationDispatched> receipts = d.receipts(r -> r.getKind() == DispatchKind.DIGEST);
        assertEquals(3, receipts.size(), "one receipt per finding of the digest: " + receipts);
        assertTrue(receipts.stream().allMatch(r -> r.getDigestSize() == 3 && "u-dana".equals(r.getOwnerId())));
    }

    @Test
    void anUnacknowledgedNotificationEscalatesAlongTheChainUntilAnAcknowledgementStopsIt() throws Exception {
        Deployment d = deployment(Map.of("alerter.escalation.after", "PT1S", "alerter.escalation.loops", "2"));
        d.send(Topics.TEAMS, "team-esc", Team.newBuilder().setEventId("t1").setEventTime(Instant.now()).setRecordedTime(Instant.now())
                .setSource("it").setTeamId("team-esc").setName("Payments").setEscalationChain(List.of("u-lead", "u-cto")).build());
        d.send(Topics.OWNERS, "u-lead", owner("u-lead", "Lee Lead", "lee@example.com", "team-esc"));
        d.startAlerter();
        d.send(Topics.NOTIFY_REQUESTS, "u-eve", notification("f-esc", "u-eve", "team-esc", SeverityBand.CRITICAL));
        await("the owner and then the first escalation step", () -> kinds(d).contains("ESCALATION"));
        JsonNode first = escalations(d).get(0);
        assertEquals("u-lead", first.path("recipient").path("owner_id").asText(), first.toString());
        String link = first.path("items").get(0).path("ack_link").asText();
        assertEquals("u-lead", new AckLinks(ACK_SECRET).verify(link.substring(link.lastIndexOf('/') + 1), Instant.now()).ownerId(),
                "the escalation carries a link for the step's owner");

        d.send(Topics.FINDINGS_STATE, "f-esc", acknowledged("f-esc", "u-eve"));
        await("the acknowledgement stops the escalation", () -> counter(d, "handoff_alerter_escalations_total", "outcome=\"stopped-by-ack\"") >= 1);
        // The timer is gone from the schedule: nothing is left that could escalate again.
        await("the escalation timer is deleted and no escalation waits for delivery", () -> pending(d).stream().noneMatch(j ->
                j.type() == Job.Type.ESCALATION || j.type() == Job.Type.DELIVERY && j.alert().kind() == DispatchKind.ESCALATION));
        int sent = escalations(d).size();
        await("the last escalation's receipt", () -> d.receipts(r -> r.getKind() == DispatchKind.ESCALATION).size() >= sent);
        assertEquals(sent, escalations(d).size(), "no escalation after the acknowledgement");
        assertTrue(sent <= 2, "at most the steps before the ack: " + sent);
        await("escalation receipts", () -> d.receipts(r -> r.getKind() == DispatchKind.ESCALATION).size() >= sent);
        List<NotificationDispatched> receipts = d.receipts(r -> r.getKind() == DispatchKind.ESCALATION);
        assertEquals(sent, receipts.size());
        assertEquals(1, receipts.get(0).getEscalationStep());
    }

    @Test
    void aPagerDutyIncidentTriggeredByABreachIsResolvedByTheAcknowledgement() throws Exception {
        Deployment d = deployment(Map.of("alerter.target.pd.type", "pagerduty", "alerter.target.pd.routing-key", "R0UT1NGKEY0123456789",
                "alerter.route.page.kinds", "sla", "alerter.route.page.bands", "critical", "alerter.route.page.targets", "pd"));
        d.config.put("alerter.target.pd.url", receiver.url(d.path("pd")).toString());
        d.config.put("alerter.metrics.port", "0");
        receiver.script(d.path("pd"), n -> new Receiver.Answer(202, null, 0, "{\"status\":\"success\"}"));
        d.startAlerter();
        d.send(Topics.ALERTS_SLA_BREACH, "f-pd", breach("f-pd", "team-a", AlertLevel.BREACH));
        await("the incident is triggered", () -> receiver.requests(d.path("pd")).size() == 1);
        JsonNode trigger = JSON.readTree(receiver.requests(d.path("pd")).get(0).body());
        assertEquals("trigger", trigger.path("event_action").asText());
        assertEquals("R0UT1NGKEY0123456789", trigger.path("routing_key").asText());
        assertEquals("critical", trigger.path("payload").path("severity").asText());
        await("the trigger is recorded", () -> pending(d).stream().anyMatch(j -> j.type() == Job.Type.DONE && "pd".equals(j.target())));

        d.send(Topics.FINDINGS_STATE, "f-pd", acknowledged("f-pd", "u-ana"));
        await("the acknowledgement resolves it", () -> receiver.requests(d.path("pd")).size() == 2);
        JsonNode resolve = JSON.readTree(receiver.requests(d.path("pd")).get(1).body());
        assertEquals("resolve", resolve.path("event_action").asText());
        assertEquals(trigger.path("dedup_key").asText(), resolve.path("dedup_key").asText(), "the same incident");
        assertEquals(1, receiver.accepted(d.path("soc")).size(), "the SOC channel got the breach, and no resolve");

        await("the resolve's outcome is recorded", () -> counter(d, "handoff_alerter_deliveries_total", "target=\"pd\"") >= 2);
        java.net.http.HttpResponse<String> metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + d.alerter.metricsPort() + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("handoff_alerter_deliveries_total{channel=\"pagerduty\",kind=\"sla_alert\",outcome=\"delivered\",target=\"pd\"} 2.0"),
                "the trigger and the resolve, by channel and outcome:\n" + metrics.body());
        assertTrue(metrics.body().contains("kafka_consumer_fetch_manager_records_lag_max"), "the queue lag");
        assertTrue(metrics.body().contains("handoff_alerter_delivery_seconds_count{channel=\"pagerduty\"}"));
    }

    @Test
    void aRestartMidStreamLosesNothingAndDeliversNothingTwice() throws Exception {
        Deployment d = deployment(Map.of("alerter.target.concurrency", "2"));
        receiver.script(d.path("owner"), n -> new Receiver.Answer(200, null, 150, "ok"));
        d.startAlerter();
        int n = 40;
        for (int i = 0; i < n; i++) {
            d.send(Topics.NOTIFY_REQUESTS, "u-" + (i % 5), notification("f-rs-" + i, "u-" + (i % 5), "team-a", SeverityBand.HIGH));
        }
        await("some but not all delivered", () -> receiver.accepted(d.path("owner")).size() >= 8);
        int before = receiver.accepted(d.path("owner")).size();
        d.stopAlerter();
        assertTrue(before < n, "the restart happens mid-stream: " + before + " of " + n);
        d.startAlerter();
        await("all delivered after the restart", () -> receiver.accepted(d.path("owner")).size() == n);
        await("a receipt for each", () -> d.receipts(r -> r.getFindingId().startsWith("f-rs-")).size() >= n);
        List<NotificationDispatched> receipts = d.receipts(r -> r.getFindingId().startsWith("f-rs-"));
        assertEquals(n, receipts.size(), "one receipt per notification, none twice");
        assertEquals(n, receipts.stream().map(NotificationDispatched::getFindingId).distinct().count());
        int posts = receiver.requests(d.path("owner")).size();
        assertTrue(posts - n <= 2 * 2, "re-sends only of the attempts in flight at the stop (concurrency 2): " + posts);
    }

    @Test
    void mediumNotificationsOutsideTheOwnersWorkingHoursWaitForTheNextWorkingPeriod() throws Exception {
        // A calendar whose only working day is tomorrow: now is outside working hours whatever the time of day.
        java.time.DayOfWeek tomorrow = java.time.LocalDate.now(java.time.ZoneOffset.UTC).plusDays(1).getDayOfWeek();
        Deployment d = deployment(Map.of("alerter.quiet.bands", "medium,low", "alerter.calendar.work-days", tomorrow.name(),
                "alerter.calendar.zone", "UTC"));
        d.send(Topics.OWNERS, "u-quiet", owner("u-quiet", "Quinn", "quinn@example.com", "team-a"));
        d.startAlerter();
        d.send(Topics.NOTIFY_REQUESTS, "u-quiet", notification("f-quiet-med", "u-quiet", "team-a", SeverityBand.MEDIUM));
        d.send(Topics.NOTIFY_REQUESTS, "u-quiet", notification("f-quiet-crit", "u-quiet", "team-a", SeverityBand.CRITICAL));
        await("the critical one goes out at once", () -> receiver.accepted(d.path("owner")).size() == 1);
        Job held = await("the medium one is held in the schedule", () -> pending(d).stream()
                .filter(j -> j.type() == Job.Type.DELIVERY && j.alert().first().findingId().equals("f-quiet-med")).findFirst());
        Instant expected = java.time.LocalDate.now(java.time.ZoneOffset.UTC).plusDays(1).atTime(9, 0).toInstant(java.time.ZoneOffset.UTC);
        assertEquals(expected, Instant.ofEpochMilli(held.due()), "due at the start of the next working period");
        assertEquals(1, receiver.accepted(d.path("owner")).size(), "the medium notification was not sent");
    }

    private List<Job> pending(Deployment d) {
        Map<String, Job> latest = new java.util.LinkedHashMap<>();
        readCommitted(AlerterTopics.pending(d.topics), (k, v) -> latest.put(k, v == null ? null : Job.fromBytes(v)));
        return latest.values().stream().filter(java.util.Objects::nonNull).toList();
    }

    /** Everything committed on {@code topic} up to now: all partitions from the start to their last stable offset. */
    private void readCommitted(String topic, java.util.function.BiConsumer<String, byte[]> each) {
        Properties p = kafka.clientProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<org.apache.kafka.common.TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<org.apache.kafka.common.TopicPartition, Long> end = c.endOffsets(parts);
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (System.nanoTime() > until) {
                    fail("could not read " + topic + " to its end");
                }
                c.poll(Duration.ofMillis(100)).forEach(r -> each.accept(r.key(), r.value()));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private List<String> kinds(Deployment d) {
        List<String> out = new ArrayList<>();
        for (Receiver.Request r : receiver.requests(d.path("owner"))) {
            try {
                out.add(JSON.readTree(r.body()).path("kind").asText());
            } catch (Exception e) {
                fail(e);
            }
        }
        return out;
    }

    private List<JsonNode> escalations(Deployment d) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (Receiver.Request r : receiver.requests(d.path("owner"))) {
            JsonNode b = JSON.readTree(r.body());
            if (b.path("kind").asText().equals("ESCALATION") && r.status() == 200) {
                out.add(b);
            }
        }
        return out;
    }

    private static double counter(Deployment d, String name, String labels) {
        double sum = 0;
        for (String line : d.alerter.registry().scrape().split("\n")) {
            if (line.startsWith(name) && line.contains(labels) && !line.startsWith("#")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static <T> T await(String what, java.util.function.Supplier<java.util.Optional<T>> probe) throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (true) {
            java.util.Optional<T> v = probe.get();
            if (v.isPresent()) {
                return v.get();
            }
            if (System.nanoTime() > until) {
                fail("gave up waiting after " + WAIT.toSeconds() + " s for: " + what);
            }
            Thread.sleep(100);
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                fail("gave up waiting after " + WAIT.toSeconds() + " s for: " + what);
            }
            Thread.sleep(100);
        }
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }

    static SlaBreach breach(String findingId, String teamId, AlertLevel level) {
        Instant deadline = now().minus(Duration.ofHours(1));
        return SlaBreach.newBuilder().setEventId("e-" + UUID.randomUUID()).setEventTime(now()).setRecordedTime(now()).setSource("it")
                .setAlertId("alert-" + findingId + "-" + level).setFindingId(findingId).setSla(SlaKind.HANDOFF).setLevel(level)
                .setDeadline(deadline).setResponsible(ResponsibleSide.ENGINEERING).setBand(SeverityBand.CRITICAL)
                .setTitle("OpenSSL in " + findingId).setTeamId(teamId).setCapturedAt(deadline.minus(Duration.ofHours(4))).build();
    }

    static OwnerNotification notification(String findingId, String ownerId, String teamId, SeverityBand band) {
        return OwnerNotification.newBuilder().setEventId("e-" + UUID.randomUUID()).setEventTime(now()).setRecordedTime(now())
                .setSource("it").setNotificationId("n-" + findingId).setFindingId(findingId).setOwnerId(ownerId).setTeamId(teamId)
                .setReason(NotificationReason.NEW_FINDING).setBand(band).setTitle("Finding " + findingId)
                .setHandoffDeadline(now().plus(Duration.ofHours(4))).build();
    }

    static Owner owner(String id, String name, String email, String teamId) {
        return Owner.newBuilder().setEventId("o-" + id).setEventTime(now()).setRecordedTime(now()).setSource("it").setOwnerId(id)
                .setDisplayName(name).setEmail(email).setActive(true).setKind(OwnerKind.PERSON).setTeamId(teamId)
                .setChannels(List.of(new ChannelAddress(ChannelType.EMAIL, email))).build();
    }

    static FindingState acknowledged(String findingId, String by) {
        return FindingState.newBuilder().setEventId("s-" + UUID.randomUUID()).setEventTime(now()).setRecordedTime(now()).setSource("it")
                .setFindingId(findingId).setStatus(FindingStatus.ACKNOWLEDGED).setOrigin(CaptureOrigin.FIRST_TIME).setTitle("t")
                .setSourceTool(SourceTool.newBuilder().setName("trivy").build()).setTarget(FindingTarget.newBuilder().build())
                .setScannerBand(SeverityBand.CRITICAL).setBand(SeverityBand.CRITICAL).setCapturedAt(now().minus(Duration.ofHours(1)))
                .setAcknowledgedAt(now()).setAcknowledgedBy(by).build();
    }
}

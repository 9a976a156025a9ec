package dev.handoff.alerter;

import dev.handoff.alerter.channel.Channel;
import dev.handoff.alerter.channel.DeliveryResult;
import dev.handoff.alerter.channel.Target;
import dev.handoff.avro.DeadLetter;
import dev.handoff.avro.DeadLetterKind;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.DispatchOutcome;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.FindingStatus;
import dev.handoff.avro.NotificationDispatched;
import dev.handoff.avro.Owner;
import dev.handoff.avro.OwnerNotification;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SlaBreach;
import dev.handoff.avro.Team;
import dev.handoff.avro.UnroutedEvent;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.calendar.WorkCalendar;
import dev.handoff.schemas.kafka.CompactedTopicMirror;
import dev.handoff.schemas.kafka.KafkaClientSettings;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The alerter's engine: one consume-deliver-record loop per instance.
 *
 * <p><b>Inputs</b> ({@code notify.requests}, {@code alerts.sla-breach}, {@code alerts.unrouted}, {@code findings.state},
 * read_committed) become entries of the schedule (see {@link Job}) in the same Kafka transaction that commits their
 * offsets. Due deliveries are first marked in flight (committed), then attempted off this thread ({@link Deliveries});
 * their outcome (a done marker, receipts on {@code notifications.receipts}, a dead letter, or the next retry time) is
 * committed by a later transaction. So a crash loses nothing: an input not committed is read again, a delivery not
 * recorded is attempted again. A delivery that was in flight at a crash is re-sent; PagerDuty and webhooks drop the
 * repeat by its dedup key / {@code Idempotency-Key}, and for chat and e-mail it is counted as a possible duplicate.
 *
 * <p><b>Ownership</b>: the schedule topic has the partition count of the inputs, and the consumer uses the range
 * assignor, so the instance owning partition p of the inputs owns partition p of the schedule. On assignment it reads
 * its schedule partitions from the beginning (they are compacted) before it processes any input.
 */
public final class Dispatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    private static final String SEQ_HEADER = "handoff-alerter-seq";
    private static final int REMEMBERED_STATES = 200_000;

    private final AlerterSettings settings;
    private final Topics topics;
    private final Alerts alerts;
    private final Deliveries deliveries;
    private final AlerterMetrics metrics;
    private final Clock clock;
    private final CompactedTopicMirror<Owner> owners;
    private final CompactedTopicMirror<Team> teams;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final String pendingTopic;
    private final int pendingPartitions;
    private final Map<String, TopicDef<?>> inputs = new LinkedHashMap<>();
    private final Map<Integer, PartitionState> owned = new HashMap<>();
    private final String epoch = UUID.randomUUID().toString();
    private final AtomicLong seq = new AtomicLong();
    private final Object wakeLock = new Object();
    private volatile boolean running = true;
    private volatile boolean ready;
    private Thread thread;
    private long nextCleanup;

    /** The schedule of one owned partition, in memory. */
    private static final class PartitionState {
        final Map<String, Job> jobs = new HashMap<>();
        /** Entries to act on, ordered by due time: {@code <due, 20 digits>|<id>}. */
        final TreeSet<String> byDue = new TreeSet<>();
        /** Ids of PagerDuty trigger markers by finding, for resolves on acknowledgement. */
        final Map<String, Set<String>> triggersByFinding = new HashMap<>();
        /** The latest status and acknowledgement time of findings of this partition (from findings.state). */
        final Map<String, long[]> states = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
                return size() > REMEMBERED_STATES;
            }
        };
        /** Our own writes already applied, by id: their echo from the topic is skipped. */
        final Map<String, Long> localSeq = new HashMap<>();
        long restoreEnd;
        boolean restored;
    }

    private record Write(int partition, String id, Job job, long seq) {
    }

    private final class Batch {
        final List<Write> writes = new ArrayList<>();
        final List<ProducerRecord<String, byte[]>> outputs = new ArrayList<>();
        final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        final List<Runnable> afterCommit = new ArrayList<>();
        final List<Runnable> onAbort = new ArrayList<>();
        final List<Deliveries.Completion> completions = new ArrayList<>();
        /** Ids written in this batch, so two requests in one batch are deduplicated too. */
        final Map<String, Job> written = new HashMap<>();

        void write(int partition, Job job) {
            Write w = new Write(partition, job.id(), job, seq.incrementAndGet());
            writes.add(w);
            written.put(job.id(), job);
        }

        void delete(int partition, String id) {
            writes.add(new Write(partition, id, null, seq.incrementAndGet()));
            written.put(id, null);
        }

        boolean isEmpty() {
            return writes.isEmpty() && outputs.isEmpty() && offsets.isEmpty();
        }
    }

    public Dispatcher(AlerterSettings settings, Topics topics, Map<dev.handoff.avro.ChannelType, Channel> channels,
                      io.micrometer.core.instrument.MeterRegistry registry, Clock clock) {
        this.settings = settings;
        this.topics = topics;
        this.clock = clock;
        this.alerts = new Alerts(settings.ackSecret(), settings.ackBaseUrl(), settings.ackTtl());
        this.metrics = new AlerterMetrics(registry);
        this.deliveries = new Deliveries(channels, settings);
        this.pendingTopic = AlerterTopics.pending(topics);
        this.pendingPartitions = AlerterTopics.ensure(settings.kafka(), topics);
        inputs.put(topics.name(Topics.NOTIFY_REQUESTS), Topics.NOTIFY_REQUESTS);
        inputs.put(topics.name(Topics.ALERTS_SLA_BREACH), Topics.ALERTS_SLA_BREACH);
        inputs.put(topics.name(Topics.ALERTS_UNROUTED), Topics.ALERTS_UNROUTED);
        inputs.put(topics.name(Topics.FINDINGS_STATE), Topics.FINDINGS_STATE);
        this.owners = new CompactedTopicMirror<>(KafkaClientSettings.properties(settings.kafka()), topics.name(Topics.OWNERS),
                topics.valueSerde(Topics.OWNERS).deserializer(), Owner::getOwnerId, Integer.MAX_VALUE, "handoff-alerter-owners");
        this.teams = new CompactedTopicMirror<>(KafkaClientSettings.properties(settings.kafka()), topics.name(Topics.TEAMS),
                topics.valueSerde(Topics.TEAMS).deserializer(), Team::getTeamId, Integer.MAX_VALUE, "handoff-alerter-teams");

        Properties c = KafkaClientSettings.properties(settings.kafka());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, settings.instanceId());
        // Static membership: an instance restarted after a crash takes its partitions straight back, instead of waiting
        // out the dead member's session (45 s) with every alert of those partitions on hold. A clean stop still leaves
        // the group (see run()), so the others take over at once as before.
        c.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, settings.instanceId());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500");
        this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        Properties p = KafkaClientSettings.properties(settings.kafka());
        // Stable per instance: a restarted instance fences its predecessor's open transaction at once.
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "handoff-alerter-" + settings.instanceId());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        new io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics(consumer).bindTo(registry);
    }

    /** Starts the loop on its own thread. */
    public Dispatcher start() {
        thread = new Thread(this::run, "alerter-dispatcher");
        thread.start();
        return this;
    }

    /** Whether every owned schedule partition is restored and the directory is loaded. */
    public boolean ready() {
        return ready;
    }

    public AlerterMetrics metrics() {
        return metrics;
    }

    private void run() {
        try {
            producer.initTransactions();
            awaitDirectory();
            List<String> subscribed = new ArrayList<>(inputs.keySet());
            subscribed.add(pendingTopic);
            consumer.subscribe(subscribed, new Rebalance());
            while (running) {
                runOnce();
            }
        } catch (WakeupException e) {
            if (running) {
                log.error("the dispatcher was woken up unexpectedly", e);
            }
        } catch (ProducerFencedException | InvalidProducerEpochException | FencedInstanceIdException e) {
            log.error("another alerter instance with id {} took over; this one stops: {}", settings.instanceId(), e.toString());
        } catch (RuntimeException e) {
            log.error("the dispatcher stopped", e);
        } finally {
            running = false;
            try {
                consumer.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                        .withTimeout(Duration.ofSeconds(5)));
            } catch (RuntimeException e) {
                log.warn("closing the consumer: {}", e.toString());
            }
            try {
                producer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.warn("closing the producer: {}", e.toString());
            }
        }
    }

    private void awaitDirectory() {
        try {
            if (!owners.awaitLoaded(Duration.ofSeconds(60)) || !teams.awaitLoaded(Duration.ofSeconds(60))) {
                log.warn("owners or teams not loaded after 60 s ({}; {}); delivering with what is known", owners.notLoadedReason(),
                        teams.notLoadedReason());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void runOnce() {
        var records = consumer.poll(Duration.ofMillis(deliveries.completed().isEmpty() ? 100 : 0));
        Batch batch = new Batch();
        long now = clock.millis();
        for (ConsumerRecord<String, byte[]> r : records) {
            if (r.topic().equals(pendingTopic)) {
                applyConsumed(r);
            } else {
                handleInput(r, batch, now);
                batch.offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
            }
        }
        checkRestored();
        drainCompletions(batch, now);
        if (ready) {
            scanDue(batch, now);
            if (now >= nextCleanup) {
                cleanup(batch, now);
                nextCleanup = now + Duration.ofHours(1).toMillis();
            }
        }
        if (!batch.isEmpty()) {
            commit(batch);
        }
        metrics.pending(owned.values().stream().mapToLong(s -> s.byDue.size()).sum());
    }

    // ------------------------------------------------------------------------------------------------ inputs

    private void handleInput(ConsumerRecord<String, byte[]> r, Batch batch, long now) {
        TopicDef<?> def = inputs.get(r.topic());
        Object value;
        try {
            if (r.value() == null) {
                return;
            }
            value = topics.valueSerde(def).deserializer().deserialize(r.topic(), r.value());
        } catch (RuntimeException e) {
            deadLetter(batch, r, DeadLetterKind.DESERIALIZATION, "cannot read a " + def.valueType().getSimpleName() + ": " + e.getMessage(), e);
            return;
        }
        try {
            if (value instanceof OwnerNotification n) {
                ownerNotification(n, r.partition(), batch, now);
            } else if (value instanceof SlaBreach b) {
                slaAlert(b, r.partition(), batch, now);
            } else if (value instanceof UnroutedEvent u) {
                unrouted(u, r.partition(), batch, now);
            } else if (value instanceof FindingState s) {
                findingState(s, r.partition(), batch, now);
            }
        } catch (RuntimeException e) {
            log.warn("cannot handle {} at {}-{}@{}: {}", def.valueType().getSimpleName(), r.topic(), r.partition(), r.offset(), e.toString());
            deadLetter(batch, r, DeadLetterKind.VALIDATION, "cannot handle the " + def.valueType().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    private void ownerNotification(OwnerNotification n, int partition, Batch batch, long now) {
        Optional<Owner> owner = owners.get(n.getOwnerId());
        Alert alert = alerts.ownerNotification(n, owner, Instant.ofEpochMilli(now));
        String zone = owner.map(Owner::getTimeZone).orElse(null);
        if (!settings.digestInterval().isZero() && settings.digestBands().contains(n.getBand())) {
            String id = Job.digestItemId(n.getOwnerId(), alert.idempotencyKey());
            if (exists(partition, id, batch)) {
                metrics.deduplicated("digest-item");
                return;
            }
            long interval = settings.digestInterval().toMillis();
            long due = quiet((now / interval + 1) * interval, zone, n.getBand());
            batch.write(partition, new Job(id, Job.Type.DIGEST_ITEM, due, 0, false, null, null, alert, null, 0, n.getTeamId(), null, now));
            return;
        }
        long due = quiet(now, zone, n.getBand());
        Job.Receipt receipt = new Job.Receipt(DispatchKind.OWNER_NOTIFICATION, n.getNotificationId(), n.getOwnerId(),
                List.of(n.getFindingId()), 0);
        deliver(alert, settings.targetsFor(AlerterSettings.Kind.OWNER, n.getTeamId(), n.getBand()), receipt, n.getTeamId(), partition,
                due, batch, now);
    }

    private void slaAlert(SlaBreach b, int partition, Batch batch, long now) {
        Alert alert = alerts.slaAlert(b);
        Job.Receipt receipt = new Job.Receipt(DispatchKind.SLA_ALERT, b.getAlertId(), null, List.of(b.getFindingId()), 0);
        deliver(alert, settings.targetsFor(AlerterSettings.Kind.SLA, b.getTeamId(), b.getBand()), receipt, b.getTeamId(), partition, now,
                batch, now);
    }

    private void unrouted(UnroutedEvent u, int partition, Batch batch, long now) {
        if (u.getKind() == dev.handoff.avro.UnroutedEventKind.LEFT && u.getFindingId() != null) {
            resolveTriggers(u.getFindingId(), "handoff/" + u.getFindingId() + "/UNROUTED", "The finding has an owner now.", partition,
                    batch, now);
            return;
        }
        if (u.getKind() == dev.handoff.avro.UnroutedEventKind.ENTERED && (u.getBand() == null || !settings.unroutedBands().contains(u.getBand()))) {
            return;
        }
        Optional<Alert> alert = alerts.unrouted(u);
        if (alert.isEmpty()) {
            return;
        }
        Job.Receipt receipt = u.getFindingId() == null ? null
                : new Job.Receipt(DispatchKind.UNROUTED_ALERT, u.getEventId(), null, List.of(u.getFindingId()), 0);
        deliver(alert.get(), settings.targetsFor(AlerterSettings.Kind.UNROUTED, null, alert.get().band()), receipt, null, partition, now,
                batch, now);
    }

    private void findingState(FindingState s, int partition, Batch batch, long now) {
        PartitionState state = owned.get(partition);
        if (state == null) {
            return;
        }
        long acked = s.getAcknowledgedAt() == null ? -1 : s.getAcknowledgedAt().toEpochMilli();
        boolean open = s.getStatus() == FindingStatus.OPEN;
        state.states.put(s.getFindingId(), new long[] {open ? 1 : 0, acked});
        if (open && acked < 0) {
            return;
        }
        String escalation = Job.escalationId(s.getFindingId());
        Job timer = current(state, escalation, batch);
        if (timer != null && stopsEscalation(state, timer)) {
            batch.delete(partition, escalation);
            metrics.escalation("stopped-by-ack");
        }
        resolveTriggers(s.getFindingId(), null, s.getAcknowledgedBy() == null ? "The finding is " + s.getStatus().name().toLowerCase()
                : "Acknowledged by " + s.getAcknowledgedBy() + ".", partition, batch, now);
    }

    /** Resolves the PagerDuty incidents this partition triggered for a finding (all, or those of one dedup key). */
    private void resolveTriggers(String findingId, String onlyDedupKey, String why, int partition, Batch batch, long now) {
        PartitionState state = owned.get(partition);
        Set<String> markers = state == null ? null : state.triggersByFinding.get(findingId);
        if (markers == null) {
            return;
        }
        for (String id : List.copyOf(markers)) {
            Job marker = state.jobs.get(id);
            if (marker == null || marker.alert() == null || marker.alert().action() != Alert.Action.TRIGGER) {
                continue;
            }
            if (onlyDedupKey != null ? !onlyDedupKey.equals(marker.alert().dedupKey()) : marker.alert().dedupKey().endsWith("/UNROUTED")) {
                continue;
            }
            Alert resolve = Alerts.resolve(marker.alert(), why, Instant.ofEpochMilli(now));
            Target target = settings.targets().get(marker.target());
            if (target != null && !exists(partition, Job.deliveryId(resolve.idempotencyKey(), target.name()), batch)) {
                batch.write(partition, Job.delivery(resolve, target.name(), target.type(), null, null, now, now));
            }
        }
    }

    /** Schedules delivery of {@code alert} to each target, once per (idempotency key, target). */
    private void deliver(Alert alert, List<Target> targets, Job.Receipt receipt, String teamId, int partition, long due, Batch batch,
                         long now) {
        if (targets.isEmpty()) {
            log.warn("no target is configured for {} (team {}, band {}); see alerter.owner.targets, alerter.soc.targets, "
                    + "alerter.unrouted.targets and alerter.route.*", alert.kind(), teamId, alert.band());
            metrics.deduplicated("no-target");
            return;
        }
        for (Target t : targets) {
            String id = Job.deliveryId(alert.idempotencyKey(), t.name());
            if (exists(partition, id, batch)) {
                metrics.deduplicated(alert.kind().name().toLowerCase());
                continue;
            }
            batch.write(partition, Job.delivery(alert, t.name(), t.type(), receipt, teamId, due, now));
        }
    }

    // ------------------------------------------------------------------------------------------------ outcomes

    private void drainCompletions(Batch batch, long now) {
        for (Deliveries.Completion c; (c = deliveries.completed().poll()) != null; ) {
            batch.completions.add(c);
            PartitionState state = owned.get(c.partition());
            Job job = state == null ? null : state.jobs.get(c.jobId());
            if (job == null || !job.inflight() || job.attempts() != c.attempt()) {
                continue;
            }
            Target target = settings.targets().get(job.target());
            if (target == null) {
                continue;
            }
            metrics.attempt(target, c.tookMillis());
            DeliveryResult result = c.result();
            if (result instanceof DeliveryResult.Delivered) {
                batch.write(c.partition(), job.done("DELIVERED", now));
                metrics.delivered(target, job.alert().kind().name().toLowerCase(), "delivered");
                receipts(job, DispatchOutcome.DELIVERED, batch, now);
                startEscalation(job, batch, now);
            } else if (result instanceof DeliveryResult.Retry retry) {
                {
                    if (job.attempts() >= settings.retryAttempts()) {
                        giveUp(job, target, "gave up after " + job.attempts() + " attempts; last: " + retry.reason(), null, c.partition(), batch, now);
                    } else {
                        long backoff = backoff(job.attempts(), retry.retryAfter().orElse(Duration.ZERO));
                        batch.write(c.partition(), job.retryAt(now + backoff));
                        metrics.retry(target, retry.retryAfter().isPresent() ? "rate-limited" : "transient");
                        log.info("delivery {} to {} will be retried in {} ms (attempt {}): {}", job.alert().alertId(), target, backoff,
                                job.attempts(), retry.reason());
                    }
                }
            } else if (result instanceof DeliveryResult.Failed failed) {
                giveUp(job, target, failed.reason(), failed, c.partition(), batch, now);
            }
        }
    }

    private void giveUp(Job job, Target target, String reason, DeliveryResult.Failed failed, int partition, Batch batch, long now) {
        log.warn("delivery {} to {} failed for good: {}", job.alert().alertId(), target, reason);
        batch.write(partition, job.done("FAILED", now));
        metrics.delivered(target, job.alert().kind().name().toLowerCase(), "failed");
        receipts(job, DispatchOutcome.FAILED, batch, now);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("target", target.toString());
        headers.put("idempotency_key", job.alert().idempotencyKey());
        headers.put("attempts", Integer.toString(job.attempts()));
        if (failed != null && failed.status() > 0) {
            headers.put("http_status", Integer.toString(failed.status()));
            headers.put("response", failed.response());
        }
        String key = job.alert().first() == null ? job.alert().alertId() : job.alert().first().findingId();
        DeadLetter dl = DeadLetter.newBuilder()
                .setEventId("dl-" + UUID.randomUUID())
                .setEventTime(Instant.ofEpochMilli(now))
                .setRecordedTime(Instant.ofEpochMilli(now))
                .setSource("sla-alerter/" + settings.instanceId())
                .setReason("delivery to " + target + " failed: " + reason)
                .setErrorKind(DeadLetterKind.DELIVERY_FAILED)
                .setException(null)
                .setOriginalTopic(pendingTopic)
                .setOriginalPartition(partition)
                .setOriginalOffset(null)
                .setOriginalKey(java.nio.ByteBuffer.wrap(job.id().getBytes(StandardCharsets.UTF_8)))
                .setOriginalValue(java.nio.ByteBuffer.wrap(job.toBytes()))
                .setHeaders(headers)
                .build();
        String topic = topics.name(Topics.DEADLETTER);
        batch.outputs.add(new ProducerRecord<>(topic, key, topics.valueSerde(Topics.DEADLETTER).serializer().serialize(topic, dl)));
    }

    private void receipts(Job job, DispatchOutcome outcome, Batch batch, long now) {
        Job.Receipt r = job.receipt();
        if (r == null) {
            return;
        }
        String topic = topics.name(Topics.NOTIFICATIONS_RECEIPTS);
        // In a replay of past events the delivery is dated at the request, so stage 4 falls between routing and the
        // acknowledgement on the replayed timeline instead of at the wall-clock moment of the replay.
        Instant at = settings.receiptAtRequestTime() ? job.alert().occurredAt() : Instant.ofEpochMilli(now);
        for (String findingId : r.findingIds()) {
            NotificationDispatched d = NotificationDispatched.newBuilder()
                    .setEventId("dsp-" + Alerts.hash(job.id() + "|" + findingId + "|" + outcome))
                    .setEventTime(at)
                    .setRecordedTime(Instant.ofEpochMilli(now))
                    .setSource("sla-alerter/" + settings.instanceId())
                    .setFindingId(findingId)
                    .setNotificationId(r.notificationId())
                    .setKind(r.kind())
                    .setOwnerId(r.ownerId())
                    .setChannel(job.channel())
                    .setTarget(job.channel().name().toLowerCase() + ":" + job.target())
                    .setOutcome(outcome)
                    .setAttempts(job.attempts())
                    .setIdempotencyKey(job.alert().idempotencyKey())
                    .setDigestSize(r.findingIds().size())
                    .setEscalationStep(r.escalationStep())
                    .build();
            batch.outputs.add(new ProducerRecord<>(topic, findingId, topics.valueSerde(Topics.NOTIFICATIONS_RECEIPTS).serializer().serialize(topic, d)));
        }
    }

    /** After an owner notification or digest reached its owner: the escalation timer of each finding. */
    private void startEscalation(Job job, Batch batch, long now) {
        Job.Receipt r = job.receipt();
        if (r == null || settings.escalationAfter().isZero() || settings.escalationLoops() == 0
                || (r.kind() != DispatchKind.OWNER_NOTIFICATION && r.kind() != DispatchKind.DIGEST)) {
            return;
        }
        for (Alert.Item item : job.alert().items()) {
            Alert single = new Alert(DispatchKind.OWNER_NOTIFICATION, Alert.Action.TRIGGER, r.notificationId(), job.alert().idempotencyKey(),
                    "handoff/" + item.findingId() + "/OWNER", job.alert().headline(), job.alert().summary(), item.band(),
                    Instant.ofEpochMilli(now), job.alert().recipient(), List.of(item), null);
            int p = partitionOf(item.findingId());
            String id = Job.escalationId(item.findingId());
            Job timer = new Job(id, Job.Type.ESCALATION, now + settings.escalationAfter().toMillis(), 0, false, null, null, single, null, 1,
                    job.teamId(), null, now);
            batch.write(p, timer);
        }
    }

    // ------------------------------------------------------------------------------------------------ due entries

    private void scanDue(Batch batch, long now) {
        for (Map.Entry<Integer, PartitionState> e : owned.entrySet()) {
            int partition = e.getKey();
            PartitionState state = e.getValue();
            String bound = String.format("%020d|", now + 1);
            List<String> due = new ArrayList<>(state.byDue.headSet(bound));
            Map<String, List<Job>> digests = new LinkedHashMap<>();
            for (String entry : due) {
                String id = entry.substring(21);
                Job job = state.jobs.get(id);
                if (job == null || batch.written.containsKey(id)) {
                    continue;
                }
                switch (job.type()) {
                    case DELIVERY -> startDelivery(job, partition, batch, now);
                    case DIGEST_ITEM -> digests.computeIfAbsent(job.alert().recipient().ownerId(), k -> new ArrayList<>()).add(job);
                    case ESCALATION -> escalate(job, partition, state, batch, now);
                    case DONE -> {
                    }
                }
            }
            digests.forEach((ownerId, items) -> flushDigest(ownerId, items, partition, batch, now));
        }
    }

    private void startDelivery(Job job, int partition, Batch batch, long now) {
        Target target = settings.targets().get(job.target());
        if (target == null) {
            giveUp(job, new Target(job.target(), job.channel(), null, null, null, List.of(), Duration.ZERO, 0),
                    "the target is no longer configured", null, partition, batch, now);
            return;
        }
        if (deliveries.mayStart(target) != null) {
            return;
        }
        if (job.inflight()) {
            Channel channel = deliveries.channel(target.type());
            if (channel == null || !channel.endpointDeduplicates()) {
                metrics.possibleDuplicate(target);
                log.warn("re-sending {} to {}: an attempt was in flight when the alerter stopped; the recipient may see it twice",
                        job.alert().alertId(), target);
            }
        }
        Job attempt = job.attempting(now);
        batch.write(partition, attempt);
        batch.afterCommit.add(() -> deliveries.start(target, attempt.alert(), attempt.id(), partition, attempt.attempts()));
        batch.onAbort.add(() -> deliveries.release(target));
    }

    private void flushDigest(String ownerId, List<Job> items, int partition, Batch batch, long now) {
        Optional<Owner> owner = owners.get(ownerId);
        List<Alert> held = items.stream().map(Job::alert).toList();
        String teamId = items.get(0).teamId();
        Alert alert;
        Job.Receipt receipt;
        List<String> findings = held.stream().map(a -> a.first().findingId()).toList();
        if (held.size() == 1) {
            alert = held.get(0);
            receipt = new Job.Receipt(DispatchKind.OWNER_NOTIFICATION, alert.alertId(), ownerId, findings, 0);
        } else {
            alert = alerts.digest(ownerId, owner, held, now);
            receipt = new Job.Receipt(DispatchKind.DIGEST, alert.alertId(), ownerId, findings, 0);
            metrics.digest(held.size());
        }
        deliver(alert, settings.targetsFor(AlerterSettings.Kind.OWNER, teamId, alert.band()), receipt, teamId, partition, now, batch, now);
        for (Job item : items) {
            batch.write(partition, new Job(item.id(), Job.Type.DONE, now, 0, false, null, null, null, null, 0, null, "DIGESTED", now));
        }
    }

    private void escalate(Job timer, int partition, PartitionState state, Batch batch, long now) {
        if (stopsEscalation(state, timer)) {
            batch.delete(partition, timer.id());
            metrics.escalation("stopped-by-ack");
            return;
        }
        Optional<Team> team = timer.teamId() == null ? Optional.empty() : teams.get(timer.teamId());
        List<String> chain = team.map(Team::getEscalationChain).orElse(List.of());
        int step = timer.step();
        if (chain.isEmpty() || step > chain.size() * settings.escalationLoops()) {
            batch.delete(partition, timer.id());
            metrics.escalation(chain.isEmpty() ? "no-chain" : "exhausted");
            return;
        }
        String stepOwner = chain.get((step - 1) % chain.size());
        Alert alert = alerts.escalation(timer.alert(), step, stepOwner, owners.get(stepOwner), Instant.ofEpochMilli(now));
        Job.Receipt receipt = new Job.Receipt(DispatchKind.ESCALATION, alert.alertId(), stepOwner, List.of(alert.first().findingId()), step);
        deliver(alert, settings.targetsFor(AlerterSettings.Kind.ESCALATION, timer.teamId(), alert.band()), receipt, timer.teamId(), partition,
                now, batch, now);
        batch.write(partition, new Job(timer.id(), Job.Type.ESCALATION, now + settings.escalationAfter().toMillis(), 0, false, null, null,
                timer.alert(), null, step + 1, timer.teamId(), null, timer.createdAt()));
        metrics.escalation("sent");
    }

    /** Whether the finding was acknowledged (or closed) after the notification the timer escalates was requested. */
    private static boolean stopsEscalation(PartitionState state, Job timer) {
        long[] s = state.states.get(timer.alert().first().findingId());
        if (s == null) {
            return false;
        }
        boolean open = s[0] == 1;
        long acked = s[1];
        return !open || acked >= timer.alert().occurredAt().toEpochMilli() - Duration.ofMinutes(1).toMillis();
    }

    private void cleanup(Batch batch, long now) {
        long cutoff = now - settings.dedupRetention().toMillis();
        for (Map.Entry<Integer, PartitionState> e : owned.entrySet()) {
            for (Job job : e.getValue().jobs.values()) {
                if (job.type() == Job.Type.DONE && job.createdAt() < cutoff && !batch.written.containsKey(job.id())) {
                    batch.delete(e.getKey(), job.id());
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ state

    private void commit(Batch batch) {
        try {
            producer.beginTransaction();
            for (Write w : batch.writes) {
                RecordHeaders headers = new RecordHeaders();
                headers.add(SEQ_HEADER, (epoch + "/" + w.seq()).getBytes(StandardCharsets.UTF_8));
                producer.send(new ProducerRecord<>(pendingTopic, w.partition(), w.id(), w.job() == null ? null : w.job().toBytes(), headers));
            }
            batch.outputs.forEach(producer::send);
            if (!batch.offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(batch.offsets, consumer.groupMetadata());
            }
            producer.commitTransaction();
        } catch (ProducerFencedException | InvalidProducerEpochException | FencedInstanceIdException e) {
            throw e;
        } catch (KafkaException e) {
            log.warn("the transaction failed ({}); rewinding to the last committed offsets", e.toString());
            try {
                producer.abortTransaction();
            } catch (KafkaException abort) {
                log.warn("abort failed: {}", abort.toString());
            }
            batch.onAbort.forEach(Runnable::run);
            rewind(batch);
            return;
        }
        for (Write w : batch.writes) {
            PartitionState state = owned.get(w.partition());
            if (state != null) {
                state.localSeq.put(w.id(), w.seq());
                apply(state, w.id(), w.job(), false);
            }
        }
        batch.afterCommit.forEach(Runnable::run);
    }

    private void rewind(Batch batch) {
        batch.completions.forEach(deliveries.completed()::add);
        Set<TopicPartition> assigned = consumer.assignment();
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(batch.offsets.keySet()));
        for (TopicPartition tp : batch.offsets.keySet()) {
            if (!assigned.contains(tp)) {
                continue;
            }
            OffsetAndMetadata c = committed.get(tp);
            if (c != null) {
                consumer.seek(tp, c);
            } else {
                consumer.seekToBeginning(List.of(tp));
            }
        }
    }

    private void applyConsumed(ConsumerRecord<String, byte[]> r) {
        PartitionState state = owned.get(r.partition());
        if (state == null) {
            return;
        }
        Header h = r.headers().lastHeader(SEQ_HEADER);
        if (h != null) {
            String v = new String(h.value(), StandardCharsets.UTF_8);
            int slash = v.lastIndexOf('/');
            if (v.substring(0, slash).equals(epoch)) {
                long s = Long.parseLong(v.substring(slash + 1));
                Long local = state.localSeq.get(r.key());
                if (local != null) {
                    if (s >= local) {
                        state.localSeq.remove(r.key());
                    }
                    return;
                }
            }
        }
        Job job;
        try {
            job = r.value() == null ? null : Job.fromBytes(r.value());
        } catch (RuntimeException e) {
            log.warn("skipping an unreadable schedule entry {} at {}-{}@{}: {}", r.key(), r.topic(), r.partition(), r.offset(), e.toString());
            return;
        }
        apply(state, r.key(), job, !state.restored);
    }

    /** Puts an entry into a partition's memory (null removes it). */
    private static void apply(PartitionState state, String id, Job job, boolean restoring) {
        Job old = job == null ? state.jobs.remove(id) : state.jobs.put(id, job);
        if (old != null) {
            state.byDue.remove(dueKey(old.due(), id));
            unindexTrigger(state, old);
        }
        if (job == null) {
            return;
        }
        if (job.type() != Job.Type.DONE && (!job.inflight() || restoring)) {
            state.byDue.add(dueKey(job.due(), id));
        }
        if (job.type() == Job.Type.DONE && job.alert() != null && job.alert().first() != null && "DELIVERED".equals(job.outcome())
                && job.alert().kind() != DispatchKind.DIGEST) {
            state.triggersByFinding.computeIfAbsent(job.alert().first().findingId(), k -> new HashSet<>()).add(id);
        }
    }

    private static void unindexTrigger(PartitionState state, Job old) {
        if (old.type() == Job.Type.DONE && old.alert() != null && old.alert().first() != null) {
            Set<String> ids = state.triggersByFinding.get(old.alert().first().findingId());
            if (ids != null) {
                ids.remove(old.id());
                if (ids.isEmpty()) {
                    state.triggersByFinding.remove(old.alert().first().findingId());
                }
            }
        }
    }

    private static String dueKey(long due, String id) {
        return String.format("%020d|%s", Math.max(0, due), id);
    }

    private boolean exists(int partition, String id, Batch batch) {
        if (batch.written.containsKey(id)) {
            return batch.written.get(id) != null;
        }
        PartitionState state = owned.get(partition);
        return state != null && state.jobs.containsKey(id);
    }

    private static Job current(PartitionState state, String id, Batch batch) {
        return batch.written.containsKey(id) ? batch.written.get(id) : state.jobs.get(id);
    }

    private void checkRestored() {
        if (ready || owned.isEmpty() && consumer.assignment().isEmpty()) {
            return;
        }
        boolean all = true;
        for (Map.Entry<Integer, PartitionState> e : owned.entrySet()) {
            PartitionState s = e.getValue();
            if (!s.restored) {
                if (consumer.position(new TopicPartition(pendingTopic, e.getKey())) >= s.restoreEnd) {
                    s.restored = true;
                } else {
                    all = false;
                }
            }
        }
        if (all) {
            ready = true;
            Set<TopicPartition> paused = consumer.paused();
            consumer.resume(paused);
            log.info("schedule restored: {} partitions, {} entries; processing inputs", owned.size(),
                    owned.values().stream().mapToInt(s -> s.jobs.size()).sum());
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            for (TopicPartition tp : partitions) {
                if (tp.topic().equals(pendingTopic)) {
                    owned.remove(tp.partition());
                }
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            onPartitionsRevoked(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            List<TopicPartition> schedule = partitions.stream().filter(tp -> tp.topic().equals(pendingTopic)).toList();
            if (schedule.isEmpty()) {
                return;
            }
            consumer.seekToBeginning(schedule);
            Map<TopicPartition, Long> end = consumer.endOffsets(schedule);
            for (TopicPartition tp : schedule) {
                PartitionState s = new PartitionState();
                s.restoreEnd = end.getOrDefault(tp, 0L);
                owned.put(tp.partition(), s);
            }
            ready = false;
            consumer.pause(consumer.assignment().stream().filter(tp -> !tp.topic().equals(pendingTopic)).toList());
            log.info("restoring {} schedule partitions before processing inputs", schedule.size());
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private long quiet(long at, String ownerZone, SeverityBand band) {
        if (!settings.quietBands().contains(band)) {
            return at;
        }
        WorkCalendar calendar = settings.calendarFor(ownerZone);
        Instant t = Instant.ofEpochMilli(at);
        return calendar.isWorkingTime(t) ? at : calendar.plusBusiness(t, Duration.ZERO).toEpochMilli();
    }

    /** Exponential back-off with jitter: initial × 2^(attempt-1), capped, times a random factor in [0.5, 1], at least {@code floor}. */
    long backoff(int attempt, Duration floor) {
        double base = Math.min(settings.retryMax().toMillis(), settings.retryInitial().toMillis() * Math.pow(2, Math.max(0, attempt - 1)));
        long jittered = (long) (base * (0.5 + 0.5 * ThreadLocalRandom.current().nextDouble()));
        return Math.max(jittered, floor.toMillis());
    }

    private int partitionOf(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % pendingPartitions;
    }

    private void deadLetter(Batch batch, ConsumerRecord<String, byte[]> r, DeadLetterKind kind, String reason, Exception e) {
        DeadLetter dl = DeadLetter.newBuilder()
                .setEventId("dl-" + UUID.randomUUID())
                .setEventTime(Instant.ofEpochMilli(clock.millis()))
                .setRecordedTime(Instant.ofEpochMilli(clock.millis()))
                .setSource("sla-alerter/" + settings.instanceId())
                .setReason(reason)
                .setErrorKind(kind)
                .setException(e == null ? null : e.getClass().getName())
                .setOriginalTopic(r.topic())
                .setOriginalPartition(r.partition())
                .setOriginalOffset(r.offset())
                .setOriginalKey(r.key() == null ? null : java.nio.ByteBuffer.wrap(r.key().getBytes(StandardCharsets.UTF_8)))
                .setOriginalValue(r.value() == null ? null : java.nio.ByteBuffer.wrap(r.value()))
                .setHeaders(Map.of())
                .build();
        String topic = topics.name(Topics.DEADLETTER);
        batch.outputs.add(new ProducerRecord<>(topic, r.key(), topics.valueSerde(Topics.DEADLETTER).serializer().serialize(topic, dl)));
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        if (thread != null) {
            try {
                thread.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        deliveries.close();
        owners.close();
        teams.close();
    }
}

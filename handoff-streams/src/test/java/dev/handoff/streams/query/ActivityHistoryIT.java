package dev.handoff.streams.query;

import dev.handoff.avro.ActivityKind;
import dev.handoff.avro.FindingActivity;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A finding's history read from {@code findings.activity} on a real broker (decision 0015): only the finding's
 * committed records from its capture on, in event-time order, each event id once; an open transaction is not waited
 * for; concurrent reads each get their own answer; a missing topic is a clear 503.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ActivityHistoryIT {

    private static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z");
    private static final String FINDING = "f1-history";
    private static final int OTHERS = 40;

    private LocalKafka kafka;
    private Topics topics;
    private String topic;
    private Serializer<FindingActivity> values;
    private ActivityHistory history;
    private KafkaProducer<String, byte[]> open;

    @BeforeAll
    void writeTheLog() throws Exception {
        kafka = LocalKafka.start();
        topics = new Topics("hist-" + UUID.randomUUID().toString().substring(0, 8) + ".", 3, new EmbeddedSchemaRegistry());
        topic = topics.name(Topics.FINDINGS_ACTIVITY);
        kafka.createTopics(List.of(new NewTopic(topic, 3, (short) 1)));
        values = topics.valueSerde(Topics.FINDINGS_ACTIVITY).serializer();

        try (KafkaProducer<String, byte[]> producer = transactional("history-writer")) {
            producer.initTransactions();
            producer.beginTransaction();
            // Written before the finding's capture: the seek by timestamp starts after it.
            send(producer, activity(FINDING, "before-capture", ActivityKind.COMMENTED, T0.minusSeconds(60)), T0.minusSeconds(60));
            send(producer, activity(FINDING, "captured", ActivityKind.CAPTURED, T0), T0);
            for (int i = 0; i < OTHERS; i++) {
                send(producer, activity("f1-other-" + i, "o" + i, ActivityKind.CAPTURED, T0.plusSeconds(i)), T0.plusSeconds(i));
            }
            // Written in log order ack-then-routed, but the routing happened first: the view sorts by event time.
            send(producer, activity(FINDING, "acked", ActivityKind.ACKNOWLEDGED, T0.plusSeconds(600)), T0.plusSeconds(600));
            send(producer, activity(FINDING, "routed", ActivityKind.ROUTED, T0.plusSeconds(60)), T0.plusSeconds(60));
            // The same entry twice (a consumer may see one twice; the schema says to deduplicate on the event id).
            send(producer, activity(FINDING, "acked", ActivityKind.ACKNOWLEDGED, T0.plusSeconds(600)), T0.plusSeconds(600));
            producer.commitTransaction();

            producer.beginTransaction();
            send(producer, activity(FINDING, "aborted", ActivityKind.COMMENTED, T0.plusSeconds(700)), T0.plusSeconds(700));
            producer.flush();
            producer.abortTransaction();
        }
        // A transaction left open: its records are not the finding's history yet, and the read must not wait for it.
        open = transactional("history-open");
        open.initTransactions();
        open.beginTransaction();
        send(open, activity(FINDING, "uncommitted", ActivityKind.COMMENTED, T0.plusSeconds(800)), T0.plusSeconds(800));
        open.flush();

        history = new ActivityHistory(kafka.clientProperties(), topic, topics.valueSerde(Topics.FINDINGS_ACTIVITY).deserializer(),
                Duration.ofSeconds(10));
    }

    @AfterAll
    void stop() {
        if (history != null) {
            history.close();
        }
        if (open != null) {
            open.close(Duration.ofSeconds(2));
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void theFindingsCommittedEntriesFromItsCaptureOnInEventTimeOrderEachOnce() {
        List<FindingActivity> read = history.read(FINDING, T0);
        assertEquals(List.of("captured", "routed", "acked"), ids(read));
        read.forEach(a -> assertEquals(FINDING, a.getFindingId()));
    }

    @Test
    void theReadStartsAtTheFirstRecordTimestampedAtOrAfterTheGivenTime() {
        // 'acked' is the first record at or after T0+600 s; 'routed' comes after it in the log, so it is read too.
        assertEquals(List.of("routed", "acked"), ids(history.read(FINDING, T0.plusSeconds(600))));
        assertEquals(List.of("before-capture", "captured", "routed", "acked"), ids(history.read(FINDING, T0.minusSeconds(3600))));
        assertEquals(List.of(), ids(history.read(FINDING, T0.plusSeconds(3600))), "nothing on the log from then on");
        assertEquals(List.of(), ids(history.read("f1-never-seen", T0)));
    }

    @Test
    void concurrentReadsEachGetTheirOwnFinding() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(ActivityHistory.POOLED + 2);
        try {
            List<Future<List<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                String id = i % 2 == 0 ? FINDING : "f1-other-" + i;
                answers.add(pool.submit(() -> ids(history.read(id, T0))));
            }
            for (int i = 0; i < answers.size(); i++) {
                assertEquals(i % 2 == 0 ? List.of("captured", "routed", "acked") : List.of("o" + i), answers.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aMissingTopicIsA503ThatNamesIt() {
        String missing = topic + "-missing";
        try (ActivityHistory wrong = new ActivityHistory(kafka.clientProperties(), missing,
                topics.valueSerde(Topics.FINDINGS_ACTIVITY).deserializer(), Duration.ofSeconds(3))) {
            QueryException e = assertThrows(QueryException.class, () -> wrong.read(FINDING, T0));
            assertEquals(503, e.status());
            assertTrue(e.getMessage().contains(missing), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ helpers

    private KafkaProducer<String, byte[]> transactional(String id) {
        Properties p = kafka.clientProperties();
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id + "-" + UUID.randomUUID());
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    private void send(KafkaProducer<String, byte[]> producer, FindingActivity a, Instant timestamp) throws Exception {
        producer.send(new ProducerRecord<>(topic, null, timestamp.toEpochMilli(), a.getFindingId(), values.serialize(topic, a))).get();
    }

    private static FindingActivity activity(String findingId, String eventId, ActivityKind kind, Instant at) {
        return FindingActivity.newBuilder().setEventId(eventId).setEventTime(at).setRecordedTime(at).setSource("test")
                .setActor(null).setFindingId(findingId).setKind(kind).setStage(null).setCauseEventId(null).setFromStatus(null)
                .setToStatus(null).setOwnerId(null).setBand(null).setFailureModes(List.of()).setSourceTool(null).setNote(null)
                .setAttributes(Map.of()).build();
    }

    private static List<String> ids(List<FindingActivity> activities) {
        return activities.stream().map(FindingActivity::getEventId).toList();
    }
}

package dev.handoff.streams.metrics;

import dev.handoff.avro.CaptureOrigin;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.FindingStatus;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SourceTool;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The router sends a finding's member facts to its cohorts only when they or its cohorts changed. */
class CohortMembersRouterTest {

    private static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z");

    private final KeyValueStore<String, byte[]> sent = Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(MetricsNames.MEMBER_KEYS_STORE), Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().build();
    private final MockProcessorContext<String, byte[]> context = context();
    private final CohortMembersRouter router = new CohortMembersRouter(ZoneOffset.UTC);

    @Test
    void aSaveThatChangesNoFactSendsNothingAndOneThatDoesSendsToEveryCohort() {
        router.init(context);
        FindingState open = finding().build();
        router.process(record(open));
        int cohorts = CohortKey.of(open, ZoneOffset.UTC).size();
        assertEquals(cohorts, members().size(), "the first save reaches each of its cohorts");

        context.resetForwards();
        router.process(record(FindingState.newBuilder(open).setEventId("e2").setTitle("retitled").build()));
        assertEquals(List.of(), members(), "nothing a cohort counts changed");

        router.process(record(FindingState.newBuilder(open).setEventId("e3").setAcknowledgedAt(T0.plus(Duration.ofHours(2)))
                .setStatus(FindingStatus.ACKNOWLEDGED).build()));
        assertEquals(cohorts, members().size(), "an acknowledgement changes the facts: every cohort hears of it");
    }

    @Test
    void whatIsRememberedPerFindingIsADigestNotTheFacts() {
        router.init(context);
        FindingState open = finding().build();
        router.process(record(open));
        byte[] facts = CohortMember.of(open).encode();
        byte[] stored = sent.get(open.getFindingId());
        assertTrue(indexOf(stored, facts) < 0, "the facts are not stored again");
        assertTrue(indexOf(stored, CohortMembersRouter.digest(facts)) >= 0, "their digest is");
    }

    @Test
    void anEntryWrittenWithTheFactsThemselvesIsAnsweredByOneResendThenQuiet() throws IOException {
        router.init(context);
        FindingState open = finding().build();
        List<String> ids = new ArrayList<>();
        CohortKey.of(open, ZoneOffset.UTC).forEach(k -> ids.add(k.id()));
        byte[] facts = CohortMember.of(open).encode();
        // The earlier format: flags, cohort ids, then the facts themselves.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(CohortMembersRouter.flags(open));
            out.writeShort(ids.size());
            for (String id : ids) {
                out.writeUTF(id);
            }
            out.writeInt(facts.length);
            out.write(facts);
        }
        sent.put(open.getFindingId(), bytes.toByteArray());

        router.process(record(open));
        assertEquals(ids.size(), members().size(), "sent once more: the cohorts take it as the same member again");
        context.resetForwards();
        router.process(record(open));
        assertEquals(List.of(), members());
    }

    @Test
    void aFindingThatLeavesCohortsSendsATombstoneForEachKeyedLikeItsStoreEntry() {
        router.init(context);
        FindingState high = finding().build();
        router.process(record(high));
        context.resetForwards();
        FindingState critical = FindingState.newBuilder(high).setEventId("e2").setBand(SeverityBand.CRITICAL).build();
        router.process(record(critical));

        List<String> removed = new ArrayList<>();
        context.forwarded().forEach(f -> {
            if (f.record().value() == null) {
                removed.add(f.record().key());
            }
        });
        List<String> expected = new ArrayList<>();
        CohortKey.of(high, ZoneOffset.UTC).forEach(k -> expected.add(CohortMessage.memberKey(k.id(), high.getFindingId())));
        assertEquals(expected, removed, "a tombstone per cohort left, so compaction drops the member from the topic too");
        List<String> joined = new ArrayList<>();
        CohortKey.of(critical, ZoneOffset.UTC).forEach(k -> joined.add(CohortMessage.memberKey(k.id(), critical.getFindingId())));
        assertEquals(joined, members());
        for (String key : joined) {
            assertTrue(key.startsWith(CohortMessage.cohortOf(key) + "|"), key);
            assertEquals(SeverityBand.CRITICAL, CohortKey.parse(CohortMessage.cohortOf(key)).band());
        }
    }

    @Test
    void theOpenCountsAFindingGaugeCarriesSurviveARestart() {
        router.init(context);
        router.process(record(finding().setFindingId("f1-a").build()));
        router.process(record(finding().setFindingId("f1-b").build()));
        router.process(record(finding().setFindingId("f1-c").setStatus(FindingStatus.RESOLVED).build()));

        CohortMembersRouter restarted = new CohortMembersRouter(ZoneOffset.UTC);
        MockProcessorContext<String, byte[]> after = context();
        restarted.init(after);
        restarted.process(new Record<>("depth/0", new GaugeSnapshot(0, T0, 0, null, 0, 0), T0.toEpochMilli()));
        GaugeSnapshot sent = CohortMessage.gauge(after.forwarded().get(0).record().value());
        assertEquals(2, sent.open(), "the counts are read back from the store by the new instance");

        restarted.process(record(finding().setFindingId("f1-a").setEventId("e9").setStatus(FindingStatus.RESOLVED).build()));
        restarted.process(new Record<>("depth/0", new GaugeSnapshot(0, T0.plusSeconds(60), 1, null, 0, 0), T0.plusSeconds(60).toEpochMilli()));
        GaugeSnapshot later = CohortMessage.gauge(after.forwarded().get(after.forwarded().size() - 1).record().value());
        assertEquals(1, later.open(), "and kept from there");
    }

    @Test
    void aMemberGoesToThePartitionOfItsSeriesWhateverTheDayOrFinding() {
        CohortMessage.Partitioner partitioner = new CohortMessage.Partitioner();
        CohortKey day1 = CohortKey.of(finding().build(), ZoneOffset.UTC).get(1);
        CohortKey day9 = new CohortKey(day1.dimension(), day1.key(), day1.band(), day1.day().plusDays(8));
        var first = partitioner.partitions("t", CohortMessage.memberKey(day1.id(), "f1"), new byte[] {1}, 12);
        assertEquals(first, partitioner.partitions("t", CohortMessage.memberKey(day9.id(), "f2|odd"), null, 12));
        assertEquals(12, partitioner.partitions("t", CohortMessage.GAUGE_KEY_PREFIX + 3, new byte[] {1}, 12).orElseThrow().size());
    }

    private List<String> members() {
        List<String> keys = new ArrayList<>();
        context.forwarded().forEach(f -> {
            if (f.record().value() != null && !CohortMessage.isGauge(f.record().key())) {
                keys.add(f.record().key());
            }
        });
        return keys;
    }

    private static FindingState.Builder finding() {
        return FindingState.newBuilder()
                .setEventId("e1").setEventTime(T0).setRecordedTime(T0).setSource("test").setFindingId("f1-router")
                .setStatus(FindingStatus.OPEN).setOrigin(CaptureOrigin.FIRST_TIME).setTitle("t")
                .setSourceTool(new SourceTool("Trivy", null)).setTarget(FindingTarget.newBuilder().build())
                .setScannerBand(SeverityBand.HIGH).setBand(SeverityBand.HIGH).setTeamId("payments")
                .setCapturedAt(T0).setHandoffDeadline(T0.plus(Duration.ofHours(8))).setNoAckDeadline(T0.plus(Duration.ofDays(3)));
    }

    private static Record<String, Object> record(FindingState s) {
        return new Record<>(s.getFindingId(), s, s.getEventTime().toEpochMilli());
    }

    private MockProcessorContext<String, byte[]> context() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "router-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9");
        MockProcessorContext<String, byte[]> c = new MockProcessorContext<>(props);
        sent.init(c.getStateStoreContext(), sent);
        c.addStateStore(sent);
        return c;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}

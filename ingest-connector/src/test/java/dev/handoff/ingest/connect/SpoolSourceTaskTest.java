package dev.handoff.ingest.connect;

import dev.handoff.avro.FindingReported;
import dev.handoff.schemas.FindingIds;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTaskContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import static dev.handoff.ingest.connect.SpoolFixtures.corpus;
import static dev.handoff.ingest.connect.SpoolFixtures.drop;
import static dev.handoff.ingest.connect.SpoolFixtures.hash;
import static dev.handoff.ingest.connect.SpoolFixtures.reportId;
import static dev.handoff.ingest.connect.SpoolFixtures.trivy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link SpoolSourceTask} on a real spool directory, driven as the worker drives it (start, poll, commitRecord,
 * stop), with the source offsets a worker would have committed given by a plain {@link OffsetStorageReader}.
 */
class SpoolSourceTaskTest {

    private static final String SOURCE = "ingest-connector/connect";
    private static final Instant OLD = Instant.now().minusSeconds(600);
    /** Polls allowed before a test calls the task stuck. */
    private static final int MAX_POLLS = 20_000;
    /** Polls in a row that emit nothing before a test calls the task idle (each waits at most the 50 ms poll interval). */
    private static final int MAX_IDLE_POLLS = 200;

    @TempDir
    Path spool;
    @TempDir
    Path work;

    /** Committed offsets by the serialised partition, as the worker keeps them. */
    private final Map<String, Map<String, Object>> committedOffsets = new HashMap<>();
    private final JsonConverter offsetKeys = new JsonConverter();

    {
        offsetKeys.configure(Map.of("schemas.enable", "false", "converter.type", "key"));
    }

    /** The worker's key of a source partition: the JSON of [connector, partition], in the partition's own key order. */
    private String offsetKey(Map<String, ?> partition) {
        return new String(offsetKeys.fromConnectData("", null, List.of("spool", partition)), StandardCharsets.UTF_8);
    }
    private final Deserializer<FindingReported> values =
            new Topics("t.", 3, SchemaRegistries.embedded()).valueSerde(Topics.FINDINGS_REPORTED).deserializer();
    private SpoolSourceTask task;

    @AfterEach
    void stopTask() {
        if (task != null) {
            task.stop();
        }
    }

    private SpoolSourceTask start(int batch, int queue) {
        Map<String, String> props = new HashMap<>();
        props.put(SpoolSourceConfig.SPOOL_DIR, spool.toString());
        props.put(SpoolSourceConfig.TOPIC_PREFIX, "t.");
        props.put(SpoolSourceConfig.BATCH_SIZE, Integer.toString(batch));
        props.put(SpoolSourceConfig.QUEUE_SIZE, Integer.toString(queue));
        props.put(SpoolSourceConfig.MIN_AGE_MS, "1000");
        props.put(SpoolSourceConfig.POLL_INTERVAL_MS, "50");
        task = new SpoolSourceTask();
        task.initialize(new SourceTaskContext() {
            @Override
            public Map<String, String> configs() {
                return props;
            }

            @Override
            public PluginMetrics pluginMetrics() {
                return null; // the task registers no metrics
            }

            @Override
            public OffsetStorageReader offsetStorageReader() {
                return new OffsetStorageReader() {
                    @Override
                    public <T> Map<String, Object> offset(Map<String, T> partition) {
                        return committedOffsets.get(offsetKey(partition));
                    }

                    @Override
                    public <T> Map<Map<String, T>, Map<String, Object>> offsets(Collection<Map<String, T>> partitions) {
                        Map<Map<String, T>, Map<String, Object>> out = new HashMap<>();
                        partitions.forEach(p -> out.put(p, offset(p)));
                        return out;
                    }
                };
            }
        });
        task.start(props);
        return task;
    }

    /** Records the committed offset a worker would hold for {@code file} had it committed finding #{@code index}. */
    private void committed(Path file, long index) throws Exception {
        Map<String, Object> partition = new LinkedHashMap<>();
        partition.put(SpoolSourceTask.PARTITION_FILE, file.getFileName().toString());
        partition.put(SpoolSourceTask.PARTITION_SIZE, Files.size(file));
        partition.put(SpoolSourceTask.PARTITION_HASH, hash(file, SOURCE));
        committedOffsets.put(offsetKey(partition), Map.of(SpoolSourceTask.OFFSET_INDEX, index));
    }

    /** Polls until {@code done}, committing every record as the worker would; returns them. */
    private List<SourceRecord> pollUntil(int batch, BooleanSupplier done) throws Exception {
        List<SourceRecord> out = new ArrayList<>();
        for (int polls = 0, idle = 0; polls < MAX_POLLS && idle < MAX_IDLE_POLLS; polls++) {
            if (done.getAsBoolean()) {
                return out;
            }
            List<SourceRecord> records = task.poll();
            idle = records == null || records.isEmpty() ? idle + 1 : 0;
            if (records != null) {
                assertTrue(records.size() <= batch, "a poll returned " + records.size() + " records, over the batch of " + batch);
                for (SourceRecord r : records) {
                    out.add(r);
                    task.commitRecord(r, null);
                }
            }
        }
        return fail("not done: the task went idle or ran out of polls after " + out.size() + " records");
    }

    private FindingReported value(SourceRecord r) {
        return values.deserialize(r.topic(), (byte[]) r.value());
    }

    private static long index(SourceRecord r) {
        return ((Number) r.sourceOffset().get(SpoolSourceTask.OFFSET_INDEX)).longValue();
    }

    private void assertOrdinals(List<SourceRecord> records, String reportId, long from, long to) {
        assertEquals(to - from, records.size(), "records of " + reportId);
        for (int i = 0; i < records.size(); i++) {
            long n = from + i;
            SourceRecord r = records.get(i);
            assertEquals(n, index(r), "the offset is the ordinal of the record");
            FindingReported f = value(r);
            assertEquals(reportId + "/" + n, f.getEventId());
            assertEquals(f.getFindingId(), r.key(), "the key is the finding id");
            assertEquals(FindingIds.of(f), f.getFindingId());
        }
    }

    @Test
    void emitsEveryFindingOnceInOrderAndMovesTheFileOnlyOnceAllAreCommitted() throws Exception {
        Path report = drop(spool, trivy(work.resolve("a.json"), 2500, "a"), "a.json", OLD);
        String id = reportId(report, SOURCE);
        start(300, 1000);

        List<SourceRecord> emitted = new ArrayList<>();
        for (int polls = 0; emitted.size() < 2500; polls++) {
            assertTrue(polls < MAX_POLLS, "stuck at " + emitted.size());
            List<SourceRecord> records = task.poll();
            if (records != null) {
                assertTrue(records.size() <= 300, "batch of " + records.size());
                emitted.addAll(records);
            }
        }
        assertOrdinals(emitted, id, 0, 2500);
        assertNull(task.poll(), "nothing more to emit");
        assertTrue(Files.exists(report), "not moved while records are uncommitted");

        emitted.forEach(r -> task.commitRecord(r, null));
        assertNull(task.poll());
        assertTrue(Files.exists(spool.resolve("processed/a.json")), "moved once every record is committed");
        assertFalse(Files.exists(report));
    }

    @Test
    void resumesAfterTheCommittedOffsetOfTheSameFileSizeAndHashOnly() throws Exception {
        Path resumed = drop(spool, trivy(work.resolve("r.json"), 1200, "r"), "r.json", OLD);
        Path done = drop(spool, corpus("trivy/scheme_2_many_vulns.json"), "done.json", OLD.plusSeconds(1));
        Path renamedTwin = drop(spool, trivy(work.resolve("t.json"), 40, "t"), "t.json", OLD.plusSeconds(2));
        committed(resumed, 799);
        committed(done, 4); // its 5 findings, all committed: a crash between the last commit and the move
        // An offset of a file with the same name and size but other bytes is not this file's.
        Map<String, Object> twin = new LinkedHashMap<>(SpoolSourceTask.partition("t.json", Files.size(renamedTwin),
                hash(corpus("trivy/scheme_2_many_vulns.json"), SOURCE)));
        committedOffsets.put(offsetKey(twin), Map.of("index", 20L));
        start(100, 150);

        List<SourceRecord> emitted = pollUntil(100, () -> Files.exists(spool.resolve("processed/r.json"))
                && Files.exists(spool.resolve("processed/done.json")) && Files.exists(spool.resolve("processed/t.json")));
        Map<String, List<SourceRecord>> byFile = new LinkedHashMap<>();
        emitted.forEach(r -> byFile.computeIfAbsent((String) r.sourcePartition().get("file"), k -> new ArrayList<>()).add(r));
        assertEquals(List.of("r.json", "t.json"), List.copyOf(byFile.keySet()), "done.json emits nothing");
        assertOrdinals(byFile.get("r.json"), reportId(spool.resolve("processed/r.json"), SOURCE), 800, 1200);
        assertOrdinals(byFile.get("t.json"), reportId(spool.resolve("processed/t.json"), SOURCE), 0, 40);
    }

    @Test
    void theSourcePartitionIsWrittenInOneOrderWhateverTheJvm() {
        Map<String, Object> p = SpoolSourceTask.partition("a.json", 12L, "ab12");
        assertEquals(List.of("file", "size", "sha256"), List.copyOf(p.keySet()),
                "the worker keys offsets by the partition's bytes: its key order must not depend on the JVM");
        assertEquals("[\"spool\",{\"file\":\"a.json\",\"size\":12,\"sha256\":\"ab12\"}]", offsetKey(p));
    }

    @Test
    void resumesFromAnOffsetAnEarlierBuildWroteWithItsPartitionKeysInAnotherOrder() throws Exception {
        Path report = drop(spool, trivy(work.resolve("o.json"), 300, "o"), "o.json", OLD);
        Map<String, Object> legacy = new LinkedHashMap<>();
        legacy.put(SpoolSourceTask.PARTITION_HASH, hash(report, SOURCE));
        legacy.put(SpoolSourceTask.PARTITION_FILE, "o.json");
        legacy.put(SpoolSourceTask.PARTITION_SIZE, Files.size(report));
        committedOffsets.put(offsetKey(legacy), Map.of(SpoolSourceTask.OFFSET_INDEX, 199L));
        start(100, 100);

        List<SourceRecord> emitted = pollUntil(100, () -> Files.exists(spool.resolve("processed/o.json")));
        assertOrdinals(emitted, reportId(spool.resolve("processed/o.json"), SOURCE), 200, 300);
        assertEquals(List.of("file", "size", "sha256"), List.copyOf(emitted.get(0).sourcePartition().keySet()),
                "new offsets are written in the fixed order");
    }

    @Test
    void aRefusedReportEmitsNothingAndGoesToErrorWithTheReason() throws Exception {
        drop(spool, corpus("dependency_check/ADVERSARIAL_xxe_external_entities.xml"), "xxe.xml", OLD);
        Path truncated = work.resolve("cut.json");
        byte[] whole = Files.readAllBytes(trivy(work.resolve("whole.json"), 500, "c"));
        Files.write(truncated, java.util.Arrays.copyOf(whole, whole.length - 300));
        drop(spool, truncated, "cut.json", OLD.plusSeconds(1));
        drop(spool, corpus("sarif/codeql_2.5.4_codeQL-output.sarif"), "codeql.sarif", OLD.plusSeconds(2));
        start(1000, 2000);

        List<SourceRecord> emitted = pollUntil(1000, () -> Files.exists(spool.resolve("processed/codeql.sarif")));
        assertEquals(72, emitted.size(), "only the good report's findings");
        assertTrue(emitted.stream().allMatch(r -> "codeql.sarif".equals(r.sourcePartition().get("file"))));
        String xxe = Files.readString(spool.resolve("error/xxe.xml.error.txt"));
        assertTrue(xxe.contains("UNSAFE") && xxe.contains("DOCTYPE"), xxe);
        String cut = Files.readString(spool.resolve("error/cut.json.error.txt"));
        assertTrue(cut.contains("MALFORMED"), cut);
    }

    @Test
    void aFileCutShortWhileEmittedGoesToErrorAndNothingMoreOfItIsEmitted() throws Exception {
        Path report = drop(spool, trivy(work.resolve("big.json"), 20_000, "big"), "big.json", OLD);
        start(50, 50);
        List<SourceRecord> first = null;
        for (int polls = 0; first == null; polls++) {
            assertTrue(polls < MAX_POLLS, "nothing emitted");
            first = task.poll();
        }
        // The parser thread is at most a queue and a read buffer ahead; the rest of the 8 MB is gone under it.
        Files.writeString(report, "{}", StandardCharsets.UTF_8);

        List<SourceRecord> after = pollUntil(50, () -> Files.exists(spool.resolve("error/big.json.error.txt")));
        assertTrue(first.size() + after.size() < 20_000, "emission stopped: " + (first.size() + after.size()));
        String why = Files.readString(spool.resolve("error/big.json.error.txt"));
        assertTrue(why.contains("MALFORMED"), why);
        for (int i = 0; i < 5; i++) {
            assertNull(task.poll(), "nothing more of it");
        }
    }

    @Test
    void aFileRewrittenToTheSameSizeWhileEmittedGoesToErrorAsChanged() throws Exception {
        Path report = drop(spool, trivy(work.resolve("same.json"), 6_000, "same"), "same.json", OLD);
        start(50, 50);
        List<SourceRecord> first = null;
        for (int polls = 0; first == null; polls++) {
            assertTrue(polls < MAX_POLLS, "nothing emitted");
            first = task.poll();
        }
        // Same size, still a valid report with as many findings: only the hash can tell.
        long at = Files.size(report) - 2000;
        byte[] tail = new byte[2000];
        try (RandomAccessFile f = new RandomAccessFile(report.toFile(), "rw")) {
            f.seek(at);
            f.readFully(tail);
            String s = new String(tail, StandardCharsets.ISO_8859_1);
            int cve = s.indexOf("CVE-2099-1");
            assertTrue(cve >= 0, "a vulnerability id near the end");
            f.seek(at + cve + "CVE-2099-".length());
            f.write('9');
        }

        pollUntil(50, () -> Files.exists(spool.resolve("error/same.json.error.txt")));
        String why = Files.readString(spool.resolve("error/same.json.error.txt"));
        assertTrue(why.contains("changed while it was being emitted") && why.contains("not the ones validated"), why);
        assertFalse(Files.exists(spool.resolve("processed/same.json")));
    }

    @Test
    void stopEndsTheParserThreadBlockedOnAFullQueue() throws Exception {
        drop(spool, trivy(work.resolve("s.json"), 20_000, "s"), "stop-me.json", OLD);
        start(10, 10);
        List<SourceRecord> first = null;
        for (int polls = 0; first == null; polls++) {
            assertTrue(polls < MAX_POLLS, "nothing emitted");
            first = task.poll();
        }
        assertTrue(first.size() <= 10);
        Optional<Thread> parser = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(SpoolSourceTask.PARSER_THREAD_PREFIX + "stop-me.json")).findFirst();
        assertTrue(parser.isPresent(), "the parser thread is running, 19 990 findings to go");
        ReportFeedTest.awaitBlocked(parser.get());

        task.stop();
        assertFalse(parser.get().isAlive(), "stop() returns only once the parser thread has ended");
        assertNull(task.poll(), "a stopped task emits nothing");
        task = null;
    }
}

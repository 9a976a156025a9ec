package dev.handoff.ingest.connect;

import dev.handoff.avro.FindingReported;
import dev.handoff.ingest.ReportRecords;
import dev.handoff.ingest.parse.FindingSink;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportParsers;
import dev.handoff.ingest.parse.ReportSummary;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one task of {@link SpoolSourceConnector}. Per file:
 * <ol>
 *   <li><b>Validate</b>: parse the whole file once, keeping nothing but a count and a SHA-256 of the bytes. A
 *       refused report (malformed, unsafe, over a limit, unknown format) goes to the error directory with
 *       {@code <name>.error.txt}, and nothing of it is emitted.</li>
 *   <li><b>Resume</b>: the source partition is {@code {file, size, sha256}}; its committed offset
 *       {@code {index}} is the ordinal of the last finding committed, so emission restarts at {@code index + 1}.</li>
 *   <li><b>Emit</b>: a {@link ReportFeed} parses the file a second and last time on a thread of its own, turning
 *       the findings from the resume point on into records ahead of the polls, at most {@code spool.queue.size}
 *       of them; each poll drains up to {@code spool.batch.size}. The feed checks that the bytes it read are the
 *       ones validated (size, count and hash); a file that changed goes to the error directory like a refused one
 *       (what was emitted before stays on the topic). {@link #stop} interrupts and joins the parser thread.</li>
 *   <li><b>Move</b> to the processed directory once every record emitted for it has been committed
 *       ({@link #commitRecord}: acknowledged by Kafka, or, with exactly-once support, its transaction committed).
 *       The move itself happens on the task thread at the next poll.</li>
 * </ol>
 */
public final class SpoolSourceTask extends SourceTask {

    private static final Logger LOG = LoggerFactory.getLogger(SpoolSourceTask.class);

    static final String PARTITION_FILE = "file";
    static final String PARTITION_SIZE = "size";
    static final String PARTITION_HASH = "sha256";
    static final String OFFSET_INDEX = "index";
    /** The orders of the partition keys other than {@link #partition}'s, for offsets written by earlier builds. */
    private static final List<List<String>> OTHER_PARTITION_ORDERS = List.of(
            List.of(PARTITION_FILE, PARTITION_HASH, PARTITION_SIZE),
            List.of(PARTITION_SIZE, PARTITION_FILE, PARTITION_HASH),
            List.of(PARTITION_SIZE, PARTITION_HASH, PARTITION_FILE),
            List.of(PARTITION_HASH, PARTITION_FILE, PARTITION_SIZE),
            List.of(PARTITION_HASH, PARTITION_SIZE, PARTITION_FILE));
    /** Prefix of the parser threads' names, then the file name. */
    static final String PARSER_THREAD_PREFIX = "handoff-spool-parser-";
    /** How long {@link #stop} waits for a parser thread to end (it ends at its next finding, so at once in practice). */
    static final Duration PARSER_STOP_BOUND = Duration.ofSeconds(5);

    private SpoolSourceConfig config;
    private ReportParsers parsers;
    private Serializer<FindingReported> serializer;
    private String topic;
    private Path spool;
    private Path processed;
    private Path errors;
    private ParseLimits limits;
    private Optional<ReportFormat> format;
    private final CountDownLatch stopping = new CountDownLatch(1);
    /** Orders starting a feed against {@link #stop}, which may come from another thread, so no feed outlives it. */
    private final Object lifecycle = new Object();

    /** The file being emitted, or null. Set on the task thread; read by {@link #stop}. */
    private volatile FileWork current;
    /** Files being emitted, or emitted but not all committed yet, by source partition. */
    private final Map<Map<String, Object>, FileWork> tracked = new ConcurrentHashMap<>();
    /** Files whose records are all committed, to move on the task thread. */
    private final Queue<FileWork> readyToMove = new ConcurrentLinkedQueue<>();
    /** Paths emitted (or emitting) in this task's life and not moved yet: not picked up again. */
    private final Set<Path> inFlight = ConcurrentHashMap.newKeySet();

    @Override
    public String version() {
        return SpoolSourceConnector.Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        config = new SpoolSourceConfig(props);
        spool = config.spoolDir();
        processed = config.processedDir();
        errors = config.errorDir();
        limits = config.limits();
        format = config.format();
        try {
            Files.createDirectories(spool);
            Files.createDirectories(processed);
            Files.createDirectories(errors);
        } catch (IOException e) {
            throw new ConnectException("cannot create the spool directories under " + spool + ": " + e.getMessage(), e);
        }
        parsers = new ReportParsers();
        Topics topics = new Topics(config.topicPrefix(), Topics.DEFAULT_PARTITIONS, SchemaRegistries.fromConfig(props));
        topic = topics.name(Topics.FINDINGS_REPORTED);
        serializer = topics.valueSerde(Topics.FINDINGS_REPORTED).serializer();
        LOG.info("Spool source task watching {} for reports to {} (processed: {}, error: {}, batch {}, queue {})", spool, topic,
                processed, errors, config.batchSize(), config.queueSize());
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
        moveCommittedFiles();
        while (stopping.getCount() > 0) {
            FileWork work = current;
            if (work == null) {
                work = nextFile();
                if (work == null) {
                    stopping.await(config.pollIntervalMs(), TimeUnit.MILLISECONDS);
                    moveCommittedFiles();
                    return null;
                }
            }
            ReportFeed.Batch batch = work.feed.next(config.batchSize(), Duration.ofMillis(config.pollIntervalMs()));
            ReportFeed.Outcome end = batch.outcome();
            if (end != null && !end.complete()) {
                abandon(work);
                if (end.refusal() != null) {
                    refuse(work.file, end.refusal());
                    continue;
                }
                if (end.failure() instanceof NoSuchFileException || end.failure() instanceof FileNotFoundException) {
                    LOG.warn("{}: removed from the spool while it was being emitted, after {} of {} findings", work.file.getFileName(),
                            work.next, work.total);
                    continue;
                }
                throw new ConnectException("cannot read " + work.file + " (the task resumes it from its committed offset when"
                        + " restarted): " + end.failure(), end.failure());
            }
            List<SourceRecord> records = batch.records();
            work.next += records.size();
            work.uncommitted.addAndGet(records.size());
            if (end != null) {
                fullyEmitted(work);
            }
            if (!records.isEmpty()) {
                return records;
            }
            if (end == null) {
                return null; // nothing parsed yet: let the worker go round (and see a stop) before waiting again
            }
        }
        return null;
    }

    @Override
    public void commitRecord(SourceRecord record, RecordMetadata metadata) {
        FileWork work = tracked.get(record.sourcePartition());
        if (work == null) {
            LOG.debug("commit of a record of {}, which is not tracked", record.sourcePartition().get(PARTITION_FILE));
            return;
        }
        if (work.uncommitted.decrementAndGet() == 0 && work.fullyEmitted && tracked.remove(work.partition, work)) {
            readyToMove.add(work);
        }
    }

    /** Stops the parser thread of the file being emitted, if any, and waits for it (bounded): none outlives the task. */
    @Override
    public void stop() {
        FileWork work;
        synchronized (lifecycle) {
            stopping.countDown();
            work = current;
        }
        if (work != null) {
            work.feed.stop(PARSER_STOP_BOUND);
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** The oldest stable file of the spool not emitted yet, validated, its feed started; files refused on the way are moved to error. */
    private FileWork nextFile() {
        for (Path file : stableFiles()) {
            if (stopping.getCount() == 0) {
                return null;
            }
            FileWork work = open(file);
            if (work == null) {
                continue;
            }
            if (work.next >= work.total) {
                // Every finding committed before (a crash between the last commit and the move), or none at all.
                LOG.info("{}: all {} findings already committed; moving it to {}", file.getFileName(), work.total, processed);
                move(file, processed);
                continue;
            }
            synchronized (lifecycle) {
                if (stopping.getCount() == 0) {
                    return null;
                }
                inFlight.add(file);
                tracked.put(work.partition, work);
                long from = work.next;
                work.feed = ReportFeed.start(PARSER_THREAD_PREFIX + file.getFileName(), config.queueSize(),
                        sink -> emit(work, from, sink));
                current = work;
            }
            return work;
        }
        return null;
    }

    private List<Path> stableFiles() {
        long now = System.currentTimeMillis();
        List<Path> out = new ArrayList<>();
        Map<Path, Long> mtimes = new HashMap<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(spool)) {
            for (Path p : dir) {
                String name = p.getFileName().toString();
                if (name.startsWith(".") || name.endsWith(".tmp") || name.endsWith(".part") || inFlight.contains(p)) {
                    continue;
                }
                try {
                    if (!Files.isRegularFile(p)) {
                        continue;
                    }
                    long mtime = Files.getLastModifiedTime(p).toMillis();
                    if (now - mtime < config.minAgeMs()) {
                        continue;
                    }
                    mtimes.put(p, mtime);
                    out.add(p);
                } catch (NoSuchFileException gone) {
                    // moved away meanwhile
                }
            }
        } catch (IOException e) {
            throw new ConnectException("cannot list the spool directory " + spool + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.<Path>comparingLong(mtimes::get).thenComparing(p -> p.getFileName().toString()));
        return out;
    }

    /** Validates the whole file (count and hash) and finds where to resume; null when refused or gone. */
    private FileWork open(Path file) {
        long size;
        long count;
        MessageDigest sha = sha256();
        try {
            size = Files.size(file);
            count = scan(file, sha, f -> { });
        } catch (ReportException e) {
            refuse(file, e);
            return null;
        } catch (RuntimeException e) {
            // A parser that breaks on some input is the input's problem: refuse the report, keep the task running.
            refuse(file, new ReportException(ReportException.Kind.MALFORMED, "the parser failed on it: " + e, -1, -1, e));
            return null;
        } catch (NoSuchFileException | FileNotFoundException e) {
            return null;
        } catch (IOException e) {
            LOG.warn("{}: cannot read it, will retry: {}", file, e.toString());
            return null;
        }
        String hash = HexFormat.of().formatHex(sha.digest());
        Map<String, Object> partition = partition(file.getFileName().toString(), size, hash);
        long next = 0;
        Map<String, Object> offset = committedOffset(partition);
        if (offset != null && offset.get(OFFSET_INDEX) instanceof Number n) {
            next = n.longValue() + 1;
            LOG.info("{}: resuming after finding #{} of {} (committed offset)", file.getFileName(), n.longValue(), count);
        }
        String reportId = "rpt-" + hash.substring(0, 32);
        ReportRecords records = new ReportRecords(reportId, config.source(), config.assetHint(), null, Instant.now());
        return new FileWork(file, size, hash, partition, records, count, next);
    }

    /**
     * The source partition of a file, its keys always in the order file, size, sha256: the worker finds a committed
     * offset by the serialised bytes of the partition, so a map whose order differs from one JVM to the next (as
     * {@code Map.of}'s does) would miss, after a restart, the offsets written before it.
     */
    static Map<String, Object> partition(String file, long size, String sha256) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put(PARTITION_FILE, file);
        p.put(PARTITION_SIZE, size);
        p.put(PARTITION_HASH, sha256);
        return Collections.unmodifiableMap(p);
    }

    /**
     * The committed offset of {@code partition}, or null. Earlier builds wrote the partition's keys in an
     * order of their JVM's choosing; when the fixed order finds nothing, the other orders are tried too, so a file
     * half emitted by such a version resumes where it stopped instead of starting over.
     */
    private Map<String, Object> committedOffset(Map<String, Object> partition) {
        Map<String, Object> offset = context.offsetStorageReader().offset(partition);
        for (int i = 0; offset == null && i < OTHER_PARTITION_ORDERS.size(); i++) {
            Map<String, Object> reordered = new LinkedHashMap<>();
            OTHER_PARTITION_ORDERS.get(i).forEach(k -> reordered.put(k, partition.get(k)));
            offset = context.offsetStorageReader().offset(reordered);
        }
        return offset;
    }

    /**
     * Parses {@code file} once, handing each finding to {@code sink}, while hashing all of its bytes after the
     * event source and a NUL (the report id and the source partition come from this hash). Returns the count.
     */
    private long scan(Path file, MessageDigest sha, FindingSink sink) throws ReportException, IOException {
        sha.update(config.source().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        // A FileInputStream, whose reads an interrupt does not break (an interruptible channel would be closed by
        // the stop of a parser thread, and the read error would look like a malformed report).
        try (InputStream in = new DigestInputStream(new FileInputStream(file.toFile()), sha)) {
            ReportSummary summary = parsers.parse(new FilterInputStream(in) {
                @Override
                public void close() {
                    // parsers close their input when done; the rest of the bytes must still be hashed
                }
            }, format, limits, sink);
            in.transferTo(OutputStream.nullOutputStream());
            return summary.findings();
        }
    }

    /** The parser thread's work: the records of {@code work} from ordinal {@code from} on, checked against the validation. */
    private void emit(FileWork work, long from, ReportFeed.Sink sink) throws ReportException, IOException {
        if (Files.size(work.file) != work.size) {
            throw changed("its size is not the " + work.size + " bytes validated");
        }
        long[] ordinal = {0};
        MessageDigest sha = sha256();
        long count = scan(work.file, sha, f -> {
            long n = ordinal[0]++;
            if (n < from) {
                return;
            }
            if (n >= work.total) {
                throw changed("it holds more than the " + work.total + " findings validated");
            }
            FindingReported r = work.records.toRecord(f, n);
            byte[] value = serializer.serialize(topic, r);
            sink.put(new SourceRecord(work.partition, Map.of(OFFSET_INDEX, n), topic, null,
                    Schema.STRING_SCHEMA, r.getFindingId(), Schema.BYTES_SCHEMA, value));
        });
        if (count != work.total) {
            throw changed("it holds " + count + " findings, not the " + work.total + " validated");
        }
        if (!HexFormat.of().formatHex(sha.digest()).equals(work.hash) || Files.size(work.file) != work.size) {
            throw changed("its bytes are not the ones validated");
        }
    }

    private static ReportException changed(String why) {
        return new ReportException(ReportException.Kind.MALFORMED, "the file changed while it was being emitted (" + why
                + "); findings emitted before stay on the topic. Spooled files must not change: write to <name>.part and"
                + " rename it when complete");
    }

    /** Every record of {@code work} is emitted: it moves once they are all committed. */
    private void fullyEmitted(FileWork work) {
        current = null;
        work.fullyEmitted = true;
        if (work.uncommitted.get() == 0 && tracked.remove(work.partition, work)) {
            readyToMove.add(work);
        }
        LOG.info("{}: all {} findings emitted; it moves to {} once they are committed", work.file.getFileName(), work.total,
                processed);
    }

    /** Drops {@code work} after its parse failed: its thread is ending, its file leaves the spool or the task fails. */
    private void abandon(FileWork work) {
        current = null;
        work.feed.stop(PARSER_STOP_BOUND);
        inFlight.remove(work.file);
        tracked.remove(work.partition, work);
    }

    private void moveCommittedFiles() {
        for (FileWork w; (w = readyToMove.poll()) != null; ) {
            move(w.file, processed);
            inFlight.remove(w.file);
            LOG.info("{}: every finding committed; moved to {}", w.file.getFileName(), processed);
        }
    }

    private void refuse(Path file, ReportException e) {
        String name = file.getFileName().toString();
        LOG.warn("{}: refused ({}): {}; moving it to {}", name, e.kind(), e.getMessage(), errors);
        Path moved = move(file, errors);
        if (moved != null) {
            String why = "refused (" + e.kind() + "): " + e.getMessage() + System.lineSeparator();
            try {
                Files.writeString(moved.resolveSibling(moved.getFileName() + ".error.txt"), why, StandardCharsets.UTF_8);
            } catch (IOException io) {
                LOG.warn("{}: cannot write the error file: {}", name, io.toString());
            }
        }
    }

    /** Moves {@code file} into {@code dir}, never over an existing file (a suffix keeps both). */
    private static Path move(Path file, Path dir) {
        String name = file.getFileName().toString();
        Path target = dir.resolve(name);
        for (int i = 1; Files.exists(target); i++) {
            target = dir.resolve(name + "." + i);
        }
        try {
            try {
                return Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                return Files.move(file, target);
            }
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + file + " to " + dir, e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class FileWork {
        final Path file;
        final long size;
        final String hash;
        final Map<String, Object> partition;
        final ReportRecords records;
        final long total;
        /** The ordinal of the next record to hand to Connect. Task thread only. */
        long next;
        /** Set on the task thread before the feed is visible to anyone else. */
        ReportFeed feed;
        volatile boolean fullyEmitted;
        final AtomicLong uncommitted = new AtomicLong();

        FileWork(Path file, long size, String hash, Map<String, Object> partition, ReportRecords records, long total, long next) {
            this.file = file;
            this.size = size;
            this.hash = hash;
            this.partition = partition;
            this.records = records;
            this.total = total;
            this.next = next;
        }
    }
}

package dev.handoff.ingest.cli;

import dev.handoff.avro.FindingReported;
import dev.handoff.ingest.ReportRecords;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportParsers;
import dev.handoff.ingest.parse.ReportSummary;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * {@code handoff-ingest send FILE --bootstrap-servers …}: parses the report and produces each finding to
 * {@code findings.reported} as it is read, all in one Kafka transaction, so the report lands whole or not
 * at all. The report id is a hash of the file and the source, so event ids repeat when the same report
 * is sent again. A progress bar on stderr follows the bytes read.
 */
@Command(name = "send", mixinStandardHelpOptions = true,
        description = "Parse a report and produce its findings to <prefix>findings.reported in one transaction.")
final class SendCommand implements Callable<Integer> {

    @Mixin
    ReportOptions report;

    @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT", description = "Kafka brokers")
    String bootstrap;

    @Option(names = "--topic-prefix", defaultValue = Topics.DEFAULT_PREFIX, description = "topic prefix (default: ${DEFAULT-VALUE})")
    String prefix;

    @Option(names = "--schema-registry-url", defaultValue = SchemaRegistries.EMBEDDED,
            description = "http(s)://… of a Schema Registry, or embedded (default: ${DEFAULT-VALUE})")
    String registryUrl;

    @Option(names = "--asset", paramLabel = "ID", description = "bind every finding to this asset (sets target.asset_hint)")
    String asset;

    @Option(names = "--source", defaultValue = "ingest-connector/cli", description = "the source recorded on each event (default: ${DEFAULT-VALUE})")
    String source;

    @Option(names = "--scanned-at", paramLabel = "ISO-8601", description = "when the scan ran (default: each finding's detection time, else now)")
    String scannedAt;

    @Option(names = "--no-progress", description = "no progress bar")
    boolean noProgress;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        CommandLine cmd = spec.commandLine();
        PrintWriter err = cmd.getErr();
        Instant scanned = parseInstant(cmd);
        long size;
        String reportId;
        try {
            size = Files.size(report.file);
            reportId = reportId(report.file, source);
        } catch (IOException e) {
            err.println("handoff-ingest: cannot read " + report.file + ": " + e.getMessage());
            return IngestCli.REFUSED;
        }
        Topics topics = new Topics(prefix, Topics.DEFAULT_PARTITIONS, SchemaRegistries.fromConfig(Map.of(SchemaRegistries.URL_CONFIG, registryUrl)));
        String topic = topics.name(Topics.FINDINGS_REPORTED);
        Serializer<FindingReported> values = topics.valueSerde(Topics.FINDINGS_REPORTED).serializer();
        ReportRecords records = new ReportRecords(reportId, source, asset, scanned, Instant.now());
        Progress progress = new Progress(err, size, !noProgress);
        long started = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps(), new StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer());
             InputStream in = new Counting(Files.newInputStream(report.file), progress)) {
            producer.initTransactions();
            producer.beginTransaction();
            long[] n = {0};
            ReportSummary summary;
            try {
                summary = new ReportParsers().parse(in, report.format(cmd), report.limits(cmd), f -> {
                    FindingReported r = records.toRecord(f, n[0]++);
                    producer.send(new ProducerRecord<>(topic, r.getFindingId(), values.serialize(topic, r)));
                });
            } catch (ReportException e) {
                producer.abortTransaction();
                progress.done();
                err.println("handoff-ingest: " + report.file + " refused (" + e.kind() + "): " + e.getMessage() + "; nothing was sent");
                return IngestCli.REFUSED;
            }
            producer.commitTransaction();
            progress.done();
            err.println(Summaries.line(report.file, summary, System.nanoTime() - started) + "; sent to " + topic + " as report " + reportId);
            return 0;
        } catch (KafkaException e) {
            progress.done();
            err.println("handoff-ingest: Kafka at " + bootstrap + " failed: " + e.getMessage() + "; the transaction was not committed, nothing landed");
            return IngestCli.KAFKA_FAILED;
        } catch (IOException e) {
            err.println("handoff-ingest: cannot read " + report.file + ": " + e.getMessage());
            return IngestCli.REFUSED;
        }
    }

    private Properties producerProps() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "handoff-ingest-cli-" + UUID.randomUUID());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        return p;
    }

    private Instant parseInstant(CommandLine cmd) {
        if (scannedAt == null) {
            return null;
        }
        try {
            return Instant.parse(scannedAt);
        } catch (DateTimeParseException e) {
            throw new CommandLine.ParameterException(cmd, "--scanned-at must be an ISO-8601 instant such as 2026-11-23T10:00:00Z, was '" + scannedAt + "'");
        }
    }

    /** SHA-256 of the source and the report's bytes: the same upload from the same source has the same id. */
    static String reportId(java.nio.file.Path file, String source) throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(source.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            sha.update((byte) 0);
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 16];
                for (int r; (r = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, r);
                }
            }
            return "rpt-" + HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A one-line bar on stderr, redrawn at most every 200 ms. */
    static final class Progress {
        private final PrintWriter err;
        private final long total;
        private final boolean enabled;
        private long read;
        private long lastDraw;
        private boolean drawn;

        Progress(PrintWriter err, long total, boolean enabled) {
            this.err = err;
            this.total = Math.max(1, total);
            this.enabled = enabled;
        }

        void advance(long bytes) {
            read += bytes;
            long now = System.nanoTime();
            if (enabled && now - lastDraw > 200_000_000L) {
                lastDraw = now;
                int pct = (int) Math.min(100, read * 100 / total);
                int filled = pct * 30 / 100;
                err.print("\r[" + "#".repeat(filled) + " ".repeat(30 - filled) + "] " + pct + " % of " + total / 1024 + " KiB");
                err.flush();
                drawn = true;
            }
        }

        void done() {
            if (drawn) {
                err.print("\r" + " ".repeat(60) + "\r");
                err.flush();
            }
        }
    }

    private static final class Counting extends FilterInputStream {
        private final Progress progress;

        Counting(InputStream in, Progress progress) {
            super(in);
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                progress.advance(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                progress.advance(n);
            }
            return n;
        }
    }
}

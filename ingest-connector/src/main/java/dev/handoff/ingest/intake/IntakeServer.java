package dev.handoff.ingest.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.Actor;
import dev.handoff.avro.ActorKind;
import dev.handoff.avro.CommandKind;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.ReportReceipt;
import dev.handoff.avro.LifecycleCommand;
import dev.handoff.avro.Reassignment;
import dev.handoff.avro.RiskAcceptance;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SeverityChange;
import dev.handoff.ingest.ReportRecords;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportParsers;
import dev.handoff.ingest.parse.ReportSummary;
import dev.handoff.schemas.AckLinks;
import dev.handoff.schemas.LifecycleCommands;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.kafka.CompactedTopicMirror;
import dev.handoff.schemas.kafka.KafkaClientSettings;
import dev.handoff.schemas.registry.SchemaRegistries;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;

/**
 * The HTTP intake: scanner reports, manual findings and people's lifecycle commands onto the log, behind
 * bearer tokens with roles. A report's findings are produced in one Kafka transaction, so a report lands
 * whole or not at all; its id (the {@code Idempotency-Key} header, else a hash of the source and the
 * bytes) makes a retried upload land once. Every answer is JSON, except the acknowledgement link page.
 */
public final class IntakeServer implements AutoCloseable {

    /** Jetty's request line and header buffer: room for the long parameters the intake refuses itself (see the constructor). */
    static final int REQUEST_HEADER_BYTES = 64 * 1024;
    /** The longest source or asset parameter taken. */
    static final int MAX_PARAM_CHARS = 1_024;

    private static final Logger log = LoggerFactory.getLogger(IntakeServer.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration RECEIPTS_WAIT = Duration.ofSeconds(10);
    /**
     * Largest finding record (key and value) the intake sends: the producer's max.request.size (1 MiB, the default it
     * is built with) less room for the record and batch headers. A larger one would fail the transaction in the
     * producer; checked first, it is the report's fault, said as such (413), not Kafka's (503, "retry").
     */
    static final int MAX_RECORD_BYTES = 1024 * 1024 - 512;
    /** How far ahead of this intake's clock a client's scanned_at may be (clocks differ). */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(15);
    private static final Map<String, CommandKind> ACTIONS = Map.ofEntries(
            Map.entry("acknowledge", CommandKind.ACKNOWLEDGE), Map.entry("triage", CommandKind.ENTER_TRIAGE),
            Map.entry("start", CommandKind.START_WORK), Map.entry("resolve", CommandKind.RESOLVE),
            Map.entry("verify", CommandKind.VERIFY), Map.entry("reopen", CommandKind.REOPEN),
            Map.entry("reassign", CommandKind.REASSIGN), Map.entry("accept-risk", CommandKind.ACCEPT_RISK),
            Map.entry("false-positive", CommandKind.MARK_FALSE_POSITIVE), Map.entry("severity", CommandKind.CHANGE_SEVERITY),
            Map.entry("comment", CommandKind.COMMENT));

    private final IntakeSettings settings;
    private final Topics topics;
    private final ReportParsers parsers = new ReportParsers();
    private final AckLinks ackLinks;
    private final Javalin app;
    private final Object producing = new Object();
    private KafkaProducer<String, byte[]> producer;
    /**
     * One transactional id for the life of this intake, kept when a broken producer is replaced: the replacement's
     * initTransactions then aborts the transaction its predecessor left open at once. With a new id the open
     * transaction would hold back every read_committed reader of the topic until the broker timed it out (60 s).
     */
    private final String transactionalId = "handoff-intake-" + UUID.randomUUID();
    /** Receipts of accepted reports, from the compacted intake.receipts topic: retries are answered from them. */
    private final CompactedTopicMirror<ReportReceipt> receipts;

    private IntakeServer(IntakeSettings settings) {
        this.settings = settings;
        this.topics = new Topics(settings.topicPrefix(), Topics.DEFAULT_PARTITIONS,
                SchemaRegistries.fromConfig(settings.registry()));
        this.ackLinks = settings.ackSecret() == null ? null : new AckLinks(settings.ackSecret());
        try {
            this.producer = newProducer();
        } catch (KafkaException e) {
            throw new IllegalStateException("the intake cannot produce to Kafka at " + settings.bootstrapServers() + ": " + e.getMessage()
                    + " (check bootstrap.servers and the security settings: security.protocol, sasl.*, ssl.*)", e);
        }
        this.receipts = new CompactedTopicMirror<>(KafkaClientSettings.properties(settings.kafka()), topics.name(Topics.INTAKE_RECEIPTS),
                topics.valueSerde(Topics.INTAKE_RECEIPTS).deserializer(), ReportReceipt::getReportId, settings.receiptsRemembered(),
                "handoff-intake-receipts");
        this.app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.startupWatcherEnabled = false;
            cfg.http.defaultContentType = "application/json";
            cfg.jetty.modifyServer(jetty -> jetty.setErrorHandler(new JsonErrorHandler()));
            // Jetty refuses a request line over its buffer before reading the body, then closes the connection; with
            // the upload still arriving, the close can reset it and the client never reads the 414 (IntakeFuzzIT saw
            // "header parser received no bytes" 2 times in 2 000). A 64 KiB buffer lets such URLs reach the intake,
            // which refuses long parameters itself with a 400 saying which and how long.
            cfg.jetty.modifyHttpConfiguration(http -> http.setRequestHeaderSize(REQUEST_HEADER_BYTES));
            cfg.jetty.multipartConfig.maxFileSize(settings.limits().maxBytes(), io.javalin.config.SizeUnit.BYTES);
            cfg.jetty.multipartConfig.maxTotalRequestSize(settings.limits().maxBytes() + 1_000_000, io.javalin.config.SizeUnit.BYTES);
        });
        routes();
    }

    public static IntakeServer start(IntakeSettings settings) {
        IntakeServer server = new IntakeServer(settings);
        server.app.start(settings.port());
        log.info("intake listening on port {}, producing to {}", server.app.port(), KafkaClientSettings.describe(settings.kafka()));
        return server;
    }

    public int port() {
        return app.port();
    }

    public Topics topics() {
        return topics;
    }

    @Override
    public void close() {
        app.stop();
        receipts.close();
        synchronized (producing) {
            producer.close(Duration.ofSeconds(5));
        }
    }

    // ------------------------------------------------------------------ routes

    private void routes() {
        app.get("/health", ctx -> ctx.json(Map.of("status", "UP")));
        app.post("/v1/reports", this::report);
        app.get("/v1/reports/{id}", this::receipt);
        app.post("/v1/findings", this::manualFinding);
        app.post("/v1/findings/{id}/{action}", this::command);
        app.get("/v1/ack/{token}", this::ackPage);
        app.post("/v1/ack/{token}", this::ackLink);
        app.exception(Problem.class, (e, ctx) -> error(ctx, e.status, e.getMessage()));
        app.exception(io.javalin.http.HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getMessage()));
        app.exception(Exception.class, (e, ctx) -> {
            // A bug of the intake, never the client's input: logged in full, answered without internals.
            String id = UUID.randomUUID().toString().substring(0, 8);
            log.error("{} {} failed (error {})", ctx.method(), ctx.path(), id, e);
            error(ctx, 500, "internal error " + id + " (the intake logged it); retry, and report it if it persists");
        });
    }

    /** A query parameter that names something (a source, an asset): refused with a 400 when longer than a name can be. */
    private static String shortParam(Context ctx, String name) {
        String value = ctx.queryParam(name);
        if (value != null && value.length() > MAX_PARAM_CHARS) {
            throw new Problem(400, "query parameter '" + name + "' is " + value.length() + " characters long, over the limit of " + MAX_PARAM_CHARS
                    + " (it names where the report comes from or what it scanned; the report goes in the body)");
        }
        return value;
    }

    private void report(Context ctx) throws IOException, InterruptedException {
        IntakeSettings.Caller caller = authorise(ctx, IntakeSettings.Role.INGEST);
        Optional<ReportFormat> format = format(ctx.queryParam("format"));
        String source = Optional.ofNullable(shortParam(ctx, "source")).filter(s -> !s.isBlank()).orElse("ingest-connector/http:" + caller.actorId());
        Instant scannedAt = scannedAt(ctx.queryParam("scanned_at"));
        String asset = shortParam(ctx, "asset");
        String encoding = ctx.header("Content-Encoding");
        if (encoding != null && !encoding.isBlank() && !encoding.trim().equalsIgnoreCase("identity")) {
            // Never inflated: a few KB of gzip can claim gigabytes. Reports are text and upload fine as they are.
            throw new Problem(415, "compressed uploads are not taken (Content-Encoding: " + encoding + "): send the report uncompressed,"
                    + " up to " + settings.limits().maxBytes() + " bytes (ingest.limit.bytes)");
        }
        awaitReceipts();
        Path spooled = Files.createTempFile("handoff-report-", ".upload");
        try {
            String hash = spool(ctx, spooled, source);
            String key = Optional.ofNullable(ctx.header("Idempotency-Key")).filter(k -> !k.isBlank()).orElse(null);
            String reportId = key == null ? "rpt-" + hash : "rpt-" + sha256Hex((source + "\u0000" + key).getBytes(StandardCharsets.UTF_8));
            synchronized (producing) {
                Optional<ReportReceipt> earlier = receipts.get(reportId);
                if (earlier.isPresent()) {
                    ctx.status(200).json(receiptJson(earlier.get()).put("duplicate", true));
                    return;
                }
                Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
                ReportRecords records = new ReportRecords(reportId, source, asset, scannedAt, now);
                ReportReceipt[] receipt = {null};
                try (InputStream in = Files.newInputStream(spooled)) {
                    produceReport(in, format, records, id -> { }, summary -> receipt[0] = ReportReceipt.newBuilder()
                            .setEventId("receipt:" + reportId)
                            .setReportId(reportId)
                            .setEventTime(now)
                            .setRecordedTime(Instant.now().truncatedTo(ChronoUnit.MILLIS))
                            .setSource(source)
                            .setActorId(caller.actorId())
                            .setFormat(summary.format().id())
                            .setFindings(summary.findings())
                            .setBySeverity(new LinkedHashMap<>(summary.bySeverityLabel()))
                            .setByBand(new LinkedHashMap<>(summary.byBand()))
                            .setTopic(topics.name(Topics.FINDINGS_REPORTED))
                            .setIdempotencyKey(key)
                            .build()
                    );
                }
                receipts.put(receipt[0]);
                ctx.status(202).json(receiptJson(receipt[0]));
            }
        } finally {
            Files.deleteIfExists(spooled);
        }
    }

    private void receipt(Context ctx) throws InterruptedException {
        authorise(ctx, IntakeSettings.Role.READ);
        awaitReceipts();
        String reportId = ctx.pathParam("id");
        ReportReceipt receipt = receipts.get(reportId).orElseThrow(() -> new Problem(404, "no report " + reportId
                + " was accepted (this intake remembers the newest " + settings.receiptsRemembered() + " receipts)"));
        ctx.json(receiptJson(receipt));
    }

    private void awaitReceipts() throws InterruptedException {
        if (!receipts.awaitLoaded(RECEIPTS_WAIT)) {
            throw new Problem(503, "the intake is " + receipts.notLoadedReason() + "; retry in a few seconds");
        }
    }

    private ObjectNode receiptJson(ReportReceipt r) {
        ObjectNode body = MAPPER.createObjectNode();
        body.put("report_id", r.getReportId());
        body.put("format", r.getFormat());
        body.put("findings", r.getFindings());
        body.set("by_severity", MAPPER.valueToTree(new java.util.TreeMap<>(r.getBySeverity())));
        body.set("by_band", MAPPER.valueToTree(new java.util.TreeMap<>(r.getByBand())));
        body.put("topic", r.getTopic());
        body.put("source", r.getSource());
        body.put("accepted_at", r.getEventTime().toString());
        body.put("accepted_by", r.getActorId());
        return body;
    }

    /** Parses and produces a report in one transaction; refused or failed reports leave nothing behind. */
    private ReportSummary produceReport(InputStream in, Optional<ReportFormat> format, ReportRecords records,
                                        java.util.function.Consumer<String> findingIds,
                                        java.util.function.Function<ReportSummary, ReportReceipt> receiptOf) {
        String topic = topics.name(Topics.FINDINGS_REPORTED);
        var serializer = topics.valueSerde(Topics.FINDINGS_REPORTED).serializer();
        synchronized (producing) {
            producer.beginTransaction();
            try {
                long[] n = {0};
                ReportSummary summary = parsers.parse(in, format, settings.limits(), f -> {
                    FindingReported r = records.toRecord(f, n[0]++);
                    byte[] value = serializer.serialize(topic, r);
                    int size = value.length + r.getFindingId().length();
                    if (size > MAX_RECORD_BYTES) {
                        throw new ReportException(ReportException.Kind.LIMIT_EXCEEDED, "finding " + n[0] + " (" + abbreviate(f.title())
                                + ") is " + size + " bytes as a Kafka record, over the limit of " + MAX_RECORD_BYTES
                                + ": one finding is one record; shorten its longest value (a description, a title)");
                    }
                    producer.send(new ProducerRecord<>(topic, r.getFindingId(), value));
                    findingIds.accept(r.getFindingId());
                });
                ReportReceipt receipt = receiptOf.apply(summary);
                if (receipt != null) {
                    String receipts = topics.name(Topics.INTAKE_RECEIPTS);
                    producer.send(new ProducerRecord<>(receipts, receipt.getReportId(),
                            topics.valueSerde(Topics.INTAKE_RECEIPTS).serializer().serialize(receipts, receipt)));
                }
                producer.commitTransaction();
                return summary;
            } catch (ReportException e) {
                abort();
                throw new Problem(status(e), refusal(e));
            } catch (KafkaException e) {
                abort();
                log.warn("report {} not produced: {}", records.reportId(), e.toString());
                if (causedBy(e, RecordTooLargeException.class)) {
                    // The topic takes smaller records than the producer (its max.message.bytes): a retry never lands.
                    throw new Problem(413, "a finding of the report is larger than topic " + topic + " takes (its max.message.bytes);"
                            + " nothing of the report was recorded: shorten the finding's longest value");
                }
                throw new Problem(503, "Kafka did not take the report (" + e.getMessage() + "); nothing of it was recorded, retry");
            } catch (RuntimeException | Error e) {
                // Left open, the transaction would refuse every later report ("invalid transition ... IN_TRANSACTION").
                abort();
                throw e;
            }
        }
    }

    private void manualFinding(Context ctx) {
        IntakeSettings.Caller caller = authorise(ctx, IntakeSettings.Role.INGEST);
        JsonNode finding = json(ctx);
        if (!finding.isObject()) {
            throw new Problem(400, "the body must be one finding as a JSON object (fields of docs/generic-report-format.md)");
        }
        ObjectNode doc = MAPPER.createObjectNode().put("format", "handoff-generic").put("version", 1);
        doc.putObject("tool").put("name", "manual");
        doc.putArray("findings").add(finding);
        String reportId = "man-" + UUID.randomUUID();
        ReportRecords records = new ReportRecords(reportId, "ingest-connector/http:" + caller.actorId(), null, null,
                Instant.now().truncatedTo(ChronoUnit.MILLIS));
        List<String> ids = new ArrayList<>();
        byte[] bytes;
        try {
            bytes = MAPPER.writeValueAsBytes(doc);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        produceReport(new ByteArrayInputStream(bytes), Optional.of(ReportFormat.GENERIC_JSON), records, ids::add, summary -> null);
        ctx.status(202).json(Map.of("finding_id", ids.get(0), "event_id", reportId + "/0"));
    }

    private void command(Context ctx) {
        IntakeSettings.Caller caller = authorise(ctx, IntakeSettings.Role.ACKNOWLEDGE);
        String findingId = ctx.pathParam("id");
        CommandKind kind = ACTIONS.get(ctx.pathParam("action"));
        if (kind == null) {
            throw new Problem(404, "unknown action '" + ctx.pathParam("action") + "'; actions: " + String.join(", ", new java.util.TreeSet<>(ACTIONS.keySet())));
        }
        JsonNode body = ctx.body().isBlank() ? MAPPER.createObjectNode() : json(ctx);
        LifecycleCommand.Builder c = LifecycleCommand.newBuilder()
                .setEventId("cmd-" + UUID.randomUUID())
                .setEventTime(Instant.now().truncatedTo(ChronoUnit.MILLIS))
                .setRecordedTime(Instant.now().truncatedTo(ChronoUnit.MILLIS))
                .setSource("ingest-connector/http")
                .setActor(Actor.newBuilder().setId(caller.actorId()).setKind(ActorKind.PERSON).setDisplayName(null).build())
                .setFindingId(findingId)
                .setKind(kind)
                .setDetails(details(kind, body))
                .setNote(text(body, "note"))
                .setIdempotencyKey(Optional.ofNullable(ctx.header("Idempotency-Key")).orElse(text(body, "idempotency_key")));
        LifecycleCommand command = c.build();
        LifecycleCommands.problem(command).ifPresent(p -> {
            throw new Problem(400, p);
        });
        produceCommand(command);
        ctx.status(202).json(Map.of("event_id", command.getEventId(), "finding_id", findingId, "kind", kind.name()));
    }

    /**
     * The page an acknowledgement link opens: it checks the link and asks to confirm with a button (a POST). A GET
     * never acknowledges: mail security gateways (Safe Links, Proofpoint, Mimecast) open every link in a message to
     * scan it, and an acknowledgement by a scanner would make the handoff look faster than it was.
     */
    private void ackPage(Context ctx) {
        AckLinks.Claims claims = ackClaims(ctx);
        if (claims == null) {
            return;
        }
        String token = ctx.pathParam("token");
        ctx.status(200).contentType("text/html; charset=utf-8").header("Cache-Control", "no-store").header("Referrer-Policy", "no-referrer")
                .result("<!doctype html><html><head><meta charset=\"utf-8\"><title>Acknowledge finding</title></head>"
                        + "<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><h1>Acknowledge finding</h1><p>Finding "
                        + escape(claims.findingId()) + " is routed to " + escape(claims.ownerId()) + ". Acknowledging it says you own it "
                        + "and starts its remediation clock.</p><form method=\"post\" action=\"/v1/ack/" + escape(token) + "\">"
                        + "<button type=\"submit\" style=\"font-size:1.1em;padding:.5em 1.2em\">Acknowledge as " + escape(claims.ownerId())
                        + "</button></form><p style=\"color:#666\">This link is valid until " + escape(claims.expiresAt().toString())
                        + ".</p></body></html>");
    }

    /** The claims of the request's link, or null after answering why it cannot be used. */
    private AckLinks.Claims ackClaims(Context ctx) {
        if (ackLinks == null) {
            page(ctx, 404, "Acknowledgement links are off", "This intake has no intake.ack.secret configured.");
            return null;
        }
        try {
            return ackLinks.verify(ctx.pathParam("token"), Instant.now());
        } catch (IllegalArgumentException e) {
            page(ctx, e.getMessage().contains("expired") ? 410 : 400, "This link cannot acknowledge anything", e.getMessage());
            return null;
        }
    }

    private void ackLink(Context ctx) {
        AckLinks.Claims claims = ackClaims(ctx);
        if (claims == null) {
            return;
        }
        LifecycleCommand command = LifecycleCommand.newBuilder()
                .setEventId("ack-" + sha256Hex(ctx.pathParam("token").getBytes(StandardCharsets.UTF_8)).substring(0, 24))
                .setEventTime(Instant.now().truncatedTo(ChronoUnit.MILLIS))
                .setRecordedTime(Instant.now().truncatedTo(ChronoUnit.MILLIS))
                .setSource("ingest-connector/ack-link")
                .setActor(Actor.newBuilder().setId(claims.ownerId()).setKind(ActorKind.PERSON).setDisplayName(null).build())
                .setFindingId(claims.findingId())
                .setKind(CommandKind.ACKNOWLEDGE)
                .setDetails(null)
                .setNote("acknowledged from a notification link")
                .setIdempotencyKey("ack-link:" + sha256Hex(ctx.pathParam("token").getBytes(StandardCharsets.UTF_8)))
                .build();
        produceCommand(command);
        page(ctx, 200, "Acknowledged", "Finding " + claims.findingId() + " is acknowledged by " + claims.ownerId()
                + ". You own it now; its remediation clock has started.");
    }

    private void produceCommand(LifecycleCommand command) {
        String topic = topics.name(Topics.FINDINGS_COMMANDS);
        byte[] value = topics.valueSerde(Topics.FINDINGS_COMMANDS).serializer().serialize(topic, command);
        synchronized (producing) {
            producer.beginTransaction();
            try {
                producer.send(new ProducerRecord<>(topic, command.getFindingId(), value));
                producer.commitTransaction();
            } catch (KafkaException e) {
                abort();
                throw new Problem(503, "Kafka did not take the command (" + e.getMessage() + "); retry");
            } catch (RuntimeException | Error e) {
                abort();
                throw e;
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private IntakeSettings.Caller authorise(Context ctx, IntakeSettings.Role role) {
        String header = ctx.header("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new Problem(401, "an Authorization: Bearer <token> header is required");
        }
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        IntakeSettings.Caller caller = null;
        for (Map.Entry<String, IntakeSettings.Caller> t : settings.tokens().entrySet()) {
            if (MessageDigest.isEqual(t.getKey().getBytes(StandardCharsets.UTF_8), given)) {
                caller = t.getValue();
            }
        }
        if (caller == null) {
            ctx.header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
            throw new Problem(401, "the bearer token is not known to this intake");
        }
        if (!caller.may(role)) {
            throw new Problem(403, "caller " + caller.actorId() + " lacks the '" + role.name().toLowerCase(java.util.Locale.ROOT) + "' role");
        }
        return caller;
    }

    /** Copies the upload (raw body, or the multipart part 'file') to disk under the size limit; returns its hash. */
    private String spool(Context ctx, Path into, String source) throws IOException {
        String type = Optional.ofNullable(ctx.contentType()).orElse("");
        InputStream in;
        if (type.startsWith("multipart/form-data")) {
            UploadedFile file = uploadedFile(ctx);
            if (file == null) {
                throw new Problem(400, "a multipart upload needs the report in a part named 'file'");
            }
            in = file.content();
        } else {
            in = ctx.bodyInputStream();
        }
        MessageDigest sha = sha256();
        sha.update(source.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        long total = 0;
        try (InputStream src = in; OutputStream out = Files.newOutputStream(into)) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = src.read(buf)) > 0; ) {
                total += r;
                if (total > settings.limits().maxBytes()) {
                    throw new Problem(413, "the report is larger than the limit of " + settings.limits().maxBytes() + " bytes (ingest.limit.bytes)");
                }
                sha.update(buf, 0, r);
                out.write(buf, 0, r);
            }
        }
        if (total == 0) {
            throw new Problem(400, "the request has no report in its body");
        }
        return HexFormat.of().formatHex(sha.digest(), 0, 16);
    }

    /** The multipart part 'file', or null; a body Jetty cannot read as multipart is the client's mistake, said as such. */
    private UploadedFile uploadedFile(Context ctx) {
        try {
            return ctx.uploadedFile("file");
        } catch (Exception e) { // Javalin (Kotlin) rethrows Jetty's IOException undeclared
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String why = String.valueOf(root.getMessage());
            if (why.toLowerCase(java.util.Locale.ROOT).contains("exceeds max")) {
                throw new Problem(413, "the report is larger than the limit of " + settings.limits().maxBytes() + " bytes (ingest.limit.bytes)");
            }
            throw new Problem(400, "the multipart/form-data body cannot be read (" + why + "): send the report in a part named 'file'"
                    + " between the boundaries the Content-Type header names, or as the raw body");
        }
    }

    private static Optional<ReportFormat> format(String name) {
        if (name == null || name.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(ReportFormat.byName(name).orElseThrow(() ->
                new Problem(415, "unknown format '" + name + "'; known formats: " + ReportFormat.known())));
    }

    private static int status(ReportException e) {
        return switch (e.kind()) {
            case MALFORMED, UNSAFE -> 400;
            case TOO_LARGE, LIMIT_EXCEEDED -> 413;
            case UNKNOWN_FORMAT -> 415;
        };
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private static String abbreviate(String s) {
        return s == null ? "untitled" : "'" + (s.length() <= 80 ? s : s.substring(0, 80) + "…") + "'";
    }

    private static String refusal(ReportException e) {
        return "report refused (" + e.kind() + "): " + e.getMessage();
    }

    /**
     * The scan time a client gives, which becomes every finding's event time (t0 on first capture): not before 1970 and not
     * later than this intake's clock plus {@link #CLOCK_SKEW}. handoff-streams refuses events dated where Kafka cannot date
     * the records they cause, so a report accepted here with such a time would be dead-lettered finding by finding there.
     */
    private static Instant scannedAt(String value) {
        Instant t = instant(value, "scanned_at");
        if (t == null) {
            return null;
        }
        if (t.isBefore(Instant.EPOCH)) {
            throw new Problem(400, "scanned_at " + t + " is before 1970; give the time the scan ran, such as 2026-11-23T10:00:00Z");
        }
        Instant now = Instant.now();
        if (t.isAfter(now.plus(CLOCK_SKEW))) {
            throw new Problem(400, "scanned_at " + t + " is in the future (this intake's clock says " + now.truncatedTo(ChronoUnit.SECONDS)
                    + "); give the time the scan ran, or leave scanned_at out to use the time of the upload");
        }
        return t;
    }

    private static Instant instant(String value, String name) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(value.trim());
        } catch (DateTimeParseException e) {
            throw new Problem(400, name + " must be an ISO-8601 instant such as 2026-11-23T10:00:00Z, was '" + value + "'");
        }
    }

    private static JsonNode json(Context ctx) {
        try {
            return MAPPER.readTree(ctx.body());
        } catch (IOException e) {
            throw new Problem(400, "the body is not JSON: " + e.getMessage());
        }
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Object details(CommandKind kind, JsonNode body) {
        switch (kind) {
            case REASSIGN -> {
                String to = text(body, "to_owner_id");
                if (to == null || to.isBlank()) {
                    throw new Problem(400, "reassign needs to_owner_id in the JSON body");
                }
                return new Reassignment(to, text(body, "to_team_id"));
            }
            case CHANGE_SEVERITY -> {
                String band = text(body, "band");
                try {
                    return new SeverityChange(SeverityBand.valueOf(String.valueOf(band).toUpperCase(java.util.Locale.ROOT)), text(body, "cvss_vector"));
                } catch (IllegalArgumentException e) {
                    throw new Problem(400, "severity needs band (critical, high, medium, low or info) in the JSON body, got '" + band + "'");
                }
            }
            case ACCEPT_RISK -> {
                return new RiskAcceptance(instant(text(body, "expires_at"), "expires_at"), text(body, "approver_id"));
            }
            default -> {
                return null;
            }
        }
    }

    private void abort() {
        try {
            producer.abortTransaction();
        } catch (KafkaException fatal) {
            log.warn("the producer cannot abort ({}); replacing it", fatal.toString());
            producer.close(java.time.Duration.ZERO);
            producer = newProducer();
        }
    }

    private KafkaProducer<String, byte[]> newProducer() {
        Properties p = KafkaClientSettings.properties(settings.kafka());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "10");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
        KafkaProducer<String, byte[]> kp = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        kp.initTransactions();
        return kp;
    }

    private static void error(Context ctx, int status, String message) {
        ctx.status(status).contentType("application/json").result(MAPPER.createObjectNode().put("error", message).toString());
    }

    private static void page(Context ctx, int status, String title, String text) {
        ctx.status(status).contentType("text/html; charset=utf-8").result("<!doctype html><html><head><meta charset=\"utf-8\"><title>"
                + escape(title) + "</title></head><body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><h1>" + escape(title)
                + "</h1><p>" + escape(text) + "</p></body></html>");
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("'", "&#39;");
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes), 0, 16);
    }

    /** A request Handoff answers with a 4xx/5xx and a reason. */
    static final class Problem extends RuntimeException {
        final int status;

        Problem(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }
}

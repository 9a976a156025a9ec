package dev.handoff.launcher.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.CommandKind;
import dev.handoff.avro.SeverityBand;
import dev.handoff.streams.query.AvroJson;
import org.apache.avro.specific.SpecificRecord;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --dump DIR}: the run's raw input and output as NDJSON, so anyone can recompute the metrics without Handoff.
 * <ul>
 *   <li>{@code events.ndjson}: one line per record the bench produced, reference data first, then the lifecycle events
 *       in log order: {@code {"topic": "findings.reported", "key": "...", "value": {...}}}, the value being the Avro
 *       record with the {@code .avsc} field names (timestamps ISO-8601, unions unwrapped);</li>
 *   <li>{@code metrics-handoff.ndjson}: the pipeline's final {@code metrics.handoff} rows of dimension ALL (every
 *       granularity; the check reads the DAY rows), latest per key, sketches as base64 DDSketch protobuf;</li>
 *   <li>{@code gauges.json}: the workspace gauges the query API answered at the end (unrouted depth, open findings);</li>
 *   <li>{@code run.json}: the command's parameters and the figures it printed.</li>
 * </ul>
 * {@link #recompute} reads a dump back, rebuilds {@link GroundTruth} from {@code events.ndjson} alone and checks the
 * rows against it exactly as the live run does.
 */
public final class BenchDump implements AutoCloseable {

    static final String EVENTS = "events.ndjson";
    static final String ROWS = "metrics-handoff.ndjson";
    static final String GAUGES = "gauges.json";
    static final String RUN = "run.json";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final BufferedWriter events;

    BenchDump(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
            this.events = Files.newBufferedWriter(dir.resolve(EVENTS), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("--dump: cannot write to " + dir + ": " + e.getMessage(), e);
        }
    }

    void record(String topic, String key, SpecificRecord value) {
        ObjectNode line = JSON.createObjectNode();
        line.put("topic", topic);
        line.put("key", key);
        line.set("value", AvroJson.toJson(value));
        try {
            events.write(JSON.writeValueAsString(line));
            events.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void rows(List<JsonNode> rows) {
        try (BufferedWriter w = Files.newBufferedWriter(dir.resolve(ROWS), StandardCharsets.UTF_8)) {
            for (JsonNode r : rows) {
                w.write(JSON.writeValueAsString(r));
                w.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void json(String name, JsonNode node) {
        try {
            Files.writeString(dir.resolve(name), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path dir() {
        return dir;
    }

    @Override
    public void close() {
        try {
            events.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------------------------------------ reading back

    /** Rebuilds the ground truth from {@code events.ndjson} and checks the dumped rows and gauges against it. */
    public static Accuracy.Result recompute(Path dir, PrintStream out) {
        Path eventsFile = dir.resolve(EVENTS);
        Path rowsFile = dir.resolve(ROWS);
        if (!Files.isRegularFile(eventsFile) || !Files.isRegularFile(rowsFile)) {
            throw new IllegalArgumentException(dir + " is not a bench dump: it needs " + EVENTS + " and " + ROWS
                    + " (write one with ./handoff bench --dump " + dir + ")");
        }
        Directory directory = new Directory();
        GroundTruth truth = null;
        long lines = 0;
        try (BufferedReader r = Files.newBufferedReader(eventsFile, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                lines++;
                JsonNode n = JSON.readTree(line);
                String topic = n.path("topic").asText();
                JsonNode v = n.path("value");
                switch (topic) {
                    case "owners" -> directory.person(new Directory.Person(v.path("owner_id").asText(), v.path("active").asBoolean(),
                            "GROUP".equals(v.path("kind").asText()), text(v, "team_id"), v.path("channels").size() > 0));
                    case "teams" -> {
                        List<String> chain = new ArrayList<>();
                        v.path("escalation_chain").forEach(c -> chain.add(c.asText()));
                        directory.team(new Directory.TeamRef(v.path("team_id").asText(), text(v, "lead_owner_id"), chain, text(v, "business_unit")));
                    }
                    case "assets" -> v.path("aliases").path("hostnames").forEach(h -> directory.asset(new Directory.AssetRef(
                            v.path("asset_id").asText(), h.asText(), text(v, "owner_user_id"), text(v, "owner_team_id"),
                            text(v, "business_unit"), v.path("criticality").asText(), v.path("exposure").asText())));
                    case "sla-policy" -> directory.spans(spans(v));
                    default -> {
                        if (truth == null) {
                            if (directory.spans == null) {
                                throw new IllegalArgumentException(EVENTS + " line " + lines + ": lifecycle events before the sla-policy record");
                            }
                            truth = new GroundTruth(directory);
                        }
                        truth.accept(event(topic, v, lines));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + eventsFile + ": " + e.getMessage(), e);
        }
        if (truth == null) {
            throw new IllegalArgumentException(eventsFile + " holds no lifecycle events");
        }
        List<JsonNode> rows = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(rowsFile, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                rows.add(JSON.readTree(line));
            }
            JsonNode gauges = Files.isRegularFile(dir.resolve(GAUGES)) ? JSON.readTree(dir.resolve(GAUGES).toFile()) : null;
            Accuracy.Result result = Accuracy.check(truth, rows, gauges);
            out.printf("recomputed from %s: %s events (%s findings), %d rows%n", dir, Formatting.count(truth.events()),
                    Formatting.count(truth.findings()), rows.size());
            Accuracy.print(result, out);
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + rowsFile + ": " + e.getMessage(), e);
        }
    }

    private static TruthEvent event(String topic, JsonNode v, long line) {
        Instant t = Instant.parse(v.path("event_time").asText());
        String id = v.path("finding_id").asText();
        return switch (topic) {
            case "findings.reported" -> TruthEvent.capture(t, id, SeverityBand.valueOf(v.path("scanner_band").asText()),
                    text(v.path("target"), "host"), v.path("source_tool").path("name").asText());
            case "notifications.receipts" -> "DELIVERED".equals(v.path("outcome").asText())
                    && ("OWNER_NOTIFICATION".equals(v.path("kind").asText()) || "DIGEST".equals(v.path("kind").asText()))
                    ? TruthEvent.receipt(t, id, text(v, "owner_id")) : TruthEvent.receipt(t, id, null);
            case "findings.commands" -> TruthEvent.command(t, id, CommandKind.valueOf(v.path("kind").asText()),
                    v.path("actor").path("id").asText(), v.path("details").hasNonNull("band")
                            ? SeverityBand.valueOf(v.path("details").path("band").asText()) : null);
            default -> throw new IllegalArgumentException(EVENTS + " line " + line + ": unknown topic '" + topic + "'");
        };
    }

    private static Directory.Spans spans(JsonNode policy) {
        Map<SeverityBand, Duration> handoff = new EnumMap<>(SeverityBand.class);
        Map<SeverityBand, Duration> noAck = new EnumMap<>(SeverityBand.class);
        Map<SeverityBand, Duration> remediation = new EnumMap<>(SeverityBand.class);
        for (JsonNode t : policy.path("targets")) {
            SeverityBand band = SeverityBand.valueOf(t.path("band").asText());
            handoff.put(band, span(t.path("handoff")));
            noAck.put(band, span(t.path("no_ack_window")));
            remediation.put(band, span(t.path("remediation")));
        }
        return new Directory.Spans(handoff, noAck, remediation);
    }

    private static Duration span(JsonNode s) {
        if (!"CALENDAR".equals(s.path("clock").asText())) {
            throw new IllegalArgumentException("the recompute models calendar-clock SLA spans only (the bench's policy), got " + s);
        }
        long amount = s.path("amount").asLong();
        return switch (s.path("unit").asText()) {
            case "MINUTES" -> Duration.ofMinutes(amount);
            case "HOURS" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount); // UTC: a calendar day is 24 hours
        };
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isNull() || v.isMissingNode() ? null : v.asText();
    }
}

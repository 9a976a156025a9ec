package dev.handoff.launcher.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.Actor;
import dev.handoff.avro.FindingActivity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One finding's audit timeline from its {@code findings.activity} entries: one row per entry in event-time order
 * (entries of the same time in log order), each with the compliance controls it evidences, written as CSV or
 * JSON lines with the same columns.
 */
public final class AuditTrail {

    /** The columns, in order; the CSV header and the JSON field names. */
    public static final List<String> COLUMNS = List.of("time", "recorded_time", "stage", "activity", "actor", "owner", "team", "band",
            "failure_modes", "details", "source", "event_id", "cause_event_id", "evidence", "controls");

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final List<FindingActivity> entries;
    private final String team;

    /**
     * @param logOrder the finding's entries as read from the log; repeated event ids (a consumer may see an entry
     *                 twice, the schema says to deduplicate on it) are kept once
     * @param team     the finding's team now (from findings.state), or null: activity entries do not carry one
     */
    public AuditTrail(List<FindingActivity> logOrder, String team) {
        Set<String> seen = new LinkedHashSet<>();
        List<FindingActivity> unique = new ArrayList<>();
        for (FindingActivity a : logOrder) {
            if (seen.add(a.getEventId())) {
                unique.add(a);
            }
        }
        // List.sort is stable: entries of one moment stay in the order the streams service wrote them.
        unique.sort(Comparator.comparing(FindingActivity::getEventTime));
        this.entries = List.copyOf(unique);
        this.team = team;
    }

    public List<FindingActivity> entries() {
        return entries;
    }

    /** The rows as values of {@link #COLUMNS}. */
    public List<List<String>> rows() {
        return entries.stream().map(this::row).toList();
    }

    /** Header and rows, RFC 4180. */
    public void writeCsv(Writer out) {
        CsvWriter csv = new CsvWriter(out);
        csv.row(COLUMNS);
        rows().forEach(csv::row);
        flush(out);
    }

    /** One JSON object per line with the {@link #COLUMNS} as fields (absent values are null, failure modes and controls arrays). */
    public void writeNdjson(Writer out) {
        try {
            for (FindingActivity a : entries) {
                List<String> values = row(a);
                ObjectNode json = MAPPER.createObjectNode();
                for (int i = 0; i < COLUMNS.size(); i++) {
                    String column = COLUMNS.get(i);
                    String value = values.get(i);
                    switch (column) {
                        case "failure_modes" -> {
                            ArrayNode modes = json.putArray(column);
                            a.getFailureModes().forEach(m -> modes.add(m.name()));
                        }
                        case "controls" -> {
                            ArrayNode controls = json.putArray(column);
                            ComplianceControls.of(a).controls().forEach(c -> controls.add(c.citation()));
                        }
                        default -> json.put(column, value.isEmpty() ? null : value);
                    }
                }
                out.write(MAPPER.writeValueAsString(json));
                out.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        flush(out);
    }

    private List<String> row(FindingActivity a) {
        ComplianceControls.Evidence evidence = ComplianceControls.of(a);
        return List.of(
                a.getEventTime().toString(),
                a.getRecordedTime().toString(),
                a.getStage() == null ? "" : a.getStage().name(),
                a.getKind().name(),
                actor(a.getActor()),
                nullToEmpty(a.getOwnerId()),
                nullToEmpty(team),
                a.getBand() == null ? "" : a.getBand().name(),
                a.getFailureModes().stream().map(Enum::name).collect(Collectors.joining("; ")),
                details(a),
                nullToEmpty(a.getSource()),
                a.getEventId(),
                nullToEmpty(a.getCauseEventId()),
                evidence.label(),
                evidence.citations());
    }

    /** Status change, note, scanner and the entry's further facts, as "; "-separated parts. */
    static String details(FindingActivity a) {
        List<String> parts = new ArrayList<>();
        if (a.getFromStatus() != null || a.getToStatus() != null) {
            parts.add("status " + (a.getFromStatus() == null ? "-" : a.getFromStatus()) + " -> " + (a.getToStatus() == null ? "-" : a.getToStatus()));
        }
        if (a.getNote() != null && !a.getNote().isBlank()) {
            parts.add("note: " + a.getNote());
        }
        if (a.getSourceTool() != null) {
            parts.add("tool: " + a.getSourceTool().getName() + (a.getSourceTool().getVersion() == null ? "" : " " + a.getSourceTool().getVersion()));
        }
        Map<String, String> attributes = new TreeMap<>();
        a.getAttributes().forEach((k, v) -> attributes.put(k.toString(), v == null ? "" : v.toString()));
        attributes.forEach((k, v) -> parts.add(k + "=" + v));
        return String.join("; ", parts);
    }

    private static String actor(Actor actor) {
        if (actor == null) {
            return "";
        }
        return actor.getDisplayName() == null || actor.getDisplayName().isBlank()
                ? actor.getId() : actor.getId() + " (" + actor.getDisplayName() + ")";
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    private static void flush(Writer out) {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Counts of rows per evidence label, for the command's summary line. */
    public Map<String, Long> evidenceCounts() {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (ComplianceControls.Evidence e : ComplianceControls.Evidence.values()) {
            long n = entries.stream().filter(a -> ComplianceControls.of(a) == e).count();
            if (n > 0) {
                counts.put(e == ComplianceControls.Evidence.NONE ? "no control" : e.label(), n);
            }
        }
        return counts;
    }
}

package dev.handoff.streams.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.FindingActivity;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.CycleWindow;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.streams.metrics.MetricRows;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How one instance hands a finding to another: Avro binary (base64) with the writer schemas alongside,
 * so the records arrive exactly as stored and an instance of a newer build can still read an older
 * one's answer during a rolling upgrade (Avro schema resolution), without a registry round trip.
 */
final class PeerWire {

    /** Parsed writer schemas by their text: one entry per schema version a peer has sent, so a handful. */
    private static final Map<String, Schema> PARSED = new ConcurrentHashMap<>();

    private PeerWire() {
    }

    static ObjectNode encode(FindingView view) {
        ObjectNode json = Json.object();
        json.put("state_schema", FindingState.getClassSchema().toString());
        json.put("activity_schema", FindingActivity.getClassSchema().toString());
        json.put("state", encode(FindingState.class, view.state()));
        ArrayNode timeline = json.putArray("timeline");
        view.timeline().forEach(a -> timeline.add(encode(FindingActivity.class, a)));
        return json;
    }

    static FindingView decode(JsonNode json) {
        Schema stateSchema = schema(Json.requiredText(json, "state_schema"));
        Schema activitySchema = schema(Json.requiredText(json, "activity_schema"));
        FindingState state = decode(FindingState.class, FindingState.getClassSchema(), stateSchema, Json.requiredText(json, "state"));
        List<FindingActivity> timeline = new ArrayList<>();
        for (JsonNode entry : json.path("timeline")) {
            timeline.add(decode(FindingActivity.class, FindingActivity.getClassSchema(), activitySchema, entry.asText()));
        }
        return new FindingView(state, timeline);
    }

    /** Merged metric rows, with the writer schemas once for all of them. */
    static ObjectNode encodeRows(List<MetricRows.Row> rows) {
        ObjectNode json = Json.object();
        json.put("handoff_schema", HandoffWindow.getClassSchema().toString());
        json.put("cycle_schema", CycleWindow.getClassSchema().toString());
        ArrayNode items = json.putArray("rows");
        for (MetricRows.Row row : rows) {
            ObjectNode item = items.addObject();
            item.put("handoff", encode(HandoffWindow.class, row.handoff()));
            item.put("cycle", encode(CycleWindow.class, row.cycle()));
        }
        return json;
    }

    static List<MetricRows.Row> decodeRows(JsonNode json) {
        Schema handoff = schema(Json.requiredText(json, "handoff_schema"));
        Schema cycle = schema(Json.requiredText(json, "cycle_schema"));
        List<MetricRows.Row> rows = new ArrayList<>();
        for (JsonNode item : json.path("rows")) {
            rows.add(new MetricRows.Row(
                    decode(HandoffWindow.class, HandoffWindow.getClassSchema(), handoff, Json.requiredText(item, "handoff")),
                    decode(CycleWindow.class, CycleWindow.getClassSchema(), cycle, Json.requiredText(item, "cycle"))));
        }
        return rows;
    }

    private static <T extends SpecificRecord> String encode(Class<T> type, T record) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            new SpecificDatumWriter<T>(record.getSchema(), SpecificData.getForClass(type)).write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }

    private static <T extends SpecificRecord> T decode(Class<T> type, Schema reader, Schema writer, String base64) {
        byte[] bytes = Base64.getDecoder().decode(base64);
        try {
            return new SpecificDatumReader<T>(writer, reader, SpecificData.getForClass(type))
                    .read(null, DecoderFactory.get().binaryDecoder(bytes, null));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot decode a " + type.getSimpleName() + " from a peer: " + e.getMessage(), e);
        }
    }

    private static Schema schema(String text) {
        return PARSED.computeIfAbsent(text, t -> new Schema.Parser().parse(t));
    }
}

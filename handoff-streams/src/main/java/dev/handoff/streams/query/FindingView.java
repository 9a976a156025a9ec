package dev.handoff.streams.query;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.FindingActivity;
import dev.handoff.avro.FindingState;

import java.util.List;
import java.util.Objects;

/** One finding as the query API shows it: its current state and its activity timeline in event-time order. */
public record FindingView(FindingState state, List<FindingActivity> timeline) {

    public FindingView {
        Objects.requireNonNull(state, "state");
        timeline = List.copyOf(timeline);
    }

    /** {@code {"state": {...}, "timeline": [...]}} with the Avro field names. */
    public ObjectNode toJson() {
        ObjectNode json = Json.object();
        json.set("state", AvroJson.toJson(state));
        ArrayNode entries = json.putArray("timeline");
        timeline.forEach(a -> entries.add(AvroJson.toJson(a)));
        return json;
    }
}

package dev.handoff.streams.query;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.FindingActivity;
import dev.handoff.avro.FindingState;

import java.util.List;
import java.util.Objects;

/**
 * One finding as the query API shows it: its current state and its activity timeline in event-time order.
 *
 * @param omitted how many of the finding's oldest activities the timeline leaves out: the activity log keeps the newest
 *                {@value dev.handoff.streams.stages.ActivityHistory#MAX_BYTES} bytes of each finding's history, and
 *                {@code findings.activity} has all of it
 */
public record FindingView(FindingState state, List<FindingActivity> timeline, int omitted) {

    public FindingView {
        Objects.requireNonNull(state, "state");
        timeline = List.copyOf(timeline);
        if (omitted < 0) {
            throw new IllegalArgumentException("omitted must not be negative, was " + omitted);
        }
    }

    public FindingView(FindingState state, List<FindingActivity> timeline) {
        this(state, timeline, 0);
    }

    /**
     * {@code {"state": {...}, "timeline": [...]}} with the Avro field names, and {@code "timeline_omitted": n} when the
     * timeline leaves out the n oldest activities.
     */
    public ObjectNode toJson() {
        ObjectNode json = Json.object();
        json.set("state", AvroJson.toJson(state));
        ArrayNode entries = json.putArray("timeline");
        timeline.forEach(a -> entries.add(AvroJson.toJson(a)));
        if (omitted > 0) {
            json.put("timeline_omitted", omitted);
            json.put("timeline_note", omitted + " earlier activities are not kept here; findings.activity has the whole"
                    + " history (./handoff export activity --finding " + state.getFindingId() + ")");
        }
        return json;
    }
}

package dev.handoff.streams.query;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** The whole unrouted queue across every instance as of one moment, oldest entry first. */
public record UnroutedQueue(Instant asOf, List<UnroutedItem> items) {

    public UnroutedQueue {
        Objects.requireNonNull(asOf, "asOf");
        items = List.copyOf(items);
    }

    public int depth() {
        return items.size();
    }

    /** Entry time of the finding that has waited longest; null when the queue is empty. */
    public Instant oldestEnteredAt() {
        return items.isEmpty() ? null : items.get(0).enteredAt();
    }

    public ObjectNode toJson() {
        ObjectNode json = Json.object();
        Json.put(json, "as_of", asOf);
        json.put("depth", depth());
        Json.put(json, "oldest_entered_at", oldestEnteredAt());
        ArrayNode array = json.putArray("items");
        items.forEach(i -> array.add(i.toJson()));
        return json;
    }
}

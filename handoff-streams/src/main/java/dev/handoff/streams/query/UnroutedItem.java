package dev.handoff.streams.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.UnroutedCause;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A finding waiting in the unrouted queue: when it entered (event time), how long it has waited as of
 * the query, why no named owner was found, and enough of the finding to act on it.
 */
public record UnroutedItem(String findingId, Instant enteredAt, Duration timeInQueue, UnroutedCause cause,
                           SeverityBand band, String title, String assetId) {

    public UnroutedItem {
        Objects.requireNonNull(findingId, "findingId");
        Objects.requireNonNull(enteredAt, "enteredAt");
        Objects.requireNonNull(timeInQueue, "timeInQueue");
    }

    /** The same item with its waiting time measured at {@code now} (never negative when event time runs ahead). */
    public UnroutedItem at(Instant now) {
        Duration waited = Duration.between(enteredAt, now);
        return new UnroutedItem(findingId, enteredAt, waited.isNegative() ? Duration.ZERO : waited, cause, band, title, assetId);
    }

    public ObjectNode toJson() {
        ObjectNode json = Json.object();
        json.put("finding_id", findingId);
        Json.put(json, "entered_at", enteredAt);
        json.put("time_in_queue", timeInQueue.toString());
        json.put("time_in_queue_ms", timeInQueue.toMillis());
        Json.put(json, "cause", cause);
        Json.put(json, "band", band);
        json.put("title", title);
        json.put("asset_id", assetId);
        return json;
    }

    static UnroutedItem fromJson(JsonNode json) {
        return new UnroutedItem(Json.requiredText(json, "finding_id"), Objects.requireNonNull(Json.instant(json, "entered_at"),
                "entered_at"), Duration.ofMillis(json.path("time_in_queue_ms").asLong(0)),
                Json.enumValue(json, "cause", UnroutedCause::valueOf), Json.enumValue(json, "band", SeverityBand::valueOf),
                Json.text(json, "title"), Json.text(json, "asset_id"));
    }
}

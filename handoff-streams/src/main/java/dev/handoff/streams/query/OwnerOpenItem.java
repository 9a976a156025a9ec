package dev.handoff.streams.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.FindingStatus;
import dev.handoff.avro.SeverityBand;

import java.time.Instant;
import java.util.Objects;

/** An open finding routed to one owner, with the times that say how urgent it is. */
public record OwnerOpenItem(String findingId, SeverityBand band, FindingStatus status, String title, Instant capturedAt,
                            Instant handoffDeadline, Instant acknowledgedAt) {

    public OwnerOpenItem {
        Objects.requireNonNull(findingId, "findingId");
    }

    public ObjectNode toJson() {
        ObjectNode json = Json.object();
        json.put("finding_id", findingId);
        Json.put(json, "band", band);
        Json.put(json, "status", status);
        json.put("title", title);
        Json.put(json, "captured_at", capturedAt);
        Json.put(json, "handoff_deadline", handoffDeadline);
        Json.put(json, "acknowledged_at", acknowledgedAt);
        return json;
    }

    static OwnerOpenItem fromJson(JsonNode json) {
        return new OwnerOpenItem(Json.requiredText(json, "finding_id"), Json.enumValue(json, "band", SeverityBand::valueOf),
                Json.enumValue(json, "status", FindingStatus::valueOf), Json.text(json, "title"),
                Json.instant(json, "captured_at"), Json.instant(json, "handoff_deadline"), Json.instant(json, "acknowledged_at"));
    }
}

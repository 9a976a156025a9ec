package dev.handoff.streams.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.streams.metrics.GaugeSnapshot;

import java.util.ArrayList;
import java.util.List;

/** The workspace's now-gauges and their history, as one instance holds them. */
public record GaugeAnswer(GaugeSnapshot latest, List<GaugeSnapshot> history) {

    ObjectNode toWire() {
        ObjectNode json = Json.object();
        json.put("latest", latest.encode());
        json.putArray("history").addAll(history.stream().map(h -> Json.NODES.textNode(h.encode())).toList());
        return json;
    }

    static GaugeAnswer fromJson(JsonNode json) {
        List<GaugeSnapshot> history = new ArrayList<>();
        json.path("history").forEach(h -> history.add(GaugeSnapshot.decode(h.asText())));
        return new GaugeAnswer(GaugeSnapshot.decode(Json.requiredText(json, "latest")), history);
    }
}

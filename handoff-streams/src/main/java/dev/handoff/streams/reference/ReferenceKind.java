package dev.handoff.streams.reference;

import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;

import java.util.Arrays;
import java.util.Optional;

/** The reference topics whose changes are fanned out to every finding partition. */
public enum ReferenceKind {
    ASSET(Topics.ASSETS, "asset_id"),
    OWNER(Topics.OWNERS, "owner_id"),
    TEAM(Topics.TEAMS, "team_id"),
    KEV(Topics.KEV, "cve_id"),
    SLA_POLICY(Topics.SLA_POLICY, "policy_id");

    private final TopicDef<?> topic;
    private final String idField;

    ReferenceKind(TopicDef<?> topic, String idField) {
        this.topic = topic;
        this.idField = idField;
    }

    public TopicDef<?> topic() {
        return topic;
    }

    /** The field of the record that names it, and must be its key. */
    public String idField() {
        return idField;
    }

    /** The fan-out key: the kind, then the record's own key, so one topic carries every kind. */
    public String fanoutKey(String id) {
        return name() + ":" + id;
    }

    public static Optional<ReferenceKind> ofFanoutKey(String key) {
        int colon = key == null ? -1 : key.indexOf(':');
        if (colon < 0) {
            return Optional.empty();
        }
        String kind = key.substring(0, colon);
        return Arrays.stream(values()).filter(k -> k.name().equals(kind)).findFirst();
    }

    public static String idOfFanoutKey(String key) {
        return key.substring(key.indexOf(':') + 1);
    }
}

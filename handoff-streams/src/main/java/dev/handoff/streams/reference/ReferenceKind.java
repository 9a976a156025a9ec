package dev.handoff.streams.reference;

import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;

import java.util.Arrays;
import java.util.Optional;

/** The reference topics whose changes are fanned out to every finding partition. */
public enum ReferenceKind {
    ASSET(Topics.ASSETS),
    OWNER(Topics.OWNERS),
    TEAM(Topics.TEAMS),
    KEV(Topics.KEV),
    SLA_POLICY(Topics.SLA_POLICY);

    private final TopicDef<?> topic;

    ReferenceKind(TopicDef<?> topic) {
        this.topic = topic;
    }

    public TopicDef<?> topic() {
        return topic;
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

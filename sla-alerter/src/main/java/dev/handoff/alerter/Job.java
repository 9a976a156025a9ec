package dev.handoff.alerter;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.DispatchKind;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * One entry of the alerter's schedule, the compacted internal topic {@code <prefix>alerter.pending} (key {@link #id}).
 * The schedule is the alerter's whole state: deliveries waiting for their first attempt or a retry, owner
 * notifications held for a digest, escalation timers, and markers of finished deliveries that make a repeated
 * request a no-op. Each partition is owned by the instance that owns the same partition of the input topics.
 *
 * <p>Ids: {@code d|<idempotency key>|<target>} a delivery (and, once done, its marker); {@code i|<owner>|<key>} a
 * digest item; {@code e|<finding>} the escalation timer of a finding.
 *
 * @param id        the key
 * @param type      what the entry is
 * @param due       epoch millis when it is next acted on
 * @param attempts  delivery attempts started so far
 * @param inflight  an attempt was started and its outcome not recorded: after a crash it may or may not have arrived
 * @param target    the target name (deliveries)
 * @param channel   the target's channel (deliveries and markers)
 * @param alert     what to deliver (deliveries), or the notification held (digest items, escalation timers)
 * @param receipt   what to report on {@code notifications.receipts} once delivered; null for none
 * @param step      the escalation step this timer will notify (1 = the first link of the chain)
 * @param teamId    the team whose escalation chain applies
 * @param outcome   for markers: DELIVERED or FAILED
 * @param createdAt epoch millis the entry was first written (markers expire after the dedup retention)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Job(String id, Type type, long due, int attempts, boolean inflight, String target, ChannelType channel, Alert alert,
                  Receipt receipt, int step, String teamId, String outcome, long createdAt) {

    public enum Type { DELIVERY, DIGEST_ITEM, ESCALATION, DONE }

    /**
     * The receipt a delivery produces: one {@code NotificationDispatched} per finding id.
     *
     * @param kind           the dispatch kind
     * @param notificationId the notification or alert id
     * @param ownerId        the owner reached, if any
     * @param findingIds     the findings (several for a digest)
     * @param escalationStep 0 for the routed owner
     */
    public record Receipt(DispatchKind kind, String notificationId, String ownerId, List<String> findingIds, int escalationStep) {
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public static String deliveryId(String idempotencyKey, String target) {
        return "d|" + idempotencyKey + "|" + target;
    }

    public static String digestItemId(String ownerId, String idempotencyKey) {
        return "i|" + ownerId + "|" + idempotencyKey;
    }

    public static String escalationId(String findingId) {
        return "e|" + findingId;
    }

    public static Job delivery(Alert alert, String target, ChannelType channel, Receipt receipt, String teamId, long due, long now) {
        return new Job(deliveryId(alert.idempotencyKey(), target), Type.DELIVERY, due, 0, false, target, channel, alert, receipt, 0,
                teamId, null, now);
    }

    public Job attempting(long now) {
        return new Job(id, type, now, attempts + 1, true, target, channel, alert, receipt, step, teamId, outcome, createdAt);
    }

    public Job retryAt(long due) {
        return new Job(id, type, due, attempts, false, target, channel, alert, receipt, step, teamId, outcome, createdAt);
    }

    /** The marker left once a delivery finished: keeps what a later resolve needs, drops the rest. */
    public Job done(String outcome, long now) {
        Alert kept = alert == null || channel != ChannelType.PAGERDUTY ? null : alert;
        return new Job(id, Type.DONE, now, attempts, false, target, channel, kept, null, step, teamId, outcome, now);
    }

    public byte[] toBytes() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Job fromBytes(byte[] bytes) {
        try {
            return JSON.readValue(bytes, Job.class);
        } catch (IOException e) {
            throw new UncheckedIOException("not a schedule entry: " + e.getMessage(), e);
        }
    }
}

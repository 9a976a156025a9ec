package dev.handoff.alerter;

import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.SeverityBand;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One message to deliver, channel-neutral: what the channel adapters render into their own payloads. Built by the
 * dispatcher from an {@code OwnerNotification}, an {@code SlaBreach}, an {@code UnroutedEvent}, a digest of several
 * notifications, an escalation step, or an acknowledgement that resolves earlier alerts.
 *
 * @param kind           what is delivered; also the {@code kind} of the {@code NotificationDispatched} receipt
 * @param action         {@link Action#TRIGGER} for a new alert; {@link Action#RESOLVE} when the finding was acknowledged
 *                       (PagerDuty resolves its incident; chat and e-mail channels post a short "acknowledged" note)
 * @param alertId        the notification id, the SLA alert id, or the digest id
 * @param idempotencyKey the key deliveries are deduplicated on: sent as the webhook {@code Idempotency-Key} header, and
 *                       the basis of PagerDuty's {@code dedup_key} together with {@link #dedupKey()}
 * @param dedupKey       the incident identity for channels that keep one (PagerDuty): the same for the trigger and the
 *                       resolve of one finding and kind, for example {@code handoff/<finding id>/SLA_ALERT}
 * @param headline       one line, for subjects, notifications and headers (at most ~150 characters is best)
 * @param summary        a few plain-text sentences
 * @param band           the most severe band of the items
 * @param occurredAt     when the underlying event happened
 * @param recipient      who it is for: the routed owner or an escalation step; null for SOC and queue alerts
 * @param items          the findings concerned: one for a single alert, several for a digest, none for a queue depth alert
 * @param level          for SLA alerts: WARNING, BREACH or REMINDER; null otherwise
 */
public record Alert(DispatchKind kind, Action action, String alertId, String idempotencyKey, String dedupKey, String headline,
                    String summary, SeverityBand band, Instant occurredAt, Recipient recipient, List<Item> items, String level) {

    public enum Action { TRIGGER, RESOLVE }

    public Alert {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(alertId, "alertId");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        Objects.requireNonNull(dedupKey, "dedupKey");
        Objects.requireNonNull(headline, "headline");
        Objects.requireNonNull(summary, "summary");
        Objects.requireNonNull(band, "band");
        Objects.requireNonNull(occurredAt, "occurredAt");
        items = List.copyOf(items);
    }

    /** The first item, for single-finding alerts. */
    public Item first() {
        return items.isEmpty() ? null : items.get(0);
    }

    /**
     * One finding in an alert.
     *
     * @param findingId        the finding id
     * @param title            the finding's title
     * @param band             its normalised band
     * @param target           what it is on (host, image, repository path, package, URL), readable; may be null
     * @param deadline         the handoff (or other SLA) deadline; may be null
     * @param ackLink          the signed acknowledgement link for the recipient; null when there is no recipient
     * @param vulnerabilityIds CVE, GHSA or tool rule ids
     * @param failureModes     failure modes present (DESIGN.md section 4)
     */
    public record Item(String findingId, String title, SeverityBand band, String target, Instant deadline, String ackLink,
                       List<String> vulnerabilityIds, List<String> failureModes) {
        public Item {
            Objects.requireNonNull(findingId, "findingId");
            Objects.requireNonNull(title, "title");
            Objects.requireNonNull(band, "band");
            vulnerabilityIds = List.copyOf(vulnerabilityIds);
            failureModes = List.copyOf(failureModes);
        }
    }

    /**
     * Who an alert is for.
     *
     * @param ownerId     the owner id
     * @param displayName a readable name
     * @param email       the e-mail address, if known
     * @param slackId     a Slack member id (for a {@code <@U…>} mention), if known
     * @param teamsUpn    a Microsoft Teams user principal name (for an Adaptive Card mention), if known
     */
    public record Recipient(String ownerId, String displayName, String email, String slackId, String teamsUpn) {
        public Recipient {
            Objects.requireNonNull(ownerId, "ownerId");
            displayName = displayName == null || displayName.isBlank() ? ownerId : displayName;
        }
    }
}

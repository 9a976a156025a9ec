package dev.handoff.alerter;

import dev.handoff.avro.ChannelAddress;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.OwnerNotification;
import dev.handoff.avro.Owner;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SlaBreach;
import dev.handoff.avro.UnroutedEvent;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.schemas.AckLinks;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Builds the channel-neutral {@link Alert}s from the alerter's inputs, with their idempotency keys: the same
 * (finding, kind, deadline) always gives the same key, so it is delivered once however often it is requested.
 */
public final class Alerts {

    private final AckLinks ackLinks;
    private final String ackBaseUrl;
    private final Duration ackTtl;

    public Alerts(String ackSecret, String ackBaseUrl, Duration ackTtl) {
        this.ackLinks = ackSecret == null ? null : new AckLinks(ackSecret);
        this.ackBaseUrl = ackBaseUrl;
        this.ackTtl = ackTtl;
    }

    /** The alert for an owner notification, to {@code owner} (the directory's record, if known). */
    public Alert ownerNotification(OwnerNotification n, Optional<Owner> owner, Instant now) {
        Instant deadline = n.getHandoffDeadline();
        String key = "own|" + n.getFindingId() + "|" + n.getOwnerId() + "|" + n.getReason() + "|" + millis(deadline);
        Alert.Recipient recipient = recipient(n.getOwnerId(), owner);
        Alert.Item item = new Alert.Item(n.getFindingId(), n.getTitle(), n.getBand(), n.getTargetSummary(), deadline,
                ackLink(n.getFindingId(), n.getOwnerId(), now), ids(n.getVulnerabilityIds()), modes(n.getFailureModes()));
        String why = switch (n.getReason()) {
            case NEW_FINDING -> "A new finding is routed to you";
            case REASSIGNED -> "A finding was reassigned to you";
            case SEVERITY_RAISED -> "The severity of your finding was raised";
            case REOPENED -> "Your finding was reopened";
            case REMINDER -> "Reminder: your finding is not acknowledged yet";
        };
        return new Alert(DispatchKind.OWNER_NOTIFICATION, Alert.Action.TRIGGER, n.getNotificationId(), key,
                "handoff/" + n.getFindingId() + "/OWNER", why + ": " + n.getTitle(),
                why + ". Please acknowledge it" + (deadline == null ? "" : " before " + deadline) + " so its remediation clock starts.",
                n.getBand(), n.getEventTime(), recipient, List.of(item), null);
    }

    /** The digest of several held owner notifications for one owner. */
    public Alert digest(String ownerId, Optional<Owner> owner, List<Alert> held, long due) {
        List<Alert.Item> items = held.stream().map(Alert::first).sorted(Comparator.comparing(Alert.Item::band)
                .thenComparing(i -> i.deadline() == null ? Instant.MAX : i.deadline())).toList();
        SeverityBand top = items.stream().map(Alert.Item::band).min(Comparator.naturalOrder()).orElse(SeverityBand.INFO);
        String id = "dig-" + hash(ownerId + "|" + due + "|" + String.join(",", held.stream().map(Alert::idempotencyKey).sorted().toList()));
        // Its own incident identity: digests are informational, never merged into one another nor resolved.
        return new Alert(DispatchKind.DIGEST, Alert.Action.TRIGGER, id, id, "handoff/digest/" + ownerId + "/" + id,
                items.size() + (items.size() == 1 ? " finding waits" : " findings wait") + " for your acknowledgement",
                "These findings are routed to you and not acknowledged yet. Acknowledge each one you own.",
                top, Instant.ofEpochMilli(due), recipient(ownerId, owner), items, null);
    }

    /** Escalation step {@code step} of a finding whose owner has not acknowledged: to {@code stepOwner}. */
    public Alert escalation(Alert original, int step, String stepOwnerId, Optional<Owner> stepOwner, Instant now) {
        Alert.Item first = original.first();
        Alert.Item item = new Alert.Item(first.findingId(), first.title(), first.band(), first.target(), first.deadline(),
                ackLink(first.findingId(), stepOwnerId, now), first.vulnerabilityIds(), first.failureModes());
        String who = original.recipient() == null ? "its owner" : original.recipient().displayName();
        String id = "esc|" + first.findingId() + "|" + original.idempotencyKey() + "|" + step;
        return new Alert(DispatchKind.ESCALATION, Alert.Action.TRIGGER, id, id, "handoff/" + first.findingId() + "/ESCALATION",
                "Escalation " + step + ": " + first.title() + " is not acknowledged by " + who,
                "This finding was sent to " + who + " and nobody has acknowledged it. You are the next step of the team's "
                        + "escalation chain: acknowledge it to take it over, or make sure its owner does.",
                first.band(), now, recipient(stepOwnerId, stepOwner), List.of(item), null);
    }

    /** An SLA warning, breach or reminder, for the SOC channels. */
    public Alert slaAlert(SlaBreach b) {
        String verb = switch (b.getLevel()) {
            case WARNING -> "close to its " + sla(b) + " deadline";
            case BREACH -> "past its " + sla(b) + " deadline";
            case REMINDER -> "still past its " + sla(b) + " deadline (reminder " + b.getReminderNumber() + ")";
        };
        Alert.Item item = new Alert.Item(b.getFindingId(), b.getTitle(), b.getBand(), null, b.getDeadline(), null, List.of(),
                modes(b.getFailureModes()));
        String summary = "Deadline " + b.getDeadline() + "; captured " + b.getCapturedAt()
                + (b.getAcknowledgedAt() == null ? "; not acknowledged" : "; acknowledged " + b.getAcknowledgedAt())
                + (b.getOwnerId() == null ? "; no owner" : "; owner " + b.getOwnerId())
                + (b.getTeamId() == null ? "" : " (team " + b.getTeamId() + ")")
                + "; responsible: " + b.getResponsible().name().toLowerCase(Locale.ROOT).replace('_', ' ') + ".";
        return new Alert(DispatchKind.SLA_ALERT, Alert.Action.TRIGGER, b.getAlertId(), "sla|" + b.getAlertId(),
                "handoff/" + b.getFindingId() + "/SLA_" + b.getSla(), capital(b.getBand().name()) + " finding " + verb + ": " + b.getTitle(),
                summary, b.getBand(), b.getEventTime(), null, List.of(item), b.getLevel().name());
    }

    /** An unrouted-queue alert (entries and threshold crossings); empty for events nobody is alerted about. */
    public Optional<Alert> unrouted(UnroutedEvent e) {
        switch (e.getKind()) {
            case ENTERED -> {
                SeverityBand band = e.getBand() == null ? SeverityBand.INFO : e.getBand();
                Alert.Item item = new Alert.Item(e.getFindingId(), "Unrouted finding " + e.getFindingId(), band, null, null, null,
                        List.of(), List.of());
                String key = "unr|entered|" + e.getFindingId() + "|" + millis(e.getEnteredAt());
                return Optional.of(new Alert(DispatchKind.UNROUTED_ALERT, Alert.Action.TRIGGER, e.getEventId(), key,
                        "handoff/" + e.getFindingId() + "/UNROUTED", capital(band.name()) + " finding has no owner: " + e.getFindingId(),
                        "The finding entered the unrouted queue" + (e.getCause() == null ? "" : " (" + e.getCause() + ")")
                                + ". Bind its asset to an owner or assign it by hand.",
                        band, e.getEventTime(), null, List.of(item), null));
            }
            case THRESHOLD_CROSSED -> {
                String key = "unr|threshold|" + e.getThreshold() + "|" + e.getEventTime().toEpochMilli();
                return Optional.of(new Alert(DispatchKind.UNROUTED_ALERT, Alert.Action.TRIGGER, e.getEventId(), key,
                        "handoff/unrouted/" + e.getThreshold(), "The unrouted queue crossed its " + e.getThreshold() + " limit",
                        "Depth " + e.getDepth() + ", limit " + e.getLimit() + (e.getOldestEnteredAt() == null ? ""
                                : ", oldest entry since " + e.getOldestEnteredAt()) + ".",
                        SeverityBand.HIGH, e.getEventTime(), null, List.of(), null));
            }
            default -> {
                return Optional.empty();
            }
        }
    }

    /** The resolve of an earlier trigger (same dedup key), for channels that keep incidents. */
    public static Alert resolve(Alert trigger, String why, Instant now) {
        String key = "resolve|" + trigger.dedupKey();
        return new Alert(trigger.kind(), Alert.Action.RESOLVE, key, key, trigger.dedupKey(), "Resolved: " + trigger.headline(), why,
                trigger.band(), now, trigger.recipient(), trigger.items(), trigger.level());
    }

    private String ackLink(String findingId, String ownerId, Instant now) {
        return ackLinks == null ? null : ackLinks.link(ackBaseUrl, findingId, ownerId, now.plus(ackTtl));
    }

    static Alert.Recipient recipient(String ownerId, Optional<Owner> owner) {
        if (owner.isEmpty()) {
            return new Alert.Recipient(ownerId, ownerId, null, null, null);
        }
        Owner o = owner.get();
        String email = o.getEmail();
        String slack = null;
        String teams = null;
        for (ChannelAddress a : o.getChannels()) {
            if (a.getChannel() == ChannelType.EMAIL && email == null) {
                email = a.getAddress();
            } else if (a.getChannel() == ChannelType.SLACK && slack == null) {
                slack = a.getAddress();
            } else if (a.getChannel() == ChannelType.TEAMS && teams == null) {
                teams = a.getAddress();
            }
        }
        return new Alert.Recipient(ownerId, o.getDisplayName(), email, slack, teams);
    }

    private static List<String> ids(List<VulnerabilityId> ids) {
        return ids.stream().map(VulnerabilityId::getId).toList();
    }

    private static List<String> modes(List<?> modes) {
        return modes.stream().map(String::valueOf).toList();
    }

    private static String sla(SlaBreach b) {
        return switch (b.getSla()) {
            case HANDOFF -> "handoff SLA";
            case REMEDIATION -> "remediation SLA";
            case NO_ACK -> "acknowledgement window";
        };
    }

    private static String capital(String s) {
        return s.charAt(0) + s.substring(1).toLowerCase(Locale.ROOT);
    }

    private static String millis(Instant t) {
        return t == null ? "-" : Long.toString(t.toEpochMilli());
    }

    static String hash(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

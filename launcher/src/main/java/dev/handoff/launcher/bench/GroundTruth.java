package dev.handoff.launcher.bench;

import dev.handoff.avro.CommandKind;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.SeverityBand;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the pipeline should report for a programme, computed from its input events alone by a small model of the rules
 * of DESIGN.md sections 3 to 6 (written apart from handoff-streams, so a shared mistake is unlikely): each finding's
 * band, handoff start, acknowledgement, deadlines and failure modes, then each (band, day) cohort's numbers at any
 * {@code as_of}, with lower quantiles at rank ⌊q·(n−1)⌋ over the exact latencies.
 *
 * <p>It covers the inputs the bench generates: captures bound by host name, delivery receipts, and the commands
 * acknowledge, triage, start work, resolve, verify, mark false positive, change severity and comment, over a directory
 * and SLA policy that do not change during the run. Two things it assumes of the run, which the generator arranges:
 * every input partition is processed in timestamp order (true for a backlog produced before processing starts), and
 * every delivery to one owner comes from one finding partition, so the owner-load counts behind NOTIFICATION_NOISE are
 * evaluated in event-time order. A noise flag reaches its finding a moment after the delivery; the model applies it
 * at once, which is exact as long as the finding is not acknowledged or closed afterwards ({@link #uncertainNoise()}
 * counts those that are, which the generator keeps at zero).
 */
public final class GroundTruth {

    /** The statuses of DESIGN.md; open ones are still being worked. */
    enum Status { OPEN, ACKNOWLEDGED, TRIAGED, IN_PROGRESS, RESOLVED, VERIFIED, FALSE_POSITIVE }

    private static final Set<Status> OPEN_STATUSES = EnumSet.of(Status.OPEN, Status.ACKNOWLEDGED, Status.TRIAGED, Status.IN_PROGRESS);

    enum Route { ASSET_OWNER, TEAM_LEAD, ESCALATION_CHAIN, UNROUTED }

    /** One finding as the model follows it. */
    static final class Finding {
        final String id;
        final Instant capturedAt;
        final SeverityBand scannerBand;
        final String host;
        Instant start;
        boolean reopened;
        int captures = 1;
        int reopens;
        SeverityBand band;
        boolean manualBand;
        Status status = Status.OPEN;
        Route route = Route.UNROUTED;
        String owner;
        Instant routedAt;
        boolean inQueue;
        Instant notifiedAt;
        Instant ack;
        boolean inferred;
        Instant handoffDeadline;
        Instant noAckDeadline;
        Instant remediationDeadline;
        Instant verifiedAt;
        final EnumSet<FailureMode> modes = EnumSet.noneOf(FailureMode.class);
        boolean noiseFlagged;

        Finding(String id, Instant t, SeverityBand scannerBand, String host) {
            this.id = id;
            this.capturedAt = t;
            this.start = t;
            this.scannerBand = scannerBand;
            this.host = host;
        }

        boolean open() {
            return OPEN_STATUSES.contains(status);
        }
    }

    /** A cohort's numbers at one as_of, as a HandoffWindow row carries them. */
    public record Row(long captured, long acknowledged, long inferred, long noAck, long noAckDenominator, long pending,
                      long breaches, Map<FailureMode, Long> breachModes, long withinSla, Map<FailureMode, Long> noAckModes,
                      long remediationBreaches, long duplicates, long reopened, long[] latencies) {
    }

    /** The workspace gauges at the end of the programme. */
    public record Gauges(long unroutedDepth, long open, long openWithCurrentOwner) {
    }

    private final Directory directory;
    private final int noisePending;
    private final int noiseRecent;
    private final Duration noiseWindow;
    private final Map<String, Finding> findings = new HashMap<>();
    /** Per owner: the findings whose delivery it holds unacknowledged, and its recent delivery times. */
    private final Map<String, Set<String>> pendingByOwner = new HashMap<>();
    private final Map<String, Deque<Instant>> deliveriesByOwner = new HashMap<>();
    private long uncertainNoise;
    private final Map<String, Long> uncertainOwners = new TreeMap<>();
    private long events;
    private final Map<TruthEvent.Kind, Long> eventsByKind = new EnumMap<>(TruthEvent.Kind.class);

    public GroundTruth(Directory directory, int noisePending, int noiseRecent, Duration noiseWindow) {
        this.directory = directory;
        this.noisePending = noisePending;
        this.noiseRecent = noiseRecent;
        this.noiseWindow = noiseWindow;
    }

    /** Defaults of handoff-streams' noise settings (noise.pending.threshold, noise.recent.threshold, noise.window). */
    public GroundTruth(Directory directory) {
        this(directory, 20, 10, Duration.ofHours(1));
    }

    // ------------------------------------------------------------------ events

    /** Applies one input event; events must come in time order. */
    public void accept(TruthEvent e) {
        events++;
        eventsByKind.merge(e.kind(), 1L, Long::sum);
        switch (e.kind()) {
            case CAPTURE -> capture(e);
            case RECEIPT -> receipt(e);
            case COMMAND -> command(e);
        }
    }

    private void capture(TruthEvent e) {
        Finding f = findings.get(e.findingId());
        if (f == null) {
            f = new Finding(e.findingId(), e.time(), e.scannerBand(), e.host());
            findings.put(f.id, f);
            enrich(f, true);
            route(f, e.time());
            return;
        }
        f.captures++;
        if (f.status == Status.RESOLVED || f.status == Status.VERIFIED) {
            // A new handoff: stages after routing start again, deadlines from the reopening; modes stay.
            f.status = Status.OPEN;
            f.reopened = true;
            f.reopens++;
            f.start = e.time();
            f.notifiedAt = null;
            f.ack = null;
            f.inferred = false;
            f.verifiedAt = null;
            f.remediationDeadline = null;
            f.owner = null;
            f.route = Route.UNROUTED;
            enrich(f, true);
            route(f, e.time());
        } else if (f.open()) {
            enrich(f, false);
        }
    }

    /** Band from the scanner band and the bound asset; a band a person set is kept unless this one is higher. */
    private void enrich(Finding f, boolean newHandoff) {
        SeverityBand normalised = f.scannerBand;
        Directory.AssetRef asset = directory.assetFor(f.host);
        if (asset != null && normalised != SeverityBand.INFO
                && ("CRITICAL".equals(asset.criticality()) || "HIGH".equals(asset.criticality()) && "INTERNET_FACING".equals(asset.exposure()))) {
            normalised = raise(normalised);
        }
        if (rank(normalised) > rank(f.scannerBand)) {
            f.modes.add(FailureMode.SEVERITY_MISMATCH);
        }
        SeverityBand before = f.band;
        if (before != null && f.manualBand && rank(before) > rank(normalised)) {
            normalised = before;
        }
        f.band = normalised;
        if (before == null || newHandoff || rank(normalised) > rank(before)) {
            if (before != null && rank(normalised) > rank(before) && f.routedAt != null) {
                f.modes.add(FailureMode.SEVERITY_MISMATCH);
            }
            setDeadlines(f);
        }
    }

    private void setDeadlines(Finding f) {
        Duration handoff = directory.spans.handoff().get(f.band);
        Duration window = directory.spans.noAck().get(f.band);
        f.handoffDeadline = handoff == null ? null : f.start.plus(handoff);
        f.noAckDeadline = window == null ? null : f.start.plus(window);
        if (f.ack != null) {
            Duration rem = directory.spans.remediation().get(f.band);
            f.remediationDeadline = rem == null ? null : f.ack.plus(rem);
        }
    }

    /** Stage 3, as DESIGN.md section 4 describes the fallbacks. */
    private void route(Finding f, Instant t) {
        Directory.AssetRef asset = directory.assetFor(f.host);
        String previousOwner = f.owner;
        String to = null;
        Route kind = Route.UNROUTED;
        if (asset == null) {
            f.modes.add(FailureMode.ASSET_BINDING_GAP);
        } else {
            Directory.Person owner = asset.owner() == null ? null : directory.people.get(asset.owner());
            String team = asset.team();
            boolean fallBack;
            if (asset.owner() == null) {
                fallBack = team != null;
            } else if (owner != null && owner.group()) {
                fallBack = false;
            } else if (owner != null && owner.routable()) {
                to = owner.id();
                kind = Route.ASSET_OWNER;
                fallBack = false;
            } else {
                f.modes.add(FailureMode.DECAYED_ROUTING);
                team = team != null ? team : owner == null ? null : owner.team();
                fallBack = team != null;
            }
            if (fallBack && directory.teams.get(team) != null) {
                Directory.TeamRef tr = directory.teams.get(team);
                Directory.Person lead = tr.lead() == null ? null : directory.people.get(tr.lead());
                if (lead != null && lead.routable()) {
                    to = lead.id();
                    kind = Route.TEAM_LEAD;
                } else {
                    for (String id : tr.chain()) {
                        Directory.Person p = directory.people.get(id);
                        if (p != null && p.routable() && !id.equals(asset.owner()) && !id.equals(tr.lead())) {
                            to = id;
                            kind = Route.ESCALATION_CHAIN;
                            break;
                        }
                    }
                }
            }
        }
        if (to == null) {
            f.owner = null;
            f.route = Route.UNROUTED;
            f.inQueue = true;
            return;
        }
        f.owner = to;
        f.route = kind;
        f.inQueue = false;
        if (f.routedAt == null) {
            f.routedAt = t;
        }
        if (previousOwner != null && !previousOwner.equals(to)) {
            release(previousOwner, f);
        }
    }

    private void receipt(TruthEvent e) {
        Finding f = findings.get(e.findingId());
        if (f == null || e.ownerId() == null || !e.ownerId().equals(f.owner)) {
            return;
        }
        // The owner-load rule of NOTIFICATION_NOISE, applied in event-time order.
        Set<String> pending = pendingByOwner.computeIfAbsent(f.owner, k -> new HashSet<>());
        Deque<Instant> recent = deliveriesByOwner.computeIfAbsent(f.owner, k -> new ArrayDeque<>());
        Instant from = e.time().minus(noiseWindow);
        while (!recent.isEmpty() && recent.peekFirst().isBefore(from)) {
            recent.pollFirst();
        }
        long recentCount = recent.stream().filter(t -> t.isBefore(e.time())).count();
        if (pending.size() >= noisePending || recentCount >= noiseRecent) {
            f.noiseFlagged = true;
            if (f.open() && f.ack == null) {
                f.modes.add(FailureMode.NOTIFICATION_NOISE);
            }
        }
        pending.add(f.id);
        recent.addLast(e.time());
        if (f.notifiedAt == null) {
            f.notifiedAt = e.time();
        }
    }

    private void command(TruthEvent e) {
        Finding f = findings.get(e.findingId());
        if (f == null) {
            return;
        }
        boolean heldBefore = holdsDelivery(f);
        String ownerBefore = f.owner;
        Instant t = e.time();
        CommandKind kind = e.command();
        switch (kind) {
            case ACKNOWLEDGE -> {
                if (f.status == Status.OPEN) {
                    acknowledge(f, t, false);
                }
            }
            case ENTER_TRIAGE, START_WORK, RESOLVE -> {
                if (f.open()) {
                    if (f.ack == null) {
                        f.modes.add(FailureMode.ACK_AMBIGUITY);
                        acknowledge(f, t, true);
                    }
                    f.status = kind == CommandKind.ENTER_TRIAGE ? Status.TRIAGED : kind == CommandKind.START_WORK ? Status.IN_PROGRESS : Status.RESOLVED;
                }
            }
            case VERIFY -> {
                if (f.status == Status.RESOLVED) {
                    f.status = Status.VERIFIED;
                    f.verifiedAt = t;
                }
            }
            case MARK_FALSE_POSITIVE -> {
                if (f.open()) {
                    f.status = Status.FALSE_POSITIVE;
                    f.inQueue = false;
                }
            }
            case CHANGE_SEVERITY -> {
                if (f.open()) {
                    SeverityBand from = f.band;
                    f.band = e.toBand();
                    f.manualBand = true;
                    if (rank(e.toBand()) > rank(from) && f.routedAt != null) {
                        f.modes.add(FailureMode.SEVERITY_MISMATCH);
                    }
                    setDeadlines(f);
                }
            }
            case COMMENT -> {
            }
            default -> throw new IllegalArgumentException("the bench's ground truth does not model " + kind);
        }
        if (heldBefore && (!holdsDelivery(f) || !ownerBefore.equals(f.owner))) {
            release(ownerBefore, f);
        }
    }

    private void acknowledge(Finding f, Instant t, boolean inferred) {
        f.ack = t;
        f.inferred = inferred;
        if (f.status == Status.OPEN) {
            f.status = Status.ACKNOWLEDGED;
        }
        f.inQueue = false;
        Duration rem = directory.spans.remediation().get(f.band);
        f.remediationDeadline = rem == null ? null : t.plus(rem);
    }

    /** The owner holds a delivered, unacknowledged notification of an open finding. */
    private static boolean holdsDelivery(Finding f) {
        return f.notifiedAt != null && f.ack == null && f.owner != null && f.open();
    }

    private void release(String owner, Finding f) {
        Set<String> pending = pendingByOwner.get(owner);
        if (pending != null && pending.remove(f.id) && f.noiseFlagged) {
            // The flag travels through two topics; had it arrived after this, the pipeline would have dropped it.
            uncertainNoise++;
            uncertainOwners.merge(owner, 1L, Long::sum);
        }
    }

    // ------------------------------------------------------------------ results

    /** The numbers of the cohort of {@code band} whose handoffs started on {@code day} (UTC), at {@code asOf}. */
    public Row row(SeverityBand band, LocalDate day, Instant asOf) {
        return rows(asOf).getOrDefault(new CohortId(band, day), null);
    }

    record CohortId(SeverityBand band, LocalDate day) {
    }

    /** Every cohort at one as_of. */
    public Map<CohortId, Row> rows(Instant asOf) {
        Map<CohortId, List<Finding>> byCohort = cohorts();
        Map<CohortId, Row> out = new TreeMap<>((a, b) -> a.day().equals(b.day()) ? a.band().compareTo(b.band()) : a.day().compareTo(b.day()));
        byCohort.forEach((id, members) -> out.put(id, evaluate(members, asOf)));
        return out;
    }

    private Map<CohortId, List<Finding>> cohortCache;

    /** Findings by cohort: a finding counts in the cohort of its current handoff, in its current band. */
    public Map<CohortId, List<Finding>> cohorts() {
        if (cohortCache == null) {
            cohortCache = new HashMap<>();
            for (Finding f : findings.values()) {
                cohortCache.computeIfAbsent(new CohortId(f.band, f.start.atOffset(ZoneOffset.UTC).toLocalDate()), k -> new ArrayList<>()).add(f);
            }
        }
        return cohortCache;
    }

    /** One cohort at one as_of, by the definitions of DESIGN.md section 6. */
    public Row evaluate(CohortId id, Instant asOf) {
        List<Finding> members = cohorts().get(id);
        return members == null ? null : evaluate(members, asOf);
    }

    private static Row evaluate(List<Finding> members, Instant asOf) {
        long acknowledged = 0;
        long inferred = 0;
        long noAck = 0;
        long inWindow = 0;
        long pending = 0;
        long breaches = 0;
        long within = 0;
        long remediation = 0;
        long duplicates = 0;
        long reopened = 0;
        Map<FailureMode, Long> breachModes = new EnumMap<>(FailureMode.class);
        Map<FailureMode, Long> noAckModes = new EnumMap<>(FailureMode.class);
        long[] latencies = new long[members.size()];
        int n = 0;
        for (Finding f : members) {
            Instant ack = f.ack != null && !f.ack.isAfter(asOf) ? f.ack : null;
            if (ack != null && !f.inferred && !ack.isBefore(f.start)) {
                acknowledged++;
                latencies[n++] = Duration.between(f.start, ack).toMillis();
            } else if (ack != null && f.inferred) {
                inferred++;
            }
            Set<FailureMode> modes = f.modes.isEmpty() ? EnumSet.of(FailureMode.UNCLASSIFIED) : f.modes;
            if (f.noAckDeadline != null) {
                if (ack != null && !ack.isAfter(f.noAckDeadline)) {
                    inWindow++;
                } else if (f.noAckDeadline.isAfter(asOf)) {
                    pending++;
                } else {
                    noAck++;
                    modes.forEach(m -> noAckModes.merge(m, 1L, Long::sum));
                }
            }
            if (f.handoffDeadline != null) {
                boolean breached = ack == null ? !f.handoffDeadline.isAfter(asOf) : ack.isAfter(f.handoffDeadline);
                if (breached) {
                    breaches++;
                    modes.forEach(m -> breachModes.merge(m, 1L, Long::sum));
                } else if (ack != null) {
                    within++;
                }
            }
            if (f.remediationDeadline != null) {
                Instant verified = f.verifiedAt != null && !f.verifiedAt.isAfter(asOf) ? f.verifiedAt : null;
                if (verified == null ? !f.remediationDeadline.isAfter(asOf) : verified.isAfter(f.remediationDeadline)) {
                    remediation++;
                }
            }
            duplicates += Math.max(0, f.captures - 1 - f.reopens);
            if (f.reopened) {
                reopened++;
            }
        }
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        return new Row(members.size(), acknowledged, inferred, noAck, noAck + inWindow, pending, breaches, breachModes, within,
                noAckModes, remediation, duplicates, reopened, sorted);
    }

    /** The lower quantile DESIGN.md defines: the value at rank ⌊q·(n−1)⌋ of the sorted values; null for none. */
    public static Long lowerQuantile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return null;
        }
        return sorted[(int) Math.floor(q * (sorted.length - 1))];
    }

    public Gauges gauges() {
        long depth = 0;
        long open = 0;
        long current = 0;
        for (Finding f : findings.values()) {
            if (f.inQueue && f.open()) {
                depth++;
            }
            if (f.open()) {
                open++;
                if (f.owner != null && f.route == Route.ASSET_OWNER) {
                    current++;
                }
            }
        }
        return new Gauges(depth, open, current);
    }

    /** Findings flagged noisy and then acknowledged or closed: their NOTIFICATION_NOISE depends on timing. */
    public long uncertainNoise() {
        return uncertainNoise;
    }

    /** The owners of {@link #uncertainNoise()} findings, with how many each. */
    public Map<String, Long> uncertainOwners() {
        return uncertainOwners;
    }

    public int findings() {
        return findings.size();
    }

    public long events() {
        return events;
    }

    public Map<TruthEvent.Kind, Long> eventsByKind() {
        return eventsByKind;
    }

    /** Findings per failure mode they carry (a finding may carry several). */
    public Map<FailureMode, Long> findingsByMode() {
        Map<FailureMode, Long> out = new EnumMap<>(FailureMode.class);
        for (Finding f : findings.values()) {
            f.modes.forEach(m -> out.merge(m, 1L, Long::sum));
        }
        return out;
    }

    Finding finding(String id) {
        return findings.get(id);
    }

    /** Every finding's id in the order of its first capture (ties by id): a stable order to sample findings from. */
    List<String> findingIds() {
        return findings.values().stream().sorted(Comparator.comparing((Finding f) -> f.capturedAt).thenComparing(f -> f.id))
                .map(f -> f.id).toList();
    }

    /** The owner a finding is routed to now, or null; for the generator, which sends receipts and commands as that owner. */
    String ownerOf(String findingId) {
        Finding f = findings.get(findingId);
        return f == null ? null : f.owner;
    }

    static int rank(SeverityBand b) {
        return switch (b) {
            case CRITICAL -> 4;
            case HIGH -> 3;
            case MEDIUM -> 2;
            case LOW -> 1;
            case INFO -> 0;
        };
    }

    static SeverityBand raise(SeverityBand b) {
        return switch (b) {
            case INFO -> SeverityBand.LOW;
            case LOW -> SeverityBand.MEDIUM;
            case MEDIUM -> SeverityBand.HIGH;
            case HIGH, CRITICAL -> SeverityBand.CRITICAL;
        };
    }
}

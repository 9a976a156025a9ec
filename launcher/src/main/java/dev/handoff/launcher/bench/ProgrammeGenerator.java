package dev.handoff.launcher.bench;

import dev.handoff.avro.Actor;
import dev.handoff.avro.ActorKind;
import dev.handoff.avro.Asset;
import dev.handoff.avro.AssetAliases;
import dev.handoff.avro.AssetCriticality;
import dev.handoff.avro.AssetExposure;
import dev.handoff.avro.BusinessCalendar;
import dev.handoff.avro.ChannelAddress;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.CommandKind;
import dev.handoff.avro.DayOfWeek;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.LifecycleCommand;
import dev.handoff.avro.NotificationDispatched;
import dev.handoff.avro.Owner;
import dev.handoff.avro.OwnerKind;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SeverityChange;
import dev.handoff.avro.SeverityTarget;
import dev.handoff.avro.SlaPolicy;
import dev.handoff.avro.SlaSpan;
import dev.handoff.avro.SourceTool;
import dev.handoff.avro.SpanClock;
import dev.handoff.avro.SpanUnit;
import dev.handoff.avro.Team;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.schemas.FindingIds;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * Generates a synthetic vulnerability programme, deterministically from a seed: a directory (teams with leads and
 * escalation chains, people, some inactive, group inboxes, assets bound by host name, some business-critical), the
 * bench's SLA policy, and N lifecycle events in time order: captures (and rescans) by several scanners, delivery
 * receipts as the alerter would send them, and people's commands at delays drawn from {@link BenchProfile}. Every
 * failure mode of DESIGN.md section 4 is injected at a known rate. Each event is handed to a {@link Sink} as its Avro
 * record (for the broker) and as a {@link TruthEvent} (for {@link GroundTruth}).
 *
 * <p>Two properties keep the ground truth exact, see {@link GroundTruth}: every event has its own millisecond (so a
 * partition's order is its timestamp order), and every finding routed to a person lives in that person's home
 * partition (its id's location is varied until it hashes there), so an owner's deliveries reach the owner-load
 * processor in event-time order.
 */
public final class ProgrammeGenerator {

    /** The SLA policy the bench publishes: every span on the calendar clock, so deadlines are start + span exactly. */
    public static final String POLICY_ID = "bench-24x7";
    public static final String SOC = "u-soc-bench";
    public static final String MARKER_ACTOR = "bench";
    private static final String[] TOOLS = {"Trivy", "Grype", "Nessus", "Semgrep", "ZAP", "CodeQL"};

    /** Where generated records go. */
    public interface Sink {
        /** A reference record (directory, policy), published before the events. */
        void reference(String topicSuffix, String key, SpecificRecord value);

        /** One lifecycle event, in time order. */
        void event(String topicSuffix, String key, Instant time, SpecificRecord value, TruthEvent truth);
    }

    /** What was generated. */
    public record Summary(int findings, long events, Instant first, Instant last, int people, int teams, int assets,
                          Map<String, Long> byTopic) {
    }

    private final BenchProfile profile;
    private final long events;
    private final int partitions;
    private final Instant start;
    private final Duration span;
    private final Random random;
    private final Directory directory = new Directory();
    private final List<String> normalAssets = new ArrayList<>();
    private final List<String> decayedAssets = new ArrayList<>();
    private final List<String> groupAssets = new ArrayList<>();
    private final List<String> noisyOwners = new ArrayList<>();
    private final Map<String, String> leadOfTeam = new java.util.HashMap<>();
    /** Scales the mean time between captures, so that the last event falls near the end of the span. */
    private double arrivalScale = 1.0;
    /** A calibration pass: times only, no ids, no records. */
    private boolean dry;

    /** A sink that drops everything, for calibration passes. */
    private static final Sink NOWHERE = new Sink() {
        @Override
        public void reference(String topicSuffix, String key, SpecificRecord value) {
        }

        @Override
        public void event(String topicSuffix, String key, Instant time, SpecificRecord value, TruthEvent truth) {
        }
    };

    /**
     * @param events     lifecycle events to generate, the end-of-timeline markers (one per partition) included
     * @param partitions partition count of the finding topics (for home partitions and markers)
     * @param start      the timeline's start; events spread over {@code span} after it
     */
    public ProgrammeGenerator(BenchProfile profile, long seed, long events, int partitions, Instant start, Duration span) {
        if (events < partitions + 1) {
            throw new IllegalArgumentException("--events must be more than the partition count (" + partitions + "), was " + events);
        }
        this.profile = profile;
        this.events = events;
        this.partitions = partitions;
        this.start = start;
        this.span = span;
        this.random = new Random(seed);
    }

    /**
     * A generator whose N events end close to {@code start + span}: lifecycle events trail their captures by days, so
     * the arrival rate is calibrated by dry runs of the same seed (times only) rather than guessed from the rates.
     */
    public static ProgrammeGenerator calibrated(BenchProfile profile, long seed, long events, int partitions, Instant start, Duration span) {
        double scale = 1.0;
        for (int pass = 0; pass < 3; pass++) {
            ProgrammeGenerator dry = new ProgrammeGenerator(profile, seed, events, partitions, start, span);
            dry.dry = true;
            dry.arrivalScale = scale;
            dry.directory(NOWHERE);
            Summary s = dry.run(NOWHERE);
            double used = Duration.between(start, s.last()).toMillis();
            double ratio = span.toMillis() / used;
            scale *= ratio;
            if (Math.abs(ratio - 1) < 0.01) {
                break;
            }
        }
        // "Close to" may be past the end, and the broker refuses timestamps more than an hour ahead of its clock (a
        // date-dependent 5 242 of 20 000 refused once): every time is start plus a seeded offset, so moving the start
        // back by the overshoot, in whole hours, ends the timeline at or before start + span exactly.
        ProgrammeGenerator last = new ProgrammeGenerator(profile, seed, events, partitions, start, span);
        last.dry = true;
        last.arrivalScale = scale;
        last.directory(NOWHERE);
        Instant end = start.plus(span);
        Instant lastEvent = last.run(NOWHERE).last();
        Instant shifted = start;
        if (lastEvent.isAfter(end)) {
            long hours = (Duration.between(end, lastEvent).toMillis() + 3_599_999) / 3_600_000;
            shifted = start.minus(Duration.ofHours(hours));
        }
        ProgrammeGenerator g = new ProgrammeGenerator(profile, seed, events, partitions, shifted, span);
        g.arrivalScale = scale;
        return g;
    }

    /** Expected lifecycle events per finding under the profile's rates, to size the arrival rate and the directory. */
    double eventsPerFinding() {
        double routed = 1 - profile.rate("rate.binding-gap") - profile.rate("rate.group-inbox");
        double acted = 1 - profile.rate("rate.no-ack") - profile.rate("rate.noise");
        double chain = profile.rate("rate.triage") * (1 + profile.rate("rate.start-work") * (1 + profile.rate("rate.resolve")
                * (1 + profile.rate("rate.verify"))));
        double perRouted = 1 + acted * (1 + chain) + profile.rate("rate.severity-raise");
        double unrouted = (1 - routed) * profile.rate("rate.false-positive");
        return 1 + profile.rate("rate.duplicate") + routed * perRouted + unrouted;
    }

    // ------------------------------------------------------------------------------------------------ directory

    /** Builds the directory and the policy and hands them to the sink; call once, before {@link #run}. */
    public Directory directory(Sink sink) {
        int findings = (int) Math.ceil(events / eventsPerFinding());
        int people = Math.max(10, findings / profile.integer("findings.per.owner"));
        int teamSize = profile.integer("team.size");
        int teams = Math.max(1, (int) Math.ceil(people / (double) (teamSize - 1)));
        Instant t = start.minus(Duration.ofDays(30));
        int person = 0;
        for (int k = 0; k < teams; k++) {
            String team = "team-" + k;
            String bu = "bu-" + (k % 5);
            String lead = "u-lead-" + k;
            String deputy = "u-deputy-" + k;
            owner(sink, lead, true, OwnerKind.PERSON, team, t);
            owner(sink, deputy, true, OwnerKind.PERSON, team, t);
            leadOfTeam.put(team, lead);
            sink.reference("teams", team, Team.newBuilder().setEventId("bench-team-" + team).setEventTime(t).setRecordedTime(t)
                    .setSource("bench/directory").setTeamId(team).setName("Team " + k).setBusinessUnit(bu).setLeadOwnerId(lead)
                    .setEscalationChain(List.of(deputy)).setChannels(List.of(new ChannelAddress(ChannelType.SLACK, "C" + k)))
                    .setSlaPolicyId(POLICY_ID).build());
            directory.team(new Directory.TeamRef(team, lead, List.of(deputy), bu));
            String inbox = "g-inbox-" + k;
            owner(sink, inbox, true, OwnerKind.GROUP, team, t);
            for (int m = 0; m < teamSize - 1 && person < people; m++, person++) {
                String id = "u-" + person;
                owner(sink, id, true, OwnerKind.PERSON, team, t);
                String criticality = random.nextDouble() < profile.rate("rate.critical-asset") ? "CRITICAL" : "MEDIUM";
                normalAssets.add(asset(sink, "a-" + person, "h-" + person + "." + team + ".bench.example", id, team, bu, criticality, t));
            }
            // Assets whose owner has left: routing decays to the team lead.
            int decayed = Math.max(1, (int) Math.round((teamSize - 1) * profile.rate("rate.decayed-routing")));
            for (int d = 0; d < decayed; d++) {
                String gone = "u-left-" + k + "-" + d;
                owner(sink, gone, false, OwnerKind.PERSON, team, t);
                decayedAssets.add(asset(sink, "a-left-" + k + "-" + d, "h-left-" + k + "-" + d + "." + team + ".bench.example", gone, team, bu, "MEDIUM", t));
            }
            groupAssets.add(asset(sink, "a-shared-" + k, "h-shared-" + k + "." + team + ".bench.example", inbox, team, bu, "MEDIUM", t));
        }
        // People who own a bulk repository that scanners flood with findings nobody acts on: NOTIFICATION_NOISE.
        int bursts = (int) Math.round(findings * profile.rate("rate.noise") / profile.integer("noise.burst"));
        for (int n = 0; n < Math.max(bursts > 0 ? 1 : 0, bursts / 3); n++) {
            String team = "team-" + (n % teams);
            String id = "u-bulk-" + n;
            owner(sink, id, true, OwnerKind.PERSON, team, t);
            noisyOwners.add(asset(sink, "a-bulk-" + n, "h-bulk-" + n + "." + team + ".bench.example", id, team, "bu-" + (n % teams % 5), "MEDIUM", t));
        }
        owner(sink, SOC, true, OwnerKind.PERSON, null, t);
        sink.reference("sla-policy", POLICY_ID, policy(t));
        // Findings without a team (binding gaps) fall back to the default policy: the same spans, so every deadline is
        // start + span and the ground truth needs no business-time arithmetic.
        sink.reference("sla-policy", "default", SlaPolicy.newBuilder(policy(t)).setPolicyId("default").setEventId("bench-policy-default-v1").build());
        directory.spans(spans());
        return directory;
    }

    private void owner(Sink sink, String id, boolean active, OwnerKind kind, String team, Instant t) {
        String mail = id + "@bench.example";
        sink.reference("owners", id, Owner.newBuilder().setEventId("bench-owner-" + id).setEventTime(t).setRecordedTime(t)
                .setSource("bench/directory").setOwnerId(id).setDisplayName(id).setEmail(mail).setActive(active).setKind(kind)
                .setTeamId(team).setChannels(List.of(new ChannelAddress(ChannelType.EMAIL, mail))).setTimeZone("UTC").build());
        directory.person(new Directory.Person(id, active, kind == OwnerKind.GROUP, team, true));
    }

    private String asset(Sink sink, String id, String host, String owner, String team, String bu, String criticality, Instant t) {
        AssetAliases aliases = AssetAliases.newBuilder().setHostnames(List.of(host)).setIps(List.of()).setImageRepositories(List.of())
                .setRepositoryUrls(List.of()).setPackagePurls(List.of()).setUrlPrefixes(List.of()).setCloudResources(List.of()).build();
        sink.reference("assets", id, Asset.newBuilder().setEventId("bench-asset-" + id).setEventTime(t).setRecordedTime(t)
                .setSource("bench/asset-register").setAssetId(id).setName(host).setAliases(aliases)
                .setCriticality(AssetCriticality.valueOf(criticality)).setExposure(AssetExposure.INTERNAL).setEnvironment("production")
                .setBusinessUnit(bu).setOwnerUserId(owner).setOwnerTeamId(team).build());
        directory.asset(new Directory.AssetRef(id, host, owner, team, bu, criticality, "INTERNAL"));
        return host;
    }

    /** Handoff CRITICAL 4 h, HIGH 24 h, MEDIUM 72 h, LOW 240 h; the default no-ack windows and remediation SLAs. */
    static Directory.Spans spans() {
        Map<SeverityBand, Duration> handoff = new EnumMap<>(SeverityBand.class);
        Map<SeverityBand, Duration> noAck = new EnumMap<>(SeverityBand.class);
        Map<SeverityBand, Duration> remediation = new EnumMap<>(SeverityBand.class);
        int[][] hours = {{4, 24, 7 * 24}, {24, 72, 30 * 24}, {72, 7 * 24, 90 * 24}, {240, 30 * 24, 180 * 24}};
        SeverityBand[] bands = {SeverityBand.CRITICAL, SeverityBand.HIGH, SeverityBand.MEDIUM, SeverityBand.LOW};
        for (int i = 0; i < bands.length; i++) {
            handoff.put(bands[i], Duration.ofHours(hours[i][0]));
            noAck.put(bands[i], Duration.ofHours(hours[i][1]));
            remediation.put(bands[i], Duration.ofHours(hours[i][2]));
        }
        return new Directory.Spans(handoff, noAck, remediation);
    }

    /** The policy as a record: a 24x7 calendar (every day, 00:00 to the last millisecond), every span in calendar hours. */
    static SlaPolicy policy(Instant t) {
        Directory.Spans s = spans();
        List<SeverityTarget> targets = new ArrayList<>();
        for (SeverityBand b : s.handoff().keySet()) {
            targets.add(SeverityTarget.newBuilder().setBand(b).setHandoff(hours(s.handoff().get(b)))
                    .setRemediation(hours(s.remediation().get(b))).setNoAckWindow(hours(s.noAck().get(b))).build());
        }
        BusinessCalendar calendar = BusinessCalendar.newBuilder().setZone("UTC").setWorkingDays(List.of(DayOfWeek.values()))
                .setWorkStart(LocalTime.MIDNIGHT).setWorkEnd(LocalTime.of(23, 59, 59, 999_000_000)).setHolidayCountry(null)
                .setHolidaySubdivision(null).setExtraHolidays(List.of()).build();
        return SlaPolicy.newBuilder().setEventId("bench-policy-v1").setEventTime(t).setRecordedTime(t).setSource("bench")
                .setActor(null).setPolicyId(POLICY_ID).setVersion(1).setTargets(targets).setWarningFraction(0.75)
                .setCalendar(calendar).build();
    }

    private static SlaSpan hours(Duration d) {
        return SlaSpan.newBuilder().setAmount((int) d.toHours()).setUnit(SpanUnit.HOURS).setClock(SpanClock.CALENDAR).build();
    }

    // ------------------------------------------------------------------------------------------------ timeline

    private enum Category { NORMAL, DECAYED, GROUP, GAP, NOISE }

    /** A finding as the generator plans it. */
    private static final class Plan {
        final int seq;
        final String id;
        final String host;
        final String tool;
        final String owner;
        final SeverityBand scannerBand;
        final FindingTarget target;
        final String rule;
        int captures;

        Plan(int seq, String id, String host, String tool, String owner, SeverityBand band, FindingTarget target, String rule) {
            this.seq = seq;
            this.id = id;
            this.host = host;
            this.tool = tool;
            this.owner = owner;
            this.scannerBand = band;
            this.target = target;
            this.rule = rule;
        }
    }

    private record Planned(Instant at, long order, Plan finding, TruthEvent.Kind kind, CommandKind command, String actor,
                           SeverityBand toBand) {
    }

    private final PriorityQueue<Planned> queue = new PriorityQueue<>((a, b) -> {
        int c = a.at().compareTo(b.at());
        return c != 0 ? c : Long.compare(a.order(), b.order());
    });
    private long order;
    private int findingSeq;
    private final Plan[] firstInPartition = new Plan[64];

    /** Generates the timeline into {@code sink}: exactly {@code events} events, the last ones end-of-timeline markers. */
    public Summary run(Sink sink) {
        int markers = Math.min(partitions, firstInPartition.length);
        long body = events - markers;
        double perFinding = eventsPerFinding();
        long mean = Math.max(1, (long) (span.toMillis() * perFinding / body * arrivalScale));
        Instant nextCapture = start.plusMillis(exponential(mean));
        int burst = profile.integer("noise.burst");
        long burstsWanted = Math.round(body / perFinding * profile.rate("rate.noise") / burst);
        long burstMean = burstsWanted == 0 ? Long.MAX_VALUE : (long) (span.toMillis() * arrivalScale / burstsWanted);
        Instant nextBurst = burstsWanted == 0 ? Instant.MAX : start.plusMillis(exponential(burstMean));
        int burstOwner = 0;
        long emitted = 0;
        Instant last = start;
        Instant first = null;
        Map<String, Long> byTopic = new java.util.TreeMap<>();
        while (emitted < body) {
            Planned head = queue.peek();
            Instant nextNew = nextBurst.isBefore(nextCapture) ? nextBurst : nextCapture;
            if (head == null || !head.at().isBefore(nextNew)) {
                if (nextBurst.isBefore(nextCapture)) {
                    String owner = noisyOwners.get(burstOwner++ % noisyOwners.size());
                    Instant t = nextBurst;
                    for (int i = 0; i < burst; i++) {
                        t = t.plusMillis(10_000 + random.nextInt(50_000));
                        newFinding(t, Category.NOISE, owner);
                    }
                    nextBurst = nextBurst.plusMillis(exponential(burstMean));
                } else {
                    newFinding(nextCapture, null, null);
                    nextCapture = nextCapture.plusMillis(exponential(mean));
                }
                continue;
            }
            queue.poll();
            // Every event gets its own millisecond, so each partition's timestamp order is its log order.
            Instant at = head.at().isAfter(last) ? head.at() : last.plusMillis(1);
            last = at;
            first = first == null ? at : first;
            byTopic.merge(dry ? "dry" : emit(sink, head, at), 1L, Long::sum);
            emitted++;
        }
        // One comment per partition after the last event: each partition's stream time passes its last unrouted-depth
        // snapshot, so the workspace gauge counts the final queue.
        for (int p = 0; p < markers; p++) {
            Plan f = firstInPartition[p];
            if (f == null) {
                continue;
            }
            last = last.plus(Duration.ofMinutes(2)).plusMillis(1);
            byTopic.merge(dry ? "dry" : emit(sink, new Planned(last, order++, f, TruthEvent.Kind.COMMAND, CommandKind.COMMENT, MARKER_ACTOR, null), last),
                    1L, Long::sum);
            emitted++;
        }
        return new Summary(findingSeq, emitted, first, last, directory.people(), directory.teamCount(), directory.assets(), byTopic);
    }

    private long exponential(long mean) {
        return Math.max(1, (long) (-Math.log(1 - random.nextDouble()) * mean));
    }

    private Duration logNormal(Duration median, double sigma) {
        return Duration.ofMillis(Math.max(1000, (long) (median.toMillis() * Math.exp(random.nextGaussian() * sigma))));
    }

    private Duration uniform(Duration min, Duration max) {
        return min.plusMillis((long) (random.nextDouble() * (max.toMillis() - min.toMillis())));
    }

    private SeverityBand band() {
        double u = random.nextDouble();
        for (SeverityBand b : SeverityBand.values()) {
            u -= profile.bandShare(b);
            if (u < 0) {
                return b;
            }
        }
        return SeverityBand.MEDIUM;
    }

    /** Plans one finding captured at {@code t0}: its asset (hence route), its id, and its whole lifecycle. */
    private void newFinding(Instant t0, Category forced, String forcedOwnerHost) {
        Category category = forced;
        if (category == null) {
            double u = random.nextDouble();
            category = (u -= profile.rate("rate.binding-gap")) < 0 ? Category.GAP
                    : (u -= profile.rate("rate.group-inbox")) < 0 ? Category.GROUP
                    : (u - profile.rate("rate.decayed-routing")) < 0 ? Category.DECAYED : Category.NORMAL;
        }
        int seq = findingSeq++;
        String host = switch (category) {
            case GAP -> "h-gap-" + seq + ".unregistered.bench.example";
            case GROUP -> groupAssets.get(random.nextInt(groupAssets.size()));
            case DECAYED -> pickUnbusy(decayedAssets, t0);
            case NORMAL -> pickUnbusy(normalAssets, t0);
            case NOISE -> forcedOwnerHost;
        };
        Directory.AssetRef asset = directory.assetFor(host);
        String owner = switch (category) {
            case GAP, GROUP -> null;
            case DECAYED -> leadOfTeam.get(asset.team());
            case NORMAL, NOISE -> asset.owner();
        };
        String tool = TOOLS[random.nextInt(TOOLS.length)];
        SeverityBand scanner = category == Category.NOISE ? SeverityBand.MEDIUM : band();
        String rule = "BENCH-" + random.nextInt(5000);
        Plan f = plan(seq, host, tool, owner, scanner, rule);
        schedule(t0, f, TruthEvent.Kind.CAPTURE, null, null, null);
        SeverityBand band = scanner;
        if (asset != null && "CRITICAL".equals(asset.criticality()) && band != SeverityBand.INFO) {
            band = GroundTruth.raise(band);
        }
        Instant closedAt = Instant.MAX;
        if (owner == null) {
            if (random.nextDouble() < profile.rate("rate.false-positive")) {
                closedAt = t0.plus(uniform(Duration.ofDays(1), Duration.ofDays(7)));
                schedule(closedAt, f, TruthEvent.Kind.COMMAND, CommandKind.MARK_FALSE_POSITIVE, SOC, null);
            }
        } else {
            Instant receipt = t0.plus(logNormal(profile.duration("receipt.median"), profile.number("receipt.sigma")));
            schedule(receipt, f, TruthEvent.Kind.RECEIPT, null, owner, null);
            if (category != Category.NOISE) {
                closedAt = lifecycle(f, t0, receipt, band, owner);
            }
        }
        if (random.nextDouble() < profile.rate("rate.duplicate")) {
            // A rescan by the same scanner while the finding is still open (a rescan after resolution would reopen it).
            Instant until = closedAt.isBefore(t0.plus(Duration.ofDays(3))) ? closedAt : t0.plus(Duration.ofDays(3));
            Duration room = Duration.between(t0, until).minusMinutes(1);
            if (room.compareTo(Duration.ofMinutes(2)) > 0) {
                schedule(t0.plus(uniform(Duration.ofMinutes(1), room)), f, TruthEvent.Kind.CAPTURE, null, null, null);
            }
        }
    }

    /**
     * People's side of one routed finding: an acknowledgement after a log-normal delay (or none, or only implied by a
     * triage), maybe a severity raise before it, then triage, work, resolution, verification and sometimes a rescan
     * that reopens it. Returns when the finding closes (resolved), or {@link Instant#MAX}.
     */
    private Instant lifecycle(Plan f, Instant t0, Instant receipt, SeverityBand band, String owner) {
        Duration delay = logNormal(profile.ackMedians().get(band), profile.number("ack.sigma"));
        // The owner acts after the notification reached them: a receipt after the ack would count as held forever.
        Instant ack = t0.plus(delay).isAfter(receipt.plusSeconds(60)) ? t0.plus(delay) : receipt.plusSeconds(60);
        if (band != SeverityBand.CRITICAL && random.nextDouble() < profile.rate("rate.severity-raise")) {
            Instant raise = receipt.plusMillis((long) (Duration.between(receipt, ack).toMillis() * (0.2 + 0.4 * random.nextDouble())));
            schedule(raise, f, TruthEvent.Kind.COMMAND, CommandKind.CHANGE_SEVERITY, SOC, GroundTruth.raise(band));
        }
        double u = random.nextDouble();
        if (u < profile.rate("rate.no-ack")) {
            hold(owner, receipt, Instant.MAX);
            return Instant.MAX;
        }
        hold(owner, receipt, ack);
        Instant t = ack;
        boolean inferred = u < profile.rate("rate.no-ack") + profile.rate("rate.inferred-ack");
        double sigma = profile.number("stage.sigma");
        if (inferred) {
            schedule(t, f, TruthEvent.Kind.COMMAND, CommandKind.ENTER_TRIAGE, owner, null);
        } else {
            schedule(t, f, TruthEvent.Kind.COMMAND, CommandKind.ACKNOWLEDGE, owner, null);
            if (random.nextDouble() >= profile.rate("rate.triage")) {
                return Instant.MAX;
            }
            t = t.plus(logNormal(profile.duration("triage.after.ack"), sigma));
            schedule(t, f, TruthEvent.Kind.COMMAND, CommandKind.ENTER_TRIAGE, owner, null);
        }
        if (random.nextDouble() >= profile.rate("rate.start-work")) {
            return Instant.MAX;
        }
        t = t.plus(uniform(Duration.ofHours(1), Duration.ofDays(1)));
        schedule(t, f, TruthEvent.Kind.COMMAND, CommandKind.START_WORK, owner, null);
        if (random.nextDouble() >= profile.rate("rate.resolve")) {
            return Instant.MAX;
        }
        t = t.plus(logNormal(profile.duration("fix.median"), sigma));
        schedule(t, f, TruthEvent.Kind.COMMAND, CommandKind.RESOLVE, owner, null);
        Instant resolved = t;
        if (random.nextDouble() >= profile.rate("rate.verify")) {
            return resolved;
        }
        t = t.plus(logNormal(profile.duration("verify.median"), sigma));
        schedule(t, f, TruthEvent.Kind.COMMAND, CommandKind.VERIFY, owner, null);
        if (random.nextDouble() < profile.rate("rate.reopen")) {
            // The same scanner finds it again on a rebuilt image: a new handoff (origin REOPEN).
            Instant again = t.plus(uniform(Duration.ofDays(1), Duration.ofDays(5)));
            schedule(again, f, TruthEvent.Kind.CAPTURE, null, null, null);
            Instant receipt2 = again.plus(logNormal(profile.duration("receipt.median"), profile.number("receipt.sigma")));
            schedule(receipt2, f, TruthEvent.Kind.RECEIPT, null, owner, null);
            Instant ack2 = again.plus(logNormal(profile.ackMedians().get(band), profile.number("ack.sigma")));
            ack2 = ack2.isAfter(receipt2.plusSeconds(60)) ? ack2 : receipt2.plusSeconds(60);
            schedule(ack2, f, TruthEvent.Kind.COMMAND, CommandKind.ACKNOWLEDGE, owner, null);
            hold(owner, receipt2, ack2);
        }
        return resolved;
    }

    /** Per person: deliveries they hold, as [delivered, released) millisecond intervals (released MAX: never). */
    private final Map<String, List<long[]>> held = new java.util.HashMap<>();

    private void hold(String owner, Instant delivered, Instant released) {
        held.computeIfAbsent(owner, k -> new ArrayList<>()).add(new long[] {delivered.toEpochMilli(),
                released == Instant.MAX ? Long.MAX_VALUE : released.toEpochMilli()});
    }

    /**
     * An asset whose owner (or, for decayed assets, team lead) is not busy at {@code t}: ordinary people stay well below
     * the NOTIFICATION_NOISE thresholds (20 held, 10 an hour), so noise comes only from the bulk repositories whose
     * findings nobody acts on, and whether a finding is noisy never depends on how fast the pipeline runs.
     */
    private String pickUnbusy(List<String> hosts, Instant t) {
        String host = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            host = hosts.get(random.nextInt(hosts.size()));
            Directory.AssetRef a = directory.assetFor(host);
            String person = directory.people.get(a.owner()).active() ? a.owner() : leadOfTeam.get(a.team());
            if (!busy(person, t.toEpochMilli())) {
                return host;
            }
        }
        return host;
    }

    private boolean busy(String person, long t) {
        List<long[]> h = held.get(person);
        if (h == null) {
            return false;
        }
        h.removeIf(i -> i[1] < t - 3_600_000L && i[0] < t - 3_600_000L);
        long holding = h.stream().filter(i -> i[0] <= t + 3_600_000L && i[1] > t).count();
        long recent = h.stream().filter(i -> Math.abs(i[0] - t) < 3_600_000L).count();
        return holding >= 12 || recent >= 5;
    }

    /** The finding's record parts and id; routed findings get an id in their owner's home partition. */
    private Plan plan(int seq, String host, String tool, String owner, SeverityBand band, String rule) {
        if (dry) {
            Plan plan = new Plan(seq, "dry-" + seq, host, tool, owner, band, null, rule);
            int p = seq % partitions;
            if (p < firstInPartition.length && firstInPartition[p] == null) {
                firstInPartition[p] = plan;
            }
            return plan;
        }
        int wanted = owner == null ? -1 : partitionOf(owner);
        for (int attempt = 0; ; attempt++) {
            String version = "1." + seq + "." + attempt;
            FindingTarget target = FindingTarget.newBuilder().setHost(host).setPort(443).setProtocol("tcp")
                    .setPackageName("lib-" + (seq % 997)).setPackageVersion(version).build();
            String id = FindingIds.of(new FindingIds.Key("host:" + host.toLowerCase(java.util.Locale.ROOT),
                    "rule:" + tool.toLowerCase(java.util.Locale.ROOT) + ":" + rule, "pkg:lib-" + (seq % 997) + "@" + version));
            int p = partitionOf(id);
            if (wanted < 0 || p == wanted) {
                Plan plan = new Plan(seq, id, host, tool, owner, band, target, rule);
                if (p < firstInPartition.length && firstInPartition[p] == null) {
                    firstInPartition[p] = plan;
                }
                return plan;
            }
        }
    }

    /** Kafka's default partitioner for a string key. */
    int partitionOf(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    private void schedule(Instant at, Plan f, TruthEvent.Kind kind, CommandKind command, String actor, SeverityBand toBand) {
        queue.add(new Planned(at, order++, f, kind, command, actor, toBand));
    }

    private String emit(Sink sink, Planned p, Instant at) {
        Plan f = p.finding();
        switch (p.kind()) {
            case CAPTURE -> {
                int n = f.captures++;
                FindingReported r = FindingReported.newBuilder()
                        .setEventId("bench-cap-" + f.seq + "-" + n).setEventTime(at).setRecordedTime(at).setSource("bench/" + f.tool.toLowerCase(java.util.Locale.ROOT))
                        .setActor(null).setFindingId(f.id).setReportId("bench-report-" + f.seq + "-" + n)
                        .setSourceTool(new SourceTool(f.tool, "1.0"))
                        .setVulnerabilityIds(List.of(new VulnerabilityId(VulnerabilityIdKind.TOOL_RULE, f.rule)))
                        .setCweIds(List.of()).setTitle(f.rule + " in lib-" + (f.seq % 997) + " on " + f.host).setDescription(null)
                        .setScannerSeverity(f.scannerBand.name()).setScannerBand(f.scannerBand).setCvss(List.of()).setTarget(f.target)
                        .setDetectedAt(at).setFixedVersion(null).setReferences(List.of()).setAttributes(Map.of()).build();
                sink.event("findings.reported", f.id, at, r, TruthEvent.capture(at, f.id, f.scannerBand, f.host, f.tool));
                return "findings.reported";
            }
            case RECEIPT -> {
                String notification = f.id + "/" + p.actor() + "/" + at.toEpochMilli();
                NotificationDispatched r = NotificationDispatched.newBuilder()
                        .setEventId("bench-rcpt-" + f.seq + "-" + at.toEpochMilli()).setEventTime(at).setRecordedTime(at)
                        .setSource("bench/alerter").setFindingId(f.id).setNotificationId(notification)
                        .setKind(DispatchKind.OWNER_NOTIFICATION).setOwnerId(p.actor()).setChannel(ChannelType.EMAIL)
                        .setTarget(p.actor() + "@bench.example").setIdempotencyKey(notification).build();
                sink.event("notifications.receipts", f.id, at, r, TruthEvent.receipt(at, f.id, p.actor()));
                return "notifications.receipts";
            }
            default -> {
                LifecycleCommand c = LifecycleCommand.newBuilder()
                        .setEventId("bench-cmd-" + f.seq + "-" + p.command().name().toLowerCase(java.util.Locale.ROOT) + "-" + at.toEpochMilli())
                        .setEventTime(at).setRecordedTime(at).setSource("bench/people")
                        .setActor(Actor.newBuilder().setId(p.actor()).setKind(ActorKind.PERSON).setDisplayName(null).build())
                        .setFindingId(f.id).setKind(p.command())
                        .setDetails(p.command() == CommandKind.CHANGE_SEVERITY ? new SeverityChange(p.toBand(), null) : null)
                        .setNote(p.command() == CommandKind.COMMENT ? "end of the bench timeline" : null).setIdempotencyKey(null).build();
                sink.event("findings.commands", f.id, at, c, TruthEvent.command(at, f.id, p.command(), p.actor(), p.toBand()));
                return "findings.commands";
            }
        }
    }
}

package dev.handoff.streams;

import dev.handoff.avro.Actor;
import dev.handoff.avro.ActorKind;
import dev.handoff.avro.Asset;
import dev.handoff.avro.AssetAliases;
import dev.handoff.avro.AssetCriticality;
import dev.handoff.avro.AssetExposure;
import dev.handoff.avro.ChannelAddress;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.CommandKind;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.DispatchOutcome;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.KevEntry;
import dev.handoff.avro.LifecycleCommand;
import dev.handoff.avro.NotificationDispatched;
import dev.handoff.avro.Owner;
import dev.handoff.avro.OwnerKind;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SeverityChange;
import dev.handoff.avro.SlaPolicy;
import dev.handoff.avro.SlaSpan;
import dev.handoff.avro.SourceTool;
import dev.handoff.avro.SpanClock;
import dev.handoff.avro.SpanUnit;
import dev.handoff.avro.Team;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.FindingIds;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.streams.sla.SlaPolicies;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.Set;

/**
 * A generated programme for the exactly-once tests ({@link StreamsCrashIT}, {@link StreamsRebalanceIT}): a directory
 * (teams, owners with one inactive engineer per two teams and a group inbox, assets, a per-team SLA policy, KEV
 * entries) and a thousand or more findings with their lifecycle: acks in and out of SLA, acks by someone else, triage
 * without an ack, work through to verification, rescans that duplicate or reopen, severity raised after routing,
 * delivery receipts, findings no asset binds (some picked up by an ack, most never), findings never acknowledged,
 * and a few commands the app must dead-letter.
 *
 * <p>The outcome is deterministic, so two runs of the same programme can be compared record for record, when the
 * runs keep to two rules. The records: every input record carries its event time as its Kafka timestamp, event times
 * are distinct, and each partition is written in event-time order; a task with every input partition's records at
 * hand (Kafka Streams waits for partitions it knows to hold data, {@code max.task.idle.ms=0}) then processes them in
 * one order, the timestamps', whoever runs it and however often it restarts. The phases: the directory
 * ({@link #reference}) is published and taken in by a first start of the app, which is then stopped, and only then is
 * the programme ({@link #input}) published. The app fans the directory out to the finding partitions itself; a
 * lifecycle task started with findings at hand and its fan-out partition still empty would route them before the
 * directory reached it, at a point that depends on timing.
 */
final class GeneratedProgramme {

    /** One record to publish. */
    record Event(TopicDef<? extends SpecificRecord> topic, String key, SpecificRecord value, Instant at) {
    }

    private static final String SOURCE = "generated-programme";
    private static final String REGISTRY = "registry.example.com/";
    private static final List<String> TEAMS = List.of("payments", "identity", "search", "platform", "mobile", "data");
    private static final List<String> UNITS = List.of("retail", "corporate", "infrastructure");
    private static final List<String> KEV_CVES = List.of("CVE-2021-44228", "CVE-2023-4966", "CVE-2024-3400");
    private static final List<String> TOOLS = List.of("Trivy", "Grype", "Snyk");
    private static final int ASSETS = 48;
    /** Someone outside every team who picks up findings no asset binds. */
    private static final String TRIAGER = "secops-triager";

    final Instant base;
    final List<Event> reference;
    final List<Event> input;
    final int findings;

    private GeneratedProgramme(Instant base, List<Event> reference, List<Event> input, int findings) {
        this.base = base;
        this.reference = List.copyOf(reference);
        this.input = List.copyOf(input);
        this.findings = findings;
    }

    /**
     * The Monday 09:00 UTC on or after 120 days before {@code now}. With the metrics' refresh on the wall clock, every
     * window, no-ack window and handoff deadline of the programme (its captures span three weeks) has then passed,
     * 90-day remediation deadlines too, and 180-day ones lie two months ahead: no row changes between two runs of a
     * test, and no day, week or month row holds {@code now} (those would carry the live gauges).
     */
    static Instant baseFor(Instant now) {
        LocalDate day = now.minus(Duration.ofDays(120)).atZone(ZoneOffset.UTC).toLocalDate()
                .with(TemporalAdjusters.nextOrSame(DayOfWeek.MONDAY));
        return day.atTime(9, 0).toInstant(ZoneOffset.UTC);
    }

    static GeneratedProgramme generate(long seed, int findingCount, Instant base) {
        Random rnd = new Random(seed);
        Times times = new Times();
        List<Event> reference = new ArrayList<>();
        Instant refTime = base.minus(Duration.ofDays(30));

        // ------------------------------------------------------------------ directory
        reference.add(new Event(Topics.SLA_POLICY, "default", SlaPolicy.newBuilder(SlaPolicies.defaultPolicy())
                .setEventId("policy-default").setEventTime(refTime).setRecordedTime(refTime).setSource(SOURCE).build(), refTime));
        SlaPolicy strict = strictPolicy(refTime);
        reference.add(new Event(Topics.SLA_POLICY, strict.getPolicyId(), strict, refTime));
        for (int t = 0; t < TEAMS.size(); t++) {
            String team = TEAMS.get(t);
            for (int e = 1; e <= 3; e++) {
                // The third engineer of every other team has left: assets bound to them decay to the team lead.
                boolean active = !(e == 3 && t % 2 == 0);
                reference.add(new Event(Topics.OWNERS, engineer(team, e), owner(engineer(team, e), team, active, OwnerKind.PERSON, refTime), refTime));
            }
            reference.add(new Event(Topics.OWNERS, lead(team), owner(lead(team), team, true, OwnerKind.PERSON, refTime), refTime));
            reference.add(new Event(Topics.TEAMS, team, Team.newBuilder()
                    .setEventId("team-" + team).setEventTime(refTime).setRecordedTime(refTime).setSource(SOURCE)
                    .setTeamId(team).setName(team).setBusinessUnit(UNITS.get(t % UNITS.size()))
                    .setLeadOwnerId(lead(team)).setEscalationChain(List.of(lead("platform")))
                    .setSlaPolicyId(team.equals("identity") ? strict.getPolicyId() : null)
                    .build(), refTime));
        }
        reference.add(new Event(Topics.OWNERS, "mobile-inbox", owner("mobile-inbox", "mobile", true, OwnerKind.GROUP, refTime), refTime));
        reference.add(new Event(Topics.OWNERS, TRIAGER, owner(TRIAGER, "platform", true, OwnerKind.PERSON, refTime), refTime));
        for (int a = 0; a < ASSETS; a++) {
            String team = TEAMS.get(a % TEAMS.size());
            String owner = team.equals("mobile") && a % 4 == 0 ? "mobile-inbox" : a % 5 == 0 ? null : engineer(team, 1 + (a / TEAMS.size()) % 3);
            reference.add(new Event(Topics.ASSETS, "asset-" + a, Asset.newBuilder()
                    .setEventId("asset-" + a).setEventTime(refTime).setRecordedTime(refTime).setSource(SOURCE)
                    .setAssetId("asset-" + a).setName("svc-" + a)
                    .setAliases(AssetAliases.newBuilder().setImageRepositories(List.of(image(team, a))).build())
                    .setCriticality(AssetCriticality.values()[a % AssetCriticality.values().length])
                    .setExposure(AssetExposure.values()[a % AssetExposure.values().length])
                    .setBusinessUnit(UNITS.get((a % TEAMS.size()) % UNITS.size()))
                    .setOwnerUserId(owner).setOwnerTeamId(team).build(), refTime));
        }
        for (String cve : KEV_CVES) {
            reference.add(new Event(Topics.KEV, cve, KevEntry.newBuilder()
                    .setEventId("kev-" + cve).setEventTime(refTime).setRecordedTime(refTime).setSource(SOURCE)
                    .setCveId(cve).setDateAdded(LocalDate.of(2024, 1, 10)).build(), refTime));
        }

        // ------------------------------------------------------------------ findings and their lifecycle
        List<Event> input = new ArrayList<>();
        long span = Duration.ofDays(20).toMillis();
        SeverityBand[] bands = {SeverityBand.CRITICAL, SeverityBand.HIGH, SeverityBand.HIGH, SeverityBand.MEDIUM, SeverityBand.MEDIUM,
                SeverityBand.MEDIUM, SeverityBand.LOW, SeverityBand.LOW, SeverityBand.LOW, SeverityBand.INFO};
        for (int i = 0; i < findingCount; i++) {
            Instant capturedAt = times.unique(base.plusMillis(span * i / findingCount + rnd.nextInt(3_600_000)));
            boolean bound = rnd.nextDouble() < 0.85;
            int asset = rnd.nextInt(ASSETS);
            String team = TEAMS.get(asset % TEAMS.size());
            String img = bound ? image(team, asset) : REGISTRY + "unregistered/tool-" + rnd.nextInt(40);
            String cve = rnd.nextDouble() < 0.03 ? KEV_CVES.get(rnd.nextInt(KEV_CVES.size())) : "CVE-2026-" + (20_000 + i);
            SeverityBand band = bands[rnd.nextInt(bands.length)];
            String tool = TOOLS.get(rnd.nextInt(TOOLS.size()));
            FindingReported finding = capture(img, cve, band, tool, i, capturedAt, "cap-" + i);
            String id = finding.getFindingId();
            input.add(new Event(Topics.FINDINGS_REPORTED, id, finding, capturedAt));

            // Who the app routes it to, as far as the generator can tell (a miss only makes a receipt or ack "foreign").
            String routed = !bound ? null : routedOwner(team, asset);
            String other = bound ? lead(team) : TRIAGER;
            int step = 0;
            if (routed != null && rnd.nextDouble() < 0.6) {
                Instant at = times.unique(capturedAt.plus(minutes(rnd, 1, 15)));
                input.add(new Event(Topics.NOTIFICATIONS_RECEIPTS, id, receipt(id, routed, at, "rcpt-" + i), at));
            }
            if (rnd.nextDouble() < 0.1) {
                Instant at = times.unique(capturedAt.plus(minutes(rnd, 30, 48 * 60)));
                input.add(new Event(Topics.FINDINGS_REPORTED, id, capture(img, cve, band, tool, i, at, "dup-" + i), at));
            }
            if (routed != null && rnd.nextDouble() < 0.05) {
                Instant at = times.unique(capturedAt.plus(minutes(rnd, 20, 240)));
                input.add(new Event(Topics.FINDINGS_COMMANDS, id, command(id, CommandKind.CHANGE_SEVERITY, lead(team), at, "sev-" + i,
                        new SeverityChange(SeverityBand.CRITICAL, null)), at));
            }
            if (rnd.nextDouble() < 0.02) {
                // Verify before anything else: not allowed from OPEN, so the app dead-letters it.
                Instant at = times.unique(capturedAt.plus(minutes(rnd, 1, 60)));
                input.add(new Event(Topics.FINDINGS_COMMANDS, id, command(id, CommandKind.VERIFY, other, at, "bad-" + i, null), at));
            }
            double r = rnd.nextDouble();
            Instant acked = null;
            if (routed == null && bound) {
                // A group inbox: nobody acknowledges; it waits in the queue.
            } else if (routed == null) {
                if (r < 0.35) {
                    acked = times.unique(capturedAt.plus(logMinutes(rnd, 30, 5 * 24 * 60)));
                    input.add(new Event(Topics.FINDINGS_COMMANDS, id, command(id, CommandKind.ACKNOWLEDGE, TRIAGER, acked, "ack-" + i, null), acked));
                }
            } else if (r < 0.5) {
                acked = times.unique(capturedAt.plus(logMinutes(rnd, 5, 6 * 24 * 60)));
                input.add(new Event(Topics.FINDINGS_COMMANDS, id, command(id, CommandKind.ACKNOWLEDGE, routed, acked, "ack-" + i, null), acked));
            } else if (r < 0.6) {
                acked = times.unique(capturedAt.plus(logMinutes(rnd, 5, 6 * 24 * 60)));
                input.add(new Event(Topics.FINDINGS_COMMANDS, id, command(id, CommandKind.ACKNOWLEDGE, other, acked, "ack-" + i, null), acked));
            } else if (r < 0.7) {
                // Straight into triage: the ack is inferred (ACK_AMBIGUITY).
                acked = times.unique(capturedAt.plus(logMinutes(rnd, 60, 8 * 24 * 60)));
                input.add(new Event(Topics.FINDINGS_COMMANDS, id, command(id, CommandKind.ENTER_TRIAGE, routed, acked, "tri-" + i, null), acked));
                step = 1;
            }
            if (acked == null) {
                continue;
            }
            String actor = routed == null ? TRIAGER : routed;
            Instant at = acked;
            CommandKind[] chain = {CommandKind.ENTER_TRIAGE, CommandKind.START_WORK, CommandKind.RESOLVE, CommandKind.VERIFY};
            for (; step < chain.length && rnd.nextDouble() < 0.7; step++) {
                at = times.unique(at.plus(logMinutes(rnd, 30, 4 * 24 * 60)));
                input.add(new Event(Topics.FINDINGS_COMMANDS, id, command(id, chain[step], actor, at, "life-" + step + "-" + i, null), at));
            }
            if (step == chain.length && rnd.nextDouble() < 0.3) {
                // Verified, then seen again by a later scan: the finding reopens.
                Instant again = times.unique(at.plus(minutes(rnd, 60, 3 * 24 * 60)));
                input.add(new Event(Topics.FINDINGS_REPORTED, id, capture(img, cve, band, tool, i, again, "rescan-" + i), again));
            }
        }
        input.sort(Comparator.comparing(Event::at));
        return new GeneratedProgramme(base, reference, input, findingCount);
    }

    /**
     * The app settings under which the programme's outcome is deterministic, on top of a run's own (bootstrap servers,
     * application id, topic prefix, state directory).
     */
    static Map<String, String> appSettings(int partitions) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put(StreamsSettings.TOPIC_PARTITIONS, Integer.toString(partitions));
        // SLA timers on the events' own time: the alerts follow from the programme alone.
        c.put(StreamsSettings.SLA_CLOCK, "stream");
        c.put(StreamsSettings.SLA_REMINDER_COUNT, "2");
        // Cohorts refreshed on the wall clock: on the stream clock a replay's last changes would wait for a record that
        // never comes (README, Metrics, limits). Every window of the programme has passed on the wall clock (baseFor).
        c.put(StreamsSettings.METRICS_CLOCK, "wall");
        c.put(StreamsSettings.METRICS_REFRESH_INTERVAL, "PT2S");
        // Noise flags come back through another partition's task, so where they land among a finding's own records
        // depends on timing even in one uninterrupted run: thresholds out of reach keep them out of the comparison.
        c.put(StreamsSettings.NOISE_PENDING, "1000000");
        c.put(StreamsSettings.NOISE_RECENT, "1000000");
        c.put(StreamsSettings.UNROUTED_SNAPSHOT_INTERVAL, "PT1H");
        c.put("num.stream.threads", "1");
        // Fewer, larger transactions: the 2-core test machine spends less on commits. A crash then undoes up to 500 ms.
        c.put("commit.interval.ms", "500");
        c.put(StreamsSettings.QUERY_HOST, "127.0.0.1");
        c.put(StreamsSettings.QUERY_PORT, "0");
        return c;
    }

    /**
     * Declares a run's topics, the app's own internal ones included, keeping every record: the programme's records
     * carry timestamps months old, which the default seven-day retention would let the broker delete mid-test.
     */
    static void declareTopics(LocalKafka kafka, Topics topics) {
        List<NewTopic> all = new ArrayList<>(topics.newTopics((short) 1));
        all.addAll(HandoffTopology.newInternalTopics(topics, topics.partitions(Topics.FINDINGS_REPORTED), (short) 1));
        for (NewTopic t : all) {
            Map<String, String> configs = new HashMap<>(t.configs() == null ? Map.of() : t.configs());
            configs.put("retention.ms", "-1");
            t.configs(configs);
        }
        kafka.createTopics(all);
    }

    /** Writes {@code events} in order (one producer, acks from every replica, each record's timestamp its event time). */
    static void publish(String bootstrapServers, Topics topics, List<Event> events) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            for (Event e : events) {
                byte[] value = serialize(topics, e);
                producer.send(new ProducerRecord<>(topics.name(e.topic()), null, e.at().toEpochMilli(), e.key(), value));
            }
            producer.flush();
        }
    }

    @SuppressWarnings("unchecked")
    private static <V extends SpecificRecord> byte[] serialize(Topics topics, Event e) {
        TopicDef<V> topic = (TopicDef<V>) e.topic();
        return topics.valueSerde(topic).serializer().serialize(topics.name(topic), (V) e.value());
    }

    // ------------------------------------------------------------------ records

    private static FindingReported capture(String image, String cve, SeverityBand band, String tool, int n, Instant at, String eventId) {
        return FindingIds.withId(FindingReported.newBuilder()
                .setEventId(eventId).setEventTime(at).setRecordedTime(at).setSource(SOURCE)
                .setFindingId("").setSourceTool(new SourceTool(tool, "1.0"))
                .setVulnerabilityIds(List.of(new VulnerabilityId(VulnerabilityIdKind.CVE, cve)))
                .setTitle(cve + " in " + image).setScannerSeverity(band.name()).setScannerBand(band)
                .setTarget(FindingTarget.newBuilder().setImage(image).setImageTag("1." + (n % 7))
                        .setPackagePurl("pkg:maven/org.example/lib-" + n + "@1.0").build())
                .build());
    }

    private static LifecycleCommand command(String id, CommandKind kind, String actor, Instant at, String eventId, Object details) {
        return LifecycleCommand.newBuilder()
                .setEventId(eventId).setEventTime(at).setRecordedTime(at).setSource(SOURCE)
                .setActor(Actor.newBuilder().setId(actor).setKind(ActorKind.PERSON).build())
                .setFindingId(id).setKind(kind).setDetails(details).build();
    }

    private static NotificationDispatched receipt(String id, String owner, Instant at, String eventId) {
        return NotificationDispatched.newBuilder()
                .setEventId(eventId).setEventTime(at).setRecordedTime(at).setSource(SOURCE)
                .setFindingId(id).setNotificationId("n-" + eventId).setKind(DispatchKind.OWNER_NOTIFICATION)
                .setOwnerId(owner).setChannel(ChannelType.SLACK).setTarget("U-" + owner)
                .setOutcome(DispatchOutcome.DELIVERED).setIdempotencyKey(eventId).build();
    }

    private static Owner owner(String id, String team, boolean active, OwnerKind kind, Instant at) {
        return Owner.newBuilder()
                .setEventId("owner-" + id).setEventTime(at).setRecordedTime(at).setSource(SOURCE)
                .setOwnerId(id).setDisplayName(id).setActive(active).setKind(kind).setTeamId(team)
                .setChannels(List.of(new ChannelAddress(ChannelType.SLACK, "U-" + id))).build();
    }

    /** Tighter than the default: a critical finding must be acknowledged within two business hours. */
    private static SlaPolicy strictPolicy(Instant at) {
        SlaPolicy d = SlaPolicies.defaultPolicy();
        List<dev.handoff.avro.SeverityTarget> targets = new ArrayList<>();
        for (dev.handoff.avro.SeverityTarget t : d.getTargets()) {
            SlaSpan handoff = t.getBand() == SeverityBand.CRITICAL
                    ? SlaSpan.newBuilder(t.getHandoff()).setAmount(2).setUnit(SpanUnit.HOURS).setClock(SpanClock.BUSINESS).build()
                    : t.getHandoff();
            targets.add(dev.handoff.avro.SeverityTarget.newBuilder(t).setHandoff(handoff).build());
        }
        return SlaPolicy.newBuilder(d).setEventId("policy-strict").setEventTime(at).setRecordedTime(at).setSource(SOURCE)
                .setPolicyId("strict").setTargets(targets).build();
    }

    private static String routedOwner(String team, int asset) {
        if (team.equals("mobile") && asset % 4 == 0) {
            return null; // a group inbox
        }
        if (asset % 5 == 0) {
            return lead(team); // no owner on the asset
        }
        int e = 1 + (asset / TEAMS.size()) % 3;
        boolean active = !(e == 3 && TEAMS.indexOf(team) % 2 == 0);
        return active ? engineer(team, e) : lead(team);
    }

    private static String image(String team, int asset) {
        return REGISTRY + team + "/svc-" + asset;
    }

    private static String engineer(String team, int n) {
        return team + "-e" + n;
    }

    private static String lead(String team) {
        return team + "-lead";
    }

    private static Duration minutes(Random rnd, int from, int to) {
        return Duration.ofMinutes(from + rnd.nextInt(to - from));
    }

    /** Between {@code from} and {@code to} minutes, spread evenly on a log scale: many quick answers, a long tail. */
    private static Duration logMinutes(Random rnd, int from, int to) {
        double x = Math.exp(Math.log(from) + rnd.nextDouble() * (Math.log(to) - Math.log(from)));
        return Duration.ofSeconds((long) (x * 60));
    }

    /** Hands out distinct instants, so no two records of a task tie on their timestamp. */
    private static final class Times {
        private final Set<Long> used = new HashSet<>();

        Instant unique(Instant wanted) {
            long ms = wanted.truncatedTo(ChronoUnit.MILLIS).toEpochMilli();
            while (!used.add(ms)) {
                ms++;
            }
            return Instant.ofEpochMilli(ms);
        }
    }
}

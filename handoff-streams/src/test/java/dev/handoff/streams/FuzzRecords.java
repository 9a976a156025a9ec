package dev.handoff.streams;

import dev.handoff.avro.Asset;
import dev.handoff.avro.AssetAliases;
import dev.handoff.avro.AssetCriticality;
import dev.handoff.avro.AssetExposure;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.CommandKind;
import dev.handoff.avro.CvssScore;
import dev.handoff.avro.DeadLetter;
import dev.handoff.avro.DeadLetterKind;
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
import dev.handoff.avro.SlaPolicy;
import dev.handoff.avro.SourceTool;
import dev.handoff.avro.Team;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.schemas.FindingIds;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import dev.handoff.schemas.registry.SchemaRegistry;
import dev.handoff.schemas.serde.WireFormat;
import dev.handoff.streams.sla.SlaPolicies;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Seeded input for {@link StreamsFuzzIT}: malformed, absurd and valid records for every input topic of the
 * streams app, each planned with the outcome the service owes it. Cases are named so a failure says which
 * kind of input was mishandled; the same seed gives the same records.
 */
final class FuzzRecords {

    /** What the streams app must do with a record. */
    enum Expect {
        /** Exactly one dead letter with the reason and the original bytes. */
        DEAD_LETTER,
        /** Taken (no dead letter): a delete on a reference topic, an accepted command, odd but legal reference data. */
        ACCEPTED,
        /** Taken, and its finding is on findings.state afterwards. */
        REACHES_STATE
    }

    /**
     * One record to send; {@code findingId} is the finding it must put on findings.state (REACHES_STATE).
     * {@code afterCaptures}: a command taken only once its finding's capture was processed, so it is sent after the
     * captures are on findings.state (Kafka Streams orders records of two topics by timestamp only as far as it has
     * fetched them, and a command a millisecond behind its capture can overtake it).
     */
    record Planned(String kind, String topic, byte[] key, byte[] value, Expect expect, String findingId, boolean afterCaptures) {
        Planned(String kind, String topic, byte[] key, byte[] value, Expect expect, String findingId) {
            this(kind, topic, key, value, expect, findingId, false);
        }
    }

    static final String IMAGE = "registry.example.com/payments/api";
    /** Far enough past T0 that no valid event is later: the stream clock only ever moves as the valid records say. */
    private static final Instant YEAR_9999 = Instant.parse("9999-12-31T23:59:59Z");
    private static final int HUGE = Integer.MAX_VALUE - 16;

    private final Random random;
    private final Topics topics;
    private final SchemaRegistry registry = SchemaRegistries.embedded();
    private final List<Case> cases = new ArrayList<>();
    private final int totalWeight;
    /** Valid findings already planned, by id, that no accepted command has moved out of OPEN. */
    private final List<String> open = new ArrayList<>();
    /** Valid findings an accepted ACKNOWLEDGE moved to ACKNOWLEDGED. */
    private final List<String> acknowledged = new ArrayList<>();
    private final Schema extraFieldSchema;
    private final Schema extraBandSchema;
    private final Schema extraCommandKindSchema;
    private int serial;

    private record Case(String name, int weight, Supplier<Planned> make) {
    }

    FuzzRecords(Random random, Topics topics) {
        this.random = random;
        this.topics = topics;
        // Writer schemas the app has never been built with, registered where it looks them up (the JVM's embedded registry).
        extraFieldSchema = evolve(FindingReported.getClassSchema(), json -> json.replaceFirst("\"fields\":\\[",
                "\"fields\":[{\"name\":\"fuzz_extra\",\"type\":\"string\",\"default\":\"\"},"));
        extraBandSchema = evolve(FindingReported.getClassSchema(), json -> json.replace("\"INFO\"]", "\"INFO\",\"EXTREME\"]"));
        extraCommandKindSchema = evolve(LifecycleCommand.getClassSchema(), json -> json.replace("\"COMMENT\"]", "\"COMMENT\",\"ESCALATE_TO_CEO\"]"));

        String reported = topics.name(Topics.FINDINGS_REPORTED);
        String commands = topics.name(Topics.FINDINGS_COMMANDS);
        String receipts = topics.name(Topics.NOTIFICATIONS_RECEIPTS);
        List<TopicDef<?>> reference = List.of(Topics.ASSETS, Topics.OWNERS, Topics.TEAMS, Topics.KEV, Topics.SLA_POLICY);

        add("valid finding", 45, this::validFinding);

        // Bytes that are not a record at all, on every input.
        for (TopicDef<?> def : List.of(Topics.FINDINGS_REPORTED, Topics.FINDINGS_COMMANDS, Topics.NOTIFICATIONS_RECEIPTS,
                Topics.ASSETS, Topics.OWNERS, Topics.TEAMS, Topics.KEV, Topics.SLA_POLICY)) {
            String topic = topics.name(def);
            boolean compacted = def.keying() == TopicDef.Keying.REFERENCE;
            int w = compacted ? 2 : 6;
            // Compacted topics refuse keyless records at the broker, so only the findings topics get them.
            Supplier<byte[]> key = () -> compacted || random.nextInt(10) > 0 ? bytes("fuzz-" + hex(12)) : null;
            add(def.suffix() + ": random bytes", w, () -> dead("random bytes", topic, key.get(), randomBytes()));
            add(def.suffix() + ": truncated Avro", w, () -> {
                byte[] whole = sample(def);
                return dead("truncated Avro", topic, key.get(), Arrays.copyOf(whole, random.nextInt(whole.length)));
            });
            add(def.suffix() + ": wrong magic byte", w, () -> {
                byte[] v = sample(def);
                v[0] = (byte) (1 + random.nextInt(255));
                return dead("wrong magic byte", topic, key.get(), v);
            });
            add(def.suffix() + ": unknown schema id", w, () -> dead("unknown schema id", topic, key.get(), withSchemaId(sample(def), unknownId())));
            add(def.suffix() + ": another record's schema", w, () -> dead("another record's schema", topic, key.get(), otherRecord(def)));
            add(def.suffix() + ": absurd length", Math.max(1, w / 2), () -> dead("absurd string length", topic, key.get(), absurdString(def)));
        }
        add("findings.reported: tombstone", 2, () -> dead("tombstone", reported, key(), null));
        add("findings.commands: tombstone", 2, () -> dead("tombstone", commands, key(), null));
        add("notifications.receipts: tombstone", 1, () -> dead("tombstone", receipts, key(), null));

        // Captures that decode but must not be taken.
        add("findings.reported: absurd collection count", 3, () -> {
            byte[] v = encode(Topics.FINDINGS_REPORTED, finding(T(), null));
            // references and attributes are the last two fields, both empty (one zero byte each): claim billions of references.
            return dead("absurd collection count", reported, key(), concat(Arrays.copyOf(v, v.length - 2), zigzag(HUGE), randomBytes(20)));
        });
        add("findings.reported: bytes flipped", 8, this::flippedCapture);
        add("findings.reported: empty finding_id", 2, () -> {
            FindingReported f = FindingReported.newBuilder(finding(T(), null)).setFindingId("").build();
            return dead("empty finding_id", reported, bytes(""), encode(Topics.FINDINGS_REPORTED, f));
        });
        add("findings.reported: key is not the finding_id", 3, () -> {
            FindingReported f = finding(T(), null);
            return dead("key is not the finding_id", reported, bytes(f.getFindingId() + "-other"), encode(Topics.FINDINGS_REPORTED, f));
        });
        add("findings.reported: key is not UTF-8", 1, () -> {
            FindingReported f = finding(T(), null);
            return dead("key is not UTF-8", reported, new byte[] {(byte) 0xc3, 0x28, (byte) 0xff, (byte) 0xfe}, encode(Topics.FINDINGS_REPORTED, f));
        });
        add("findings.reported: event_time before 1970", 2, () -> capture("event_time before 1970", finding(Instant.ofEpochMilli(-1 - random.nextInt(1_000_000_000)), null), Expect.DEAD_LETTER));
        add("findings.reported: event_time in year 9999", 2, () -> capture("event_time in year 9999", finding(YEAR_9999, null), Expect.DEAD_LETTER));
        add("findings.reported: finding_id of 300 000 characters", 1, () -> {
            String id = "f1-" + "a".repeat(300_000);
            FindingReported f = FindingReported.newBuilder(finding(T(), null)).setFindingId(id).build();
            return dead("finding_id of 300 000 characters", reported, bytes(id), encode(Topics.FINDINGS_REPORTED, f));
        });
        add("findings.reported: key of 600 000 bytes", 1, () -> {
            FindingReported f = finding(T(), null);
            return dead("key of 600 000 bytes", reported, bytes("k".repeat(600_000)), encode(Topics.FINDINGS_REPORTED, f));
        });
        add("findings.reported: a whole report in one record", 1, () -> dead("a whole report in one record", reported, key(),
                bytes("{\"runs\":[" + "{\"results\":[]},".repeat(1_040_000 / 15) + "{}]}")));
        add("findings.reported: unknown severity band", 2, () -> {
            FindingReported f = finding(T(), null);
            return dead("unknown severity band", reported, bytes(f.getFindingId()), writeAs(extraBandSchema, f, r -> r.put("scanner_band",
                    new GenericData.EnumSymbol(extraBandSchema.getField("scanner_band").schema(), "EXTREME"))));
        });

        // Captures that look odd but are legal: they must be taken, and their findings must be on findings.state.
        add("findings.reported: newer writer schema", 2, () -> {
            FindingReported f = finding(T(), null);
            return new Planned("newer writer schema (extra field)", reported, bytes(f.getFindingId()),
                    writeAs(extraFieldSchema, f, r -> r.put("fuzz_extra", "from a newer scanner")), Expect.REACHES_STATE, f.getFindingId());
        });
        add("findings.reported: title of 300 000 characters", 1, () -> {
            FindingReported f = FindingReported.newBuilder(finding(T(), null)).setTitle("T".repeat(300_000)).build();
            return capture("title of 300 000 characters", f, Expect.REACHES_STATE);
        });
        add("findings.reported: odd but legal values", 6, () -> capture("odd but legal values", oddFinding(), Expect.REACHES_STATE));

        // Commands and receipts.
        add("findings.commands: unknown finding", 3, () -> {
            LifecycleCommand c = command("f1-" + hex(32), CommandKind.ACKNOWLEDGE, "u-ana", T());
            return dead("command for an unknown finding", commands, bytes(c.getFindingId()), encode(Topics.FINDINGS_COMMANDS, c));
        });
        add("findings.commands: no actor", 2, () -> whenOpen(id -> {
            LifecycleCommand c = command(id, CommandKind.ACKNOWLEDGE, " ", T());
            return dead("command without an actor", commands, bytes(id), encode(Topics.FINDINGS_COMMANDS, c));
        }));
        add("findings.commands: key is not the finding_id", 1, () -> whenOpen(id -> {
            LifecycleCommand c = command(id, CommandKind.ACKNOWLEDGE, "u-ana", T());
            return dead("command keyed by another id", commands, bytes("f1-" + hex(32)), encode(Topics.FINDINGS_COMMANDS, c));
        }));
        add("findings.commands: transition not allowed", 2, () -> whenOpen(id -> {
            LifecycleCommand c = command(id, CommandKind.VERIFY, "u-ana", T());
            return dead("VERIFY of an open finding", commands, bytes(id), encode(Topics.FINDINGS_COMMANDS, c));
        }));
        add("findings.commands: event_time before 1970", 1, () -> whenOpen(id -> {
            LifecycleCommand c = command(id, CommandKind.ACKNOWLEDGE, "u-ana", Instant.ofEpochMilli(-86_400_000L * random.nextInt(20_000)));
            return dead("ack dated before 1970", commands, bytes(id), encode(Topics.FINDINGS_COMMANDS, c));
        }));
        add("findings.commands: event_time in year 9999", 1, () -> whenOpen(id -> {
            LifecycleCommand c = command(id, CommandKind.ACKNOWLEDGE, "u-ana", YEAR_9999);
            return dead("ack dated in year 9999", commands, bytes(id), encode(Topics.FINDINGS_COMMANDS, c));
        }));
        add("findings.commands: unknown command kind", 1, () -> whenOpen(id -> {
            LifecycleCommand c = command(id, CommandKind.ACKNOWLEDGE, "u-ana", T());
            return dead("unknown command kind", commands, bytes(id), writeAs(extraCommandKindSchema, c, r -> r.put("kind",
                    new GenericData.EnumSymbol(extraCommandKindSchema.getField("kind").schema(), "ESCALATE_TO_CEO"))));
        }));
        add("findings.commands: acknowledge", 4, () -> whenOpen(id -> {
            open.remove(id);
            acknowledged.add(id);
            LifecycleCommand c = command(id, CommandKind.ACKNOWLEDGE, "u-ana", T());
            return new Planned("acknowledge", commands, bytes(id), encode(Topics.FINDINGS_COMMANDS, c), Expect.ACCEPTED, null, true);
        }));
        add("findings.commands: comment of 300 000 characters", 1, () -> whenOpen(id -> {
            LifecycleCommand c = LifecycleCommand.newBuilder(command(id, CommandKind.COMMENT, "u-ana", T())).setNote("n".repeat(300_000)).build();
            return new Planned("comment of 300 000 characters", commands, bytes(id), encode(Topics.FINDINGS_COMMANDS, c), Expect.ACCEPTED, null,
                    true);
        }));
        add("notifications.receipts: unknown finding", 1, () -> {
            NotificationDispatched n = receipt("f1-" + hex(32));
            return dead("receipt for an unknown finding", receipts, bytes(n.getFindingId()), encode(Topics.NOTIFICATIONS_RECEIPTS, n));
        });

        // Reference data.
        for (TopicDef<?> def : reference) {
            String topic = topics.name(def);
            add(def.suffix() + ": tombstone", 2, () -> new Planned("tombstone", topic, bytes("fuzz-" + hex(8)), null, Expect.ACCEPTED, null));
            add(def.suffix() + ": key is not the record's id", 2, () -> {
                String id = "fuzz-" + hex(8);
                return dead("reference keyed by another id", topic, bytes(id + "-other"), encode(def, reference(def, id, T())));
            });
            add(def.suffix() + ": key of 600 000 bytes", 1, () -> dead("key of 600 000 bytes", topic, bytes("k".repeat(600_000)),
                    encode(def, reference(def, "fuzz-" + hex(8), T()))));
            add(def.suffix() + ": event_time before 1970", 1, () -> {
                String id = "fuzz-" + hex(8);
                return dead("reference dated before 1970", topic, bytes(id), encode(def, reference(def, id, Instant.ofEpochMilli(-5_000))));
            });
            add(def.suffix() + ": event_time in year 9999", 1, () -> {
                String id = "fuzz-" + hex(8);
                return dead("reference dated in year 9999", topic, bytes(id), encode(def, reference(def, id, YEAR_9999)));
            });
            add(def.suffix() + ": odd but legal values", 3, () -> {
                String id = "fuzz-" + hex(8);
                return new Planned("odd but legal reference", topic, bytes(id), encode(def, oddReference(def, id)), Expect.ACCEPTED, null);
            });
        }
        add("sla-policy: invalid policy", 2, () -> {
            String id = "fuzz-" + hex(8);
            SlaPolicy p = SlaPolicy.newBuilder(SlaPolicies.defaultPolicy()).setPolicyId(id).setWarningFraction(1.5 + random.nextInt(3)).build();
            return dead("invalid SLA policy", topics.name(Topics.SLA_POLICY), bytes(id), encode(Topics.SLA_POLICY, p));
        });
        totalWeight = cases.stream().mapToInt(Case::weight).sum();
    }

    /** The next record: a valid finding or one of the cases, by weight. */
    Planned next() {
        int pick = random.nextInt(totalWeight);
        for (Case c : cases) {
            pick -= c.weight();
            if (pick < 0) {
                return c.make().get();
            }
        }
        throw new IllegalStateException();
    }

    List<String> acknowledged() {
        return acknowledged;
    }

    /** The reference data valid findings route on: an active owner and lead, their team, and the asset of {@link #IMAGE}. */
    static List<Reference> directory() {
        return List.of(new Reference(Topics.OWNERS, "u-ana", Fixtures.person("u-ana", true, "payments")),
                new Reference(Topics.OWNERS, "u-lead", Fixtures.person("u-lead", true, "payments")),
                new Reference(Topics.TEAMS, "payments", Fixtures.team("payments", "u-lead", List.of())),
                new Reference(Topics.ASSETS, "api", Fixtures.asset("api", IMAGE, "u-ana", "payments")));
    }

    record Reference(TopicDef<?> topic, String id, SpecificRecord value) {
    }

    // ------------------------------------------------------------------ cases

    private void add(String name, int weight, Supplier<Planned> make) {
        cases.add(new Case(name, weight, make));
    }

    private Planned validFinding() {
        FindingReported f = finding(T(), null);
        open.add(f.getFindingId());
        return new Planned("valid finding", topics.name(Topics.FINDINGS_REPORTED), bytes(f.getFindingId()),
                encode(Topics.FINDINGS_REPORTED, f), Expect.REACHES_STATE, f.getFindingId());
    }

    private Planned capture(String kind, FindingReported f, Expect expect) {
        return new Planned(kind, topics.name(Topics.FINDINGS_REPORTED), bytes(f.getFindingId()), encode(Topics.FINDINGS_REPORTED, f), expect,
                expect == Expect.REACHES_STATE ? f.getFindingId() : null);
    }

    private Planned dead(String kind, String topic, byte[] key, byte[] value) {
        return new Planned(kind, topic, key, value, Expect.DEAD_LETTER, null);
    }

    /** A command about a valid finding still OPEN; an unknown finding's command when there is none yet. */
    private Planned whenOpen(java.util.function.Function<String, Planned> make) {
        if (open.isEmpty()) {
            LifecycleCommand c = command("f1-" + hex(32), CommandKind.ACKNOWLEDGE, "u-ana", T());
            return dead("command for an unknown finding", topics.name(Topics.FINDINGS_COMMANDS), bytes(c.getFindingId()),
                    encode(Topics.FINDINGS_COMMANDS, c));
        }
        return make.apply(open.get(random.nextInt(open.size())));
    }

    /**
     * A capture with a few bytes of its body changed. What that makes is for the bytes to say: often
     * undecodable, sometimes a record with another title or time. The plan follows the service's documented
     * rules (decodable, keyed by its non-empty finding_id, dated between 1970 and a year from now) to say
     * which; a record taken must reach findings.state like any other.
     */
    private Planned flippedCapture() {
        FindingReported f = finding(T(), null);
        byte[] v = encode(Topics.FINDINGS_REPORTED, f);
        for (int i = 1 + random.nextInt(4); i > 0; i--) {
            v[WireFormat.HEADER_SIZE + random.nextInt(v.length - WireFormat.HEADER_SIZE)] = (byte) random.nextInt(256);
        }
        String topic = topics.name(Topics.FINDINGS_REPORTED);
        FindingReported decoded;
        try {
            decoded = topics.valueSerde(Topics.FINDINGS_REPORTED).deserializer().deserialize(topic, v);
        } catch (RuntimeException e) {
            return dead("bytes flipped: undecodable", topic, bytes(f.getFindingId()), v);
        }
        boolean legal = decoded.getFindingId().equals(f.getFindingId())
                && decoded.getEventTime().toEpochMilli() >= 0
                && decoded.getEventTime().isBefore(Instant.now().plus(Duration.ofDays(365)));
        return legal
                ? new Planned("bytes flipped: still a legal capture", topic, bytes(f.getFindingId()), v, Expect.REACHES_STATE, f.getFindingId())
                : dead("bytes flipped: decodable but invalid", topic, bytes(f.getFindingId()), v);
    }

    private FindingReported oddFinding() {
        FindingReported base = finding(T(), null);
        FindingReported.Builder b = FindingReported.newBuilder(base);
        switch (random.nextInt(6)) {
            case 0 -> b.setTitle("").setScannerSeverity("");
            case 1 -> b.setTitle("\u0000\u0007<script>alert(1)</script> \uD83D\uDCA5 \u202Eevil").setDescription("\uFFFF\uFFFE");
            case 2 -> b.setCvss(List.of(new CvssScore("3.1", "CVSS:3.1/AV:Z/AC:?/PR:N", Double.NaN, "nvd"),
                    new CvssScore("2.0", "garbage", -5.0, null), new CvssScore("4.0", "", 1e308, "x"),
                    new CvssScore("", null, Double.POSITIVE_INFINITY, null)));
            case 3 -> b.setDetectedAt(YEAR_9999).setVulnerabilityIds(List.of(new VulnerabilityId(VulnerabilityIdKind.CVE, "not-a-cve"),
                    new VulnerabilityId(VulnerabilityIdKind.GHSA, ""), new VulnerabilityId(VulnerabilityIdKind.CVE, "CVE-0000-0000")));
            case 4 -> {
                List<String> refs = new ArrayList<>();
                Map<String, String> attributes = new HashMap<>();
                for (int i = 0; i < 2_000; i++) {
                    refs.add("https://example.com/" + i);
                    attributes.put("k" + i, "v".repeat(i % 50));
                }
                b.setReferences(refs).setAttributes(attributes).setVulnerabilityIds(List.of());
            }
            default -> b.setTarget(FindingTarget.newBuilder(base.getTarget()).setIp("999.300.1.1").setPort(-1)
                    .setUrl("http://[::1").setHost("").setLine(Integer.MIN_VALUE).build());
        }
        return FindingIds.withId(b.build());
    }

    private SpecificRecord reference(TopicDef<?> def, String id, Instant at) {
        if (def == Topics.ASSETS) {
            return Asset.newBuilder(Fixtures.asset(id, "registry.example.com/fuzz/" + id, "u-nobody", "nobody"))
                    .setEventTime(at).build();
        }
        if (def == Topics.OWNERS) {
            return Owner.newBuilder(Fixtures.person(id, true, "nobody")).setEventTime(at).build();
        }
        if (def == Topics.TEAMS) {
            return Team.newBuilder(Fixtures.team(id, "u-nobody", List.of())).setEventTime(at).build();
        }
        if (def == Topics.KEV) {
            return KevEntry.newBuilder().setEventId("kev-" + hex(8)).setEventTime(at).setRecordedTime(Fixtures.T0).setSource("fuzz")
                    .setCveId(id).setDateAdded(LocalDate.of(2024, 1, 1)).build();
        }
        return SlaPolicy.newBuilder(SlaPolicies.defaultPolicy()).setPolicyId(id).setEventTime(at).build();
    }

    private SpecificRecord oddReference(TopicDef<?> def, String id) {
        SpecificRecord r = reference(def, id, Fixtures.T0.minusSeconds(60));
        if (r instanceof Asset a) {
            return Asset.newBuilder(a).setName("").setAliases(AssetAliases.newBuilder()
                    .setIps(List.of("999.999.1.1", "", "::::", "not-a-cidr", "10.0.0.0/99", "::1/200", "0.0.0.0/0"))
                    .setHostnames(List.of("", ".", "*", "x".repeat(5_000)))
                    .setUrlPrefixes(List.of("http://[::1", "", "::"))
                    .setRepositoryUrls(List.of("not a url", ""))
                    .setPackagePurls(List.of("pkg:", "pkg:maven/@"))
                    .setImageRepositories(List.of("", ":", "@sha256:"))
                    .setCloudResources(List.of("", "arn:", "*"))
                    .build()).setTags(Map.of("", "")).build();
        }
        if (r instanceof Owner o) {
            return Owner.newBuilder(o).setActive(random.nextBoolean()).setChannels(List.of()).setKind(OwnerKind.GROUP)
                    .setTeamId(null).setTimeZone("Mars/Olympus_Mons").setEmail("not an address").build();
        }
        if (r instanceof Team t) {
            return Team.newBuilder(t).setLeadOwnerId(id).setEscalationChain(List.of(id, id, "", id)).setSlaPolicyId("no-such-policy").build();
        }
        if (r instanceof KevEntry k) {
            return KevEntry.newBuilder(k).setDateAdded(LocalDate.of(9999, 12, 31)).setDueDate(LocalDate.of(1, 1, 1))
                    .setVendorProject("").setKnownRansomwareUse(true).build();
        }
        return r;
    }

    // ------------------------------------------------------------------ records

    private FindingReported finding(Instant at, String image) {
        int n = ++serial;
        boolean routable = image == null && random.nextInt(3) > 0;
        String img = image != null ? image : routable ? IMAGE : "registry.example.com/fuzz/image-" + random.nextInt(50);
        SeverityBand band = SeverityBand.values()[random.nextInt(SeverityBand.values().length)];
        FindingReported f = Fixtures.finding(img, "CVE-2026-" + (10_000 + n), band, at);
        return FindingReported.newBuilder(f).setEventId("fuzz-cap-" + n).build();
    }

    private LifecycleCommand command(String findingId, CommandKind kind, String actor, Instant at) {
        return LifecycleCommand.newBuilder(Fixtures.command(findingId, kind, actor, at)).setEventId("fuzz-cmd-" + (++serial)).build();
    }

    private NotificationDispatched receipt(String findingId) {
        return NotificationDispatched.newBuilder().setEventId("fuzz-rcpt-" + (++serial)).setEventTime(T()).setRecordedTime(T())
                .setSource("sla-alerter").setFindingId(findingId).setNotificationId("n-" + serial).setKind(DispatchKind.OWNER_NOTIFICATION)
                .setOwnerId("u-ana").setChannel(ChannelType.SLACK).setTarget("U-u-ana").setOutcome(DispatchOutcome.DELIVERED)
                .setIdempotencyKey("k-" + serial).build();
    }

    /** Event times of valid records: a few seconds apart after T0, so the stream clock moves as a real day would. */
    private Instant T() {
        return Fixtures.T0.plusSeconds(5L * serial);
    }

    /** A valid record of the topic's own type, encoded. */
    private byte[] sample(TopicDef<?> def) {
        return encode(def, sampleRecord(def));
    }

    private SpecificRecord sampleRecord(TopicDef<?> def) {
        if (def == Topics.FINDINGS_REPORTED) {
            return finding(T(), null);
        }
        if (def == Topics.FINDINGS_COMMANDS) {
            return command("f1-" + hex(32), CommandKind.ACKNOWLEDGE, "u-ana", T());
        }
        if (def == Topics.NOTIFICATIONS_RECEIPTS) {
            return receipt("f1-" + hex(32));
        }
        return reference(def, "fuzz-" + hex(8), T());
    }

    /** A valid record of a different type than the topic's, with that type's own schema id. */
    private byte[] otherRecord(TopicDef<?> def) {
        List<TopicDef<?>> others = new ArrayList<>(List.of(Topics.FINDINGS_REPORTED, Topics.FINDINGS_COMMANDS, Topics.NOTIFICATIONS_RECEIPTS,
                Topics.ASSETS, Topics.OWNERS, Topics.TEAMS, Topics.KEV, Topics.SLA_POLICY, Topics.DEADLETTER));
        others.remove(def);
        TopicDef<?> other = others.get(random.nextInt(others.size()));
        if (other == Topics.DEADLETTER) {
            return encode(Topics.DEADLETTER, DeadLetter.newBuilder().setEventId("dl").setEventTime(Fixtures.T0).setRecordedTime(Fixtures.T0)
                    .setSource("fuzz").setReason("a dead letter where a " + def.valueType().getSimpleName() + " belongs")
                    .setErrorKind(DeadLetterKind.INTERNAL).build());
        }
        return encode(other, sampleRecord(other));
    }

    /** The header of the topic's schema, then a string length of two billion: the first field of every record is a string. */
    private byte[] absurdString(TopicDef<?> def) {
        byte[] header = Arrays.copyOf(sample(def), WireFormat.HEADER_SIZE);
        return concat(header, zigzag(HUGE), randomBytes(random.nextInt(40)));
    }

    @SuppressWarnings("unchecked")
    private <V extends SpecificRecord> byte[] encode(TopicDef<V> def, SpecificRecord value) {
        return topics.valueSerde(def).serializer().serialize(topics.name(def), (V) value);
    }

    /** {@code value} re-encoded with another writer schema (registered with the embedded registry), after {@code change}. */
    private byte[] writeAs(Schema writer, SpecificRecord value, java.util.function.Consumer<GenericRecord> change) {
        try {
            byte[] ours = WireFormat.body(encode(defOf(value), value));
            GenericRecord r = new GenericDatumReader<GenericRecord>(value.getSchema(), writer)
                    .read(null, DecoderFactory.get().binaryDecoder(ours, null));
            change.accept(r);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<GenericRecord>(writer).write(r, encoder);
            encoder.flush();
            return WireFormat.encode(registry.register("fuzz-value", writer), out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static TopicDef<?> defOf(SpecificRecord value) {
        return value instanceof LifecycleCommand ? Topics.FINDINGS_COMMANDS : Topics.FINDINGS_REPORTED;
    }

    private static Schema evolve(Schema schema, java.util.function.UnaryOperator<String> edit) {
        String json = schema.toString();
        String edited = edit.apply(json);
        if (edited.equals(json)) {
            throw new IllegalStateException("the schema edit changed nothing: " + json);
        }
        return new Schema.Parser().parse(edited);
    }

    private int unknownId() {
        while (true) {
            int id = random.nextInt();
            try {
                registry.schemaById(id);
            } catch (RuntimeException unknown) {
                return id;
            }
        }
    }

    private static byte[] withSchemaId(byte[] value, int id) {
        byte[] v = value.clone();
        java.nio.ByteBuffer.wrap(v, 1, 4).putInt(id);
        return v;
    }

    private byte[] randomBytes() {
        int n = switch (random.nextInt(4)) {
            case 0 -> random.nextInt(5);
            case 1 -> 5 + random.nextInt(60);
            default -> random.nextInt(2_000);
        };
        return randomBytes(n);
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private byte[] key() {
        return bytes("fuzz-" + hex(12));
    }

    private String hex(int chars) {
        StringBuilder s = new StringBuilder();
        while (s.length() < chars) {
            s.append(Integer.toHexString(random.nextInt(16)));
        }
        return s.toString();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] zigzag(long n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long z = (n << 1) ^ (n >> 63);
        while ((z & ~0x7FL) != 0) {
            out.write((int) ((z & 0x7F) | 0x80));
            z >>>= 7;
        }
        out.write((int) z);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}

package dev.handoff.launcher;

import dev.handoff.avro.Actor;
import dev.handoff.avro.ActorKind;
import dev.handoff.avro.Asset;
import dev.handoff.avro.AssetAliases;
import dev.handoff.avro.AssetCriticality;
import dev.handoff.avro.AssetExposure;
import dev.handoff.avro.ChannelAddress;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.CommandKind;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.KevEntry;
import dev.handoff.avro.LifecycleCommand;
import dev.handoff.avro.Owner;
import dev.handoff.avro.OwnerKind;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SeverityChange;
import dev.handoff.avro.Team;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.ReportRecords;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportParsers;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * The sample programme {@code ./handoff demo} replays: the real scanner reports bundled under {@code demo/reports},
 * an asset register built around their targets, teams with leads and escalation chains, owners (some inactive, two
 * group inboxes), a few KEV entries, and people's lifecycle commands over three weeks: acknowledgements with
 * realistic delays per band, some never, some only implied by a triage (ambiguous), severity raised after routing,
 * remediation through to verification, and one rescan that reopens fixed findings. Every failure mode of DESIGN.md
 * section 4 occurs. Deterministic for a seed, relative to a start instant.
 */
final class DemoProgramme {

    /** One bundled report and the findings it produces. */
    record Report(String name, byte[] bytes, String assetHint, List<FindingReported> findings) {
    }

    /** A step of the replay, in time order: a report posted to the intake, or a command by the finding's owner. */
    record Step(Instant at, Report report, String rescanKey, String findingId, CommandKind command, SeverityBand raiseTo) {
        boolean isReport() {
            return report != null;
        }
    }

    static final String SOC_ANALYST = "u-soc-analyst";
    private static final List<String> TEAMS = List.of("payments", "identity", "platform", "data", "web", "mobile", "infra", "secops");
    private static final Map<String, String> UNITS = Map.of("payments", "commerce", "identity", "core", "platform", "core", "data",
            "analytics", "web", "commerce", "mobile", "commerce", "infra", "core", "secops", "security");
    private static final List<String> GIVEN = List.of("Ana", "Ben", "Chen", "Dana", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kofi",
            "Lena", "Marta", "Nils", "Omar", "Priya", "Quinn", "Rui", "Sara", "Tomas", "Uma", "Viktor", "Wen", "Xavi", "Yara", "Zoe",
            "Aiko", "Bruno", "Carla", "Dev", "Emma", "Farid");

    final List<Report> reports = new ArrayList<>();
    final List<Owner> owners = new ArrayList<>();
    final List<Team> teams = new ArrayList<>();
    final List<Asset> assets = new ArrayList<>();
    final List<KevEntry> kev = new ArrayList<>();
    final List<Step> steps = new ArrayList<>();
    /** Distinct findings, by id, with their first capture. */
    final Map<String, FindingReported> findings = new LinkedHashMap<>();
    private final Random random;
    private final Instant start;
    private final Instant now;

    private DemoProgramme(long seed, Instant now, Duration span) {
        this.random = new Random(seed);
        this.now = now;
        this.start = LocalDate.ofInstant(now.minus(span), ZoneOffset.UTC).atTime(8, 0).toInstant(ZoneOffset.UTC);
    }

    /** The programme over the {@code span} before {@code now}. */
    static DemoProgramme build(long seed, Instant now, Duration span) {
        DemoProgramme p = new DemoProgramme(seed, now, span);
        p.loadReports();
        p.directory();
        p.assetRegister();
        p.kevEntries();
        p.timeline(span);
        return p;
    }

    Instant start() {
        return start;
    }

    // ------------------------------------------------------------------------------------------------ reports

    private void loadReports() {
        ReportParsers parsers = new ReportParsers();
        for (String line : resourceLines("demo/reports/index.txt")) {
            // "<file> [<asset id>]": code scanners report file paths only, so the CI job names the repository's asset.
            String[] parts = line.split("\\s+");
            String name = parts[0];
            String hint = parts.length > 1 ? parts[1] : null;
            byte[] bytes = resource("demo/reports/" + name);
            List<FindingReported> out = new ArrayList<>();
            ReportRecords records = new ReportRecords("demo", source(name), hint, start, start);
            long[] n = {0};
            try {
                parsers.parse(new ByteArrayInputStream(bytes), Optional.empty(), ParseLimits.defaults(), f -> out.add(records.toRecord(f, n[0]++)));
            } catch (ReportException e) {
                throw new IllegalStateException("the bundled demo report " + name + " does not parse: " + e.getMessage(), e);
            }
            Report r = new Report(name, bytes, hint, out);
            reports.add(r);
            for (FindingReported f : out) {
                findings.putIfAbsent(f.getFindingId(), f);
            }
        }
    }

    static String source(String reportName) {
        return "demo/" + reportName.substring(0, reportName.indexOf('_'));
    }

    // ------------------------------------------------------------------------------------------------ directory

    private void directory() {
        int g = 0;
        Instant t = start.minus(Duration.ofDays(30));
        for (String team : TEAMS) {
            List<String> members = new ArrayList<>();
            int size = team.equals("secops") ? 3 : 4;
            for (int i = 0; i < size; i++) {
                String name = GIVEN.get(g++ % GIVEN.size());
                String id = "u-" + name.toLowerCase() + "-" + team;
                // Two people have left: the routing through their assets decays to the team lead.
                boolean active = !(team.equals("web") && i == 3) && !(team.equals("data") && i == 2);
                owners.add(owner(id, name + " (" + team + ")", active, OwnerKind.PERSON, team, t));
                members.add(id);
            }
            teams.add(Team.newBuilder().setEventId("demo-team-" + team).setEventTime(t).setRecordedTime(t).setSource("demo/directory")
                    .setTeamId(team).setName(Character.toUpperCase(team.charAt(0)) + team.substring(1)).setBusinessUnit(UNITS.get(team))
                    .setLeadOwnerId(members.get(0)).setEscalationChain(List.of(members.get(1), "u-ciso"))
                    .setChannels(List.of(new ChannelAddress(ChannelType.SLACK, "C" + team.toUpperCase()))).build());
        }
        owners.add(owner("u-ciso", "The CISO", true, OwnerKind.PERSON, "secops", t));
        owners.add(owner(SOC_ANALYST, "SOC analyst on duty", true, OwnerKind.PERSON, "secops", t));
        // Shared inboxes: a finding bound to one is unrouted (nobody in particular owns it).
        owners.add(owner("g-appsec-inbox", "AppSec shared inbox", true, OwnerKind.GROUP, "secops", t));
        owners.add(owner("g-it-helpdesk", "IT helpdesk queue", true, OwnerKind.GROUP, "infra", t));
    }

    private static Owner owner(String id, String name, boolean active, OwnerKind kind, String team, Instant t) {
        String mail = id.substring(2) + "@example.com";
        return Owner.newBuilder().setEventId("demo-owner-" + id).setEventTime(t).setRecordedTime(t).setSource("demo/directory")
                .setOwnerId(id).setDisplayName(name).setEmail(mail).setActive(active).setKind(kind).setTeamId(team)
                .setChannels(List.of(new ChannelAddress(ChannelType.EMAIL, mail))).setTimeZone("UTC").build();
    }

    private List<Owner> members(String team) {
        return owners.stream().filter(o -> team.equals(o.getTeamId()) && o.getKind() == OwnerKind.PERSON && o.getOwnerId().endsWith("-" + team)).toList();
    }

    // ------------------------------------------------------------------------------------------------ assets

    /** One asset per distinct target of the reports (some left out: binding gaps), padded with quiet assets to ~200. */
    private void assetRegister() {
        Map<String, List<FindingReported>> byKey = new LinkedHashMap<>();
        for (FindingReported f : findings.values()) {
            String key = targetKey(f.getTarget());
            if (key != null) {
                byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(f);
            }
        }
        int i = 0;
        Instant t = start.minus(Duration.ofDays(30));
        for (Map.Entry<String, List<FindingReported>> e : byKey.entrySet()) {
            i++;
            if (i % 11 == 5) {
                continue; // not in the register: its findings wait in the unrouted queue (ASSET_BINDING_GAP)
            }
            String team = TEAMS.get(Math.floorMod(e.getKey().hashCode(), TEAMS.size() - 1));
            List<Owner> people = members(team);
            String owner;
            if (i % 13 == 3) {
                owner = "g-appsec-inbox"; // bound to a shared inbox: unrouted
            } else if (i % 9 == 4) {
                owner = null; // no owner on the asset: the team lead takes it
            } else {
                owner = people.get(Math.floorMod(e.getKey().hashCode() / 7, people.size())).getOwnerId();
            }
            assets.add(asset("a-" + i, e.getKey(), team, owner, e.getValue().size() > 10 ? AssetCriticality.HIGH : AssetCriticality.MEDIUM,
                    e.getKey().startsWith("url:") ? AssetExposure.INTERNET_FACING : AssetExposure.INTERNAL, t));
        }
        for (Report r : reports) {
            if (r.assetHint() != null && assets.stream().noneMatch(a -> a.getAssetId().equals(r.assetHint()))) {
                String team = r.name().startsWith("gitleaks") ? "platform" : r.name().startsWith("sarif_codeql") ? "web" : "payments";
                // The repository's assets: one developer owns most of what the code scanners say (NOTIFICATION_NOISE).
                assets.add(asset(r.assetHint(), "repo:https://git.example.com/" + team + "/" + r.assetHint().substring(5), team,
                        members(team).get(1).getOwnerId(), AssetCriticality.HIGH, AssetExposure.INTERNAL, t));
            }
        }
        for (int pad = assets.size(); pad < 200; pad++) {
            String team = TEAMS.get(pad % TEAMS.size());
            List<Owner> people = members(team);
            assets.add(asset("a-pad-" + pad, "host:srv-" + pad + "." + team + ".corp.example.com", team,
                    people.get(pad % people.size()).getOwnerId(), AssetCriticality.LOW, AssetExposure.INTERNAL, t));
        }
    }

    private static String targetKey(FindingTarget t) {
        if (t == null) {
            return null;
        }
        if (t.getImage() != null) {
            return "image:" + t.getImage();
        }
        if (t.getRepository() != null) {
            return "repo:" + t.getRepository();
        }
        if (t.getHost() != null) {
            return "host:" + t.getHost();
        }
        if (t.getIp() != null) {
            return "ip:" + t.getIp();
        }
        if (t.getUrl() != null) {
            return "url:" + t.getUrl();
        }
        if (t.getPackagePurl() != null) {
            return "purl:" + t.getPackagePurl();
        }
        if (t.getCloudResource() != null) {
            return "cloud:" + t.getCloudResource();
        }
        return null;
    }

    private static Asset asset(String id, String key, String team, String owner, AssetCriticality criticality, AssetExposure exposure, Instant t) {
        String value = key.substring(key.indexOf(':') + 1);
        AssetAliases.Builder aliases = AssetAliases.newBuilder().setHostnames(List.of()).setIps(List.of()).setImageRepositories(List.of())
                .setRepositoryUrls(List.of()).setPackagePurls(List.of()).setUrlPrefixes(List.of()).setCloudResources(List.of());
        switch (key.substring(0, key.indexOf(':'))) {
            case "image" -> aliases.setImageRepositories(List.of(value));
            case "repo" -> aliases.setRepositoryUrls(List.of(value));
            case "host" -> aliases.setHostnames(List.of(value));
            case "ip" -> aliases.setIps(List.of(value));
            case "url" -> aliases.setUrlPrefixes(List.of(value));
            case "purl" -> aliases.setPackagePurls(List.of(value));
            default -> aliases.setCloudResources(List.of(value));
        }
        return Asset.newBuilder().setEventId("demo-asset-" + id).setEventTime(t).setRecordedTime(t).setSource("demo/asset-register")
                .setAssetId(id).setName(value.length() > 60 ? value.substring(0, 60) : value).setAliases(aliases.build())
                .setCriticality(criticality).setExposure(exposure).setEnvironment("production").setBusinessUnit(UNITS.get(team))
                .setOwnerUserId(owner).setOwnerTeamId(team).build();
    }

    /** CVEs of some medium and low findings are in CISA's KEV catalogue: their band is raised (SEVERITY_MISMATCH). */
    private void kevEntries() {
        Set<String> picked = new HashSet<>();
        for (FindingReported f : findings.values()) {
            if (f.getScannerBand() != SeverityBand.MEDIUM && f.getScannerBand() != SeverityBand.LOW) {
                continue;
            }
            for (VulnerabilityId v : f.getVulnerabilityIds()) {
                if (v.getKind() == VulnerabilityIdKind.CVE && picked.size() < 4 && picked.add(v.getId())) {
                    kev.add(KevEntry.newBuilder().setEventId("demo-kev-" + v.getId()).setEventTime(start.minus(Duration.ofDays(30)))
                            .setRecordedTime(start.minus(Duration.ofDays(30))).setSource("demo/kev").setCveId(v.getId())
                            .setDateAdded(LocalDate.ofInstant(start.minus(Duration.ofDays(60)), ZoneOffset.UTC)).build());
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ timeline

    /** Median time to acknowledge per scanner band, as people really take it. */
    private static Duration medianAck(SeverityBand band) {
        return switch (band) {
            case CRITICAL -> Duration.ofHours(3);
            case HIGH -> Duration.ofHours(20);
            case MEDIUM -> Duration.ofDays(2);
            case LOW -> Duration.ofDays(5);
            case INFO -> Duration.ofDays(8);
        };
    }

    private Duration around(Duration median, double spread) {
        return Duration.ofMillis((long) (median.toMillis() * Math.exp(random.nextGaussian() * spread)));
    }

    private Duration between(Duration min, Duration max) {
        return min.plusMillis((long) (random.nextDouble() * (max.toMillis() - min.toMillis())));
    }

    private void timeline(Duration span) {
        long gap = span.minus(Duration.ofDays(2)).toMillis() / Math.max(1, reports.size());
        Map<String, Instant> captured = new HashMap<>();
        Report rescanned = null;
        for (int i = 0; i < reports.size(); i++) {
            Report r = reports.get(i);
            Instant at = start.plusMillis(i * gap).plus(between(Duration.ZERO, Duration.ofHours(6)));
            steps.add(new Step(at, r, null, null, null, null));
            for (FindingReported f : r.findings()) {
                captured.putIfAbsent(f.getFindingId(), at);
            }
            if (r.name().startsWith("trivy_scheme_2")) {
                rescanned = r;
            }
        }
        for (Map.Entry<String, Instant> e : captured.entrySet()) {
            FindingReported f = findings.get(e.getKey());
            boolean fixedBeforeRescan = rescanned != null && rescanned.findings().stream().anyMatch(x -> x.getFindingId().equals(e.getKey()));
            commands(e.getKey(), f.getScannerBand(), e.getValue(), fixedBeforeRescan);
        }
        if (rescanned != null) {
            // The image was rebuilt on the old base: the fixed findings come back (capture origin REOPEN).
            steps.add(new Step(now.minus(Duration.ofHours(20)), rescanned, "rescan-" + rescanned.name(), null, null, null));
        }
        steps.removeIf(s -> s.at().isAfter(now.minus(Duration.ofMinutes(1))));
        steps.sort(Comparator.comparing(Step::at).thenComparing(s -> s.isReport() ? 0 : 1));
    }

    private void commands(String finding, SeverityBand band, Instant t0, boolean fixedBeforeRescan) {
        double roll = random.nextDouble();
        if (!fixedBeforeRescan && roll < 0.04) {
            // Raised after routing by the SOC: the SLA is recomputed on the higher band (SEVERITY_MISMATCH).
            SeverityBand higher = band == SeverityBand.CRITICAL ? null : SeverityBand.values()[Math.max(0, band.ordinal() - 1)];
            if (higher != null) {
                steps.add(new Step(t0.plus(Duration.ofHours(2)), null, null, finding, CommandKind.CHANGE_SEVERITY, higher));
            }
        }
        if (!fixedBeforeRescan && roll > 0.88) {
            return; // never acknowledged
        }
        Instant t = t0.plus(around(medianAck(band), 0.9)).plus(Duration.ofMinutes(5));
        if (!fixedBeforeRescan && roll > 0.82) {
            // Work started with no acknowledgement: the ack is inferred at triage (ACK_AMBIGUITY), and late.
            steps.add(new Step(t.plus(around(medianAck(band), 0.5)), null, null, finding, CommandKind.ENTER_TRIAGE, null));
            return;
        }
        if (fixedBeforeRescan) {
            t = t0.plus(Duration.ofHours(2));
        }
        steps.add(new Step(t, null, null, finding, CommandKind.ACKNOWLEDGE, null));
        if (fixedBeforeRescan || random.nextDouble() < 0.8) {
            t = t.plus(between(Duration.ofMinutes(30), Duration.ofHours(8)));
            steps.add(new Step(t, null, null, finding, CommandKind.ENTER_TRIAGE, null));
            if (fixedBeforeRescan || random.nextDouble() < 0.6) {
                t = t.plus(between(Duration.ofHours(1), Duration.ofDays(2)));
                steps.add(new Step(t, null, null, finding, CommandKind.START_WORK, null));
                if (fixedBeforeRescan || random.nextDouble() < 0.6) {
                    t = t.plus(fixedBeforeRescan ? Duration.ofDays(1) : between(Duration.ofHours(6), Duration.ofDays(8)));
                    steps.add(new Step(t, null, null, finding, CommandKind.RESOLVE, null));
                    if (fixedBeforeRescan || random.nextDouble() < 0.8) {
                        t = t.plus(between(Duration.ofHours(2), Duration.ofDays(2)));
                        steps.add(new Step(t, null, null, finding, CommandKind.VERIFY, null));
                    }
                }
            }
        }
    }

    /** The command of {@code step} by {@code actor} (the finding's owner, or the SOC analyst for a severity change). */
    static LifecycleCommand command(Step step, String actor, Instant recorded) {
        LifecycleCommand.Builder c = LifecycleCommand.newBuilder()
                .setEventId("demo-" + step.command().name().toLowerCase() + "-" + step.findingId() + "-" + step.at().toEpochMilli())
                .setEventTime(step.at().truncatedTo(ChronoUnit.MILLIS))
                .setRecordedTime(recorded.truncatedTo(ChronoUnit.MILLIS))
                .setSource("demo/replay")
                .setActor(Actor.newBuilder().setId(actor).setKind(ActorKind.PERSON).setDisplayName(null).build())
                .setFindingId(step.findingId())
                .setKind(step.command())
                .setNote(null)
                .setIdempotencyKey(null);
        if (step.command() == CommandKind.CHANGE_SEVERITY) {
            c.setDetails(new SeverityChange(step.raiseTo(), null));
        } else {
            c.setDetails(null);
        }
        return c.build();
    }

    private static byte[] resource(String path) {
        try (InputStream in = DemoProgramme.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("the launcher jar lacks " + path + "; rebuild with ./mvnw -DskipTests package");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> resourceLines(String path) {
        return new String(resource(path), StandardCharsets.UTF_8).lines().map(String::trim).filter(l -> !l.isEmpty()).toList();
    }
}

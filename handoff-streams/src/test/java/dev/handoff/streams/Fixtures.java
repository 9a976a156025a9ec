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
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.LifecycleCommand;
import dev.handoff.avro.Owner;
import dev.handoff.avro.OwnerKind;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SourceTool;
import dev.handoff.avro.Team;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.schemas.FindingIds;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** Reference data and events for topology and query tests: a payments team with an API image. */
public final class Fixtures {

    public static final Instant T0 = Instant.parse("2026-11-02T09:00:00Z"); // a Monday

    private Fixtures() {
    }

    public static Asset asset(String id, String image, String owner, String team) {
        return Asset.newBuilder()
                .setEventId("asset-" + id + "-" + UUID.randomUUID()).setEventTime(T0.minusSeconds(3600)).setRecordedTime(T0)
                .setSource("cmdb-sync").setAssetId(id).setName(id)
                .setAliases(AssetAliases.newBuilder().setImageRepositories(List.of(image)).build())
                .setCriticality(AssetCriticality.MEDIUM).setExposure(AssetExposure.INTERNAL)
                .setBusinessUnit("retail").setOwnerUserId(owner).setOwnerTeamId(team).build();
    }

    public static Owner person(String id, boolean active, String team) {
        return Owner.newBuilder()
                .setEventId("owner-" + id + "-" + UUID.randomUUID()).setEventTime(T0.minusSeconds(3600)).setRecordedTime(T0)
                .setSource("scim-sync").setOwnerId(id).setDisplayName(id).setActive(active).setKind(OwnerKind.PERSON)
                .setTeamId(team).setChannels(List.of(new ChannelAddress(ChannelType.SLACK, "U-" + id))).build();
    }

    public static Team team(String id, String lead, List<String> chain) {
        return Team.newBuilder()
                .setEventId("team-" + id + "-" + UUID.randomUUID()).setEventTime(T0.minusSeconds(3600)).setRecordedTime(T0)
                .setSource("scim-sync").setTeamId(id).setName(id).setBusinessUnit("retail")
                .setLeadOwnerId(lead).setEscalationChain(chain).build();
    }

    public static FindingReported finding(String image, String cve, SeverityBand band, Instant at) {
        FindingReported f = FindingReported.newBuilder()
                .setEventId("cap-" + UUID.randomUUID()).setEventTime(at).setRecordedTime(at).setSource("ingest-connector/http")
                .setFindingId("").setSourceTool(new SourceTool("Trivy", "0.50.1"))
                .setVulnerabilityIds(List.of(new VulnerabilityId(VulnerabilityIdKind.CVE, cve)))
                .setTitle(cve + " in " + image).setScannerSeverity(band.name()).setScannerBand(band)
                .setTarget(FindingTarget.newBuilder().setImage(image).setImageTag("1.0")
                        .setPackagePurl("pkg:maven/org.example/lib@1.0").build())
                .build();
        return FindingIds.withId(f);
    }

    public static LifecycleCommand command(String findingId, CommandKind kind, String actor, Instant at) {
        return LifecycleCommand.newBuilder()
                .setEventId("cmd-" + UUID.randomUUID()).setEventTime(at).setRecordedTime(at).setSource("ingest-connector/http")
                .setActor(Actor.newBuilder().setId(actor).setKind(ActorKind.PERSON).build())
                .setFindingId(findingId).setKind(kind).build();
    }

    /** Waits up to 60 s for {@code condition}, checking every 50 ms; fails naming {@code what}. */
    public static void await(String what, java.util.function.BooleanSupplier condition) {
        Instant deadline = Instant.now().plusSeconds(60);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("gave up waiting for " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(java.time.Duration.ofMillis(50).toNanos());
        }
    }
}

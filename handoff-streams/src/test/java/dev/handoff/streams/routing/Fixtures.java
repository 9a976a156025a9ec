package dev.handoff.streams.routing;

import dev.handoff.avro.Asset;
import dev.handoff.avro.AssetAliases;
import dev.handoff.avro.ChannelAddress;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.Owner;
import dev.handoff.avro.OwnerKind;
import dev.handoff.avro.Team;

import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/** Small builders for the reference records routing reads. */
final class Fixtures {

    private static final Instant T = Instant.parse("2025-03-01T09:00:00Z");

    private Fixtures() {
    }

    static Asset asset(String id, Consumer<AssetAliases.Builder> aliases) {
        AssetAliases.Builder a = AssetAliases.newBuilder();
        aliases.accept(a);
        return assetBuilder(id).setAliases(a.build()).build();
    }

    static Asset.Builder assetBuilder(String id) {
        return Asset.newBuilder()
                .setEventId("evt-" + id)
                .setEventTime(T)
                .setRecordedTime(T)
                .setSource("test")
                .setAssetId(id)
                .setName(id)
                .setAliases(AssetAliases.newBuilder().build());
    }

    static FindingTarget.Builder target() {
        return FindingTarget.newBuilder();
    }

    static Owner person(String id, String teamId) {
        return ownerBuilder(id, teamId).build();
    }

    static Owner inactive(String id, String teamId) {
        return ownerBuilder(id, teamId).setActive(false).build();
    }

    static Owner group(String id, String teamId) {
        return ownerBuilder(id, teamId).setKind(OwnerKind.GROUP).build();
    }

    static Owner withoutChannel(String id, String teamId) {
        return ownerBuilder(id, teamId).setChannels(List.of()).build();
    }

    static Owner.Builder ownerBuilder(String id, String teamId) {
        return Owner.newBuilder()
                .setEventId("evt-" + id)
                .setEventTime(T)
                .setRecordedTime(T)
                .setSource("test")
                .setOwnerId(id)
                .setDisplayName("Person " + id)
                .setActive(true)
                .setKind(OwnerKind.PERSON)
                .setTeamId(teamId)
                .setChannels(List.of(new ChannelAddress(ChannelType.EMAIL, id + "@example.com")));
    }

    static Team team(String id, String businessUnit, String lead, String... chain) {
        return Team.newBuilder()
                .setEventId("evt-" + id)
                .setEventTime(T)
                .setRecordedTime(T)
                .setSource("test")
                .setTeamId(id)
                .setName("Team " + id)
                .setBusinessUnit(businessUnit)
                .setLeadOwnerId(lead)
                .setEscalationChain(List.of(chain))
                .build();
    }
}

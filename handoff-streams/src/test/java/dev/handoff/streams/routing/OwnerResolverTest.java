package dev.handoff.streams.routing;

import dev.handoff.avro.Asset;
import dev.handoff.avro.ChannelAddress;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.Owner;
import dev.handoff.avro.RouteKind;
import dev.handoff.avro.Team;
import dev.handoff.avro.UnroutedCause;
import dev.handoff.streams.routing.OwnerResolver.Route;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.handoff.streams.routing.Fixtures.assetBuilder;
import static dev.handoff.streams.routing.Fixtures.group;
import static dev.handoff.streams.routing.Fixtures.inactive;
import static dev.handoff.streams.routing.Fixtures.ownerBuilder;
import static dev.handoff.streams.routing.Fixtures.person;
import static dev.handoff.streams.routing.Fixtures.team;
import static dev.handoff.streams.routing.Fixtures.withoutChannel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OwnerResolverTest {

    private final Map<String, Owner> owners = new HashMap<>();
    private final Map<String, Team> teams = new HashMap<>();

    private void add(Owner... os) {
        for (Owner o : os) {
            owners.put(o.getOwnerId(), o);
        }
    }

    private void add(Team t) {
        teams.put(t.getTeamId(), t);
    }

    private Route resolve(Asset asset) {
        return OwnerResolver.resolve(Optional.of(asset), owners::get, teams::get);
    }

    private static Asset asset(String owner, String team) {
        return assetBuilder("api-gw").setOwnerUserId(owner).setOwnerTeamId(team).build();
    }

    @Test
    void activePersonWithChannelIsTheAssetOwnerRoute() {
        add(person("u-17", "payments"));
        add(team("payments", "fintech", "u-3"));
        Route r = resolve(assetBuilder("api-gw").setOwnerUserId("u-17").setOwnerTeamId("payments").setBusinessUnit("retail").build());
        assertEquals(RouteKind.ASSET_OWNER, r.kind());
        assertEquals("u-17", r.ownerId());
        assertEquals("payments", r.teamId());
        assertEquals("retail", r.businessUnit());
        assertEquals(Set.of(), r.modes());
        assertNull(r.cause());
        assertTrue(r.routed());
        assertEquals("asset api-gw; routed to asset owner u-17", r.explanation());
    }

    @Test
    void inactiveOwnerDecaysToTheTeamLead() {
        add(inactive("u-17", "payments"), person("u-3", "payments"));
        add(team("payments", "fintech", "u-3", "u-9"));
        AliasIndex.Binding binding = new AliasIndex.Binding("api-gw", AliasIndex.AliasKind.IMAGE, "registry/api-gw");
        Route r = OwnerResolver.resolve(Optional.of(asset("u-17", "payments")), binding, owners::get, teams::get);
        assertEquals(RouteKind.TEAM_LEAD, r.kind());
        assertEquals("u-3", r.ownerId());
        assertEquals("payments", r.teamId());
        assertEquals("fintech", r.businessUnit());
        assertEquals(Set.of(FailureMode.DECAYED_ROUTING), r.modes());
        assertNull(r.cause());
        assertEquals("asset api-gw bound by IMAGE; owner u-17 inactive; routed to team lead u-3 of team payments", r.explanation());
    }

    @Test
    void ownerMissingFromTheDirectoryDecaysToTheLead() {
        add(person("u-3", "payments"));
        add(team("payments", null, "u-3"));
        Route r = resolve(asset("u-gone", "payments"));
        assertEquals(RouteKind.TEAM_LEAD, r.kind());
        assertEquals(Set.of(FailureMode.DECAYED_ROUTING), r.modes());
        assertTrue(r.explanation().contains("owner u-gone missing from the directory"), r.explanation());
    }

    @Test
    void staleOwnersOwnTeamIsTheFallbackWhenTheAssetHasNone() {
        add(inactive("u-17", "payments"), person("u-3", null));
        add(team("payments", "fintech", "u-3"));
        Route r = resolve(asset("u-17", null));
        assertEquals(RouteKind.TEAM_LEAD, r.kind());
        assertEquals("u-3", r.ownerId());
        // The lead names no team of their own, so the team fallen back to is the route's team.
        assertEquals("payments", r.teamId());
        assertEquals("fintech", r.businessUnit());
    }

    @Test
    void personWithoutChannelIsDecayedToo() {
        add(withoutChannel("u-17", "payments"), person("u-3", "payments"));
        add(ownerBuilder("u-blank", "payments").setChannels(List.of(new ChannelAddress(ChannelType.SLACK, " "))).build());
        add(team("payments", null, "u-blank", "u-3"));
        Route r = resolve(asset("u-17", "payments"));
        assertEquals(RouteKind.ESCALATION_CHAIN, r.kind());
        assertEquals("u-3", r.ownerId());
        assertEquals(Set.of(FailureMode.DECAYED_ROUTING), r.modes());
        assertEquals("asset api-gw; owner u-17 has no channel; lead u-blank has no channel; "
                + "routed to escalation chain member u-3 (#1) of team payments", r.explanation());
    }

    @Test
    void inactiveLeadFallsToTheFirstRoutableChainMember() {
        add(inactive("u-17", "payments"), inactive("u-3", "payments"), inactive("u-8", "payments"),
                group("g-oncall", "payments"), person("u-9", "platform"), person("u-10", "payments"));
        add(team("payments", "fintech", "u-3", "u-3", "u-8", "g-oncall", "u-9", "u-10"));
        Route r = resolve(asset("u-17", "payments"));
        assertEquals(RouteKind.ESCALATION_CHAIN, r.kind());
        assertEquals("u-9", r.ownerId());
        assertEquals("platform", r.teamId(), "the routed owner's team comes first");
        assertEquals("fintech", r.businessUnit(), "the asset's team decides the business unit");
        assertEquals(Set.of(FailureMode.DECAYED_ROUTING), r.modes());
        assertEquals("asset api-gw; owner u-17 inactive; lead u-3 inactive, u-8 inactive, g-oncall is a group inbox; "
                + "routed to escalation chain member u-9 (#4) of team payments", r.explanation());
    }

    @Test
    void exhaustedChainLeavesTheFindingUnroutedAndDecayed() {
        add(inactive("u-17", "payments"), inactive("u-3", "payments"), inactive("u-8", "payments"));
        add(team("payments", "fintech", "u-3", "u-8", "u-missing"));
        Route r = resolve(asset("u-17", "payments"));
        assertEquals(RouteKind.UNROUTED, r.kind());
        assertNull(r.ownerId());
        assertEquals(UnroutedCause.NO_ACTIVE_OWNER, r.cause());
        assertEquals(Set.of(FailureMode.DECAYED_ROUTING), r.modes());
        assertEquals("payments", r.teamId());
        assertEquals("fintech", r.businessUnit());
        assertFalse(r.routed());
        assertEquals("asset api-gw; owner u-17 inactive; no routable person in team payments "
                + "(lead u-3 inactive, u-8 inactive, u-missing missing from the directory)", r.explanation());
    }

    @Test
    void unknownTeamOrNoTeamAfterDecayIsNoActiveOwner() {
        add(inactive("u-17", null));
        Route unknownTeam = resolve(asset("u-17", "ghost-team"));
        assertEquals(UnroutedCause.NO_ACTIVE_OWNER, unknownTeam.cause());
        assertEquals(Set.of(FailureMode.DECAYED_ROUTING), unknownTeam.modes());
        assertEquals("ghost-team", unknownTeam.teamId());
        assertTrue(unknownTeam.explanation().endsWith("team ghost-team missing from the directory"), unknownTeam.explanation());

        Route noTeam = resolve(asset("u-17", null));
        assertEquals(UnroutedCause.NO_ACTIVE_OWNER, noTeam.cause());
        assertNull(noTeam.teamId());
        assertTrue(noTeam.explanation().endsWith("no team to fall back to"), noTeam.explanation());
    }

    @Test
    void groupInboxIsUnroutedWithoutFallback() {
        add(group("g-payments", "payments"), person("u-3", "payments"));
        add(team("payments", "fintech", "u-3"));
        Route r = resolve(asset("g-payments", "payments"));
        assertEquals(RouteKind.UNROUTED, r.kind());
        assertEquals(UnroutedCause.GROUP_INBOX, r.cause());
        assertNull(r.ownerId());
        assertEquals(Set.of(), r.modes());
        assertEquals("payments", r.teamId());
        assertEquals("asset api-gw; owner g-payments is a group inbox, not a named person", r.explanation());
    }

    @Test
    void noAssetIsAnAssetBindingGap() {
        Route r = OwnerResolver.resolve(Optional.empty(), owners::get, teams::get);
        assertEquals(RouteKind.UNROUTED, r.kind());
        assertEquals(UnroutedCause.ASSET_BINDING_GAP, r.cause());
        assertEquals(Set.of(FailureMode.ASSET_BINDING_GAP), r.modes());
        assertNull(r.ownerId());
        assertNull(r.teamId());
        assertNull(r.assetId());
    }

    @Test
    void teamOwnedAssetRoutesToTheLeadWithoutDecay() {
        add(person("u-3", "payments"));
        add(team("payments", "fintech", "u-3"));
        Route r = resolve(asset(null, "payments"));
        assertEquals(RouteKind.TEAM_LEAD, r.kind());
        assertEquals("u-3", r.ownerId());
        assertEquals(Set.of(), r.modes());
        assertEquals("asset api-gw; no named owner, team payments owns it; routed to team lead u-3 of team payments", r.explanation());
    }

    @Test
    void teamOwnedAssetWithNobodyActiveIsUnroutedWithoutDecay() {
        add(inactive("u-3", "payments"));
        add(team("payments", "fintech", "u-3"));
        Route r = resolve(asset(null, "payments"));
        assertEquals(UnroutedCause.NO_ACTIVE_OWNER, r.cause());
        assertEquals(Set.of(), r.modes());
        assertTrue(r.explanation().endsWith("(lead u-3 inactive, empty escalation chain)"), r.explanation());
    }

    @Test
    void assetWithNeitherOwnerNorTeamIsUnrouted() {
        Route r = resolve(asset(null, null));
        assertEquals(UnroutedCause.NO_ACTIVE_OWNER, r.cause());
        assertEquals(Set.of(), r.modes());
        assertEquals("asset api-gw; no owner or team on the asset", r.explanation());
    }

    @Test
    void routableNeedsAnActivePersonWithAChannel() {
        assertTrue(OwnerResolver.routable(person("u-1", null)));
        assertFalse(OwnerResolver.routable(null));
        assertFalse(OwnerResolver.routable(inactive("u-1", null)));
        assertFalse(OwnerResolver.routable(group("g-1", null)));
        assertFalse(OwnerResolver.routable(withoutChannel("u-1", null)));
    }

    @Test
    void routeRejectsInconsistentShapes() {
        assertThrows(IllegalArgumentException.class,
                () -> new Route(RouteKind.UNROUTED, null, null, null, Set.of(), null, "no cause"));
        assertThrows(IllegalArgumentException.class,
                () -> new Route(RouteKind.ASSET_OWNER, null, null, null, Set.of(), null, "no owner"));
        Route reassigned = new Route(RouteKind.REASSIGNED, "u-5", "payments", null, Set.of(), null, "reassigned by u-1");
        assertEquals(List.of(), reassigned.consultedOwnerIds());
        assertNull(reassigned.assetId());
    }
}

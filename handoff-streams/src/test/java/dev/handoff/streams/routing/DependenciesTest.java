package dev.handoff.streams.routing;

import dev.handoff.avro.Owner;
import dev.handoff.avro.RouteKind;
import dev.handoff.avro.Team;
import dev.handoff.streams.routing.OwnerResolver.Route;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.handoff.streams.routing.Fixtures.assetBuilder;
import static dev.handoff.streams.routing.Fixtures.inactive;
import static dev.handoff.streams.routing.Fixtures.person;
import static dev.handoff.streams.routing.Fixtures.team;
import static org.junit.jupiter.api.Assertions.assertEquals;

class DependenciesTest {

    @Test
    void listsTheAssetEveryOwnerConsultedAndTheTeams() {
        Map<String, Owner> owners = Map.of(
                "u-17", inactive("u-17", "payments"),
                "u-3", inactive("u-3", "payments"),
                "u-9", person("u-9", "platform"),
                "u-10", person("u-10", "payments"));
        Map<String, Team> teams = Map.of("payments", team("payments", null, "u-3", "u-9", "u-10"));
        Route r = OwnerResolver.resolve(
                Optional.of(assetBuilder("api-gw").setOwnerUserId("u-17").setOwnerTeamId("payments").build()),
                owners::get, teams::get);
        AliasIndex.Binding binding = new AliasIndex.Binding("api-gw", AliasIndex.AliasKind.HOSTNAME, "api.example.com");
        // u-10 comes after the chosen u-9 in the chain, so no change to u-10 can alter this route.
        assertEquals(Set.of("ASSET:api-gw", "OWNER:u-17", "OWNER:u-3", "OWNER:u-9", "TEAM:payments", "TEAM:platform"),
                Dependencies.referencedIds(r, binding));
    }

    @Test
    void anUnboundFindingDependsOnNoRecord() {
        Route r = OwnerResolver.resolve(Optional.empty(), id -> null, id -> null);
        assertEquals(Set.of(), Dependencies.referencedIds(r, null));
    }

    @Test
    void aRouteBuiltElsewhereStillNamesItsOwnerAndTeam() {
        Route r = new Route(RouteKind.REASSIGNED, "u-5", "payments", null, Set.of(), null, "reassigned");
        assertEquals(Set.of("OWNER:u-5", "TEAM:payments"), Dependencies.referencedIds(r, null));
    }
}

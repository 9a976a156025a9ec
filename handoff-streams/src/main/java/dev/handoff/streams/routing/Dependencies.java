package dev.handoff.streams.routing;

import dev.handoff.streams.reference.ReferenceKind;

import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * The reference records a routing decision read, as keys {@code ASSET:id}, {@code OWNER:id} and {@code TEAM:id}
 * (the reference fan-out's {@code KIND:id} format), so open findings can be indexed by them and re-routed when
 * one changes.
 *
 * <p>A finding without a binding depends on no key: any asset change may bind it, so the unrouted queue is swept
 * on asset changes instead.
 */
public final class Dependencies {

    private Dependencies() {
    }

    /** Every key {@code route} (and the {@code binding} behind it, nullable) depended on, sorted. */
    public static Set<String> referencedIds(OwnerResolver.Route route, AliasIndex.Binding binding) {
        Set<String> keys = new TreeSet<>();
        if (binding != null) {
            keys.add(assetKey(binding.assetId()));
        }
        if (route.assetId() != null) {
            keys.add(assetKey(route.assetId()));
        }
        // Owners turned down count as much as the one chosen: their reactivation changes the answer.
        route.consultedOwnerIds().forEach(id -> keys.add(ownerKey(id)));
        if (route.ownerId() != null) {
            keys.add(ownerKey(route.ownerId()));
        }
        route.consultedTeamIds().forEach(id -> keys.add(teamKey(id)));
        if (route.teamId() != null) {
            keys.add(teamKey(route.teamId()));
        }
        return Collections.unmodifiableSet(keys);
    }

    public static String assetKey(String assetId) {
        return ReferenceKind.ASSET.fanoutKey(assetId);
    }

    public static String ownerKey(String ownerId) {
        return ReferenceKind.OWNER.fanoutKey(ownerId);
    }

    public static String teamKey(String teamId) {
        return ReferenceKind.TEAM.fanoutKey(teamId);
    }
}

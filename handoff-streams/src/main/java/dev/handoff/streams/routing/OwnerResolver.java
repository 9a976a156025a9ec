package dev.handoff.streams.routing;

import dev.handoff.avro.Asset;
import dev.handoff.avro.ChannelAddress;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.Owner;
import dev.handoff.avro.OwnerKind;
import dev.handoff.avro.RouteKind;
import dev.handoff.avro.Team;
import dev.handoff.avro.UnroutedCause;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Stage 3 routing (DESIGN.md sections 3 and 4): from a bound asset to a named, active person with a channel,
 * falling back to the team lead and escalation chain, and saying why when nobody qualifies.
 *
 * <p>Branches, in order:
 * <ul>
 *   <li>no asset: {@code UNROUTED}, cause and mode {@code ASSET_BINDING_GAP};</li>
 *   <li>the asset's {@code owner_user_id} is a {@code GROUP}: {@code UNROUTED}, cause {@code GROUP_INBOX}, no
 *       fallback (a shared inbox is not a named person);</li>
 *   <li>the asset's owner is {@linkplain #routable routable}: {@code ASSET_OWNER};</li>
 *   <li>the asset's owner is missing, inactive or has no channel: mode {@code DECAYED_ROUTING}, then the team
 *       ({@code owner_team_id}, else the stale owner's {@code team_id}) lead ({@code TEAM_LEAD}), then its escalation
 *       chain in order ({@code ESCALATION_CHAIN}); nobody routable: {@code UNROUTED}, cause {@code NO_ACTIVE_OWNER};</li>
 *   <li>no {@code owner_user_id} but a team: the same fallback without {@code DECAYED_ROUTING}, since team ownership is
 *       legitimate; no team either: {@code UNROUTED}, cause {@code NO_ACTIVE_OWNER}.</li>
 * </ul>
 * The route's team is the routed owner's team, else the asset's team, else the team fallen back to; its business
 * unit is the asset's, else that of the asset's team, the fallback team or the route's team, first found.
 */
public final class OwnerResolver {

    /**
     * A routing decision. {@code ownerId} is null and {@code cause} set exactly when {@code kind} is {@code UNROUTED}.
     * {@code assetId}, {@code consultedOwnerIds} and {@code consultedTeamIds} record what the decision read, so
     * {@link Dependencies} can tell when it must be re-evaluated.
     */
    public record Route(RouteKind kind, String ownerId, String teamId, String businessUnit, Set<FailureMode> modes,
                        UnroutedCause cause, String explanation,
                        String assetId, List<String> consultedOwnerIds, List<String> consultedTeamIds) {

        public Route {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(explanation, "explanation");
            if (kind == RouteKind.UNROUTED && (cause == null || ownerId != null)) {
                throw new IllegalArgumentException("an UNROUTED route has a cause and no owner: " + explanation);
            }
            if (kind != RouteKind.UNROUTED && (cause != null || ownerId == null)) {
                throw new IllegalArgumentException("a " + kind + " route has an owner and no unrouted cause: " + explanation);
            }
            modes = modes == null || modes.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(modes));
            consultedOwnerIds = consultedOwnerIds == null ? List.of() : List.copyOf(consultedOwnerIds);
            consultedTeamIds = consultedTeamIds == null ? List.of() : List.copyOf(consultedTeamIds);
        }

        /** A route built outside the resolver (a reassignment, a test), which records nothing it read. */
        public Route(RouteKind kind, String ownerId, String teamId, String businessUnit, Set<FailureMode> modes,
                     UnroutedCause cause, String explanation) {
            this(kind, ownerId, teamId, businessUnit, modes, cause, explanation, null, List.of(), List.of());
        }

        /** True when a named person was found. */
        public boolean routed() {
            return kind != RouteKind.UNROUTED;
        }
    }

    private OwnerResolver() {
    }

    /** Routes a finding bound to {@code asset}; the lookups return null for unknown ids. */
    public static Route resolve(Optional<Asset> asset, Function<String, Owner> owners, Function<String, Team> teams) {
        return resolve(asset, null, owners, teams);
    }

    /** As {@link #resolve(Optional, Function, Function)}, naming the alias kind that bound the asset in the explanation. */
    public static Route resolve(Optional<Asset> asset, AliasIndex.Binding binding,
                                Function<String, Owner> owners, Function<String, Team> teams) {
        Objects.requireNonNull(asset, "asset");
        Objects.requireNonNull(owners, "owners");
        Objects.requireNonNull(teams, "teams");
        if (asset.isEmpty()) {
            return new Route(RouteKind.UNROUTED, null, null, null, EnumSet.of(FailureMode.ASSET_BINDING_GAP),
                    UnroutedCause.ASSET_BINDING_GAP, "no asset matches the finding's target");
        }
        return new Resolution(asset.get(), binding, owners, teams).run();
    }

    /** An active PERSON with at least one channel address: someone who can be told and can acknowledge. */
    public static boolean routable(Owner o) {
        if (o == null || !o.getActive() || o.getKind() != OwnerKind.PERSON || o.getChannels() == null) {
            return false;
        }
        for (ChannelAddress c : o.getChannels()) {
            if (c != null && c.getChannel() != null && c.getAddress() != null && !c.getAddress().isBlank()) {
                return true;
            }
        }
        return false;
    }

    /** Why {@code o} cannot take a finding, as a phrase following its id. */
    private static String whyNot(Owner o) {
        if (o == null) {
            return "missing from the directory";
        }
        if (o.getKind() == OwnerKind.GROUP) {
            return "is a group inbox";
        }
        return o.getActive() ? "has no channel" : "inactive";
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** One resolution: walks the candidates and remembers what it read and why it moved on. */
    private static final class Resolution {
        private final Asset asset;
        private final AliasIndex.Binding binding;
        private final Function<String, Owner> owners;
        private final Function<String, Team> teams;
        private final Set<FailureMode> modes = EnumSet.noneOf(FailureMode.class);
        private final List<String> reasons = new ArrayList<>();
        private final Set<String> consultedOwners = new LinkedHashSet<>();
        private final Set<String> consultedTeams = new LinkedHashSet<>();
        private final String assetTeamId;
        private String fallbackTeamId;

        Resolution(Asset asset, AliasIndex.Binding binding, Function<String, Owner> owners, Function<String, Team> teams) {
            this.asset = asset;
            this.binding = binding;
            this.owners = owners;
            this.teams = teams;
            this.assetTeamId = blankToNull(asset.getOwnerTeamId());
        }

        Route run() {
            reasons.add("asset " + asset.getAssetId() + (binding == null ? "" : " bound by " + binding.kind()));
            String ownerId = blankToNull(asset.getOwnerUserId());
            if (ownerId == null) {
                if (assetTeamId == null) {
                    reasons.add("no owner or team on the asset");
                    return unrouted(UnroutedCause.NO_ACTIVE_OWNER);
                }
                reasons.add("no named owner, team " + assetTeamId + " owns it");
                return fallBack(assetTeamId);
            }
            Owner owner = owner(ownerId);
            if (owner != null && owner.getKind() == OwnerKind.GROUP) {
                reasons.add("owner " + ownerId + " is a group inbox, not a named person");
                fallbackTeamId = blankToNull(owner.getTeamId());
                return unrouted(UnroutedCause.GROUP_INBOX);
            }
            if (routable(owner)) {
                reasons.add("routed to asset owner " + ownerId);
                return routed(RouteKind.ASSET_OWNER, ownerId, owner);
            }
            modes.add(FailureMode.DECAYED_ROUTING);
            reasons.add("owner " + ownerId + " " + whyNot(owner));
            return fallBack(assetTeamId != null ? assetTeamId : owner == null ? null : blankToNull(owner.getTeamId()));
        }

        private Route fallBack(String teamId) {
            fallbackTeamId = teamId;
            if (teamId == null) {
                reasons.add("no team to fall back to");
                return unrouted(UnroutedCause.NO_ACTIVE_OWNER);
            }
            Team team = team(teamId);
            if (team == null) {
                reasons.add("team " + teamId + " missing from the directory");
                return unrouted(UnroutedCause.NO_ACTIVE_OWNER);
            }
            List<String> passedOver = new ArrayList<>();
            String lead = blankToNull(team.getLeadOwnerId());
            if (lead == null) {
                passedOver.add("no lead");
            } else {
                Owner o = owner(lead);
                if (routable(o)) {
                    reasons.add("routed to team lead " + lead + " of team " + teamId);
                    return routed(RouteKind.TEAM_LEAD, lead, o);
                }
                passedOver.add("lead " + lead + " " + whyNot(o));
            }
            List<String> chain = team.getEscalationChain() == null ? List.of() : team.getEscalationChain();
            for (int i = 0; i < chain.size(); i++) {
                String id = blankToNull(chain.get(i));
                // Anyone already turned down (the stale owner, the lead) would be turned down again.
                if (id == null || consultedOwners.contains(id)) {
                    continue;
                }
                Owner o = owner(id);
                if (routable(o)) {
                    reasons.add(String.join(", ", passedOver));
                    reasons.add("routed to escalation chain member " + id + " (#" + (i + 1) + ") of team " + teamId);
                    return routed(RouteKind.ESCALATION_CHAIN, id, o);
                }
                passedOver.add(id + " " + whyNot(o));
            }
            if (chain.isEmpty()) {
                passedOver.add("empty escalation chain");
            }
            reasons.add("no routable person in team " + teamId + " (" + String.join(", ", passedOver) + ")");
            return unrouted(UnroutedCause.NO_ACTIVE_OWNER);
        }

        private Route routed(RouteKind kind, String ownerId, Owner owner) {
            String teamId = firstNonNull(blankToNull(owner.getTeamId()), assetTeamId, fallbackTeamId);
            return new Route(kind, ownerId, teamId, businessUnit(teamId), modes, null, explanation(),
                    asset.getAssetId(), List.copyOf(consultedOwners), List.copyOf(consultedTeams));
        }

        private Route unrouted(UnroutedCause cause) {
            String teamId = firstNonNull(assetTeamId, fallbackTeamId);
            return new Route(RouteKind.UNROUTED, null, teamId, businessUnit(teamId), modes, cause, explanation(),
                    asset.getAssetId(), List.copyOf(consultedOwners), List.copyOf(consultedTeams));
        }

        private String businessUnit(String routeTeamId) {
            String own = blankToNull(asset.getBusinessUnit());
            if (own != null) {
                return own;
            }
            for (String teamId : new LinkedHashSet<>(Arrays.asList(assetTeamId, fallbackTeamId, routeTeamId))) {
                Team team = teamId == null ? null : team(teamId);
                if (team != null && blankToNull(team.getBusinessUnit()) != null) {
                    return team.getBusinessUnit();
                }
            }
            return null;
        }

        private String explanation() {
            return String.join("; ", reasons);
        }

        private Owner owner(String id) {
            consultedOwners.add(id);
            return owners.apply(id);
        }

        private Team team(String id) {
            consultedTeams.add(id);
            return teams.apply(id);
        }

        private static String firstNonNull(String... values) {
            for (String v : values) {
                if (v != null) {
                    return v;
                }
            }
            return null;
        }
    }
}

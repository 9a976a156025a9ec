package dev.handoff.launcher.bench;

import dev.handoff.avro.SeverityBand;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The reference data of a bench programme as {@link GroundTruth} needs it: people, teams, assets (bound by host name)
 * and the SLA spans per band. The generator builds it alongside the Avro records it publishes, and a {@code --dump}
 * is read back into it from those records' JSON, so the ground truth never reads the pipeline's stores.
 */
public final class Directory {

    /** A person or group inbox; routable when an active person with a channel. */
    public record Person(String id, boolean active, boolean group, String team, boolean hasChannel) {
        boolean routable() {
            return active && !group && hasChannel;
        }
    }

    public record TeamRef(String id, String lead, List<String> chain, String businessUnit) {
    }

    /** An asset with the one host name it is bound by. Criticality and exposure decide the band raise at enrichment. */
    public record AssetRef(String id, String host, String owner, String team, String businessUnit, String criticality, String exposure) {
    }

    /** SLA spans per band, all on the calendar clock (the bench's policy): INFO has none. */
    public record Spans(Map<SeverityBand, Duration> handoff, Map<SeverityBand, Duration> noAck, Map<SeverityBand, Duration> remediation) {
    }

    final Map<String, Person> people = new HashMap<>();
    final Map<String, TeamRef> teams = new HashMap<>();
    final Map<String, AssetRef> assetsByHost = new HashMap<>();
    Spans spans;

    public void person(Person p) {
        people.put(p.id(), p);
    }

    public void team(TeamRef t) {
        teams.put(t.id(), t);
    }

    public void asset(AssetRef a) {
        assetsByHost.put(a.host().toLowerCase(Locale.ROOT), a);
    }

    public void spans(Spans s) {
        this.spans = s;
    }

    AssetRef assetFor(String host) {
        return host == null ? null : assetsByHost.get(host.toLowerCase(Locale.ROOT));
    }

    public int people() {
        return people.size();
    }

    public int assets() {
        return assetsByHost.size();
    }

    public int teamCount() {
        return teams.size();
    }
}

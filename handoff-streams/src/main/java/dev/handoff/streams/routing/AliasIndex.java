package dev.handoff.streams.routing;

import dev.handoff.avro.Asset;
import dev.handoff.avro.AssetAliases;
import dev.handoff.avro.FindingTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * In-memory index from asset aliases to asset ids, updated one register change at a time, that binds a finding's
 * target to the asset it is about (DESIGN.md section 3, stage 2; no match is {@code ASSET_BINDING_GAP}).
 *
 * <p>Matching rules, tried in this order; the first kind that matches decides, whatever later kinds would say:
 * <ol>
 *   <li>{@link AliasKind#ASSET_ID}: {@code asset_hint} equals an asset id (exactly, else ignoring case).</li>
 *   <li>{@link AliasKind#HOSTNAME}: {@code host}, then the host of {@code url}, equals a host name alias,
 *       case-insensitive, a trailing root dot ignored.</li>
 *   <li>{@link AliasKind#IP}: {@code ip}, else a literal IP in {@code host} or in the host of {@code url}, equals an
 *       address alias (IPv4 or IPv6, compared as bytes, so {@code 2001:DB8::1} equals {@code 2001:db8:0:0:0:0:0:1}).
 *       Only literals are parsed; a name is never resolved through DNS.</li>
 *   <li>{@link AliasKind#CIDR}: the same addresses inside a CIDR block alias; the longest prefix wins.</li>
 *   <li>{@link AliasKind#IMAGE}: {@code image} without tag or digest (and without {@code docker.io/library/})
 *       equals an image repository alias, so any tag or digest of the repository matches.</li>
 *   <li>{@link AliasKind#REPOSITORY}: {@code repository} and the alias are equal once normalised
 *       ({@code https://github.com/Acme/Shop.git}, {@code github.com/acme/shop} and {@code git@github.com:acme/shop}
 *       are one); a bare {@code owner/name} on either side matches a hosted {@code host/owner/name}.</li>
 *   <li>{@link AliasKind#PACKAGE}: {@code package_purl} without version, qualifiers and subpath equals a purl alias,
 *       ignoring case.</li>
 *   <li>{@link AliasKind#URL_PREFIX}: {@code url} starts with a prefix alias on whole path segments (a prefix
 *       {@code https://shop.example.com/api} matches {@code /api} and {@code /api/x}, not {@code /apix}), scheme and
 *       host compared in lower case and default ports dropped; the longest prefix wins. A prefix or URL without a
 *       scheme stands for both https and http.</li>
 *   <li>{@link AliasKind#CLOUD_RESOURCE}: {@code cloud_resource} equals a resource alias or starts with it at a
 *       {@code :} or {@code /} boundary (so {@code arn:aws:s3:::logs} covers {@code arn:aws:s3:::logs/2024} but not
 *       {@code arn:aws:s3:::logs-old}); the longest prefix wins. A trailing {@code *} on an alias is ignored.</li>
 * </ol>
 * When several assets claim the same alias the lexicographically smallest asset id wins, deterministically, and
 * the conflict is logged once while it lasts. An alias that cannot be understood (a malformed CIDR, a purl without
 * type) is skipped with a warning naming the asset; it never fails {@link #put}.
 *
 * <p>Exact kinds are hash lookups. CIDR blocks are probed per prefix length in use (at most 33 or 129 lookups);
 * URL and cloud prefixes are probed from the target's own boundaries, longest first. No lookup scans the assets.
 *
 * <p>Not thread-safe: each stream thread owns its instance, so there is deliberately no locking.
 */
public final class AliasIndex {

    private static final Logger LOG = LoggerFactory.getLogger(AliasIndex.class);

    /** Which alias bound a target, in precedence order. */
    public enum AliasKind {
        ASSET_ID, HOSTNAME, IP, CIDR, IMAGE, REPOSITORY, PACKAGE, URL_PREFIX, CLOUD_RESOURCE
    }

    /** A finding target bound to an asset: which asset, by which kind of alias, and the alias in canonical form. */
    public record Binding(String assetId, AliasKind kind, String matched) {
        public Binding {
            Objects.requireNonNull(assetId, "assetId");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(matched, "matched");
        }
    }

    /** One alias of one asset in one table; what {@link #put} diffs and {@link #remove} withdraws. */
    private record Claim(AliasTable table, String key) {
    }

    private final Claims assetIds = new Claims("ASSET_ID", true);
    private final Claims hostnames = new Claims("HOSTNAME", true);
    private final Claims ips = new Claims("IP", true);
    private final CidrTable cidrs = new CidrTable();
    private final Claims images = new Claims("IMAGE", true);
    private final Claims repositories = new Claims("REPOSITORY", true);
    // github.com/acme/shop and gitlab.com/acme/shop share "acme/shop" legitimately: no conflict warning.
    private final Claims repositoryOwnerNames = new Claims("REPOSITORY owner/name", false);
    private final Claims packages = new Claims("PACKAGE", true);
    private final Claims urlPrefixes = new Claims("URL_PREFIX", true);
    private final Claims cloudResources = new Claims("CLOUD_RESOURCE", true);
    private final Map<String, Set<Claim>> byAsset = new HashMap<>();

    /** Indexes {@code asset}, replacing whatever aliases it had before; unchanged aliases are left untouched. */
    public void put(Asset asset) {
        Objects.requireNonNull(asset, "asset");
        String id = asset.getAssetId();
        if (id == null || id.isBlank()) {
            LOG.warn("skipping asset '{}' without asset_id", asset.getName());
            return;
        }
        Set<Claim> next = claimsOf(id, asset.getAliases());
        Set<Claim> previous = byAsset.getOrDefault(id, Set.of());
        for (Claim c : previous) {
            if (!next.contains(c)) {
                c.table().remove(c.key(), id);
            }
        }
        for (Claim c : next) {
            if (!previous.contains(c)) {
                c.table().add(c.key(), id);
            }
        }
        byAsset.put(id, next);
    }

    /** Withdraws every alias of {@code assetId} (the asset was deleted); unknown ids are ignored. */
    public void remove(String assetId) {
        Set<Claim> previous = assetId == null ? null : byAsset.remove(assetId);
        if (previous != null) {
            previous.forEach(c -> c.table().remove(c.key(), assetId));
        }
    }

    /** Number of assets indexed. */
    public int size() {
        return byAsset.size();
    }

    /** The asset {@code target} is about, by the rules of the class comment; empty is an asset binding gap. */
    public Optional<Binding> bind(FindingTarget target) {
        if (target == null) {
            return Optional.empty();
        }
        List<AliasNormaliser.WebUrl> webs = webUrls(target.getUrl());
        List<byte[]> addresses = addresses(target, webs);
        return byAssetId(target.getAssetHint())
                .or(() -> byHost(target, webs))
                .or(() -> first(addresses, a -> exact(ips, AliasKind.IP, IpAddresses.text(a))))
                .or(() -> first(addresses, cidrs::longest))
                .or(() -> exact(images, AliasKind.IMAGE, AliasNormaliser.image(target.getImage())))
                .or(() -> byRepository(target.getRepository()))
                .or(() -> exact(packages, AliasKind.PACKAGE, AliasNormaliser.purlWithoutVersion(target.getPackagePurl())))
                .or(() -> byUrlPrefix(webs))
                .or(() -> byCloudResource(target.getCloudResource()));
    }

    // ------------------------------------------------------------------ indexing

    private Set<Claim> claimsOf(String id, AssetAliases aliases) {
        Set<Claim> out = new LinkedHashSet<>();
        out.add(new Claim(assetIds, id.toLowerCase(Locale.ROOT)));
        if (aliases == null) {
            return out;
        }
        for (String h : orEmpty(aliases.getHostnames())) {
            add(out, id, "hostname", h, "not a host name", hostnames, AliasNormaliser.hostname(h));
        }
        for (String ip : orEmpty(aliases.getIps())) {
            if (ip.contains("/")) {
                String key = IpAddresses.parseBlock(ip).map(IpAddresses.Block::text).orElse("");
                add(out, id, "CIDR", ip, "not an address/prefix block", cidrs, key);
            } else {
                String key = IpAddresses.parse(ip).map(IpAddresses::text).orElse("");
                add(out, id, "IP", ip, "not a literal IPv4 or IPv6 address (names are never resolved)", ips, key);
            }
        }
        for (String image : orEmpty(aliases.getImageRepositories())) {
            add(out, id, "image repository", image, "empty", images, AliasNormaliser.image(image));
        }
        for (String repo : orEmpty(aliases.getRepositoryUrls())) {
            String key = AliasNormaliser.repository(repo);
            if (add(out, id, "repository", repo, "empty", repositories, key)) {
                String ownerName = AliasNormaliser.repositoryOwnerName(key);
                if (!ownerName.isEmpty()) {
                    out.add(new Claim(repositoryOwnerNames, ownerName));
                }
            }
        }
        for (String purl : orEmpty(aliases.getPackagePurls())) {
            add(out, id, "package purl", purl, "not a pkg:type/name purl", packages,
                    AliasNormaliser.purlWithoutVersion(purl));
        }
        for (String prefix : orEmpty(aliases.getUrlPrefixes())) {
            List<AliasNormaliser.WebUrl> webs = webUrls(prefix);
            if (webs.isEmpty()) {
                skip(id, "URL prefix", prefix, "not a URL with a host and a valid port");
            }
            webs.forEach(w -> out.add(new Claim(urlPrefixes, w.prefix(w.segments().size()))));
        }
        for (String resource : orEmpty(aliases.getCloudResources())) {
            add(out, id, "cloud resource", resource, "blank or containing white space", cloudResources,
                    AliasNormaliser.cloudResource(resource));
        }
        return out;
    }

    private static boolean add(Set<Claim> out, String assetId, String what, String raw, String why, AliasTable table, String key) {
        if (key.isEmpty()) {
            skip(assetId, what, raw, why);
            return false;
        }
        out.add(new Claim(table, key));
        return true;
    }

    private static void skip(String assetId, String what, String raw, String why) {
        LOG.warn("asset {}: skipping {} alias '{}': {}", assetId, what, raw, why);
    }

    // ------------------------------------------------------------------ lookups

    private Optional<Binding> byAssetId(String hint) {
        String h = hint == null ? "" : hint.trim();
        if (h.isEmpty()) {
            return Optional.empty();
        }
        NavigableSet<String> ids = assetIds.claimants(h.toLowerCase(Locale.ROOT));
        if (ids.isEmpty()) {
            return Optional.empty();
        }
        String id = ids.contains(h) ? h : ids.first();
        return Optional.of(new Binding(id, AliasKind.ASSET_ID, id));
    }

    private Optional<Binding> byHost(FindingTarget target, List<AliasNormaliser.WebUrl> webs) {
        List<String> hosts = new ArrayList<>();
        hosts.add(AliasNormaliser.hostname(target.getHost()));
        webs.forEach(w -> hosts.add(AliasNormaliser.hostname(w.host())));
        return first(hosts, h -> exact(hostnames, AliasKind.HOSTNAME, h));
    }

    private Optional<Binding> byRepository(String repository) {
        String key = AliasNormaliser.repository(repository);
        if (key.isEmpty()) {
            return Optional.empty();
        }
        Optional<Binding> exact = exact(repositories, AliasKind.REPOSITORY, key);
        if (exact.isPresent()) {
            return exact;
        }
        if (AliasNormaliser.isBareRepository(key)) {
            return exact(repositoryOwnerNames, AliasKind.REPOSITORY, key);
        }
        // A hosted target still matches an alias the register wrote as a bare owner/name.
        return exact(repositories, AliasKind.REPOSITORY, AliasNormaliser.repositoryOwnerName(key));
    }

    private Optional<Binding> byUrlPrefix(List<AliasNormaliser.WebUrl> webs) {
        if (webs.isEmpty()) {
            return Optional.empty();
        }
        // Depth outermost: a longer prefix under either scheme beats a shorter one.
        for (int depth = webs.get(0).segments().size(); depth >= 0; depth--) {
            for (AliasNormaliser.WebUrl w : webs) {
                Optional<Binding> hit = exact(urlPrefixes, AliasKind.URL_PREFIX, w.prefix(depth));
                if (hit.isPresent()) {
                    return hit;
                }
            }
        }
        return Optional.empty();
    }

    private Optional<Binding> byCloudResource(String resource) {
        String r = AliasNormaliser.cloudResource(resource);
        if (r.isEmpty()) {
            return Optional.empty();
        }
        List<String> candidates = new ArrayList<>();
        candidates.add(r);
        for (int i = r.length() - 1; i > 0; i--) {
            char c = r.charAt(i);
            if (c == ':' || c == '/') {
                // Prefixes written with and without the separator both cover what follows it.
                candidates.add(r.substring(0, i + 1));
                candidates.add(r.substring(0, i));
            }
        }
        return first(candidates, k -> exact(cloudResources, AliasKind.CLOUD_RESOURCE, k));
    }

    private static Optional<Binding> exact(Claims table, AliasKind kind, String key) {
        if (key == null || key.isEmpty()) {
            return Optional.empty();
        }
        return Optional.ofNullable(table.winner(key)).map(id -> new Binding(id, kind, key));
    }

    private static <T> Optional<Binding> first(List<T> candidates, Function<T, Optional<Binding>> lookup) {
        for (T c : candidates) {
            Optional<Binding> hit = lookup.apply(c);
            if (hit.isPresent()) {
                return hit;
            }
        }
        return Optional.empty();
    }

    /** The URL as written, or, without a scheme, as https and then http. */
    private static List<AliasNormaliser.WebUrl> webUrls(String url) {
        if (url == null || url.isBlank()) {
            return List.of();
        }
        Optional<AliasNormaliser.WebUrl> asWritten = AliasNormaliser.webUrl(url, null);
        if (asWritten.isPresent()) {
            return List.of(asWritten.get());
        }
        List<AliasNormaliser.WebUrl> out = new ArrayList<>(2);
        AliasNormaliser.webUrl(url, "https").ifPresent(out::add);
        AliasNormaliser.webUrl(url, "http").ifPresent(out::add);
        return out;
    }

    private static List<byte[]> addresses(FindingTarget target, List<AliasNormaliser.WebUrl> webs) {
        List<byte[]> out = new ArrayList<>();
        IpAddresses.parse(target.getIp()).ifPresent(out::add);
        IpAddresses.parse(target.getHost()).ifPresent(out::add);
        webs.forEach(w -> IpAddresses.parse(w.bareHost()).ifPresent(out::add));
        return out;
    }

    private static List<String> orEmpty(List<String> values) {
        if (values == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>(values.size());
        for (String v : values) {
            if (v != null) {
                out.add(v);
            }
        }
        return out;
    }
}

package dev.handoff.streams.routing;

import dev.handoff.avro.FindingTarget;
import dev.handoff.streams.routing.AliasIndex.AliasKind;
import dev.handoff.streams.routing.AliasIndex.Binding;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static dev.handoff.streams.routing.Fixtures.asset;
import static dev.handoff.streams.routing.Fixtures.assetBuilder;
import static dev.handoff.streams.routing.Fixtures.target;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AliasIndexTest {

    private final AliasIndex index = new AliasIndex();

    private Optional<Binding> bind(FindingTarget.Builder t) {
        return index.bind(t.build());
    }

    private void assertBound(String assetId, AliasKind kind, String matched, FindingTarget.Builder t) {
        assertEquals(Optional.of(new Binding(assetId, kind, matched)), bind(t));
    }

    private void assertUnbound(FindingTarget.Builder t) {
        assertEquals(Optional.empty(), bind(t));
    }

    // ------------------------------------------------------------------ asset id

    @Test
    void assetHintBeatsEveryAlias() {
        index.put(asset("web-1", a -> a.setHostnames(List.of("shop.example.com"))));
        index.put(asset("api-gw", a -> { }));
        assertBound("api-gw", AliasKind.ASSET_ID, "api-gw", target().setHost("shop.example.com").setAssetHint("api-gw"));
    }

    @Test
    void assetHintPrefersExactCaseThenIgnoresCase() {
        index.put(asset("Api-GW", a -> { }));
        assertBound("Api-GW", AliasKind.ASSET_ID, "Api-GW", target().setAssetHint(" api-gw "));
        index.put(asset("api-gw", a -> { }));
        assertBound("api-gw", AliasKind.ASSET_ID, "api-gw", target().setAssetHint("api-gw"));
        assertBound("Api-GW", AliasKind.ASSET_ID, "Api-GW", target().setAssetHint("Api-GW"));
    }

    @Test
    void unknownAssetHintFallsThroughToOtherAliases() {
        index.put(asset("web-1", a -> a.setHostnames(List.of("shop.example.com"))));
        assertBound("web-1", AliasKind.HOSTNAME, "shop.example.com", target().setHost("shop.example.com").setAssetHint("gone"));
    }

    // ------------------------------------------------------------------ host

    @Test
    void hostnameIsCaseInsensitiveAndIgnoresTrailingDot() {
        index.put(asset("web-1", a -> a.setHostnames(List.of("Shop.Example.COM."))));
        assertBound("web-1", AliasKind.HOSTNAME, "shop.example.com", target().setHost("shop.example.com"));
        assertBound("web-1", AliasKind.HOSTNAME, "shop.example.com", target().setHost("SHOP.example.com."));
        assertUnbound(target().setHost("www.shop.example.com"));
    }

    @Test
    void webFindingBindsByTheUrlHost() {
        index.put(asset("web-1", a -> a.setHostnames(List.of("shop.example.com"))));
        assertBound("web-1", AliasKind.HOSTNAME, "shop.example.com",
                target().setUrl("https://admin:pw@Shop.Example.com:8443/login?next=/"));
    }

    // ------------------------------------------------------------------ IP and CIDR

    @Test
    void ipv4ExactAddress() {
        index.put(asset("db-1", a -> a.setIps(List.of("10.20.30.40"))));
        assertBound("db-1", AliasKind.IP, "10.20.30.40", target().setIp("10.20.30.40"));
        assertUnbound(target().setIp("10.20.30.41"));
    }

    @Test
    void ipv6ExactAddressComparesBytesNotText() {
        index.put(asset("db-6", a -> a.setIps(List.of("2001:DB8::1"))));
        assertBound("db-6", AliasKind.IP, "2001:db8:0:0:0:0:0:1", target().setIp("2001:db8:0:0:0:0:0:1"));
        assertBound("db-6", AliasKind.IP, "2001:db8:0:0:0:0:0:1", target().setIp("[2001:db8::1]"));
    }

    @Test
    void ipLiteralInHostOrUrlBindsByIp() {
        index.put(asset("db-1", a -> a.setIps(List.of("10.20.30.40", "2001:db8::7"))));
        assertBound("db-1", AliasKind.IP, "10.20.30.40", target().setHost("10.20.30.40"));
        assertBound("db-1", AliasKind.IP, "2001:db8:0:0:0:0:0:7", target().setUrl("http://[2001:db8::7]:8080/health"));
    }

    @Test
    void cidrLongestPrefixWins() {
        index.put(asset("net-8", a -> a.setIps(List.of("10.0.0.0/8"))));
        index.put(asset("net-16", a -> a.setIps(List.of("10.1.0.0/16"))));
        index.put(asset("net-24", a -> a.setIps(List.of("10.1.2.0/24"))));
        assertBound("net-24", AliasKind.CIDR, "10.1.2.0/24", target().setIp("10.1.2.3"));
        assertBound("net-16", AliasKind.CIDR, "10.1.0.0/16", target().setIp("10.1.9.9"));
        assertBound("net-8", AliasKind.CIDR, "10.0.0.0/8", target().setIp("10.200.0.1"));
        assertUnbound(target().setIp("11.0.0.1"));
    }

    @Test
    void exactAddressBeatsAnyBlock() {
        index.put(asset("net-24", a -> a.setIps(List.of("10.1.2.0/24"))));
        index.put(asset("host-3", a -> a.setIps(List.of("10.1.2.3"))));
        assertBound("host-3", AliasKind.IP, "10.1.2.3", target().setIp("10.1.2.3"));
        assertBound("net-24", AliasKind.CIDR, "10.1.2.0/24", target().setIp("10.1.2.4"));
    }

    @Test
    void cidrHostBitsAreClearedAndSlash32Works() {
        index.put(asset("net", a -> a.setIps(List.of("192.168.7.9/16", "172.16.0.5/32"))));
        assertBound("net", AliasKind.CIDR, "192.168.0.0/16", target().setIp("192.168.200.1"));
        assertBound("net", AliasKind.CIDR, "172.16.0.5/32", target().setIp("172.16.0.5"));
        assertUnbound(target().setIp("172.16.0.6"));
    }

    @Test
    void ipv6CidrLongestPrefixWins() {
        index.put(asset("v6-32", a -> a.setIps(List.of("2001:db8::/32"))));
        index.put(asset("v6-48", a -> a.setIps(List.of("2001:db8:abcd::/48"))));
        assertBound("v6-48", AliasKind.CIDR, "2001:db8:abcd:0:0:0:0:0/48", target().setIp("2001:db8:abcd:12::1"));
        assertBound("v6-32", AliasKind.CIDR, "2001:db8:0:0:0:0:0:0/32", target().setIp("2001:db8:ffff::1"));
        assertUnbound(target().setIp("2001:db9::1"));
    }

    @Test
    void addressFamiliesDoNotMix() {
        index.put(asset("all-v4", a -> a.setIps(List.of("0.0.0.0/0"))));
        assertUnbound(target().setIp("::1"));
        assertBound("all-v4", AliasKind.CIDR, "0.0.0.0/0", target().setIp("203.0.113.9"));
        // An IPv4-mapped IPv6 address is the IPv4 address.
        assertBound("all-v4", AliasKind.CIDR, "0.0.0.0/0", target().setIp("::ffff:203.0.113.9"));
        index.put(asset("all-v6", a -> a.setIps(List.of("::/0"))));
        assertBound("all-v6", AliasKind.CIDR, "0:0:0:0:0:0:0:0/0", target().setIp("fe80::1%eth0"));
    }

    @Test
    void namesAreNeverResolvedAsAddresses() {
        index.put(asset("lo", a -> a.setIps(List.of("127.0.0.1", "localhost", "example.com/24"))));
        assertUnbound(target().setIp("localhost"));
        assertUnbound(target().setIp("1"));
        assertUnbound(target().setIp("127.1"));
        assertBound("lo", AliasKind.IP, "127.0.0.1", target().setIp("127.0.0.1"));
    }

    @Test
    void malformedAliasesAreSkippedAndTheRestStillWork() {
        assertDoesNotThrow(() -> index.put(asset("messy", a -> a
                .setIps(List.of("10.0.0.0/33", "300.1.1.1", "10.0.0.0/x", "::g/64", "10.9.0.0/16"))
                .setHostnames(List.of(" ", "bad host"))
                .setPackagePurls(List.of("lodash", "pkg:npm"))
                .setUrlPrefixes(List.of("https://", "http://host:99999/x"))
                .setCloudResources(List.of("  ", "*"))
                .setImageRepositories(List.of("")))));
        assertEquals(1, index.size());
        assertBound("messy", AliasKind.CIDR, "10.9.0.0/16", target().setIp("10.9.1.1"));
        assertUnbound(target().setIp("300.1.1.1"));
    }

    // ------------------------------------------------------------------ image, repository, package

    @Test
    void imageMatchesAnyTagOrDigest() {
        index.put(asset("api", a -> a.setImageRepositories(List.of("Registry.Example.com/team/api"))));
        String key = "registry.example.com/team/api";
        assertBound("api", AliasKind.IMAGE, key, target().setImage("registry.example.com/team/api"));
        assertBound("api", AliasKind.IMAGE, key, target().setImage("registry.example.com/team/api:1.4.2"));
        assertBound("api", AliasKind.IMAGE, key, target().setImage("registry.example.com/team/api@sha256:0123abcd"));
        assertBound("api", AliasKind.IMAGE, key, target().setImage("registry.example.com/team/api:1.4.2@sha256:0123abcd"));
        assertUnbound(target().setImage("registry.example.com/team/api-worker:1.4.2"));
    }

    @Test
    void imageRegistryPortIsNotATagAndDockerHubNamesAreImplicit() {
        index.put(asset("local", a -> a.setImageRepositories(List.of("localhost:5000/team/api"))));
        index.put(asset("nginx", a -> a.setImageRepositories(List.of("docker.io/library/nginx"))));
        assertBound("local", AliasKind.IMAGE, "localhost:5000/team/api", target().setImage("localhost:5000/team/api:2"));
        assertBound("nginx", AliasKind.IMAGE, "nginx", target().setImage("nginx:1.25"));
        assertBound("nginx", AliasKind.IMAGE, "nginx", target().setImage("library/nginx@sha256:ff"));
    }

    @Test
    void repositoryUrlFormsAreOneRepository() {
        index.put(asset("shop", a -> a.setRepositoryUrls(List.of("https://github.com/Acme/Shop.git"))));
        String key = "github.com/acme/shop";
        for (String form : List.of("github.com/acme/shop", "git@github.com:acme/shop", "git@github.com:Acme/Shop.git",
                "ssh://git@github.com/acme/shop.git", "https://ci-bot@github.com/ACME/shop/", "http://github.com/acme/shop")) {
            assertBound("shop", AliasKind.REPOSITORY, key, target().setRepository(form));
        }
        assertUnbound(target().setRepository("gitlab.com/acme/shop"));
        assertUnbound(target().setRepository("github.com/acme/shop-legacy"));
    }

    @Test
    void bareOwnerNameMatchesHostedRepositoryEitherWay() {
        index.put(asset("shop", a -> a.setRepositoryUrls(List.of("https://github.com/acme/shop"))));
        index.put(asset("web", a -> a.setRepositoryUrls(List.of("acme/web"))));
        assertBound("shop", AliasKind.REPOSITORY, "acme/shop", target().setRepository("Acme/Shop"));
        assertBound("web", AliasKind.REPOSITORY, "acme/web", target().setRepository("https://github.com/acme/web.git"));
        assertBound("web", AliasKind.REPOSITORY, "acme/web", target().setRepository("acme/web"));
    }

    @Test
    void purlMatchesAnyVersionQualifierAndSubpath() {
        index.put(asset("billing", a -> a.setPackagePurls(List.of("pkg:maven/org.apache.logging.log4j/log4j-core"))));
        String key = "pkg:maven/org.apache.logging.log4j/log4j-core";
        assertBound("billing", AliasKind.PACKAGE, key, target().setPackagePurl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"));
        assertBound("billing", AliasKind.PACKAGE, key,
                target().setPackagePurl("pkg:Maven/org.apache.logging.log4j/Log4j-Core@2.17.0?type=jar&classifier=x#META-INF"));
        assertBound("billing", AliasKind.PACKAGE, key, target().setPackagePurl("pkg://maven/org.apache.logging.log4j/log4j-core"));
        assertUnbound(target().setPackagePurl("pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1"));
        assertUnbound(target().setPackagePurl("pkg:maven/org.apache.logging/log4j-core@2.14.1"));
    }

    @Test
    void purlAliasWithVersionAndNpmScopeNormalise() {
        index.put(asset("front", a -> a.setPackagePurls(List.of("pkg:npm/%40angular/core@15.0.0", "pkg:npm/@babel/core"))));
        assertBound("front", AliasKind.PACKAGE, "pkg:npm/%40angular/core", target().setPackagePurl("pkg:npm/@angular/core@12.2.0"));
        assertBound("front", AliasKind.PACKAGE, "pkg:npm/%40babel/core", target().setPackagePurl("pkg:npm/%40babel/core@7.0.0"));
    }

    // ------------------------------------------------------------------ URL prefix

    @Test
    void urlPrefixMatchesOnWholePathSegments() {
        index.put(asset("api", a -> a.setUrlPrefixes(List.of("https://shop.example.com/api"))));
        String key = "https://shop.example.com/api";
        assertBound("api", AliasKind.URL_PREFIX, key, target().setUrl("https://shop.example.com/api"));
        assertBound("api", AliasKind.URL_PREFIX, key, target().setUrl("https://shop.example.com/api/"));
        assertBound("api", AliasKind.URL_PREFIX, key, target().setUrl("https://shop.example.com/api/orders/7?x=1#top"));
        assertUnbound(target().setUrl("https://shop.example.com/apix"));
        assertUnbound(target().setUrl("https://shop.example.com/"));
        assertUnbound(target().setUrl("http://shop.example.com/api"));
    }

    @Test
    void longestUrlPrefixWins() {
        index.put(asset("site", a -> a.setUrlPrefixes(List.of("https://shop.example.com"))));
        index.put(asset("api", a -> a.setUrlPrefixes(List.of("https://shop.example.com/api"))));
        index.put(asset("admin", a -> a.setUrlPrefixes(List.of("https://shop.example.com/api/admin/"))));
        assertBound("admin", AliasKind.URL_PREFIX, "https://shop.example.com/api/admin", target().setUrl("https://shop.example.com/api/admin/users"));
        assertBound("api", AliasKind.URL_PREFIX, "https://shop.example.com/api", target().setUrl("https://shop.example.com/api/v1"));
        assertBound("site", AliasKind.URL_PREFIX, "https://shop.example.com", target().setUrl("https://shop.example.com/about"));
        assertBound("site", AliasKind.URL_PREFIX, "https://shop.example.com", target().setUrl("https://shop.example.com"));
    }

    @Test
    void defaultPortsAndCaseAreEquivalent() {
        index.put(asset("api", a -> a.setUrlPrefixes(List.of("HTTPS://Shop.Example.com:443/api"))));
        index.put(asset("legacy", a -> a.setUrlPrefixes(List.of("http://old.example.com/"))));
        index.put(asset("alt", a -> a.setUrlPrefixes(List.of("https://shop.example.com:8443/api"))));
        assertBound("api", AliasKind.URL_PREFIX, "https://shop.example.com/api", target().setUrl("https://shop.example.com./api/x"));
        assertBound("legacy", AliasKind.URL_PREFIX, "http://old.example.com", target().setUrl("http://OLD.example.com:80/cgi-bin/a"));
        assertBound("alt", AliasKind.URL_PREFIX, "https://shop.example.com:8443/api", target().setUrl("https://shop.example.com:8443/api/x"));
    }

    @Test
    void schemelessPrefixCoversHttpAndHttps() {
        index.put(asset("api", a -> a.setUrlPrefixes(List.of("shop.example.com/api"))));
        assertBound("api", AliasKind.URL_PREFIX, "https://shop.example.com/api", target().setUrl("https://shop.example.com/api/x"));
        assertBound("api", AliasKind.URL_PREFIX, "http://shop.example.com/api", target().setUrl("http://shop.example.com/api/x"));
    }

    // ------------------------------------------------------------------ cloud resources

    @Test
    void cloudResourceExactOrLongestPrefixOnBoundaries() {
        index.put(asset("logs", a -> a.setCloudResources(List.of("arn:aws:s3:::logs"))));
        index.put(asset("logs-2024", a -> a.setCloudResources(List.of("arn:aws:s3:::logs/2024/"))));
        index.put(asset("account", a -> a.setCloudResources(List.of("arn:aws:ec2:eu-west-1:123456789012:*"))));
        index.put(asset("vm-7", a -> a.setCloudResources(List.of("arn:aws:ec2:eu-west-1:123456789012:instance/i-07"))));
        assertBound("logs", AliasKind.CLOUD_RESOURCE, "arn:aws:s3:::logs", target().setCloudResource("arn:aws:s3:::logs"));
        assertBound("logs", AliasKind.CLOUD_RESOURCE, "arn:aws:s3:::logs", target().setCloudResource("arn:aws:s3:::logs/2023/a.gz"));
        assertBound("logs-2024", AliasKind.CLOUD_RESOURCE, "arn:aws:s3:::logs/2024/", target().setCloudResource("arn:aws:s3:::logs/2024/a.gz"));
        assertUnbound(target().setCloudResource("arn:aws:s3:::logs-old/a.gz"));
        assertBound("vm-7", AliasKind.CLOUD_RESOURCE, "arn:aws:ec2:eu-west-1:123456789012:instance/i-07",
                target().setCloudResource("arn:aws:ec2:eu-west-1:123456789012:instance/i-07"));
        assertBound("account", AliasKind.CLOUD_RESOURCE, "arn:aws:ec2:eu-west-1:123456789012:",
                target().setCloudResource("arn:aws:ec2:eu-west-1:123456789012:instance/i-08"));
    }

    // ------------------------------------------------------------------ precedence, conflicts, updates

    @Test
    void kindsAreTriedInTheDocumentedOrder() {
        FindingTarget.Builder everything = target()
                .setAssetHint("by-id")
                .setHost("app.example.com")
                .setIp("10.0.0.5")
                .setImage("registry.example.com/app:1")
                .setRepository("github.com/acme/app")
                .setPackagePurl("pkg:npm/app@1.0.0")
                .setUrl("https://web.example.com/app/x")
                .setCloudResource("arn:aws:ecs:eu-west-1:1:service/app");
        index.put(asset("by-id", a -> { }));
        index.put(asset("by-host", a -> a.setHostnames(List.of("app.example.com"))));
        index.put(asset("by-ip", a -> a.setIps(List.of("10.0.0.5"))));
        index.put(asset("by-cidr", a -> a.setIps(List.of("10.0.0.0/24"))));
        index.put(asset("by-image", a -> a.setImageRepositories(List.of("registry.example.com/app"))));
        index.put(asset("by-repo", a -> a.setRepositoryUrls(List.of("https://github.com/acme/app"))));
        index.put(asset("by-package", a -> a.setPackagePurls(List.of("pkg:npm/app"))));
        index.put(asset("by-url", a -> a.setUrlPrefixes(List.of("https://web.example.com/app"))));
        index.put(asset("by-cloud", a -> a.setCloudResources(List.of("arn:aws:ecs:eu-west-1:1:service/app"))));
        List<String> order = List.of("by-id", "by-host", "by-ip", "by-cidr", "by-image", "by-repo", "by-package", "by-url", "by-cloud");
        List<AliasKind> kinds = List.of(AliasKind.values());
        for (int i = 0; i < order.size(); i++) {
            Binding b = bind(everything).orElseThrow();
            assertEquals(order.get(i), b.assetId());
            assertEquals(kinds.get(i), b.kind());
            index.remove(order.get(i));
        }
        assertUnbound(everything);
    }

    @Test
    void contestedAliasGoesToSmallestAssetIdWhateverTheOrder() {
        index.put(asset("web-b", a -> a.setHostnames(List.of("shared.example.com"))));
        index.put(asset("web-a", a -> a.setHostnames(List.of("shared.example.com"))));
        index.put(asset("web-c", a -> a.setHostnames(List.of("shared.example.com"))));
        FindingTarget.Builder t = target().setHost("shared.example.com");
        assertEquals("web-a", bind(t).orElseThrow().assetId());
        index.remove("web-a");
        assertEquals("web-b", bind(t).orElseThrow().assetId());
        index.put(asset("web-b", a -> { }));
        assertEquals("web-c", bind(t).orElseThrow().assetId());
    }

    @Test
    void putReplacesTheAssetsPreviousAliases() {
        index.put(asset("web-1", a -> a.setHostnames(List.of("old.example.com")).setIps(List.of("10.0.0.0/8"))));
        index.put(asset("web-1", a -> a.setHostnames(List.of("new.example.com"))));
        assertEquals(1, index.size());
        assertUnbound(target().setHost("old.example.com"));
        assertUnbound(target().setIp("10.1.1.1"));
        assertBound("web-1", AliasKind.HOSTNAME, "new.example.com", target().setHost("new.example.com"));
    }

    @Test
    void removeWithdrawsEveryAlias() {
        index.put(asset("web-1", a -> a.setHostnames(List.of("web.example.com")).setIps(List.of("10.0.0.0/8"))
                .setUrlPrefixes(List.of("https://web.example.com"))));
        index.put(asset("web-2", a -> a.setHostnames(List.of("two.example.com"))));
        index.remove("web-1");
        index.remove("never-there");
        index.remove(null);
        assertEquals(1, index.size());
        assertUnbound(target().setHost("web.example.com").setIp("10.1.1.1").setUrl("https://web.example.com/x").setAssetHint("web-1"));
        assertTrue(bind(target().setHost("two.example.com")).isPresent());
    }

    @Test
    void emptyOrMissingTargetsAndIdLessAssetsBindNothing() {
        index.put(assetBuilder(" ").build());
        assertEquals(0, index.size());
        index.put(asset("web-1", a -> a.setHostnames(List.of("web.example.com"))));
        assertEquals(Optional.empty(), index.bind(null));
        assertUnbound(target());
        assertUnbound(target().setHost("").setUrl("not a url").setRepository("").setPackagePurl("lodash@4"));
    }
}

package dev.handoff.streams.routing;

import dev.handoff.streams.routing.AliasNormaliser.WebUrl;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AliasNormaliserTest {

    @Test
    void webUrlDropsUserInfoDefaultPortQueryAndDotSegments() {
        WebUrl u = AliasNormaliser.webUrl("HTTPS://bob:secret@Shop.Example.COM.:443/a//./b/../c/?x=1#frag", null).orElseThrow();
        assertEquals(new WebUrl("https", "shop.example.com", -1, List.of("a", "c")), u);
        assertEquals("https://shop.example.com/a", u.prefix(1));
        assertEquals("https://shop.example.com", u.prefix(0));
    }

    @Test
    void webUrlKeepsNonDefaultPortsAndBracketedIpv6() {
        WebUrl u = AliasNormaliser.webUrl("http://[2001:DB8::1]:8080/x", null).orElseThrow();
        assertEquals("http://[2001:db8::1]:8080", u.origin());
        assertEquals("2001:db8::1", u.bareHost());
        assertEquals("http://shop.example.com:443", AliasNormaliser.webUrl("http://shop.example.com:443", null).orElseThrow().origin());
    }

    @Test
    void webUrlRejectsWhatIsNotAUrl() {
        assertEquals(Optional.empty(), AliasNormaliser.webUrl("shop.example.com/api", null));
        assertEquals(Optional.empty(), AliasNormaliser.webUrl("https://", null));
        assertEquals(Optional.empty(), AliasNormaliser.webUrl("https://host:http/x", null));
        assertEquals(Optional.empty(), AliasNormaliser.webUrl("https://a:b:c/x", null));
        assertEquals(Optional.empty(), AliasNormaliser.webUrl("1http://host/", null));
        assertEquals("https://shop.example.com/api", AliasNormaliser.webUrl("shop.example.com/api", "https").orElseThrow().prefix(1));
    }

    @Test
    void repositoryFormsAgreeWithFindingIds() {
        for (String form : List.of("https://github.com/Acme/Shop.git", "github.com/acme/shop", "git@github.com:acme/shop",
                "ssh://git@github.com/acme/shop.git", "git+https://github.com/acme/shop/")) {
            assertEquals("github.com/acme/shop", AliasNormaliser.repository(form), form);
        }
        assertEquals("acme/shop", AliasNormaliser.repositoryOwnerName("github.com/acme/shop"));
        assertEquals("", AliasNormaliser.repositoryOwnerName("gitlab.com/group/sub/shop"));
        assertEquals("", AliasNormaliser.repositoryOwnerName("acme/shop"));
        assertTrue(AliasNormaliser.isBareRepository("acme/shop"));
        assertFalse(AliasNormaliser.isBareRepository("github.com/acme/shop"));
        assertFalse(AliasNormaliser.isBareRepository("localhost/acme/shop"));
    }

    @Test
    void purlLosesVersionQualifiersAndSubpathOnly() {
        assertEquals("pkg:golang/github.com/acme/lib",
                AliasNormaliser.purlWithoutVersion("pkg:golang/github.com/Acme/lib@v1.2.3?goos=linux#sub/dir"));
        assertEquals("pkg:npm/%40scope/name", AliasNormaliser.purlWithoutVersion("PKG:npm/@scope/name"));
        assertEquals("", AliasNormaliser.purlWithoutVersion("pkg:npm/"));
        assertEquals("", AliasNormaliser.purlWithoutVersion("pkg:npm/scope/@1.0"));
        assertEquals("", AliasNormaliser.purlWithoutVersion("maven/org/x"));
    }

    @Test
    void imagesHostsAndCloudResources() {
        assertEquals("team/api", AliasNormaliser.image("docker.io/team/api:latest"));
        assertEquals("ghcr.io/acme/api", AliasNormaliser.image("GHCR.io/acme/api@sha256:abc"));
        assertEquals("shop.example.com", AliasNormaliser.hostname(" Shop.Example.com. "));
        assertEquals("", AliasNormaliser.hostname("shop example"));
        assertEquals("arn:aws:s3:::Logs/", AliasNormaliser.cloudResource(" arn:aws:s3:::Logs/* "));
    }
}

package dev.handoff.schemas;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AckLinksTest {

    private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
    private final AckLinks links = new AckLinks("a-shared-secret-0123456789");

    @Test
    void aSignedLinkVerifiesUntilItExpires() {
        String token = links.sign("f1-abc", "u-ana", NOW.plusSeconds(3600));
        AckLinks.Claims claims = links.verify(token, NOW);
        assertEquals("f1-abc", claims.findingId());
        assertEquals("u-ana", claims.ownerId());
        assertEquals(NOW.plusSeconds(3600), claims.expiresAt());
        IllegalArgumentException expired = assertThrows(IllegalArgumentException.class, () -> links.verify(token, NOW.plusSeconds(3600)));
        assertTrue(expired.getMessage().contains("expired"), expired.getMessage());
    }

    @Test
    void anotherSecretOrAnEditedPayloadIsRefused() {
        String token = links.sign("f1-abc", "u-ana", NOW.plusSeconds(60));
        String forged = new AckLinks("another-secret-0123456789").sign("f1-abc", "u-ana", NOW.plusSeconds(60));
        assertThrows(IllegalArgumentException.class, () -> links.verify(forged, NOW));
        String otherOwner = links.sign("f1-abc", "u-bob", NOW.plusSeconds(60));
        String spliced = otherOwner.substring(0, otherOwner.indexOf('.')) + token.substring(token.indexOf('.'));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> links.verify(spliced, NOW));
        assertTrue(e.getMessage().contains("signature"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> links.verify("garbage", NOW));
        assertThrows(IllegalArgumentException.class, () -> links.verify(null, NOW));
    }

    @Test
    void aLinkPointsAtTheIntakesAckEndpoint() {
        String url = links.link("https://handoff.example.com/", "f1-abc", "u-ana", NOW.plusSeconds(60));
        assertTrue(url.startsWith("https://handoff.example.com/v1/ack/"), url);
        assertEquals("u-ana", links.verify(url.substring(url.lastIndexOf('/') + 1), NOW).ownerId());
        assertThrows(IllegalArgumentException.class, () -> new AckLinks("short"));
    }
}

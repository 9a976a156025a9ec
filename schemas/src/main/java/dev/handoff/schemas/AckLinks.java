package dev.handoff.schemas;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;

/**
 * Signed, expiring acknowledgement links: {@code base64url(findingId|ownerId|expiryMillis).base64url(HMAC-SHA256)}.
 * The alerter puts them in owner notifications; {@code GET /v1/ack/{token}} turns a valid one into an
 * ACKNOWLEDGE by that owner. Nothing in the token is secret; the HMAC makes it unforgeable. The intake and the
 * alerter share this class and must be configured with the same secret.
 */
public final class AckLinks {

    /** What a valid link says. */
    public record Claims(String findingId, String ownerId, Instant expiresAt) {
    }

    private static final Base64.Encoder ENC = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DEC = Base64.getUrlDecoder();
    private final byte[] secret;

    public AckLinks(String secret) {
        Objects.requireNonNull(secret, "secret");
        if (secret.length() < 16) {
            throw new IllegalArgumentException("the acknowledgement-link secret (intake.ack.secret, alerter.ack.secret) must be at least 16 characters");
        }
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
    }

    public String sign(String findingId, String ownerId, Instant expiresAt) {
        if (findingId.contains("|") || ownerId.contains("|")) {
            throw new IllegalArgumentException("ids must not contain '|'");
        }
        byte[] payload = (findingId + "|" + ownerId + "|" + expiresAt.toEpochMilli()).getBytes(StandardCharsets.UTF_8);
        return ENC.encodeToString(payload) + "." + ENC.encodeToString(mac(payload));
    }

    /** The link an owner follows: {@code <intake base URL>/v1/ack/<token>}. */
    public String link(String intakeBaseUrl, String findingId, String ownerId, Instant expiresAt) {
        String base = intakeBaseUrl.endsWith("/") ? intakeBaseUrl.substring(0, intakeBaseUrl.length() - 1) : intakeBaseUrl;
        return base + "/v1/ack/" + sign(findingId, ownerId, expiresAt);
    }

    /** The claims of a valid, unexpired token; an IllegalArgumentException saying why otherwise. */
    public Claims verify(String token, Instant now) {
        int dot = token == null ? -1 : token.indexOf('.');
        if (dot <= 0) {
            throw new IllegalArgumentException("not an acknowledgement link token");
        }
        byte[] payload;
        byte[] given;
        try {
            payload = DEC.decode(token.substring(0, dot));
            given = DEC.decode(token.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an acknowledgement link token");
        }
        if (!MessageDigest.isEqual(mac(payload), given)) {
            throw new IllegalArgumentException("the link's signature is not valid");
        }
        String[] parts = new String(payload, StandardCharsets.UTF_8).split("\\|", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("not an acknowledgement link token");
        }
        Instant expires = Instant.ofEpochMilli(Long.parseLong(parts[2]));
        if (!now.isBefore(expires)) {
            throw new IllegalArgumentException("the link expired at " + expires);
        }
        return new Claims(parts[0], parts[1], expires);
    }

    private byte[] mac(byte[] payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(payload);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}

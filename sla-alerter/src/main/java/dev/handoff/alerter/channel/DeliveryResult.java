package dev.handoff.alerter.channel;

import java.time.Duration;
import java.util.Optional;

/** What one delivery attempt came to. Channels never throw for a failed delivery; they answer one of these. */
public sealed interface DeliveryResult {

    /** The channel accepted the message. */
    record Delivered(String detail) implements DeliveryResult {
    }

    /**
     * A transient failure (5xx, 408, 429, timeout, connection refused or reset, SMTP 4xx): try again later, after
     * {@code retryAfter} when the endpoint said so (429 {@code Retry-After}).
     */
    record Retry(String reason, Optional<Duration> retryAfter) implements DeliveryResult {
    }

    /**
     * A permanent failure (a 4xx other than 408 and 429, an SMTP 5xx, a payload the endpoint refuses): retrying will
     * not help; the message goes to the dead-letter topic with {@code response}.
     */
    record Failed(String reason, int status, String response) implements DeliveryResult {
    }

    static DeliveryResult delivered(String detail) {
        return new Delivered(detail);
    }

    static DeliveryResult retry(String reason) {
        return new Retry(reason, Optional.empty());
    }
}

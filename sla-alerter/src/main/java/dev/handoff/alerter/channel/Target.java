package dev.handoff.alerter.channel;

import dev.handoff.avro.ChannelType;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A configured delivery endpoint. Targets come only from configuration ({@code alerter.target.<name>.*}); no URL in
 * event data is ever called.
 *
 * @param name       the configured name, for example {@code slack-appsec}; what receipts and metrics call it
 * @param type       the channel kind
 * @param url        the endpoint: webhook URL, Slack incoming-webhook URL, Teams workflow URL, PagerDuty Events API v2
 *                   URL ({@code https://events.pagerduty.com/v2/enqueue} by default); null for e-mail
 * @param secret     the generic webhook's HMAC-SHA256 signing secret; null otherwise
 * @param routingKey the PagerDuty integration (routing) key; null otherwise
 * @param mailTo     fixed e-mail recipients (a SOC mailbox); empty to send to the alert's recipient
 * @param timeout    how long one attempt may take (connect and answer)
 * @param perMinute  the most deliveries per minute to this target (the rate limit); 0 for no limit
 */
public record Target(String name, ChannelType type, URI url, String secret, String routingKey, List<String> mailTo,
                     Duration timeout, int perMinute) {

    public static final URI PAGERDUTY_EVENTS_V2 = URI.create("https://events.pagerduty.com/v2/enqueue");

    public Target {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(timeout, "timeout");
        mailTo = mailTo == null ? List.of() : List.copyOf(mailTo);
    }

    @Override
    public String toString() {
        return type.name().toLowerCase(java.util.Locale.ROOT) + ":" + name;
    }
}

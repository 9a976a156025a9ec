package dev.handoff.alerter.channel;

import dev.handoff.alerter.Alert;
import dev.handoff.avro.ChannelType;

/**
 * A delivery channel adapter: renders an {@link Alert} into the channel's own payload and delivers it to a configured
 * {@link Target}. One instance serves every target of its type and is called from several threads at once.
 * An adapter makes exactly one attempt per call; retries, back-off, rate limits and circuit breaking are the
 * dispatcher's. It must not throw for anything the endpoint does; it answers a {@link DeliveryResult}.
 */
public interface Channel {

    ChannelType type();

    DeliveryResult deliver(Target target, Alert alert);

    /**
     * Whether the endpoint itself drops a repeated message with the same idempotency key (PagerDuty's dedup_key, a
     * webhook receiver honouring Idempotency-Key). When a crash may have left a delivery half-done, the dispatcher
     * re-sends to such channels safely; to the others it re-sends and counts a possible duplicate.
     */
    boolean endpointDeduplicates();
}

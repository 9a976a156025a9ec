package dev.handoff.alerter;

import dev.handoff.alerter.channel.Channel;
import dev.handoff.avro.ChannelType;

import java.util.EnumMap;
import java.util.Map;

/** The channel adapters of a running alerter. */
public final class Channels {

    private Channels() {
    }

    /** Every channel kind Handoff ships, configured from {@code settings} (SMTP for e-mail). */
    public static Map<ChannelType, Channel> standard(AlerterSettings settings) {
        Map<ChannelType, Channel> channels = new EnumMap<>(ChannelType.class);
        // The adapters are registered here as they land (issue E); a kind without an adapter fails its deliveries
        // with a clear reason rather than silently.
        return channels;
    }
}

package dev.handoff.alerter;

import dev.handoff.alerter.channel.Channel;
import dev.handoff.alerter.channel.EmailChannel;
import dev.handoff.alerter.channel.HttpDelivery;
import dev.handoff.alerter.channel.PagerDutyChannel;
import dev.handoff.alerter.channel.SlackChannel;
import dev.handoff.alerter.channel.TeamsChannel;
import dev.handoff.alerter.channel.WebhookChannel;
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
        HttpDelivery http = new HttpDelivery();
        channels.put(ChannelType.WEBHOOK, new WebhookChannel(http));
        channels.put(ChannelType.SLACK, new SlackChannel(http));
        channels.put(ChannelType.TEAMS, new TeamsChannel(http));
        channels.put(ChannelType.PAGERDUTY, new PagerDutyChannel(http));
        // Without alerter.smtp.host the settings refuse e-mail targets, so no e-mail channel is needed.
        if (settings.smtp() != null) {
            channels.put(ChannelType.EMAIL, new EmailChannel(settings.smtp()));
        }
        return channels;
    }
}

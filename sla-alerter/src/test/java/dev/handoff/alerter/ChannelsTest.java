package dev.handoff.alerter;

import dev.handoff.alerter.channel.EmailChannel;
import dev.handoff.alerter.channel.PagerDutyChannel;
import dev.handoff.avro.ChannelType;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ChannelsTest {

    @Test
    void everyChannelKindHasItsAdapterOnceSmtpIsConfigured() {
        AlerterSettings settings = AlerterSettings.from(Map.of("alerter.smtp.host", "smtp.example.com",
                "alerter.smtp.from", "Handoff <handoff@example.com>"), Map.of());

        Map<ChannelType, ?> channels = Channels.standard(settings);

        assertEquals(EnumSet.allOf(ChannelType.class), channels.keySet());
        assertInstanceOf(PagerDutyChannel.class, channels.get(ChannelType.PAGERDUTY));
        assertInstanceOf(EmailChannel.class, channels.get(ChannelType.EMAIL));
    }

    @Test
    void withoutSmtpThereIsNoEmailChannel() {
        Map<ChannelType, ?> channels = Channels.standard(AlerterSettings.from(Map.of(), Map.of()));

        assertEquals(EnumSet.complementOf(EnumSet.of(ChannelType.EMAIL)), channels.keySet());
    }

    @Test
    void aSenderThatIsNoAddressStopsTheStart() {
        AlerterSettings settings = AlerterSettings.from(Map.of("alerter.smtp.host", "smtp.example.com",
                "alerter.smtp.from", "handoff at example dot com"), Map.of());

        assertThrows(IllegalArgumentException.class, () -> Channels.standard(settings));
    }
}

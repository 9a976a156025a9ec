package dev.handoff.alerter.channel;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.handoff.alerter.Alert;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.SeverityBand;
import jakarta.mail.BodyPart;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** EmailChannel against a real SMTP server (GreenMail), and a scripted one for the refusals GreenMail never gives. */
class EmailChannelTest {

    private static final String SMTP_USER = "handoff-sender";
    private static final String SMTP_PASSWORD = "s3cret-Pa55word";
    private static final Instant OCCURRED = Instant.parse("2026-11-23T09:30:00Z");
    private static final Instant DEADLINE = Instant.parse("2026-11-24T09:30:00Z");

    @RegisterExtension
    static final GreenMailExtension greenMail = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort())
            .withConfiguration(GreenMailConfiguration.aConfig().withUser("handoff@example.com", SMTP_USER, SMTP_PASSWORD));

    private static final Target EMAIL = new Target("email", ChannelType.EMAIL, null, null, null, List.of(), Duration.ofSeconds(10), 0);

    private static EmailChannel channelTo(int port) {
        return new EmailChannel(SmtpSettings.relay("127.0.0.1", port, "Handoff <handoff@example.com>"));
    }

    private static EmailChannel greenMailChannel() {
        return channelTo(greenMail.getSmtp().getPort());
    }

    private static Alert.Item item(String findingId, String title, SeverityBand band) {
        return new Alert.Item(findingId, title, band, "registry.example.com/payments/api:1.4.2", DEADLINE,
                "https://handoff.example.com/ack/" + findingId + "?sig=abc&u=u-42", List.of("CVE-2021-44228"), List.of("OWNER_UNKNOWN"));
    }

    private static Alert.Recipient dana() {
        return new Alert.Recipient("u-42", "Dana Engineer", "dana@example.com", null, null);
    }

    private static Alert notification(String title, String idempotencyKey) {
        return new Alert(DispatchKind.OWNER_NOTIFICATION, Alert.Action.TRIGGER, "n-f1", idempotencyKey, "handoff/f1/OWNER_NOTIFICATION",
                "New finding for you: " + title, "A critical finding on payments api was routed to you.\nPlease acknowledge it.",
                SeverityBand.CRITICAL, OCCURRED, dana(), List.of(item("f1", title, SeverityBand.CRITICAL)), null);
    }

    private static Alert notification() {
        return notification("Log4Shell in payments api", "n-f1");
    }

    @Test
    void alertArrivesAsTextAndHtmlWithAckLinkMessageIdAndIdempotencyHeader() throws Exception {
        DeliveryResult result = greenMailChannel().deliver(EMAIL, notification());

        assertInstanceOf(DeliveryResult.Delivered.class, result, result.toString());
        MimeMessage message = onlyMessage();
        assertEquals("[Handoff] CRITICAL New finding for you: Log4Shell in payments api", message.getSubject());
        assertArrayEquals(new InternetAddress[]{new InternetAddress("dana@example.com")}, message.getRecipients(Message.RecipientType.TO));
        assertEquals("handoff@example.com", ((InternetAddress) message.getFrom()[0]).getAddress());
        assertEquals(greenMailChannel().messageId("n-f1"), message.getMessageID());
        assertTrue(message.getMessageID().matches("<[0-9a-f]{32}\\.handoff@example\\.com>"), message.getMessageID());
        assertEquals("n-f1", message.getHeader(EmailChannel.IDEMPOTENCY_HEADER, null));
        assertEquals("auto-generated", message.getHeader("Auto-Submitted", null));
        assertTrue(message.getContentType().startsWith("multipart/alternative"), message.getContentType());
        String text = part(message, "text/plain");
        String html = part(message, "text/html");
        assertTrue(text.contains("Log4Shell in payments api"), text);
        assertTrue(text.contains("Acknowledge: https://handoff.example.com/ack/f1?sig=abc&u=u-42"), text);
        assertTrue(text.contains("Deadline:         2026-11-24 09:30 UTC"), text);
        assertTrue(text.contains("CVE-2021-44228"), text);
        assertTrue(html.contains("<a href=\"https://handoff.example.com/ack/f1?sig=abc&amp;u=u-42\""), html);
        assertTrue(html.contains(">Acknowledge</a>"), html);
        assertTrue(html.contains("A critical finding on payments api was routed to you.<br>"), html);
    }

    @Test
    void everythingFromDataIsEscapedInTheHtmlPart() throws Exception {
        String title = "<script>alert('x')</script> & \"quoted\" in <b>bold</b>";

        greenMailChannel().deliver(EMAIL, notification(title, "n-xss"));

        MimeMessage message = onlyMessage();
        String html = part(message, "text/html");
        assertFalse(html.contains("<script>"), html);
        assertFalse(html.contains("<b>bold</b>"), html);
        assertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot; in &lt;b&gt;bold&lt;/b&gt;"), html);
        assertTrue(message.getSubject().contains(title), message.getSubject());
        assertTrue(part(message, "text/plain").contains(title));
    }

    @Test
    void digestListsEveryFindingWithItsOwnAckLink() throws Exception {
        List<Alert.Item> items = IntStream.range(0, 3).mapToObj(i -> item("f" + i, "finding " + i, SeverityBand.HIGH)).toList();
        Alert digest = new Alert(DispatchKind.DIGEST, Alert.Action.TRIGGER, "d-1", "d-1", "handoff/d-1/DIGEST",
                "3 findings wait for your acknowledgement", "Three findings were routed to you today.", SeverityBand.HIGH,
                OCCURRED, dana(), items, null);

        greenMailChannel().deliver(EMAIL, digest);

        MimeMessage message = onlyMessage();
        assertEquals("[Handoff] Digest: 3 findings", message.getSubject());
        String text = part(message, "text/plain");
        String html = part(message, "text/html");
        for (int i = 0; i < 3; i++) {
            assertTrue(text.contains(i + 1 + ". [HIGH] finding " + i), text);
            assertTrue(text.contains("Acknowledge: https://handoff.example.com/ack/f" + i + "?"), text);
            assertTrue(html.contains("href=\"https://handoff.example.com/ack/f" + i + "?sig=abc&amp;u=u-42\""), html);
        }
    }

    @Test
    void targetMailToReplacesTheRecipientsAddress() throws Exception {
        Target soc = new Target("soc-mail", ChannelType.EMAIL, null, null, null,
                List.of("soc@example.com", "Duty Officer <duty@example.com>"), Duration.ofSeconds(10), 0);

        DeliveryResult result = greenMailChannel().deliver(soc, notification());

        assertInstanceOf(DeliveryResult.Delivered.class, result, result.toString());
        assertTrue(greenMail.waitForIncomingEmail(10_000, 2));
        MimeMessage[] received = greenMail.getReceivedMessages();
        assertEquals(2, received.length);
        List<String> to = Arrays.stream(received[0].getRecipients(Message.RecipientType.TO))
                .map(a -> ((InternetAddress) a).getAddress()).toList();
        assertEquals(List.of("soc@example.com", "duty@example.com"), to);
        assertNull(greenMail.getUserManager().getUserByEmail("dana@example.com"), "the owner got a copy");
    }

    @Test
    void noAddressFailsWithoutConnecting() {
        Alert.Recipient noMail = new Alert.Recipient("u-7", "No Mail", null, "U07", null);
        Alert alert = notification();
        Alert toNoMail = new Alert(alert.kind(), alert.action(), alert.alertId(), alert.idempotencyKey(), alert.dedupKey(),
                alert.headline(), alert.summary(), alert.band(), alert.occurredAt(), noMail, alert.items(), alert.level());

        DeliveryResult result = greenMailChannel().deliver(EMAIL, toNoMail);

        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, result);
        assertTrue(failed.reason().contains("no e-mail address"), failed.reason());
        assertTrue(failed.reason().contains("alerter.target.email.mail-to"), failed.reason());
        assertEquals(0, greenMail.getReceivedMessages().length);
    }

    @Test
    void invalidAddressFails() {
        Target broken = new Target("soc-mail", ChannelType.EMAIL, null, null, null, List.of("soc at example dot com"), Duration.ofSeconds(10), 0);

        DeliveryResult result = greenMailChannel().deliver(broken, notification());

        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, result);
        assertTrue(failed.reason().contains("invalid e-mail address 'soc at example dot com'"), failed.reason());
    }

    @Test
    void aResentAlertCarriesTheSameMessageId() throws Exception {
        EmailChannel channel = greenMailChannel();
        channel.deliver(EMAIL, notification());
        channel.deliver(EMAIL, notification());
        channel.deliver(EMAIL, notification("Log4Shell in payments api", "n-f1-reminder"));

        assertTrue(greenMail.waitForIncomingEmail(10_000, 3));
        MimeMessage[] received = greenMail.getReceivedMessages();
        assertEquals(3, received.length);
        assertEquals(received[0].getMessageID(), received[1].getMessageID());
        assertNotEquals(received[0].getMessageID(), received[2].getMessageID());
        assertEquals(received[0].getHeader("References", null), received[2].getHeader("References", null));
    }

    @Test
    void resolveIsAShortNoteThreadedWithItsAlert() throws Exception {
        Alert trigger = notification();
        Alert resolve = dev.handoff.alerter.Alerts.resolve(trigger, "Acknowledged by u-42.", OCCURRED);

        greenMailChannel().deliver(EMAIL, trigger);
        greenMailChannel().deliver(EMAIL, resolve);

        assertTrue(greenMail.waitForIncomingEmail(10_000, 2));
        MimeMessage[] received = greenMail.getReceivedMessages();
        MimeMessage note = received[1];
        assertEquals("[Handoff] Resolved: New finding for you: Log4Shell in payments api", note.getSubject());
        String text = part(note, "text/plain");
        assertTrue(text.startsWith("Resolved\nResolved: New finding for you"), text);
        assertTrue(text.contains("Acknowledged by u-42."), text);
        assertFalse(text.contains("Acknowledge:"), "a resolved finding needs no ack link");
        assertFalse(part(note, "text/html").contains(">Acknowledge</a>"), "a resolved finding needs no ack button");
        assertEquals(received[0].getHeader("References", null), note.getHeader("References", null));
        assertNotEquals(received[0].getMessageID(), note.getMessageID());
    }

    @Test
    void resolveWithTheTriggersHeadlineSaysResolvedOnce() {
        Alert trigger = notification();
        Alert resolve = new Alert(trigger.kind(), Alert.Action.RESOLVE, trigger.alertId(), "n-f1-resolve", trigger.dedupKey(),
                trigger.headline(), "Acknowledged.", trigger.band(), OCCURRED, dana(), trigger.items(), null);

        assertEquals("[Handoff] Resolved: New finding for you: Log4Shell in payments api", EmailContent.subject(resolve));
    }

    @Test
    void closedPortRetries() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }

        DeliveryResult result = channelTo(port).deliver(EMAIL, notification());

        DeliveryResult.Retry retry = assertInstanceOf(DeliveryResult.Retry.class, result);
        assertTrue(retry.reason().contains("cannot reach SMTP server 127.0.0.1:" + port), retry.reason());
    }

    @Test
    void serverThatNeverGreetsRetriesAfterTheTargetTimeout() throws IOException {
        try (SmtpResponder silent = SmtpResponder.silent()) {
            Target quick = new Target("email", ChannelType.EMAIL, null, null, null, List.of(), Duration.ofMillis(300), 0);

            DeliveryResult result = channelTo(silent.port()).deliver(quick, notification());

            assertInstanceOf(DeliveryResult.Retry.class, result, result.toString());
        }
    }

    @Test
    void unknownMailbox550FailsWithTheServersReply() throws IOException {
        try (SmtpResponder smtp = SmtpResponder.answering(Map.of("RCPT", "550 5.1.1 <dana@example.com>: Recipient address rejected: User unknown"))) {
            DeliveryResult result = channelTo(smtp.port()).deliver(EMAIL, notification());

            DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, result);
            assertEquals(550, failed.status());
            assertTrue(failed.response().contains("User unknown"), failed.response());
            assertFalse(smtp.commands().contains("DATA"), "the message was sent after all: " + smtp.commands());
        }
    }

    @Test
    void greylisting451Retries() throws IOException {
        try (SmtpResponder smtp = SmtpResponder.answering(Map.of("RCPT", "451 4.7.1 Greylisted, please try again later"))) {
            DeliveryResult result = channelTo(smtp.port()).deliver(EMAIL, notification());

            DeliveryResult.Retry retry = assertInstanceOf(DeliveryResult.Retry.class, result);
            assertTrue(retry.reason().contains("451"), retry.reason());
        }
    }

    @Test
    void aPermanentRefusalOfOneRecipientFailsEvenWhenAnotherIsOnlyDeferred() throws IOException {
        Target two = new Target("soc-mail", ChannelType.EMAIL, null, null, null, List.of("a@example.com", "b@example.com"),
                Duration.ofSeconds(10), 0);
        try (SmtpResponder smtp = SmtpResponder.answering(Map.of("RCPT", "451 4.7.1 Greylisted||550 5.1.1 User unknown"))) {
            assertInstanceOf(DeliveryResult.Failed.class, channelTo(smtp.port()).deliver(two, notification()));
        }
    }

    @Test
    void messageRefusedAfterData554Fails() throws IOException {
        try (SmtpResponder smtp = SmtpResponder.answering(Map.of(".", "554 5.7.1 Message rejected as spam"))) {
            DeliveryResult result = channelTo(smtp.port()).deliver(EMAIL, notification());

            DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, result);
            assertEquals(554, failed.status());
            assertTrue(failed.response().contains("rejected as spam"), failed.response());
        }
    }

    @Test
    void busyServerGreeting421Retries() throws IOException {
        try (SmtpResponder smtp = SmtpResponder.answering(Map.of("GREETING", "421 4.3.2 Service not available, closing channel"))) {
            DeliveryResult result = channelTo(smtp.port()).deliver(EMAIL, notification());

            assertInstanceOf(DeliveryResult.Retry.class, result, result.toString());
        }
    }

    @Test
    void refusingGreeting554Fails() throws IOException {
        try (SmtpResponder smtp = SmtpResponder.answering(Map.of("GREETING", "554 5.7.1 No SMTP service here"))) {
            DeliveryResult result = channelTo(smtp.port()).deliver(EMAIL, notification());

            DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, result, result.toString());
            assertEquals(554, failed.status());
        }
    }

    @Test
    void authenticatesWithTheConfiguredCredentials() throws Exception {
        SmtpSettings settings = new SmtpSettings("127.0.0.1", greenMail.getSmtp().getPort(), "handoff@example.com", SMTP_USER,
                SMTP_PASSWORD, false, Duration.ofSeconds(5));

        DeliveryResult result = new EmailChannel(settings).deliver(EMAIL, notification());

        assertInstanceOf(DeliveryResult.Delivered.class, result, result.toString());
        onlyMessage();
    }

    @Test
    void wrongPasswordFailsAndNeverShowsThePassword() {
        String wrong = "wr0ng-Pa55word";
        SmtpSettings settings = new SmtpSettings("127.0.0.1", greenMail.getSmtp().getPort(), "handoff@example.com", SMTP_USER,
                wrong, false, null);

        DeliveryResult result = new EmailChannel(settings).deliver(EMAIL, notification());

        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, result, result.toString());
        assertEquals(535, failed.status());
        assertFalse(failed.toString().contains(wrong), failed.toString());
        assertFalse(settings.toString().contains(wrong), settings.toString());
        assertEquals(0, greenMail.getReceivedMessages().length);
    }

    @Test
    void settingsThatCannotWorkAreRefusedWhenTheChannelIsBuilt() {
        assertThrows(IllegalArgumentException.class, () -> new EmailChannel(SmtpSettings.relay(" ", 25, "handoff@example.com")));
        assertThrows(IllegalArgumentException.class, () -> new EmailChannel(SmtpSettings.relay("smtp.example.com", 0, "handoff@example.com")));
        assertThrows(IllegalArgumentException.class, () -> new EmailChannel(new SmtpSettings("smtp.example.com", 25, "handoff@example.com",
                null, null, false, Duration.ZERO)));
        IllegalArgumentException badFrom = assertThrows(IllegalArgumentException.class,
                () -> new EmailChannel(SmtpSettings.relay("smtp.example.com", 25, "not an address")));
        assertTrue(badFrom.getMessage().contains("alerter.smtp.from"), badFrom.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new EmailChannel(SmtpSettings.relay("smtp.example.com", 25, null)));
    }

    @Test
    void aTargetOfAnotherTypeFails() {
        Target slack = new Target("slack-appsec", ChannelType.SLACK, null, null, null, List.of(), Duration.ofSeconds(1), 0);

        DeliveryResult result = greenMailChannel().deliver(slack, notification());

        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, result);
        assertTrue(failed.reason().contains("alerter.target.slack-appsec.type"), failed.reason());
    }

    private static MimeMessage onlyMessage() {
        assertTrue(greenMail.waitForIncomingEmail(10_000, 1), "no message arrived");
        MimeMessage[] received = greenMail.getReceivedMessages();
        assertEquals(1, received.length);
        return received[0];
    }

    private static String part(MimeMessage message, String type) throws MessagingException, IOException {
        MimeMultipart multipart = (MimeMultipart) message.getContent();
        for (int i = 0; i < multipart.getCount(); i++) {
            BodyPart part = multipart.getBodyPart(i);
            if (part.isMimeType(type)) {
                return ((String) part.getContent()).replace("\r\n", "\n");
            }
        }
        throw new AssertionError("no " + type + " part in " + message.getContentType());
    }
}

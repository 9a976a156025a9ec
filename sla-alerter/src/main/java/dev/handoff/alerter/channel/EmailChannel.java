package dev.handoff.alerter.channel;

import dev.handoff.alerter.Alert;
import dev.handoff.avro.ChannelType;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimeUtility;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;

import java.io.IOException;
import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Delivers alerts by e-mail over SMTP (Jakarta Mail, Angus): one multipart/alternative message, plain text and HTML,
 * to the target's fixed addresses ({@code mail-to}) or else the alert recipient's address. The {@code Message-ID} is
 * derived from the idempotency key, so a re-sent alert carries the same id and mail systems and readers can tell it
 * is the same message; SMTP itself does not drop it, so {@link #endpointDeduplicates()} is false.
 * <p>
 * Outcomes: the server accepting the message is {@link DeliveryResult.Delivered}; an SMTP 4xx reply, a refused
 * connection, a timeout or any other I/O failure is {@link DeliveryResult.Retry}; an SMTP 5xx reply (unknown
 * mailbox, relaying denied, authentication refused), an invalid address or no address at all is
 * {@link DeliveryResult.Failed} with the server's reply code and text.
 */
public final class EmailChannel implements Channel {

    /** The header carrying the alert's idempotency key, for mail rules and for recognising a re-send. */
    public static final String IDEMPOTENCY_HEADER = "X-Handoff-Idempotency-Key";

    private static final int KEPT_REPLY_CHARS = 500;

    private final SmtpSettings smtp;
    private final InternetAddress from;
    private final String idDomain;
    private final ConcurrentMap<Long, Session> sessions = new ConcurrentHashMap<>();

    /** @throws IllegalArgumentException when the settings cannot work: no host, no port, no valid sender address */
    public EmailChannel(SmtpSettings smtp) {
        this.smtp = Objects.requireNonNull(smtp, "smtp");
        if (smtp.host() == null || smtp.host().isBlank()) {
            throw new IllegalArgumentException("alerter.smtp.host is empty: set the SMTP server's host name");
        }
        if (smtp.port() < 1 || smtp.port() > 65_535) {
            throw new IllegalArgumentException("alerter.smtp.port " + smtp.port() + " is not a port: use 587 (submission) or 25");
        }
        if (smtp.timeout() != null && (smtp.timeout().isNegative() || smtp.timeout().isZero())) {
            throw new IllegalArgumentException("alerter.smtp.timeout must be positive, not " + smtp.timeout());
        }
        try {
            this.from = new InternetAddress(Objects.requireNonNullElse(smtp.from(), ""), true);
        } catch (AddressException e) {
            throw new IllegalArgumentException("alerter.smtp.from '" + smtp.from() + "' is not an e-mail address: " + e.getMessage()
                    + "; use an address such as handoff@example.com or Handoff <handoff@example.com>", e);
        }
        String address = from.getAddress();
        this.idDomain = address.contains("@") ? address.substring(address.lastIndexOf('@') + 1) : "handoff.invalid";
    }

    @Override
    public ChannelType type() {
        return ChannelType.EMAIL;
    }

    @Override
    public boolean endpointDeduplicates() {
        return false;
    }

    @Override
    public DeliveryResult deliver(Target target, Alert alert) {
        if (target.type() != ChannelType.EMAIL) {
            return new DeliveryResult.Failed(target + " is configured as " + target.type() + " but was handed to the EMAIL channel; check alerter.target."
                    + target.name() + ".type", 0, "");
        }
        List<String> addresses = !target.mailTo().isEmpty() ? target.mailTo()
                : alert.recipient() == null || alert.recipient().email() == null || alert.recipient().email().isBlank() ? List.of()
                : List.of(alert.recipient().email());
        if (addresses.isEmpty()) {
            String who = alert.recipient() == null ? "this alert (it has no recipient)" : alert.recipient().ownerId();
            return new DeliveryResult.Failed("no e-mail address for " + who + ": set alerter.target." + target.name()
                    + ".mail-to or the owner's e-mail address in the directory", 0, "");
        }
        List<InternetAddress> to = new ArrayList<>();
        for (String address : addresses) {
            try {
                InternetAddress parsed = new InternetAddress(address.strip(), true);
                parsed.validate();
                to.add(parsed);
            } catch (AddressException e) {
                return new DeliveryResult.Failed("invalid e-mail address '" + address + "': " + e.getMessage(), 0, "");
            }
        }
        Session session = session(target.timeout());
        MimeMessage message;
        try {
            message = message(session, alert, to);
        } catch (MessagingException e) {
            return new DeliveryResult.Failed("cannot build the e-mail for alert " + alert.alertId() + ": " + e.getMessage(), 0, "");
        }
        return send(session, message, to);
    }

    private DeliveryResult send(Session session, MimeMessage message, List<InternetAddress> to) {
        String server = smtp.host() + ":" + smtp.port();
        Transport transport = null;
        try {
            transport = session.getTransport("smtp");
            transport.connect(smtp.host(), smtp.port(), smtp.username(), smtp.password());
            transport.sendMessage(message, to.toArray(InternetAddress[]::new));
            String reply = transport instanceof SMTPTransport t && t.getLastServerResponse() != null ? t.getLastServerResponse().strip() : "";
            return DeliveryResult.delivered("accepted by " + server + " for " + to.size() + (to.size() == 1 ? " recipient" : " recipients")
                    + (reply.isEmpty() ? "" : ": " + kept(reply)));
        } catch (MessagingException e) {
            int lastCode = transport instanceof SMTPTransport t ? t.getLastReturnCode() : -1;
            String lastReply = transport instanceof SMTPTransport t ? t.getLastServerResponse() : null;
            return withoutPassword(outcome(server, e, lastCode, lastReply));
        } finally {
            if (transport != null) {
                try {
                    transport.close();
                } catch (MessagingException ignored) {
                    // the outcome is decided; a failing QUIT changes nothing
                }
            }
        }
    }

    /** What a failed SMTP exchange means: 4xx and I/O retry, 5xx and everything else is permanent. */
    static DeliveryResult outcome(String server, MessagingException e, int lastCode, String lastReply) {
        int code = -1;
        String reply = null;
        String recipient = null;
        for (Throwable t = e; t != null; t = next(t)) {
            int c = replyCode(t);
            // A permanent refusal of any recipient decides the outcome: sending again would be refused again.
            if (c >= 400 && c < 600 && c > code) {
                code = c;
                reply = t.getMessage();
                recipient = t instanceof SMTPAddressFailedException a ? a.getAddress().getAddress() : null;
            }
        }
        IOException io = ioCause(e);
        if (code < 0 && io == null && lastCode >= 400 && lastCode < 600) {
            // Refusals outside a command (the greeting, AUTH) carry no code; the transport kept the last reply.
            code = lastCode;
            reply = lastReply;
        }
        if (code >= 400) {
            String kept = reply == null || reply.isBlank() ? Integer.toString(code) : kept(reply.strip());
            if (!kept.startsWith(Integer.toString(code))) {
                kept = code + " " + kept;
            }
            String what = "SMTP server " + server + (code >= 500 ? " refused" : " deferred") + " the message"
                    + (recipient == null ? "" : " for " + recipient) + ": " + kept;
            return code >= 500 ? new DeliveryResult.Failed(what, code, kept) : DeliveryResult.retry(what);
        }
        if (io != null) {
            return DeliveryResult.retry("cannot reach SMTP server " + server + ": " + e.getMessage() + " (" + io + ")");
        }
        return new DeliveryResult.Failed("SMTP delivery through " + server + " failed: " + e.getMessage(), 0, "");
    }

    private static int replyCode(Throwable t) {
        if (t instanceof SMTPAddressFailedException a) {
            return a.getReturnCode();
        }
        if (t instanceof SMTPSenderFailedException s) {
            return s.getReturnCode();
        }
        if (t instanceof SMTPSendFailedException s) {
            return s.getReturnCode();
        }
        return -1;
    }

    private static IOException ioCause(Throwable e) {
        for (Throwable t = e; t != null; t = next(t)) {
            if (t instanceof IOException io) {
                return io;
            }
        }
        return null;
    }

    private static Throwable next(Throwable t) {
        Throwable next = t instanceof MessagingException m ? m.getNextException() : t.getCause();
        return next == t ? null : next;
    }

    private MimeMessage message(Session session, Alert alert, List<InternetAddress> to) throws MessagingException {
        EmailContent content = EmailContent.render(alert);
        MimeMessage message = new FixedIdMessage(session, messageId(alert.idempotencyKey()));
        message.setFrom(from);
        message.setRecipients(MimeMessage.RecipientType.TO, to.toArray(InternetAddress[]::new));
        message.setSubject(content.subject(), "UTF-8");
        message.setSentDate(new Date());
        message.setHeader(IDEMPOTENCY_HEADER, headerValue(alert.idempotencyKey()));
        // Trigger and resolve of one finding and kind share it, so mail readers thread the acknowledgement under the alert.
        message.setHeader("References", "<" + hash(alert.dedupKey()) + ".thread.handoff@" + idDomain + ">");
        // RFC 3834: automatic mail; out-of-office replies and other auto-responders stay quiet.
        message.setHeader("Auto-Submitted", "auto-generated");
        message.setHeader("X-Auto-Response-Suppress", "All");
        MimeBodyPart text = new MimeBodyPart();
        text.setText(content.text(), "UTF-8", "plain");
        MimeBodyPart html = new MimeBodyPart();
        html.setText(content.html(), "UTF-8", "html");
        // multipart/alternative lists the plainest part first; readers show the last one they can render.
        MimeMultipart body = new MimeMultipart("alternative");
        body.addBodyPart(text);
        body.addBodyPart(html);
        message.setContent(body);
        message.saveChanges();
        return message;
    }

    /** The Message-ID of the alert with this idempotency key: the same key always gives the same id. */
    String messageId(String idempotencyKey) {
        return "<" + hash(idempotencyKey) + ".handoff@" + idDomain + ">";
    }

    private Session session(Duration targetTimeout) {
        Duration bounded = smtp.timeout() == null || smtp.timeout().compareTo(targetTimeout) > 0 ? targetTimeout : smtp.timeout();
        long millis = Math.max(1, bounded.toMillis());
        return sessions.computeIfAbsent(millis, k -> {
            Properties p = new Properties();
            p.setProperty("mail.transport.protocol", "smtp");
            p.setProperty("mail.smtp.host", smtp.host());
            p.setProperty("mail.smtp.port", Integer.toString(smtp.port()));
            p.setProperty("mail.smtp.from", from.getAddress());
            p.setProperty("mail.smtp.connectiontimeout", Long.toString(millis));
            p.setProperty("mail.smtp.timeout", Long.toString(millis));
            p.setProperty("mail.smtp.writetimeout", Long.toString(millis));
            p.setProperty("mail.smtp.auth", Boolean.toString(smtp.username() != null && !smtp.username().isBlank()));
            p.setProperty("mail.smtp.starttls.enable", Boolean.toString(smtp.starttls()));
            p.setProperty("mail.smtp.starttls.required", Boolean.toString(smtp.starttls()));
            p.setProperty("mail.smtp.ssl.checkserveridentity", "true");
            return Session.getInstance(p);
        });
    }

    private static String headerValue(String value) {
        String clean = EmailContent.oneLine(value);
        try {
            return MimeUtility.fold(IDEMPOTENCY_HEADER.length() + 2, MimeUtility.encodeText(clean, "UTF-8", null));
        } catch (UnsupportedEncodingException e) {
            throw new IllegalStateException("every JDK has UTF-8", e);
        }
    }

    private static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String kept(String reply) {
        return reply.length() <= KEPT_REPLY_CHARS ? reply : reply.substring(0, KEPT_REPLY_CHARS) + "…";
    }

    /** A server that echoes the AUTH exchange must not carry the password into logs and the dead-letter topic. */
    private DeliveryResult withoutPassword(DeliveryResult result) {
        String secret = smtp.password();
        if (secret == null || secret.isEmpty()) {
            return result;
        }
        if (result instanceof DeliveryResult.Failed f) {
            return new DeliveryResult.Failed(f.reason().replace(secret, "…"), f.status(), f.response().replace(secret, "…"));
        }
        if (result instanceof DeliveryResult.Retry r) {
            return new DeliveryResult.Retry(r.reason().replace(secret, "…"), r.retryAfter());
        }
        return result;
    }

    /** A message whose Message-ID is given rather than made up at random when it is saved. */
    private static final class FixedIdMessage extends MimeMessage {
        private final String messageId;

        FixedIdMessage(Session session, String messageId) {
            super(session);
            this.messageId = messageId;
        }

        @Override
        protected void updateMessageID() throws MessagingException {
            setHeader("Message-ID", messageId);
        }
    }
}

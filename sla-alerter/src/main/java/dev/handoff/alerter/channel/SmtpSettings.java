package dev.handoff.alerter.channel;

import java.time.Duration;

/**
 * The SMTP server e-mail targets send through ({@code alerter.smtp.*}). Checked by the settings parser, which reports
 * every problem at once, and by {@link EmailChannel} when it is built, so this record itself refuses nothing.
 *
 * @param host     the submission server's host name
 * @param port     its port: 587 for submission with STARTTLS, 25 for a relay
 * @param from     the sender, an address with an optional name: {@code Handoff <handoff@example.com>}
 * @param username the SMTP AUTH user; null to send without authenticating
 * @param password the SMTP AUTH password; never printed
 * @param starttls whether to require STARTTLS (certificate and host name checked), so neither the message nor the
 *                 credentials are ever sent in clear
 * @param timeout  how long connecting, and each server reply, may take; the target's timeout when that is shorter
 */
public record SmtpSettings(String host, int port, String from, String username, String password, boolean starttls, Duration timeout) {

    /** A server without authentication or STARTTLS (a local relay), with the targets' timeouts. */
    public static SmtpSettings relay(String host, int port, String from) {
        return new SmtpSettings(host, port, from, null, null, false, null);
    }

    @Override
    public String toString() {
        return "smtp://" + host + ":" + port + (username == null ? "" : " as " + username);
    }
}

package dev.handoff.alerter.channel;

import java.time.Duration;

/** The SMTP server e-mail targets send through ({@code alerter.smtp.*}). */
public record SmtpSettings(String host, int port, String from, String username, String password, boolean starttls, Duration timeout) {

    @Override
    public String toString() {
        return "smtp://" + host + ":" + port + (username == null ? "" : " as " + username);
    }
}

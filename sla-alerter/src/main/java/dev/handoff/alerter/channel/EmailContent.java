package dev.handoff.alerter.channel;

import dev.handoff.alerter.Alert;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.SeverityBand;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * What an alert says by e-mail: a subject, a plain-text body and the same as simple inline-styled HTML (mail clients
 * ignore style sheets). Every value from the alert is escaped in the HTML; only http and https acknowledgement links
 * become links.
 *
 * @param subject one line: {@code [Handoff] CRITICAL <headline>}, {@code [Handoff] Digest: 3 findings} or
 *                {@code [Handoff] Resolved: <headline>}
 * @param text    the plain-text part
 * @param html    the HTML part
 */
record EmailContent(String subject, String text, String html) {

    static final int MAX_SUBJECT = 200;
    private static final DateTimeFormatter DEADLINE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    static EmailContent render(Alert alert) {
        return new EmailContent(subject(alert), text(alert), html(alert));
    }

    static String subject(Alert alert) {
        String subject;
        if (alert.action() == Alert.Action.RESOLVE) {
            subject = "[Handoff] " + resolvedHeadline(alert);
        } else if (alert.kind() == DispatchKind.DIGEST) {
            subject = "[Handoff] Digest: " + alert.items().size() + (alert.items().size() == 1 ? " finding" : " findings");
        } else {
            subject = "[Handoff] " + alert.band() + " " + oneLine(alert.headline());
        }
        if (subject.length() <= MAX_SUBJECT) {
            return subject;
        }
        int end = Character.isHighSurrogate(subject.charAt(MAX_SUBJECT - 2)) ? MAX_SUBJECT - 2 : MAX_SUBJECT - 1;
        return subject.substring(0, end) + "…";
    }

    private static String text(Alert alert) {
        StringBuilder out = new StringBuilder();
        boolean resolve = alert.action() == Alert.Action.RESOLVE;
        out.append(resolve ? "Resolved" : alert.band() + " · " + kindLabel(alert)).append('\n');
        out.append(resolve ? resolvedHeadline(alert) : oneLine(alert.headline())).append("\n\n");
        out.append(alert.summary().strip()).append("\n\n");
        boolean single = alert.items().size() == 1;
        int n = 0;
        for (Alert.Item item : alert.items()) {
            n++;
            String indent = single ? "" : "   ";
            out.append(single ? "Finding:          " : n + ". [" + item.band() + "] ").append(oneLine(item.title())).append('\n');
            if (single) {
                out.append("Severity:         ").append(item.band()).append('\n');
            }
            line(out, indent + "Target:           ", item.target());
            line(out, indent + "Deadline:         ", item.deadline() == null ? null : DEADLINE.format(item.deadline()));
            line(out, indent + "Vulnerabilities:  ", String.join(", ", item.vulnerabilityIds()));
            line(out, indent + "Failure modes:    ", String.join(", ", item.failureModes()));
            line(out, indent + "Finding id:       ", item.findingId());
            if (!resolve && isWebLink(item.ackLink())) {
                out.append('\n').append(indent).append("Acknowledge: ").append(item.ackLink()).append('\n');
            }
            out.append('\n');
        }
        out.append("-- \n").append(footer(alert)).append('\n');
        return out.toString();
    }

    private static String html(Alert alert) {
        boolean resolve = alert.action() == Alert.Action.RESOLVE;
        StringBuilder out = new StringBuilder(4_096);
        out.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").append(escape(subject(alert)))
                .append("</title></head>\n<body style=\"margin:0;padding:16px;background:#f6f8fa;")
                .append("font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2328;\">\n")
                .append("<div style=\"max-width:640px;margin:0 auto;background:#ffffff;border:1px solid #d0d7de;")
                .append("border-radius:6px;padding:20px;\">\n");
        out.append("<p style=\"margin:0 0 8px 0;font-size:12px;color:#57606a;\">");
        if (resolve) {
            out.append(badge("RESOLVED", "#1a7f37", "#ffffff"));
        } else {
            out.append(bandBadge(alert.band())).append(" &nbsp;").append(escape(kindLabel(alert)));
        }
        out.append("</p>\n<h1 style=\"margin:0 0 12px 0;font-size:18px;line-height:1.3;\">")
                .append(escape(resolve ? resolvedHeadline(alert) : oneLine(alert.headline())))
                .append("</h1>\n<p style=\"margin:0 0 16px 0;font-size:14px;line-height:1.5;\">")
                .append(escape(alert.summary().strip()).replace("\n", "<br>\n")).append("</p>\n");
        for (Alert.Item item : alert.items()) {
            out.append("<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" style=\"width:100%;margin:0 0 16px 0;")
                    .append("border-top:1px solid #d0d7de;font-size:14px;\">\n")
                    .append("<tr><td colspan=\"2\" style=\"padding:12px 0 6px 0;font-weight:bold;\">").append(bandBadge(item.band()))
                    .append(" &nbsp;").append(escape(oneLine(item.title()))).append("</td></tr>\n");
            row(out, "Target", item.target());
            row(out, "Deadline", item.deadline() == null ? null : DEADLINE.format(item.deadline()));
            row(out, "Vulnerabilities", String.join(", ", item.vulnerabilityIds()));
            row(out, "Failure modes", String.join(", ", item.failureModes()));
            row(out, "Finding id", item.findingId());
            if (!resolve && isWebLink(item.ackLink())) {
                String href = escape(item.ackLink());
                out.append("<tr><td colspan=\"2\" style=\"padding:12px 0 4px 0;\">")
                        .append("<a href=\"").append(href).append("\" style=\"display:inline-block;padding:10px 18px;")
                        .append("background:#0969da;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold;\">")
                        .append("Acknowledge</a></td></tr>\n")
                        .append("<tr><td colspan=\"2\" style=\"padding:4px 0;font-size:12px;color:#57606a;\">")
                        .append("If the button does not work, open: <a href=\"").append(href).append("\" style=\"color:#0969da;\">")
                        .append(href).append("</a></td></tr>\n");
            }
            out.append("</table>\n");
        }
        out.append("<p style=\"margin:16px 0 0 0;font-size:12px;color:#57606a;\">").append(escape(footer(alert)))
                .append("</p>\n</div>\n</body></html>\n");
        return out.toString();
    }

    /**
     * A resolve's headline saying so once: the dispatcher's resolves already read {@code Resolved: <trigger headline>};
     * a resolve carrying the trigger's own headline gets the prefix here. The summary says why (acknowledged, fixed,
     * routed).
     */
    private static String resolvedHeadline(Alert alert) {
        String headline = oneLine(alert.headline());
        return headline.regionMatches(true, 0, "Resolved:", 0, "Resolved:".length()) ? headline : "Resolved: " + headline;
    }

    private static String footer(Alert alert) {
        String to = alert.recipient() == null ? "" : " to " + alert.recipient().displayName();
        return "Sent by Handoff" + to + " · alert " + alert.alertId();
    }

    private static String kindLabel(Alert alert) {
        String label = switch (alert.kind()) {
            case OWNER_NOTIFICATION -> "Finding routed to you";
            case ESCALATION -> "Escalation";
            case DIGEST -> "Digest: " + alert.items().size() + (alert.items().size() == 1 ? " finding" : " findings");
            case SLA_ALERT -> "SLA alert";
            case UNROUTED_ALERT -> "Unrouted findings";
        };
        return alert.level() == null ? label : label + " (" + alert.level() + ")";
    }

    private static void line(StringBuilder out, String label, String value) {
        if (value != null && !value.isBlank()) {
            out.append(label).append(oneLine(value)).append('\n');
        }
    }

    private static void row(StringBuilder out, String label, String value) {
        if (value != null && !value.isBlank()) {
            out.append("<tr><td style=\"padding:2px 12px 2px 0;color:#57606a;white-space:nowrap;vertical-align:top;\">")
                    .append(escape(label)).append("</td><td style=\"padding:2px 0;word-break:break-all;\">")
                    .append(escape(oneLine(value))).append("</td></tr>\n");
        }
    }

    private static String bandBadge(SeverityBand band) {
        return switch (band) {
            case CRITICAL -> badge("CRITICAL", "#b60205", "#ffffff");
            case HIGH -> badge("HIGH", "#d93f0b", "#ffffff");
            case MEDIUM -> badge("MEDIUM", "#fbca04", "#1f2328");
            case LOW -> badge("LOW", "#0e8a16", "#ffffff");
            case INFO -> badge("INFO", "#6e7781", "#ffffff");
        };
    }

    private static String badge(String label, String background, String color) {
        return "<span style=\"display:inline-block;padding:2px 8px;border-radius:10px;font-size:12px;font-weight:bold;"
                + "background:" + background + ";color:" + color + ";\">" + label + "</span>";
    }

    static boolean isWebLink(String link) {
        return link != null && (link.startsWith("https://") || link.startsWith("http://"));
    }

    static String oneLine(String text) {
        return text.replaceAll("\\p{Cntrl}+", " ").strip();
    }

    /** HTML text and attribute escaping: the five characters that can end a text run or a quoted attribute. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}

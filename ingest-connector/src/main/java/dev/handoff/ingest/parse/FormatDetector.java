package dev.handoff.ingest.parse;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises a report's format from its first bytes (at most {@link #PREFIX_BYTES}): the root element
 * of XML, and for JSON the keys each format's specification makes characteristic. Content only, never
 * the file name, so an upload named {@code report.json} of any format works.
 */
public final class FormatDetector {

    public static final int PREFIX_BYTES = 64 * 1024;

    private static final Pattern XML_ROOT = Pattern.compile("<([A-Za-z_][\\w.:-]*)[\\s>/]");
    private static final Pattern DOCTYPE = Pattern.compile("<!DOCTYPE", Pattern.CASE_INSENSITIVE);

    private FormatDetector() {
    }

    /** The format of a report starting with {@code prefix}; empty when nothing matches. */
    public static Optional<ReportFormat> detect(byte[] prefix, int length) {
        String t = text(prefix, length).stripLeading();
        if (t.startsWith("<")) {
            return xml(t);
        }
        if (t.startsWith("{") || t.startsWith("[")) {
            return json(t);
        }
        return csv(t);
    }

    /**
     * Whether an XML report declares a DOCTYPE before its root element (refused before any parsing).
     * JSON and CSV reports are never refused for the text "<!DOCTYPE" inside a value, which scanners of
     * web pages quote routinely.
     */
    public static boolean declaresDoctype(byte[] prefix, int length) {
        String t = text(prefix, length).stripLeading();
        if (!t.startsWith("<")) {
            return false;
        }
        String prolog = t.replaceAll("(?s)<\\?.*?\\?>", "").replaceAll("(?s)<!--.*?-->", "").stripLeading();
        return DOCTYPE.matcher(prolog).lookingAt();
    }

    /**
     * The prefix as text in the encoding its byte-order mark names, without the mark; UTF-8 without one. Windows tools
     * (PowerShell's Out-File among them) write UTF-16 with a mark, which the JSON and XML parsers read as it is.
     */
    private static String text(byte[] b, int length) {
        int skip = 0;
        Charset charset = StandardCharsets.UTF_8;
        if (length >= 4 && b[0] == 0 && b[1] == 0 && (b[2] & 0xff) == 0xfe && (b[3] & 0xff) == 0xff) {
            charset = Charset.forName("UTF-32BE");
            skip = 4;
        } else if (length >= 4 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xfe && b[2] == 0 && b[3] == 0) {
            charset = Charset.forName("UTF-32LE");
            skip = 4;
        } else if (length >= 2 && (b[0] & 0xff) == 0xfe && (b[1] & 0xff) == 0xff) {
            charset = StandardCharsets.UTF_16BE;
            skip = 2;
        } else if (length >= 2 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xfe) {
            charset = StandardCharsets.UTF_16LE;
            skip = 2;
        } else if (length >= 3 && (b[0] & 0xff) == 0xef && (b[1] & 0xff) == 0xbb && (b[2] & 0xff) == 0xbf) {
            skip = 3;
        }
        return new String(b, skip, length - skip, charset);
    }

    private static Optional<ReportFormat> xml(String t) {
        String body = t.replaceAll("(?s)<\\?.*?\\?>", "").replaceAll("(?s)<!--.*?-->", "");
        Matcher doctype = Pattern.compile("<!DOCTYPE\\s+([\\w.:-]+)", Pattern.CASE_INSENSITIVE).matcher(body);
        String root = null;
        if (doctype.find()) {
            root = doctype.group(1);
        } else {
            Matcher m = XML_ROOT.matcher(body);
            if (m.find()) {
                root = m.group(1);
            }
        }
        if (root == null) {
            return Optional.empty();
        }
        String local = root.contains(":") ? root.substring(root.indexOf(':') + 1) : root;
        return switch (local) {
            case "OWASPZAPReport" -> Optional.of(ReportFormat.ZAP_XML);
            case "NessusClientData_v2" -> Optional.of(ReportFormat.NESSUS);
            case "analysis" -> Optional.of(ReportFormat.DEPENDENCY_CHECK_XML);
            case "bom" -> Optional.of(ReportFormat.CYCLONEDX_XML);
            default -> Optional.empty();
        };
    }

    private static final Pattern GENERIC = Pattern.compile("\"format\"\\s*:\\s*\"handoff-generic\"");

    private static Optional<ReportFormat> json(String t) {
        if (GENERIC.matcher(t).find()) {
            return Optional.of(ReportFormat.GENERIC_JSON);
        }
        if (has(t, "\"ProductArn\"") || has(t, "\"AwsAccountId\"") || (has(t, "\"SchemaVersion\"") && t.contains("2018-10-08"))) {
            return Optional.of(ReportFormat.ASFF);
        }
        if (has(t, "\"bomFormat\"") && t.contains("CycloneDX")) {
            return Optional.of(ReportFormat.CYCLONEDX_JSON);
        }
        if (has(t, "\"runs\"") && (t.contains("sarif") || has(t, "\"version\""))) {
            return Optional.of(ReportFormat.SARIF);
        }
        if (has(t, "\"ArtifactName\"") || (has(t, "\"SchemaVersion\"") && has(t, "\"Results\""))) {
            return Optional.of(ReportFormat.TRIVY);
        }
        if (t.startsWith("[") && has(t, "\"Target\"") && (has(t, "\"Vulnerabilities\"") || has(t, "\"Class\"") || has(t, "\"Type\""))) {
            return Optional.of(ReportFormat.TRIVY); // Trivy's schema-less array of results, before schema 2
        }
        if (t.matches("(?s)^\\{\\s*\"matches\"\\s*:.*") || has(t, "\"matches\"") && (t.contains("grype") || has(t, "\"artifact\"") || has(t, "\"descriptor\""))) {
            return Optional.of(ReportFormat.GRYPE);
        }
        if (has(t, "\"@version\"") && has(t, "\"site\"")) {
            return Optional.of(ReportFormat.ZAP_JSON);
        }
        if (has(t, "\"reportSchema\"") || (has(t, "\"scanInfo\"") && has(t, "\"dependencies\""))) {
            return Optional.of(ReportFormat.DEPENDENCY_CHECK_JSON);
        }
        if (has(t, "\"vulnerabilityAlerts\"") || (has(t, "\"security_advisory\"") && has(t, "\"dependency\""))
                || has(t, "\"securityVulnerability\"")) {
            return Optional.of(ReportFormat.GITHUB_DEPENDABOT);
        }
        if (has(t, "\"most_recent_instance\"")) {
            return Optional.of(ReportFormat.GITHUB_CODE_SCANNING);
        }
        if (has(t, "\"auditReportVersion\"") || (has(t, "\"actions\"") && has(t, "\"resolves\"") && has(t, "\"isMajor\"")) || (has(t, "\"advisories\"") && (has(t, "\"actions\"") || has(t, "\"muted\"")))) {
            return Optional.of(ReportFormat.NPM_AUDIT);
        }
        if (has(t, "\"check_id\"") || (has(t, "\"results\"") && has(t, "\"errors\"") && has(t, "\"paths\""))) {
            return Optional.of(ReportFormat.SEMGREP);
        }
        if (has(t, "\"issue_severity\"") || has(t, "\"test_id\"") || (has(t, "\"generated_at\"") && has(t, "\"SEVERITY."))) {
            return Optional.of(ReportFormat.BANDIT);
        }
        if ((has(t, "\"RuleID\"") || has(t, "\"ruleID\"") || has(t, "\"offender\"")) && (has(t, "\"Secret\"") || has(t, "\"offender\"")
                || has(t, "\"Match\"") || has(t, "\"StartLine\""))) {
            return Optional.of(ReportFormat.GITLEAKS);
        }
        if (t.contains("handoff-generic")) {
            return Optional.of(ReportFormat.GENERIC_JSON);
        }
        return Optional.empty();
    }

    private static Optional<ReportFormat> csv(String t) {
        int nl = t.indexOf('\n');
        String header = (nl < 0 ? t : t.substring(0, nl)).toLowerCase(Locale.ROOT);
        if (header.contains("title") && header.contains("severity") && header.contains(",")) {
            return Optional.of(ReportFormat.GENERIC_CSV);
        }
        return Optional.empty();
    }

    private static boolean has(String t, String key) {
        return t.contains(key);
    }
}

package dev.handoff.schemas;

import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The one function that names a finding (DESIGN.md section 3): a stable fingerprint of the normalised
 * target, the vulnerability id and the location. Ingest, scanners that produce directly and tests all
 * call it, so the same weakness reported by several scanners or rescans is one finding, and
 * {@code findings.reported}, {@code findings.commands} and {@code notifications.receipts} are co-partitioned by it.
 */
public final class FindingIds {

    /** Bumped only with a migration: changing the function splits every open finding in two. */
    static final String VERSION = "v1";
    private static final String PREFIX = "f1-";

    /** The normalised parts a finding id is computed from; shown to people who ask why two findings merged. */
    public record Key(String target, String vulnerability, String location) {
        public Key {
            target = target == null ? "" : target;
            vulnerability = vulnerability == null ? "" : vulnerability;
            location = location == null ? "" : location;
        }

        public String canonical() {
            return VERSION + "\n" + target + "\n" + vulnerability + "\n" + location;
        }
    }

    private static final List<VulnerabilityIdKind> GLOBAL_KINDS =
            List.of(VulnerabilityIdKind.CVE, VulnerabilityIdKind.GHSA, VulnerabilityIdKind.OSV);

    // One digest per thread: MessageDigest.getInstance looks the provider up reflectively on every call,
    // and an id is computed for every finding of every report. digest() resets it for the next use.
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    });
    private static final HexFormat HEX = HexFormat.of();

    private FindingIds() {
    }

    public static String of(FindingReported finding) {
        return of(keyOf(finding));
    }

    /** A copy of {@code finding} with its {@code finding_id} set by this function. */
    public static FindingReported withId(FindingReported finding) {
        return FindingReported.newBuilder(finding).setFindingId(of(finding)).build();
    }

    public static String of(Key key) {
        byte[] digest = SHA_256.get().digest(key.canonical().getBytes(StandardCharsets.UTF_8));
        return PREFIX + HEX.formatHex(digest, 0, 16);
    }

    /** The normalised key of a reported finding; {@code finding_id} on the record is ignored. */
    public static Key keyOf(FindingReported finding) {
        FindingTarget t = finding.getTarget();
        return new Key(target(t), vulnerability(finding), location(t));
    }

    /**
     * The most specific deployable thing the finding is about: an explicit asset, else the image
     * repository (any tag or digest), the source repository, the host, the IP, the web origin, the
     * cloud resource; empty when the scanner named none.
     */
    static String target(FindingTarget t) {
        if (t == null) {
            return "";
        }
        // In order of preference, each normalised only when the ones before it are empty.
        String s = prefixed("asset:", lower(t.getAssetHint()));
        if (s.isEmpty()) {
            s = prefixed("image:", TargetNormaliser.image(t.getImage()));
        }
        if (s.isEmpty()) {
            s = prefixed("repo:", TargetNormaliser.repository(t.getRepository()));
        }
        if (s.isEmpty()) {
            s = prefixed("host:", TargetNormaliser.host(t.getHost()));
        }
        if (s.isEmpty()) {
            s = prefixed("ip:", lower(t.getIp()));
        }
        if (s.isEmpty()) {
            s = prefixed("web:", origin(t.getUrl()));
        }
        if (s.isEmpty()) {
            s = prefixed("cloud:", trim(t.getCloudResource()));
        }
        return s;
    }

    /** A global id when there is one (the smallest CVE, then GHSA, then OSV), else the tool's rule id, else the title. */
    static String vulnerability(FindingReported finding) {
        List<VulnerabilityId> ids = finding.getVulnerabilityIds() == null ? List.of() : finding.getVulnerabilityIds();
        for (VulnerabilityIdKind kind : GLOBAL_KINDS) {
            String global = null;
            for (VulnerabilityId v : ids) {
                if (v.getKind() == kind) {
                    String s = v.getId().trim().toUpperCase(Locale.ROOT);
                    if (!s.isEmpty() && (global == null || s.compareTo(global) < 0)) {
                        global = s;
                    }
                }
            }
            if (global != null) {
                return global;
            }
        }
        String tool = finding.getSourceTool() == null ? "" : lower(finding.getSourceTool().getName());
        String rule = null;
        for (VulnerabilityId v : ids) {
            if (v.getKind() == VulnerabilityIdKind.TOOL_RULE || v.getKind() == VulnerabilityIdKind.OTHER) {
                String s = v.getId().trim();
                if (!s.isEmpty() && (rule == null || s.compareTo(rule) < 0)) {
                    rule = s;
                }
            }
        }
        // Rule ids are only unique within one tool, so the tool name qualifies them.
        return rule != null ? "rule:" + tool + ":" + rule : "title:" + tool + ":" + trim(finding.getTitle()).toLowerCase(Locale.ROOT);
    }

    /** Where in the target: package@version (purl without qualifiers), else file:line, else URL path, else port. */
    static String location(FindingTarget t) {
        if (t == null) {
            return "";
        }
        String purl = purl(t.getPackagePurl());
        if (!purl.isEmpty()) {
            return purl;
        }
        String name = trim(t.getPackageName());
        if (!name.isEmpty()) {
            String version = trim(t.getPackageVersion());
            return "pkg:" + name.toLowerCase(Locale.ROOT) + (version.isEmpty() ? "" : "@" + version);
        }
        String path = path(t.getFilePath());
        if (!path.isEmpty()) {
            return t.getLine() == null ? path : path + ":" + t.getLine();
        }
        String urlPath = urlPath(t.getUrl());
        if (!urlPath.isEmpty()) {
            return urlPath;
        }
        if (t.getPort() != null) {
            return "port:" + t.getPort() + (t.getProtocol() == null ? "" : "/" + lower(t.getProtocol()));
        }
        return "";
    }

    private static String origin(String url) {
        String s = trim(url);
        int scheme = s.indexOf("://");
        if (scheme < 0) {
            return lower(s);
        }
        int end = s.indexOf('/', scheme + 3);
        return (end < 0 ? s : s.substring(0, end)).toLowerCase(Locale.ROOT);
    }

    private static String urlPath(String url) {
        String s = trim(url);
        int scheme = s.indexOf("://");
        if (scheme < 0) {
            return "";
        }
        int start = s.indexOf('/', scheme + 3);
        if (start < 0) {
            return "/";
        }
        String path = s.substring(start);
        int cut = path.indexOf('?');
        if (cut >= 0) {
            path = path.substring(0, cut);
        }
        cut = path.indexOf('#');
        return cut >= 0 ? path.substring(0, cut) : path;
    }

    private static String purl(String purl) {
        String s = trim(purl);
        if (s.isEmpty()) {
            return "";
        }
        int cut = s.indexOf('?');
        if (cut >= 0) {
            s = s.substring(0, cut);
        }
        cut = s.indexOf('#');
        if (cut >= 0) {
            s = s.substring(0, cut);
        }
        // Type and namespace are case-insensitive in the purl spec for the common ecosystems; the version is not.
        int at = s.lastIndexOf('@');
        return at < 0 ? s.toLowerCase(Locale.ROOT) : s.substring(0, at).toLowerCase(Locale.ROOT) + s.substring(at);
    }

    private static String path(String path) {
        String s = trim(path).replace('\\', '/');
        while (s.startsWith("./")) {
            s = s.substring(2);
        }
        if (s.startsWith("file://")) {
            s = s.substring("file://".length());
        }
        while (s.startsWith("/")) {
            s = s.substring(1);
        }
        return s;
    }

    private static String prefixed(String prefix, String value) {
        return value.isEmpty() ? "" : prefix + value;
    }

    private static String trim(String s) {
        return s == null ? "" : s.trim();
    }

    private static String lower(String s) {
        return trim(s).toLowerCase(Locale.ROOT);
    }
}

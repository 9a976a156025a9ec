package dev.handoff.streams.routing;

import dev.handoff.schemas.TargetNormaliser;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Canonical forms of asset aliases and finding targets, so both sides of a binding compare equal.
 *
 * <p>Image, repository, host and purl forms follow the private helpers of
 * {@code dev.handoff.schemas.FindingIds} (a finding's id and its binding must agree on what "the same
 * target" means); URL prefixes and purl versions are binding-only concerns and live here alone.
 */
public final class AliasNormaliser {

    private static final Pattern SCHEME = Pattern.compile("[a-z][a-z0-9+.-]*");
    private static final Pattern PORT = Pattern.compile("\\d{1,5}");

    /** A web URL split into what URL-prefix matching compares: scheme, host, explicit non-default port, path segments. */
    public record WebUrl(String scheme, String host, int port, List<String> segments) {

        public WebUrl {
            segments = List.copyOf(segments);
        }

        /** {@code scheme://host[:port]}, the port only when it is not the scheme's default. */
        public String origin() {
            return scheme + "://" + host + (port < 0 ? "" : ":" + port);
        }

        /** The origin followed by the first {@code depth} path segments, without a trailing slash. */
        public String prefix(int depth) {
            StringBuilder b = new StringBuilder(origin());
            for (int i = 0; i < depth; i++) {
                b.append('/').append(segments.get(i));
            }
            return b.toString();
        }

        /** The host without IPv6 brackets, for host and IP matching. */
        public String bareHost() {
            return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        }
    }

    private AliasNormaliser() {
    }

    /** Lower case, trimmed, without the trailing root dot; empty when absent or not a plausible host name. */
    public static String hostname(String host) {
        String s = lower(host);
        if (s.endsWith(".")) {
            s = s.substring(0, s.length() - 1);
        }
        return s.isEmpty() || s.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/') ? "" : s;
    }

    /** Image repository without tag or digest and without Docker Hub's implicit {@code docker.io/} and {@code library/}. */
    public static String image(String image) {
        return TargetNormaliser.image(image);
    }

    /**
     * Source repository as {@code host/path} (or the bare {@code owner/name} it was given as): lower case,
     * without scheme, {@code user@}, {@code .git} and trailing slash; {@code git@host:path} becomes {@code host/path}.
     */
    public static String repository(String repo) {
        return TargetNormaliser.repository(repo);
    }

    /**
     * The {@code owner/name} of a hosted two-level repository ({@code github.com/acme/shop} gives {@code acme/shop}),
     * empty for a bare name, a deeper path (GitLab subgroups) or no host; input is a {@link #repository} result.
     */
    public static String repositoryOwnerName(String normalised) {
        String[] parts = normalised.split("/", -1);
        if (parts.length != 3 || !isHostLike(parts[0]) || parts[1].isEmpty() || parts[2].isEmpty()) {
            return "";
        }
        return parts[1] + "/" + parts[2];
    }

    /** True when a normalised repository names no host, as in {@code acme/shop}. */
    public static boolean isBareRepository(String normalised) {
        int slash = normalised.indexOf('/');
        return slash > 0 && !isHostLike(normalised.substring(0, slash));
    }

    /**
     * A purl without version, qualifiers and subpath, lower case, the npm scope's {@code @} percent-encoded as the
     * purl spec writes it; empty when the input is not a {@code pkg:type/name} purl.
     */
    public static String purlWithoutVersion(String purl) {
        String s = trim(purl);
        if (!s.regionMatches(true, 0, "pkg:", 0, 4)) {
            return "";
        }
        s = "pkg:" + s.substring(4).replaceFirst("^/+", "");
        int cut = s.indexOf('#');
        if (cut >= 0) {
            s = s.substring(0, cut);
        }
        cut = s.indexOf('?');
        if (cut >= 0) {
            s = s.substring(0, cut);
        }
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        int lastSlash = s.lastIndexOf('/');
        if (lastSlash < 0) {
            return "";
        }
        // The version is the '@' inside the last segment; an earlier '@' is an unencoded npm scope.
        int at = s.indexOf('@', lastSlash);
        if (at >= 0) {
            s = s.substring(0, at);
        }
        if (s.endsWith("/") || s.indexOf('/') <= "pkg:".length()) {
            return "";
        }
        return s.toLowerCase(Locale.ROOT).replace("@", "%40");
    }

    /**
     * A cloud resource id or prefix, trimmed, a trailing {@code *} wildcard dropped (it means "prefix" anyway);
     * empty when blank or containing white space. Case is kept: ARN resource parts are case-sensitive.
     */
    public static String cloudResource(String resource) {
        String s = trim(resource);
        if (s.endsWith("*")) {
            s = s.substring(0, s.length() - 1);
        }
        return s.isEmpty() || s.chars().anyMatch(Character::isWhitespace) ? "" : s;
    }

    /**
     * Parses a web URL; a URL without scheme takes {@code schemeIfMissing} (empty result when that is null).
     * Host is lower-cased without trailing dot, user info dropped, a default port (80, 443, 21) removed,
     * empty and {@code .} path segments dropped and {@code ..} applied; query and fragment are ignored.
     */
    public static Optional<WebUrl> webUrl(String url, String schemeIfMissing) {
        String s = trim(url);
        int sep = s.indexOf("://");
        String scheme;
        if (sep >= 0) {
            scheme = s.substring(0, sep).toLowerCase(Locale.ROOT);
            s = s.substring(sep + 3);
        } else {
            scheme = schemeIfMissing;
        }
        if (scheme == null || !SCHEME.matcher(scheme).matches()) {
            return Optional.empty();
        }
        int end = firstOf(s, "/?#");
        String authority = s.substring(0, end);
        String rest = s.substring(end);
        authority = authority.substring(authority.lastIndexOf('@') + 1);

        String host;
        String portText = "";
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0) {
                return Optional.empty();
            }
            host = authority.substring(0, close + 1);
            String after = authority.substring(close + 1);
            if (!after.isEmpty()) {
                if (!after.startsWith(":")) {
                    return Optional.empty();
                }
                portText = after.substring(1);
            }
        } else {
            int colon = authority.lastIndexOf(':');
            host = colon < 0 ? authority : authority.substring(0, colon);
            portText = colon < 0 ? "" : authority.substring(colon + 1);
            host = hostname(host);
            if (host.contains(":")) {
                return Optional.empty();
            }
        }
        host = host.toLowerCase(Locale.ROOT);
        if (host.isEmpty() || host.equals("[]")) {
            return Optional.empty();
        }
        int port = -1;
        if (!portText.isEmpty()) {
            if (!PORT.matcher(portText).matches() || Integer.parseInt(portText) > 65535) {
                return Optional.empty();
            }
            port = Integer.parseInt(portText);
            if (port == defaultPort(scheme)) {
                port = -1;
            }
        }
        return Optional.of(new WebUrl(scheme, host, port, segments(rest)));
    }

    private static List<String> segments(String pathQueryFragment) {
        String path = pathQueryFragment.substring(0, firstOf(pathQueryFragment, "?#"));
        List<String> out = new ArrayList<>();
        for (String seg : path.split("/")) {
            if (seg.isEmpty() || seg.equals(".")) {
                continue;
            }
            if (seg.equals("..")) {
                if (!out.isEmpty()) {
                    out.remove(out.size() - 1);
                }
                continue;
            }
            out.add(seg);
        }
        return out;
    }

    private static int defaultPort(String scheme) {
        switch (scheme) {
            case "http":
            case "ws":
                return 80;
            case "https":
            case "wss":
                return 443;
            case "ftp":
                return 21;
            default:
                return -2;
        }
    }

    private static boolean isHostLike(String segment) {
        return segment.contains(".") || segment.contains(":") || segment.equals("localhost");
    }

    private static int firstOf(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return s.length();
    }

    private static String trim(String s) {
        return s == null ? "" : s.trim();
    }

    private static String lower(String s) {
        return trim(s).toLowerCase(Locale.ROOT);
    }
}

package dev.handoff.schemas;

import java.util.Locale;

/**
 * The normal forms of finding targets shared by the finding id ({@link FindingIds}) and asset binding
 * (the streams app's alias index): one definition, so a finding's identity and the asset it binds to
 * can never disagree about what counts as the same image or repository.
 */
public final class TargetNormaliser {

    private TargetNormaliser() {
    }

    /** Image repository without tag or digest and without Docker Hub's implicit {@code docker.io/} and {@code library/}. */
    public static String image(String image) {
        String s = lower(image);
        int at = s.indexOf('@');
        if (at >= 0) {
            s = s.substring(0, at);
        }
        int slash = s.lastIndexOf('/');
        int colon = s.lastIndexOf(':');
        // A colon before the last slash is a registry port ("registry:5000/team/api"), not a tag.
        if (colon > slash) {
            s = s.substring(0, colon);
        }
        if (s.startsWith("docker.io/")) {
            s = s.substring("docker.io/".length());
        }
        if (s.startsWith("library/")) {
            s = s.substring("library/".length());
        }
        return s;
    }

    /**
     * Source repository as {@code host/path} (or the bare {@code owner/name} it was given as): lower case,
     * without scheme, {@code user@}, {@code .git} and trailing slash; {@code git@host:path} becomes {@code host/path}.
     */
    // Compiled once: repository() runs for every finding of every report.
    private static final java.util.regex.Pattern SCHEME = java.util.regex.Pattern.compile("^[a-z+]+://");
    private static final java.util.regex.Pattern SCP_LIKE = java.util.regex.Pattern.compile("^git@([^:]+):");
    private static final java.util.regex.Pattern USER_INFO = java.util.regex.Pattern.compile("^[^@/]+@");

    public static String repository(String repo) {
        String s = lower(repo);
        if (s.isEmpty()) {
            return s; // most findings name no repository; skip the three regexes
        }
        s = SCHEME.matcher(s).replaceFirst("");
        s = SCP_LIKE.matcher(s).replaceFirst("$1/");
        s = USER_INFO.matcher(s).replaceFirst("");
        if (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        if (s.endsWith(".git")) {
            s = s.substring(0, s.length() - 4);
        }
        return s;
    }

    /** Host name in lower case without the trailing dot of a fully qualified name. */
    public static String host(String host) {
        String s = lower(host);
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    static String lower(String s) {
        return s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
    }
}

package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportInput;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the dependency-scan parsers (Trivy, Grype, npm audit, GitHub Dependabot) share: reading one small
 * sub-object at a time, shape errors with positions, id classification, CVSS versions, package URLs,
 * image references, and a disk spool for items that arrive before the context they need.
 */
final class DependencyReports {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private static final Pattern CVE = Pattern.compile("(?i)CVE-\\d{4}-\\d{4,}");
    private static final Pattern GHSA = Pattern.compile("(?i)GHSA(-[a-z0-9]{4}){3}");
    /** OSV ecosystems' own id prefixes (ossf/osv-schema "id" prefixes), compared upper-case. */
    private static final String[] OSV_PREFIXES = {"OSV-", "PYSEC-", "GO-", "RUSTSEC-", "GSD-", "MAL-", "UVI-", "PSF-",
        "OSS-FUZZ-", "RSEC-", "RXSA-", "BIT-", "CURL-", "LBSEC-", "HSEC-", "DRUPAL-", "MGASA-", "DTSA-"};
    private static final Pattern CVSS_PREFIX = Pattern.compile("^CVSS:(\\d\\.\\d)/");

    private DependencyReports() {
    }

    // ------------------------------------------------------------------ streaming and shape

    /** A report that is valid JSON but not the shape its format requires, at the parser's current token. */
    static ReportException shape(JsonParser p, String message) {
        JsonLocation at = p.currentTokenLocation();
        return shape(message, at == null ? -1 : at.getLineNr(), at == null ? -1 : at.getColumnNr());
    }

    static ReportException shape(String message, long line, long column) {
        return new ReportException(ReportException.Kind.MALFORMED, message, line, column, null);
    }

    /** The first token of the report; an empty input is malformed. */
    static JsonToken first(JsonParser p, String format) throws IOException, ReportException {
        JsonToken t = p.nextToken();
        if (t == null) {
            throw new ReportException(ReportException.Kind.MALFORMED, "the " + format + " report is empty");
        }
        return t;
    }

    /** Refuses anything after the report's root value (two reports glued together, trailing garbage). */
    static void end(JsonParser p, String format) throws IOException, ReportException {
        if (p.nextToken() != null) {
            throw shape(p, "unexpected content after the end of the " + format + " report");
        }
    }

    /** Reads the value at the current token (one small sub-object) into a tree. */
    static JsonNode tree(JsonParser p) throws IOException {
        JsonNode n = MAPPER.readTree(p);
        return n == null ? MAPPER.nullNode() : n;
    }

    /** Text of a scalar node (numbers as written), null for missing, null, blank or structured values. */
    static String text(JsonNode n) {
        if (n == null || n.isMissingNode() || n.isNull() || n.isContainerNode()) {
            return null;
        }
        String s = n.asText();
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** A number, or a numeric string, that is a finite value; null otherwise. */
    static Double number(JsonNode n) {
        if (n == null) {
            return null;
        }
        if (n.isNumber()) {
            double d = n.asDouble();
            return Double.isFinite(d) ? d : null;
        }
        String s = text(n);
        if (s == null) {
            return null;
        }
        try {
            double d = Double.parseDouble(s);
            return Double.isFinite(d) ? d : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A positive int (line numbers), null otherwise. */
    static Integer positiveInt(JsonNode n) {
        Double d = number(n);
        return d == null || d < 1 || d > Integer.MAX_VALUE ? null : d.intValue();
    }

    /** An RFC 3339 / ISO-8601 timestamp, null when absent or unreadable (Go's zero time included). */
    static Instant instant(String s) {
        if (s == null || s.isBlank() || s.startsWith("0001-01-01")) {
            return null;
        }
        try {
            return OffsetDateTime.parse(s.trim()).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(s.trim());
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }

    // ------------------------------------------------------------------ ids, bands, CVSS

    /** The namespace of a vulnerability id: CVE, GHSA, an OSV database prefix, else OTHER. */
    static VulnerabilityIdKind kindOf(String id) {
        String s = id.trim().toUpperCase(Locale.ROOT);
        if (CVE.matcher(s).matches()) {
            return VulnerabilityIdKind.CVE;
        }
        if (GHSA.matcher(s).matches()) {
            return VulnerabilityIdKind.GHSA;
        }
        for (String prefix : OSV_PREFIXES) {
            if (s.startsWith(prefix)) {
                return VulnerabilityIdKind.OSV;
            }
        }
        return VulnerabilityIdKind.OTHER;
    }

    /** Adds a vulnerability id under the namespace its spelling shows. */
    static void addId(ParsedFinding.Builder b, String id) {
        if (id != null && !id.isBlank()) {
            b.id(kindOf(id), id.trim());
        }
    }

    /** A GHSA id at the end of an advisory URL ({@code https://github.com/advisories/GHSA-...}), or null. */
    static String ghsaInUrl(String url) {
        if (url == null) {
            return null;
        }
        Matcher m = GHSA.matcher(url);
        String found = null;
        while (m.find()) {
            found = m.group();
        }
        return found;
    }

    /**
     * The band of the common five-step labels (critical, high, medium or moderate, low, info or
     * informational or negligible), case-insensitively; anything else, "unknown" included, is LOW: an
     * unrated vulnerability stays on a clock without paging anyone, and enrichment raises it by CVSS.
     */
    static SeverityBand band(String label) {
        if (label == null) {
            return SeverityBand.LOW;
        }
        return switch (label.trim().toLowerCase(Locale.ROOT)) {
            case "critical" -> SeverityBand.CRITICAL;
            case "high" -> SeverityBand.HIGH;
            case "medium", "moderate" -> SeverityBand.MEDIUM;
            case "low" -> SeverityBand.LOW;
            case "info", "informational", "negligible", "none" -> SeverityBand.INFO;
            default -> SeverityBand.LOW;
        };
    }

    /** Adds a CVSS entry, with its version from the vector's prefix where it has one, else {@code major}. */
    static void cvss(ParsedFinding.Builder b, String major, String vector, Double score, String source) {
        String v = vector == null || vector.isBlank() ? null : vector.trim();
        Double s = score == null || score < 0 || score > 10 ? null : score;
        // Several feeds write 0 with no vector for "not scored".
        if (v == null && (s == null || s == 0.0)) {
            return;
        }
        b.cvss(cvssVersion(v, major), v, s, source);
    }

    /** "3.1" from {@code CVSS:3.1/...}; a bare vector with {@code Au:} is v2; else the given major as "N.0". */
    static String cvssVersion(String vector, String major) {
        if (vector != null) {
            Matcher m = CVSS_PREFIX.matcher(vector.trim());
            if (m.find()) {
                return m.group(1);
            }
            if (vector.contains("Au:")) {
                return "2.0";
            }
        }
        if (major == null) {
            return null;
        }
        return major.contains(".") ? major : major + ".0";
    }

    // ------------------------------------------------------------------ package URLs

    /**
     * A package URL without qualifiers (purl spec): {@code pkg:type/namespace/name@version}, with each
     * part percent-encoded. Null when the type or name is unknown.
     */
    static String purl(String type, String namespace, String name, String version) {
        if (type == null || name == null || name.isBlank()) {
            return null;
        }
        StringBuilder s = new StringBuilder("pkg:").append(type).append('/');
        if (namespace != null && !namespace.isBlank()) {
            for (String segment : namespace.split("/")) {
                if (!segment.isEmpty()) {
                    s.append(encode(segment)).append('/');
                }
            }
        }
        s.append(encode(name));
        if (version != null && !version.isBlank()) {
            s.append('@').append(encode(version.trim()));
        }
        return s.toString();
    }

    /**
     * The purl of a package named as its ecosystem writes it: npm {@code @scope/name}, Maven
     * {@code group:artifact}, Go module paths, Composer {@code vendor/name}; PyPI names normalised as
     * the purl spec says (lower case, {@code _} as {@code -}).
     */
    static String ecosystemPurl(String type, String name, String version) {
        if (type == null || name == null || name.isBlank()) {
            return null;
        }
        String n = name.trim();
        return switch (type) {
            case "maven" -> {
                int colon = n.indexOf(':');
                yield colon > 0 ? purl(type, n.substring(0, colon), n.substring(colon + 1), version) : purl(type, null, n, version);
            }
            case "npm", "golang", "composer", "swift" -> {
                int slash = n.lastIndexOf('/');
                yield slash > 0 ? purl(type, n.substring(0, slash), n.substring(slash + 1), version) : purl(type, null, n, version);
            }
            case "pypi" -> purl(type, null, n.toLowerCase(Locale.ROOT).replace('_', '-'), version);
            default -> purl(type, null, n, version);
        };
    }

    /** The purl type of a GitHub advisory ecosystem (REST lower case or GraphQL enum), or null. */
    static String githubEcosystemPurlType(String ecosystem) {
        if (ecosystem == null) {
            return null;
        }
        return switch (ecosystem.trim().toLowerCase(Locale.ROOT)) {
            case "npm" -> "npm";
            case "pip" -> "pypi";
            case "maven" -> "maven";
            case "nuget" -> "nuget";
            case "composer" -> "composer";
            case "rubygems" -> "gem";
            case "go" -> "golang";
            case "rust" -> "cargo";
            case "pub" -> "pub";
            case "erlang" -> "hex";
            case "swift" -> "swift";
            case "actions" -> "github";
            default -> null;
        };
    }

    /**
     * Percent-encodes a purl part. Unreserved characters stay, and so do ':' and '+' (Debian epochs and
     * versions such as {@code 1:2.3-3+deb10u3}), as the Go and JavaScript purl libraries scanners use
     * leave them; '@' and '/' inside a part are encoded, as the spec requires.
     */
    private static String encode(String part) {
        StringBuilder s = new StringBuilder(part.length());
        for (byte b : part.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~:+".indexOf(c) >= 0) {
                s.append(c);
            } else {
                s.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return s.toString();
    }

    // ------------------------------------------------------------------ container images

    /**
     * An image reference split into repository, tag and digest: {@code registry:5000/team/api:1.2@sha256:..}
     * gives {@code registry:5000/team/api}, {@code 1.2}, {@code sha256:..}. A colon before the last slash is a
     * registry port, not a tag.
     */
    record ImageRef(String repository, String tag, String digest) {

        static ImageRef parse(String reference) {
            if (reference == null || reference.isBlank()) {
                return null;
            }
            String s = reference.trim();
            String digest = null;
            int at = s.indexOf('@');
            if (at >= 0) {
                digest = s.substring(at + 1);
                s = s.substring(0, at);
            }
            String tag = null;
            int slash = s.lastIndexOf('/');
            int colon = s.lastIndexOf(':');
            if (colon > slash) {
                tag = s.substring(colon + 1);
                s = s.substring(0, colon);
            }
            if (s.isEmpty()) {
                return null;
            }
            return new ImageRef(s, tag == null || tag.isEmpty() ? null : tag, digest == null || digest.isEmpty() ? null : digest);
        }

        /** The digest of a {@code repo@sha256:...} entry (RepoDigests), or null. */
        static String digestOf(String repoDigest) {
            if (repoDigest == null) {
                return null;
            }
            int at = repoDigest.indexOf('@');
            String d = at >= 0 ? repoDigest.substring(at + 1) : repoDigest;
            return d.contains(":") ? d.trim() : null;
        }

        /** Whether the text names a local archive or directory rather than an image in a registry. */
        static boolean looksLikePath(String s) {
            String l = s.toLowerCase(Locale.ROOT);
            return l.startsWith("/") || l.startsWith("./") || l.startsWith("../") || l.startsWith("~") || l.matches("^[a-z]:\\\\.*")
                    || l.endsWith(".tar") || l.endsWith(".tar.gz") || l.endsWith(".tgz");
        }
    }

    // ------------------------------------------------------------------ spool

    /** Receives one spooled item with the report position it was read at. */
    @FunctionalInterface
    interface SpoolReader {
        void item(String kind, JsonNode item, long line, long column) throws ReportException;
    }

    /**
     * Items (one small sub-object each) that arrived before the context they need, kept on disk so
     * memory stays flat however many there are, then read back in order once the context is known. Each
     * keeps the line and column it had in the report, so a shape error still points into the report.
     * Created lazily: reports in their tool's own field order never touch the disk, except Grype's,
     * which writes its matches before the source and tool they belong to.
     */
    static final class Spool implements AutoCloseable {
        private final ParseLimits limits;
        private Path file;
        private JsonGenerator out;
        private long size;

        Spool(ParseLimits limits) {
            this.limits = limits;
        }

        boolean isEmpty() {
            return size == 0;
        }

        void add(String kind, JsonNode item, JsonLocation at) {
            try {
                if (out == null) {
                    file = Files.createTempFile("handoff-report-", ".spool");
                    JsonFactory factory = JsonFactory.builder()
                            .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(limits.maxDepth() + 8).build())
                            .build();
                    out = factory.createGenerator(new BufferedOutputStream(Files.newOutputStream(file)));
                    out.setCodec(MAPPER);
                }
                out.writeStartArray();
                out.writeString(kind);
                out.writeNumber(at == null ? -1 : at.getLineNr());
                out.writeNumber(at == null ? -1 : at.getColumnNr());
                out.writeTree(item);
                out.writeEndArray();
                size++;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot spool report items to a temporary file", e);
            }
        }

        /** Reads every item back, in the order added, and empties the spool. */
        void drain(SpoolReader reader) throws ReportException {
            if (out == null) {
                return;
            }
            try {
                out.close();
                out = null;
                // The bytes were counted once already; depth and string limits still hold.
                ParseLimits again = new ParseLimits(Long.MAX_VALUE, limits.maxDepth() + 8, limits.maxStringLength(), limits.maxFindings());
                try (InputStream in = new BufferedInputStream(Files.newInputStream(file));
                     JsonParser p = new ReportInput(in, again).json()) {
                    JsonToken t;
                    while ((t = p.nextToken()) != null) {
                        if (t != JsonToken.START_ARRAY) {
                            throw new IOException("spool is corrupt");
                        }
                        p.nextToken();
                        String kind = p.getValueAsString();
                        p.nextToken();
                        long line = p.getLongValue();
                        p.nextToken();
                        long column = p.getLongValue();
                        p.nextToken();
                        JsonNode item = tree(p);
                        p.nextToken();
                        reader.item(kind, item, line, column);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read back spooled report items", e);
            } finally {
                delete();
            }
        }

        @Override
        public void close() {
            try {
                if (out != null) {
                    out.close();
                    out = null;
                }
            } catch (IOException ignored) {
                // the file goes anyway
            }
            delete();
        }

        private void delete() {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temporary file left behind is swept by the OS
                }
                file = null;
            }
            size = 0;
        }
    }
}

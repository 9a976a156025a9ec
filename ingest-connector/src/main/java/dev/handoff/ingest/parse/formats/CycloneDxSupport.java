package dev.handoff.ingest.parse.formats;

import dev.handoff.ingest.parse.Bands;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.FindingSink;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the CycloneDX JSON and XML parsers share: the compact records kept while streaming, the
 * bom-ref index, the rules that turn one vulnerability into findings, and the buffering that lets
 * vulnerabilities precede the components they reference. See {@link CycloneDxJsonParser} for the rules.
 */
final class CycloneDxSupport {

    static final String DEFAULT_TOOL = "cyclonedx";

    private CycloneDxSupport() {
    }

    /** The few facts of a component a finding needs; everything else of the component is skipped. */
    record Component(String type, String group, String name, String version, String purl) {
    }

    /** One entry of {@code ratings[]}. */
    static final class Rating {
        String source;
        Double score;
        String severity;
        String method;
        String vector;
    }

    /** A vulnerability reduced to what findings are made of (no credits, no version ranges, no free text beyond description). */
    static final class Vuln {
        String bomRef;
        String id;
        String sourceName;
        String sourceUrl;
        final List<String> referenceIds = new ArrayList<>();
        final List<String> referenceUrls = new ArrayList<>();
        final List<Rating> ratings = new ArrayList<>();
        final List<String> cwes = new ArrayList<>();
        String description;
        String detail;
        String recommendation;
        final List<String> advisoryUrls = new ArrayList<>();
        String published;
        String analysisState;
        String analysisJustification;
        final Set<String> affects = new LinkedHashSet<>();
        String fixedVersion;
        String toolName;
        String toolVersion;
        /** Legacy vulnerability extension (XML, schema/ext/vulnerability/1.0): the component the vulnerability is nested in. */
        Component enclosing;
    }

    /**
     * The state of one BOM while it streams: the tool, the subject ({@code metadata.component}), the
     * bom-ref index, and vulnerabilities waiting for the references they name.
     */
    static final class Bom {
        private final FindingSink sink;
        private final ParseLimits limits;
        String toolName;
        String toolVersion;
        Instant timestamp;
        Component subject;
        String specVersion;
        final Map<String, Component> byRef = new HashMap<>();
        boolean metadataDone;
        boolean componentsDone;
        private final List<Vuln> waiting = new ArrayList<>();

        Bom(FindingSink sink, ParseLimits limits) {
            this.sink = sink;
            this.limits = limits;
        }

        void component(String bomRef, Component c) {
            if (bomRef != null && !bomRef.isBlank() && c != null) {
                byRef.putIfAbsent(bomRef.trim(), c);
            }
        }

        /** Emits now when every reference can be resolved, else keeps the compact record until the end. */
        void vulnerability(Vuln v) throws ReportException {
            if (metadataDone && (componentsDone || v.enclosing != null)) {
                emit(v);
            } else {
                if (waiting.size() >= limits.maxFindings()) {
                    throw new ReportException(ReportException.Kind.LIMIT_EXCEEDED, "the report holds more than " + limits.maxFindings()
                            + " findings (ingest.limit.findings)");
                }
                waiting.add(v);
            }
        }

        /** The whole BOM has been read: resolve and emit what waited. */
        void finish() throws ReportException {
            metadataDone = true;
            componentsDone = true;
            for (Vuln v : waiting) {
                emit(v);
            }
            waiting.clear();
        }

        private void emit(Vuln v) throws ReportException {
            if (v.enclosing != null) {
                // Nested in a component (legacy extension): the nesting names the affected component.
                sink.accept(finding(v, v.enclosing, null));
                return;
            }
            if (v.affects.isEmpty()) {
                sink.accept(finding(v, null, null));
                return;
            }
            for (String ref : v.affects) {
                Component c = byRef.get(ref);
                sink.accept(finding(v, c, c == null ? ref : null));
            }
        }

        private ParsedFinding finding(Vuln v, Component c, String unresolvedRef) {
            String tool = firstNonBlank(toolName, v.toolName, DEFAULT_TOOL);
            ParsedFinding.Builder b = ParsedFinding.builder(tool)
                    .toolVersion(toolName != null ? toolVersion : v.toolVersion);
            if (v.id != null) {
                b.id(idKind(v.id), v.id);
            }
            for (String r : v.referenceIds) {
                b.id(idKind(r), r);
            }
            v.cwes.forEach(b::cwe);
            String what = c == null ? unresolvedRef : componentLabel(c);
            String id = firstNonBlank(v.id, v.bomRef, "vulnerability");
            b.title(what == null ? id : id + " in " + what);
            b.description(firstNonBlank(v.description, v.detail, null));
            Rating chosen = chosenRating(v.ratings);
            String label = chosen == null ? "unknown" : chosen.severity.trim();
            b.severity(label, band(label, v.ratings));
            for (Rating r : v.ratings) {
                String version = cvssVersion(r.method, r.vector);
                if (version != null) {
                    b.cvss(version, r.vector, r.score, r.source);
                }
            }
            FindingTarget.Builder t = b.target();
            if (c != null) {
                t.setPackagePurl(blankToNull(c.purl()));
                t.setPackageName(blankToNull(c.name()));
                t.setPackageVersion(blankToNull(c.version()));
                if ("container".equalsIgnoreCase(c.type())) {
                    image(t, c);
                }
            } else if (unresolvedRef != null && unresolvedRef.startsWith("pkg:")) {
                t.setPackagePurl(unresolvedRef);
            }
            if (subject != null) {
                if ("container".equalsIgnoreCase(subject.type())) {
                    if (t.getImage() == null) {
                        image(t, subject);
                    }
                } else if (subject.name() != null && !subject.name().isBlank()) {
                    t.setAssetHint(subject.name().trim());
                }
            }
            b.detectedAt(timestamp);
            b.fixedVersion(v.fixedVersion);
            b.reference(v.sourceUrl);
            v.advisoryUrls.forEach(b::reference);
            v.referenceUrls.forEach(b::reference);
            b.attribute("cyclonedx.vulnerability.source", v.sourceName);
            b.attribute("cyclonedx.vulnerability.bom-ref", v.bomRef);
            b.attribute("cyclonedx.affects.ref", unresolvedRef);
            b.attribute("cyclonedx.analysis.state", v.analysisState);
            b.attribute("cyclonedx.analysis.justification", v.analysisJustification);
            b.attribute("cyclonedx.recommendation", v.recommendation);
            b.attribute("cyclonedx.published", v.published);
            b.attribute("cyclonedx.specVersion", specVersion);
            if (c != null) {
                b.attribute("cyclonedx.component.group", c.group());
            }
            return b.build();
        }
    }

    // ------------------------------------------------------------------ rules

    /**
     * The rating whose label is used: among the ratings that carry a severity, the first scored by
     * CVSS v3.x or v4 ({@code CVSSv3}, {@code CVSSv31}, {@code CVSSv4}), else the first. {@code null}
     * when no rating carries a severity.
     */
    static Rating chosenRating(List<Rating> ratings) {
        Rating first = null;
        for (Rating r : ratings) {
            if (r.severity == null || r.severity.isBlank()) {
                continue;
            }
            if (first == null) {
                first = r;
            }
            String m = r.method == null ? "" : r.method.trim().toUpperCase(Locale.ROOT);
            if (m.equals("CVSSV3") || m.equals("CVSSV31") || m.equals("CVSSV4")) {
                return r;
            }
        }
        return first;
    }

    /**
     * critical, high, medium (and moderate), low map to their bands; info, informational and none to
     * INFO; unknown, other or anything else to the band of the best CVSS base score (v4, else v3.1,
     * else v3, else v2: 9.0+ CRITICAL, 7.0+ HIGH, 4.0+ MEDIUM, 0.1+ LOW, 0 INFO), since a CycloneDX
     * rating may state only its score; else LOW, as the other parsers band UNKNOWN (enrichment raises it).
     */
    static SeverityBand band(String label, List<Rating> ratings) {
        switch (label.trim().toLowerCase(Locale.ROOT)) {
            case "critical":
                return SeverityBand.CRITICAL;
            case "high":
                return SeverityBand.HIGH;
            case "medium":
            case "moderate":
                return SeverityBand.MEDIUM;
            case "low":
                return SeverityBand.LOW;
            case "info":
            case "informational":
            case "none":
                return SeverityBand.INFO;
            default:
                Double score = bestCvssScore(ratings);
                return score == null ? SeverityBand.LOW : Bands.fromScore(score);
        }
    }

    static Double bestCvssScore(List<Rating> ratings) {
        for (String want : List.of("4.0", "3.1", "3.0", "2.0")) {
            for (Rating r : ratings) {
                if (r.score != null && want.equals(cvssVersion(r.method, r.vector))) {
                    return r.score;
                }
            }
        }
        return null;
    }


    /** The CVSS version of a rating method ({@code CVSSv2}, {@code CVSSv3}, {@code CVSSv31}, {@code CVSSv4}); {@code null} for other methods. */
    static String cvssVersion(String method, String vector) {
        if (method == null) {
            return null;
        }
        String m = method.trim().toUpperCase(Locale.ROOT);
        String version = switch (m) {
            case "CVSSV2" -> "2.0";
            case "CVSSV3" -> "3.0";
            case "CVSSV31" -> "3.1";
            case "CVSSV4" -> "4.0";
            default -> null;
        };
        if (version != null && vector != null) {
            String v = vector.trim();
            if (v.startsWith("CVSS:")) {
                int slash = v.indexOf('/');
                if (slash > 5) {
                    return v.substring(5, slash);
                }
            }
        }
        return version;
    }

    static VulnerabilityIdKind idKind(String id) {
        String u = id.trim().toUpperCase(Locale.ROOT);
        if (u.startsWith("CVE-")) {
            return VulnerabilityIdKind.CVE;
        }
        if (u.startsWith("GHSA-")) {
            return VulnerabilityIdKind.GHSA;
        }
        for (String p : List.of("PYSEC-", "GO-", "RUSTSEC-", "OSV-", "GSD-", "MAL-", "UVI-", "PSF-")) {
            if (u.startsWith(p)) {
                return VulnerabilityIdKind.OSV;
            }
        }
        return VulnerabilityIdKind.OTHER;
    }

    /** {@code 184} or {@code CWE-184} as {@code CWE-184}. */
    static String cwe(String raw) {
        if (raw == null || raw.isBlank()) {
            return null;
        }
        String s = raw.trim();
        return s.toUpperCase(Locale.ROOT).startsWith("CWE-") ? "CWE-" + s.substring(4) : "CWE-" + s;
    }

    static boolean isFixedVersionProperty(String name) {
        if (name == null) {
            return false;
        }
        String n = name.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
        return n.contains("fixedversion") || n.contains("fixedinversion");
    }

    static Double number(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        try {
            double d = Double.parseDouble(s.trim());
            return Double.isFinite(d) ? d : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** An ISO-8601 timestamp as written by CycloneDX tools; {@code null} when it does not parse (a finding is never refused for it). */
    static Instant timestamp(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        String t = s.trim();
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(t);
            } catch (DateTimeParseException e2) {
                try {
                    return LocalDate.parse(t).atStartOfDay().toInstant(ZoneOffset.UTC);
                } catch (DateTimeParseException e3) {
                    return null;
                }
            }
        }
    }

    private static String componentLabel(Component c) {
        if (c.name() != null && !c.name().isBlank()) {
            return c.version() == null || c.version().isBlank() ? c.name().trim() : c.name().trim() + "@" + c.version().trim();
        }
        return blankToNull(c.purl());
    }

    /**
     * A container component as image, tag and digest: the image from the purl's {@code repository_url}
     * qualifier or the name without its tag; the tag from the name; the digest from the name, the
     * version (grype writes it there) or the purl's version.
     */
    static void image(FindingTarget.Builder t, Component c) {
        String name = blankToNull(c.name());
        String image = null;
        String tag = null;
        String digest = null;
        if (name != null) {
            String n = name;
            int at = n.indexOf('@');
            if (at >= 0) {
                digest = n.substring(at + 1);
                n = n.substring(0, at);
            }
            int colon = n.lastIndexOf(':');
            if (colon > n.lastIndexOf('/')) {
                tag = n.substring(colon + 1);
                n = n.substring(0, colon);
            }
            image = n;
        }
        String purl = blankToNull(c.purl());
        if (purl != null && purl.startsWith("pkg:oci/")) {
            int q = purl.indexOf('?');
            String query = q < 0 ? "" : purl.substring(q + 1);
            String path = q < 0 ? purl : purl.substring(0, q);
            int at = path.indexOf('@');
            if (digest == null && at >= 0) {
                digest = decode(path.substring(at + 1));
            }
            for (String kv : query.split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    String key = kv.substring(0, eq);
                    String value = decode(kv.substring(eq + 1));
                    if (key.equals("repository_url")) {
                        image = value;
                    } else if (key.equals("tag") && tag == null) {
                        tag = value;
                    }
                }
            }
            if (image == null) {
                image = path.substring("pkg:oci/".length(), at < 0 ? path.length() : at);
            }
        }
        String version = blankToNull(c.version());
        if (digest == null && version != null && version.startsWith("sha256:")) {
            digest = version;
        }
        t.setImage(image);
        t.setImageTag(tag);
        t.setImageDigest(digest);
    }

    /** Percent-decoding that keeps text it cannot decode as written (a report's odd purl never fails the parse). */
    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    static String firstNonBlank(String a, String b, String c) {
        if (a != null && !a.isBlank()) {
            return a.trim();
        }
        if (b != null && !b.isBlank()) {
            return b.trim();
        }
        return c;
    }
}

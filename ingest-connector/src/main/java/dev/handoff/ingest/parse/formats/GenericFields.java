package dev.handoff.ingest.parse.formats;

import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The fields of the Handoff generic report format ({@code docs/generic-report-format.md}), shared by
 * {@link GenericJsonParser} (keys of a finding object) and {@link GenericCsvParser} (header columns):
 * their names, how each value is validated, and how a validated finding becomes a {@link ParsedFinding}.
 */
final class GenericFields {

    /** The tool name when neither the document nor the finding names one. */
    static final String DEFAULT_TOOL = "manual";

    static final Set<String> SINGLE = Set.of("title", "severity", "rule_id", "description", "host", "ip", "port", "protocol", "image",
            "image_tag", "image_digest", "repository", "file_path", "line", "package_purl", "package_name", "package_version", "url",
            "cloud_resource", "asset", "detected_at", "fixed_version", "cvss_version", "cvss_vector", "cvss_score", "tool", "tool_version");
    /** Fields that take several values: a JSON array, or one text with values separated by {@code ;}, {@code ,} or white space. */
    static final Set<String> MULTI = Set.of("cve", "ghsa", "cwe", "references");

    private static final Pattern CVE = Pattern.compile("CVE-\\d{4}-\\d{4,}", Pattern.CASE_INSENSITIVE);
    private static final Pattern GHSA = Pattern.compile("GHSA(-[0-9a-z]{4}){3}", Pattern.CASE_INSENSITIVE);
    private static final Pattern CWE = Pattern.compile("(CWE-)?(\\d{1,6})", Pattern.CASE_INSENSITIVE);
    private static final Pattern SPLIT_IDS = Pattern.compile("[;,\\s]+");
    private static final Pattern SPLIT_REFS = Pattern.compile("[;\\s]+");

    private GenericFields() {
    }

    /** Where a value came from, to make errors that name the line, column and field. */
    @FunctionalInterface
    interface Problem {
        ReportException at(String message);
    }

    /** A header or key as a field name: trimmed, lower case, spaces and hyphens as underscores. */
    static String normalise(String name) {
        return name.trim().toLowerCase(Locale.ROOT).replace(' ', '_').replace('-', '_');
    }

    static boolean known(String normalised) {
        return SINGLE.contains(normalised) || MULTI.contains(normalised);
    }

    /** The validated values of one finding. */
    static final class Row {
        String title;
        String severityLabel;
        SeverityBand band;
        String ruleId;
        String description;
        final List<String> cves = new ArrayList<>();
        final List<String> ghsas = new ArrayList<>();
        final List<String> cwes = new ArrayList<>();
        final List<String> references = new ArrayList<>();
        final List<String[]> cvss = new ArrayList<>();
        final List<Double> cvssScores = new ArrayList<>();
        String flatCvssVersion;
        String flatCvssVector;
        Double flatCvssScore;
        final FindingTarget.Builder target = FindingTarget.newBuilder();
        Instant detectedAt;
        String fixedVersion;
        String tool;
        String toolVersion;
        final Map<String, String> attributes = new LinkedHashMap<>();

        ParsedFinding build(String documentTool, String documentToolVersion) {
            String t = tool != null ? tool : documentTool != null ? documentTool : DEFAULT_TOOL;
            ParsedFinding.Builder b = ParsedFinding.builder(t).toolVersion(tool != null ? toolVersion : documentToolVersion);
            cves.forEach(id -> b.id(VulnerabilityIdKind.CVE, id));
            ghsas.forEach(id -> b.id(VulnerabilityIdKind.GHSA, id));
            b.id(VulnerabilityIdKind.TOOL_RULE, ruleId);
            cwes.forEach(b::cwe);
            b.title(title).description(description).severity(severityLabel, band);
            for (int i = 0; i < cvss.size(); i++) {
                b.cvss(cvss.get(i)[0], cvss.get(i)[1], cvssScores.get(i), null);
            }
            FindingTarget.Builder bt = b.target();
            bt.setHost(target.getHost()).setIp(target.getIp()).setPort(target.getPort()).setProtocol(target.getProtocol())
                    .setImage(target.getImage()).setImageTag(target.getImageTag()).setImageDigest(target.getImageDigest())
                    .setRepository(target.getRepository()).setFilePath(target.getFilePath()).setLine(target.getLine())
                    .setPackagePurl(target.getPackagePurl()).setPackageName(target.getPackageName())
                    .setPackageVersion(target.getPackageVersion()).setUrl(target.getUrl())
                    .setCloudResource(target.getCloudResource()).setAssetHint(target.getAssetHint());
            b.detectedAt(detectedAt).fixedVersion(fixedVersion);
            references.forEach(b::reference);
            attributes.forEach(b::attribute);
            return b.build();
        }
    }

    /**
     * Sets one field from its text. Multi-valued fields add (the text may hold several values);
     * single-valued fields replace. Blank text is no value.
     */
    static void set(Row row, String field, String raw, Problem where) throws ReportException {
        String v = raw == null || raw.isBlank() ? null : raw.trim();
        if (v == null) {
            return;
        }
        switch (field) {
            case "title" -> row.title = v;
            case "severity" -> severity(row, v, where);
            case "rule_id" -> row.ruleId = v;
            case "description" -> row.description = v;
            case "cve" -> {
                for (String id : SPLIT_IDS.split(v)) {
                    if (id.isEmpty()) {
                        continue;
                    }
                    if (!CVE.matcher(id).matches()) {
                        throw where.at("\"" + id + "\" is not a CVE id (CVE-YYYY-NNNN)");
                    }
                    row.cves.add(id.toUpperCase(Locale.ROOT));
                }
            }
            case "ghsa" -> {
                for (String id : SPLIT_IDS.split(v)) {
                    if (id.isEmpty()) {
                        continue;
                    }
                    if (!GHSA.matcher(id).matches()) {
                        throw where.at("\"" + id + "\" is not a GHSA id (GHSA-xxxx-xxxx-xxxx)");
                    }
                    row.ghsas.add(id);
                }
            }
            case "cwe" -> {
                for (String id : SPLIT_IDS.split(v)) {
                    if (id.isEmpty()) {
                        continue;
                    }
                    var m = CWE.matcher(id);
                    if (!m.matches()) {
                        throw where.at("\"" + id + "\" is not a CWE id (CWE-79 or 79)");
                    }
                    row.cwes.add("CWE-" + Integer.parseInt(m.group(2)));
                }
            }
            case "references" -> {
                for (String ref : SPLIT_REFS.split(v)) {
                    if (!ref.isEmpty()) {
                        row.references.add(ref);
                    }
                }
            }
            case "cvss_version" -> row.flatCvssVersion = cvssVersion(v, where);
            case "cvss_vector" -> row.flatCvssVector = v;
            case "cvss_score" -> row.flatCvssScore = cvssScore(v, where);
            case "host" -> row.target.setHost(v);
            case "ip" -> row.target.setIp(v);
            case "port" -> row.target.setPort(integer(v, 1, 65535, "a port (1-65535)", where));
            case "protocol" -> row.target.setProtocol(v);
            case "image" -> row.target.setImage(v);
            case "image_tag" -> row.target.setImageTag(v);
            case "image_digest" -> row.target.setImageDigest(v);
            case "repository" -> row.target.setRepository(v);
            case "file_path" -> row.target.setFilePath(v);
            case "line" -> row.target.setLine(integer(v, 1, Integer.MAX_VALUE, "a line number (1 or more)", where));
            case "package_purl" -> row.target.setPackagePurl(v);
            case "package_name" -> row.target.setPackageName(v);
            case "package_version" -> row.target.setPackageVersion(v);
            case "url" -> row.target.setUrl(v);
            case "cloud_resource" -> row.target.setCloudResource(v);
            case "asset" -> row.target.setAssetHint(v);
            case "detected_at" -> row.detectedAt = instant(v, where);
            case "fixed_version" -> row.fixedVersion = v;
            case "tool" -> row.tool = v;
            case "tool_version" -> row.toolVersion = v;
            default -> throw new IllegalArgumentException("not a generic field: " + field);
        }
    }

    /** Adds one CVSS score (JSON {@code cvss} objects, and the flat {@code cvss_*} fields at the end of a row). */
    static void cvss(Row row, String version, String vector, Double score, Problem where) throws ReportException {
        String vec = vector == null || vector.isBlank() ? null : vector.trim();
        if (vec == null && score == null) {
            if (version != null) {
                throw where.at("a CVSS version without a vector or score");
            }
            return;
        }
        String fromVector = null;
        if (vec != null && vec.startsWith("CVSS:")) {
            int slash = vec.indexOf('/');
            fromVector = cvssVersion(slash > 5 ? vec.substring(5, slash) : "?", where);
        } else if (vec != null && vec.contains("Au:")) {
            fromVector = "2.0";
        }
        if (version != null && fromVector != null && !version.equals(fromVector)) {
            throw where.at("CVSS version " + version + " does not match the vector " + vec);
        }
        row.cvss.add(new String[] {version != null ? version : fromVector, vec});
        row.cvssScores.add(score);
    }

    /** Checks what a finding requires once all its fields are read. */
    static void finish(Row row, Problem where) throws ReportException {
        if (row.flatCvssVector != null || row.flatCvssScore != null || row.flatCvssVersion != null) {
            cvss(row, row.flatCvssVersion, row.flatCvssVector, row.flatCvssScore, where);
        }
        if (row.title == null) {
            throw where.at("title is required");
        }
        if (row.severityLabel == null) {
            throw where.at("severity is required (critical, high, medium, low or info)");
        }
    }

    private static void severity(Row row, String v, Problem where) throws ReportException {
        SeverityBand band = switch (v.toLowerCase(Locale.ROOT)) {
            case "critical" -> SeverityBand.CRITICAL;
            case "high" -> SeverityBand.HIGH;
            case "medium" -> SeverityBand.MEDIUM;
            case "low" -> SeverityBand.LOW;
            case "info" -> SeverityBand.INFO;
            default -> throw where.at("unknown severity \"" + v + "\"; use critical, high, medium, low or info");
        };
        row.severityLabel = v;
        row.band = band;
    }

    static String cvssVersion(String v, Problem where) throws ReportException {
        return switch (v.trim()) {
            case "2", "2.0" -> "2.0";
            case "3", "3.0" -> "3.0";
            case "3.1" -> "3.1";
            case "4", "4.0" -> "4.0";
            default -> throw where.at("unknown CVSS version \"" + v + "\"; use 2.0, 3.0, 3.1 or 4.0");
        };
    }

    static Double cvssScore(String v, Problem where) throws ReportException {
        try {
            double d = Double.parseDouble(v.trim());
            if (d >= 0.0 && d <= 10.0) {
                return d;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw where.at("\"" + v + "\" is not a CVSS score (0.0-10.0)");
    }

    private static int integer(String v, int min, int max, String what, Problem where) throws ReportException {
        try {
            long n = Long.parseLong(v.trim());
            if (n >= min && n <= max) {
                return (int) n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw where.at("\"" + v + "\" is not " + what);
    }

    /**
     * An ISO-8601 date-time with a zone offset ({@code 2024-05-01T09:30:00Z}, {@code 2024-05-01T11:30:00+02:00};
     * a space may replace the {@code T}) or a date ({@code 2024-05-01}, read as midnight UTC).
     */
    static Instant instant(String v, Problem where) throws ReportException {
        String s = v.trim();
        if (s.length() > 10 && s.charAt(10) == ' ') {
            s = s.substring(0, 10) + 'T' + s.substring(11);
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return LocalDate.parse(s).atStartOfDay().toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                throw where.at("\"" + v + "\" is not an ISO-8601 date-time with an offset (2024-05-01T09:30:00Z) or a date (2024-05-01)");
            }
        }
    }
}

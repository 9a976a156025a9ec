package dev.handoff.ingest.parse;

import dev.handoff.avro.CvssScore;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One finding as a parser normalised it, before it gets an id and an envelope: the tool, the
 * vulnerability ids (CVE, GHSA, the tool's rule id), title, the scanner's own severity label and the
 * band it maps to, CVSS scores, the target identifiers assets bind on, when it was detected, and
 * references. {@code severityLabel} is the tool's label exactly as written (the corpus counts those).
 */
public record ParsedFinding(String tool, String toolVersion, List<VulnerabilityId> ids, List<String> cwes, String title,
                            String description, String severityLabel, SeverityBand band, List<CvssScore> cvss,
                            FindingTarget target, Instant detectedAt, String fixedVersion, List<String> references,
                            Map<String, String> attributes) {

    public ParsedFinding {
        Objects.requireNonNull(tool, "tool");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(severityLabel, "severityLabel");
        Objects.requireNonNull(band, "band");
        Objects.requireNonNull(target, "target");
        ids = List.copyOf(ids);
        cwes = List.copyOf(cwes);
        cvss = List.copyOf(cvss);
        references = List.copyOf(references);
        attributes = Map.copyOf(attributes);
    }

    public boolean hasCve() {
        return ids.stream().anyMatch(i -> i.getKind() == VulnerabilityIdKind.CVE);
    }

    public boolean hasCvss() {
        return !cvss.isEmpty();
    }

    /** Whether the finding names anything an asset can bind on. */
    public boolean hasAssetTarget() {
        FindingTarget t = target;
        return t.getHost() != null || t.getIp() != null || t.getImage() != null || t.getImageDigest() != null
                || t.getRepository() != null || t.getFilePath() != null || t.getPackagePurl() != null || t.getPackageName() != null
                || t.getUrl() != null || t.getCloudResource() != null || t.getAssetHint() != null;
    }

    public static Builder builder(String tool) {
        return new Builder(tool);
    }

    /** Mutable builder for parsers; {@link #build} checks the required fields. */
    public static final class Builder {
        private final String tool;
        private String toolVersion;
        private final List<VulnerabilityId> ids = new ArrayList<>();
        private final List<String> cwes = new ArrayList<>();
        private String title;
        private String description;
        private String severityLabel;
        private SeverityBand band;
        private final List<CvssScore> cvss = new ArrayList<>();
        private final FindingTarget.Builder target = FindingTarget.newBuilder();
        private Instant detectedAt;
        private String fixedVersion;
        private final List<String> references = new ArrayList<>();
        private final Map<String, String> attributes = new LinkedHashMap<>();

        private Builder(String tool) {
            this.tool = Objects.requireNonNull(tool, "tool");
        }

        public Builder toolVersion(String v) {
            toolVersion = blankToNull(v);
            return this;
        }

        /** Adds an id once; CVE and GHSA ids are upper-cased. Blank ids are ignored. */
        public Builder id(VulnerabilityIdKind kind, String id) {
            String v = blankToNull(id);
            if (v != null) {
                if (kind == VulnerabilityIdKind.CVE || kind == VulnerabilityIdKind.GHSA) {
                    v = v.toUpperCase(java.util.Locale.ROOT);
                }
                VulnerabilityId vid = new VulnerabilityId(kind, v);
                if (!ids.contains(vid)) {
                    ids.add(vid);
                }
            }
            return this;
        }

        public Builder cwe(String cwe) {
            String v = blankToNull(cwe);
            if (v != null && !cwes.contains(v)) {
                cwes.add(v);
            }
            return this;
        }

        public Builder title(String t) {
            title = blankToNull(t);
            return this;
        }

        public Builder description(String d) {
            description = blankToNull(d);
            return this;
        }

        /** The tool's own label, as written, and the band it maps to. */
        public Builder severity(String label, SeverityBand mapped) {
            severityLabel = label;
            band = mapped;
            return this;
        }

        /** A CVSS score; ignored when neither a vector nor a score is given. */
        public Builder cvss(String version, String vector, Double score, String source) {
            if (blankToNull(vector) != null || score != null) {
                cvss.add(new CvssScore(version == null ? "unknown" : version, blankToNull(vector), score, blankToNull(source)));
            }
            return this;
        }

        /** The target identifiers, set on the Avro builder directly. */
        public FindingTarget.Builder target() {
            return target;
        }

        public Builder detectedAt(Instant t) {
            detectedAt = t;
            return this;
        }

        public Builder fixedVersion(String v) {
            fixedVersion = blankToNull(v);
            return this;
        }

        public Builder reference(String r) {
            String v = blankToNull(r);
            if (v != null && !references.contains(v)) {
                references.add(v);
            }
            return this;
        }

        public Builder attribute(String key, String value) {
            if (blankToNull(value) != null) {
                attributes.put(key, value);
            }
            return this;
        }

        public ParsedFinding build() {
            String t = title;
            if (t == null) {
                t = ids.isEmpty() ? tool + " finding" : ids.get(0).getId();
            }
            if (severityLabel == null || band == null) {
                throw new IllegalStateException("a parser must set the severity label and band of every finding (" + t + ")");
            }
            return new ParsedFinding(tool, toolVersion, ids, cwes, t, description, severityLabel, band, cvss, target(target),
                    detectedAt, fixedVersion, references, attributes);
        }

        /**
         * The target as {@code FindingTarget.Builder.build()} makes it, through the all-args constructor: build()
         * looks up the schema default of every field not set (null for all of them), a cost on every finding.
         */
        private static FindingTarget target(FindingTarget.Builder b) {
            return new FindingTarget(b.getHost(), b.getIp(), b.getPort(), b.getProtocol(), b.getImage(), b.getImageTag(),
                    b.getImageDigest(), b.getRepository(), b.getFilePath(), b.getLine(), b.getPackagePurl(), b.getPackageName(),
                    b.getPackageVersion(), b.getUrl(), b.getCloudResource(), b.getAssetHint());
        }

        private static String blankToNull(String s) {
            return s == null || s.isBlank() ? null : s.trim();
        }
    }
}

package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.FindingSink;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportInput;
import dev.handoff.ingest.parse.ReportParser;

import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * AWS Security Finding Format (ASFF, {@code SchemaVersion 2018-10-08}) as exported from Security Hub:
 * a top-level array of findings, or an object with a {@code Findings} (GetFindings API) or
 * {@code findings} array. Findings are read one at a time; memory is one finding.
 *
 * <p><b>Which findings.</b> One finding per ASFF finding (a finding on several resources stays one,
 * on its first resource). Not open, and so skipped:
 * <ul>
 *   <li>{@code Compliance.Status} {@code PASSED}: a control check that passed;</li>
 *   <li>{@code RecordState} {@code ARCHIVED}: the provider no longer considers the finding valid
 *       (fixed, or the resource is gone);</li>
 *   <li>{@code Workflow.Status} {@code RESOLVED} or {@code SUPPRESSED}: triaged in Security Hub as
 *       remediated or needing no action (Security Hub reopens a finding as NEW/NOTIFIED when its
 *       provider reports it again).</li>
 * </ul>
 * Everything else ({@code FAILED}, {@code WARNING}, {@code NOT_AVAILABLE} or no compliance; workflow
 * {@code NEW}/{@code NOTIFIED} or none) is an open finding.
 *
 * <p><b>Severity label.</b> {@code Severity.Label} as written, else
 * {@code FindingProviderFields.Severity.Label}, else the label ASFF derives from
 * {@code Severity.Normalized} (0 INFORMATIONAL, 1-39 LOW, 40-69 MEDIUM, 70-89 HIGH, 90-100 CRITICAL),
 * else from the deprecated {@code Severity.Product} (scaled by 10 when at most 10), else
 * {@code Severity.Original}, else {@code UNKNOWN}. Bands: CRITICAL, HIGH, MEDIUM, LOW as named,
 * INFORMATIONAL &rarr; INFO; any other label &rarr; the band of {@code Normalized} when present, else LOW
 * (as the other parsers band UNKNOWN; enrichment raises it).
 *
 * <p><b>Fields.</b> Ids: {@code Vulnerabilities[].Id} (CVE, GHSA, else OTHER) and the ASFF {@code Id}
 * (OTHER: the provider's stable finding id; {@code GeneratorId} is not unique per weakness, a GuardDuty
 * detector ARN names every GuardDuty finding). CVSS: {@code Vulnerabilities[].Cvss[]} (Version,
 * BaseVector, BaseScore, Source). Package: the first {@code VulnerablePackages[]} (name, epoch:version-release,
 * {@code FixedInVersion}). Target: {@code Resources[0].Id} as the cloud resource, with its
 * {@code Type}; an ECR image ({@code Details.AwsEcrContainerImage}) as image
 * ({@code <registry>.dkr.ecr.<region>.amazonaws.com/<repository>}), first tag and digest; an EC2
 * instance's first IPv4 address as ip. Tool: the product of {@code ProductArn}
 * ({@code aws/inspector}, {@code aws/guardduty}, {@code aws/securityhub}, partner products), else
 * {@code ProductName}, else {@code aws-security-hub}. Detected at {@code FirstObservedAt}, else
 * {@code CreatedAt}. References: {@code Remediation.Recommendation.Url}, {@code SourceUrl}, the
 * vulnerabilities' vendor and reference URLs. Attributes: {@code aws.account_id}, {@code aws.region},
 * {@code aws.generator_id}, {@code aws.product_arn}, {@code aws.types}, {@code aws.resource_type},
 * {@code aws.other_resources}, {@code aws.compliance_status}, {@code aws.workflow_status},
 * {@code aws.record_state}, {@code aws.remediation}.
 */
public final class AsffParser implements ReportParser {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Override
    public ReportFormat format() {
        return ReportFormat.ASFF;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        try (JsonParser p = input.json()) {
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_ARRAY) {
                findings(p, sink);
            } else if (t == JsonToken.START_OBJECT) {
                boolean found = false;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonToken value = p.nextToken();
                    if (("Findings".equals(name) || "findings".equals(name)) && value == JsonToken.START_ARRAY) {
                        findings(p, sink);
                        found = true;
                    } else if ("Findings".equals(name) || "findings".equals(name)) {
                        if (value != JsonToken.VALUE_NULL) {
                            throw malformed(p, name + " must be an array of findings");
                        }
                        p.skipChildren();
                        found = true;
                    } else {
                        p.skipChildren();
                    }
                }
                if (!found) {
                    throw malformed(p, "expected an array of findings or an object with a Findings array");
                }
            } else {
                throw malformed(p, "expected an array of findings or an object with a Findings array");
            }
            if (p.nextToken() != null) {
                throw malformed(p, "unexpected content after the findings");
            }
        } catch (IOException e) {
            throw ReportInput.jsonProblem(e);
        }
    }

    private static void findings(JsonParser p, FindingSink sink) throws IOException, ReportException {
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw malformed(p, "each finding must be an object");
            }
            JsonNode f = MAPPER.readTree(p);
            if (isOpen(f)) {
                sink.accept(finding(f));
            }
        }
    }

    /** Whether an ASFF finding is open: not PASSED, not ARCHIVED, not RESOLVED or SUPPRESSED. */
    static boolean isOpen(JsonNode f) {
        String compliance = upper(text(f.path("Compliance"), "Status"));
        String record = upper(text(f, "RecordState"));
        String workflow = upper(text(f.path("Workflow"), "Status"));
        return !"PASSED".equals(compliance) && !"ARCHIVED".equals(record)
                && !"RESOLVED".equals(workflow) && !"SUPPRESSED".equals(workflow);
    }

    static ParsedFinding finding(JsonNode f) {
        ParsedFinding.Builder b = ParsedFinding.builder(tool(f));
        for (JsonNode v : f.path("Vulnerabilities")) {
            String id = text(v, "Id");
            if (id != null) {
                b.id(idKind(id), id);
            }
        }
        b.id(VulnerabilityIdKind.OTHER, text(f, "Id"));
        b.title(text(f, "Title"));
        b.description(text(f, "Description"));
        JsonNode severity = f.path("Severity");
        Double normalized = number(severity.get("Normalized"));
        String label = label(f);
        b.severity(label, band(label, normalized));

        FindingTarget.Builder t = b.target();
        JsonNode resources = f.path("Resources");
        JsonNode first = resources.path(0);
        if (!first.isMissingNode()) {
            t.setCloudResource(text(first, "Id"));
            b.attribute("aws.resource_type", text(first, "Type"));
            JsonNode details = first.path("Details");
            JsonNode ecr = details.path("AwsEcrContainerImage");
            if (ecr.isObject()) {
                String repository = text(ecr, "RepositoryName");
                String registry = text(ecr, "RegistryId");
                String region = firstNonNull(text(first, "Region"), text(f, "Region"));
                String partition = text(first, "Partition");
                if (repository != null) {
                    t.setImage(registry != null && region != null
                            ? registry + ".dkr.ecr." + region + ".amazonaws.com" + ("aws-cn".equals(partition) ? ".cn" : "") + "/" + repository
                            : repository);
                }
                t.setImageDigest(text(ecr, "ImageDigest"));
                t.setImageTag(text(ecr.path("ImageTags"), 0));
            }
            JsonNode ec2 = details.path("AwsEc2Instance");
            if (ec2.isObject()) {
                t.setIp(text(ec2.path("IpV4Addresses"), 0));
            }
        }
        List<String> others = new ArrayList<>();
        for (int i = 1; i < resources.size(); i++) {
            String id = text(resources.get(i), "Id");
            if (id != null) {
                others.add(id);
            }
        }
        if (!others.isEmpty()) {
            b.attribute("aws.other_resources", String.join(" ", others));
        }

        boolean packageSet = false;
        for (JsonNode v : f.path("Vulnerabilities")) {
            for (JsonNode c : v.path("Cvss")) {
                String version = text(c, "Version");
                String vector = text(c, "BaseVector");
                if (version == null && vector != null && vector.startsWith("CVSS:") && vector.indexOf('/') > 5) {
                    version = vector.substring(5, vector.indexOf('/'));
                }
                b.cvss(version, vector, number(c.get("BaseScore")), text(c, "Source"));
            }
            JsonNode pkg = v.path("VulnerablePackages").path(0);
            if (!packageSet && pkg.isObject()) {
                packageSet = true;
                t.setPackageName(text(pkg, "Name"));
                t.setPackageVersion(packageVersion(pkg));
                b.fixedVersion(text(pkg, "FixedInVersion"));
                b.attribute("aws.package_manager", text(pkg, "PackageManager"));
                b.attribute("aws.file_path", text(pkg, "FilePath"));
            }
            b.reference(text(v.path("Vendor"), "Url"));
            for (JsonNode url : v.path("ReferenceUrls")) {
                b.reference(url.isTextual() ? url.asText() : null);
            }
        }

        b.detectedAt(firstNonNull(instant(text(f, "FirstObservedAt")), instant(text(f, "CreatedAt"))));
        JsonNode recommendation = f.path("Remediation").path("Recommendation");
        b.reference(text(recommendation, "Url"));
        b.reference(text(f, "SourceUrl"));
        b.attribute("aws.remediation", text(recommendation, "Text"));
        b.attribute("aws.account_id", text(f, "AwsAccountId"));
        b.attribute("aws.region", text(f, "Region"));
        b.attribute("aws.generator_id", text(f, "GeneratorId"));
        b.attribute("aws.product_arn", text(f, "ProductArn"));
        List<String> types = new ArrayList<>();
        for (JsonNode type : f.path("Types")) {
            if (type.isTextual() && !type.asText().isBlank()) {
                types.add(type.asText().trim());
            }
        }
        if (!types.isEmpty()) {
            b.attribute("aws.types", String.join("; ", types));
        }
        b.attribute("aws.compliance_status", text(f.path("Compliance"), "Status"));
        b.attribute("aws.workflow_status", text(f.path("Workflow"), "Status"));
        b.attribute("aws.record_state", text(f, "RecordState"));
        return b.build();
    }

    /** The label as the finding states it, else as ASFF derives it from the normalized (or product) score. */
    static String label(JsonNode f) {
        JsonNode severity = f.path("Severity");
        String label = text(severity, "Label");
        if (label == null) {
            label = text(f.path("FindingProviderFields").path("Severity"), "Label");
        }
        if (label == null) {
            Double normalized = number(severity.get("Normalized"));
            if (normalized == null) {
                Double product = number(severity.get("Product"));
                if (product != null) {
                    normalized = product <= 10 ? product * 10 : Math.min(product, 100);
                }
            }
            if (normalized != null) {
                label = labelOf(normalized);
            }
        }
        if (label == null) {
            label = text(severity, "Original");
        }
        return label == null ? "UNKNOWN" : label;
    }

    static String labelOf(double normalized) {
        if (normalized >= 90) {
            return "CRITICAL";
        }
        if (normalized >= 70) {
            return "HIGH";
        }
        if (normalized >= 40) {
            return "MEDIUM";
        }
        if (normalized >= 1) {
            return "LOW";
        }
        return "INFORMATIONAL";
    }

    static SeverityBand band(String label, Double normalized) {
        return switch (label.trim().toUpperCase(Locale.ROOT)) {
            case "CRITICAL" -> SeverityBand.CRITICAL;
            case "HIGH" -> SeverityBand.HIGH;
            case "MEDIUM" -> SeverityBand.MEDIUM;
            case "LOW" -> SeverityBand.LOW;
            case "INFORMATIONAL", "INFO" -> SeverityBand.INFO;
            default -> normalized == null ? SeverityBand.LOW : band(labelOf(normalized), null);
        };
    }

    /** The product part of {@code ProductArn} ({@code arn:aws:securityhub:region:account:product/aws/inspector} &rarr; {@code aws/inspector}). */
    static String tool(JsonNode f) {
        String arn = text(f, "ProductArn");
        if (arn != null) {
            int i = arn.indexOf(":product/");
            if (i >= 0 && i + 9 < arn.length()) {
                return arn.substring(i + 9);
            }
        }
        String name = text(f, "ProductName");
        return name != null ? name : "aws-security-hub";
    }

    private static String packageVersion(JsonNode pkg) {
        String version = text(pkg, "Version");
        if (version == null) {
            return null;
        }
        String epoch = text(pkg, "Epoch");
        String release = text(pkg, "Release");
        return (epoch != null && !"0".equals(epoch) ? epoch + ":" : "") + version + (release != null ? "-" + release : "");
    }

    private static VulnerabilityIdKind idKind(String id) {
        String u = id.trim().toUpperCase(Locale.ROOT);
        if (u.startsWith("CVE-")) {
            return VulnerabilityIdKind.CVE;
        }
        if (u.startsWith("GHSA-")) {
            return VulnerabilityIdKind.GHSA;
        }
        return VulnerabilityIdKind.OTHER;
    }

    private static Instant instant(String s) {
        if (s == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(s);
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }

    private static String text(JsonNode n, String field) {
        return text(n == null ? null : n.get(field));
    }

    private static String text(JsonNode n, int index) {
        return text(n == null ? null : n.get(index));
    }

    private static String text(JsonNode v) {
        if (v == null || v.isNull() || !v.isValueNode()) {
            return null;
        }
        String s = v.asText();
        return s.isBlank() ? null : s.trim();
    }

    private static Double number(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isNumber()) {
            return n.doubleValue();
        }
        if (n.isTextual()) {
            try {
                double d = Double.parseDouble(n.asText().trim());
                return Double.isFinite(d) ? d : null;
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private static String upper(String s) {
        return s == null ? null : s.toUpperCase(Locale.ROOT);
    }

    private static <T> T firstNonNull(T a, T b) {
        return a != null ? a : b;
    }

    private static ReportException malformed(JsonParser p, String message) {
        JsonLocation at = p.currentTokenLocation();
        return new ReportException(ReportException.Kind.MALFORMED, "malformed ASFF: " + message,
                at == null ? -1 : at.getLineNr(), at == null ? -1 : at.getColumnNr(), null);
    }
}

package dev.handoff.ingest.parse;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** The report formats Handoff reads, each with the stable name used by {@code format=} parameters and the CLI. */
public enum ReportFormat {
    SARIF("sarif"),
    TRIVY("trivy"),
    GRYPE("grype"),
    ZAP_XML("zap-xml"),
    ZAP_JSON("zap-json"),
    NESSUS("nessus"),
    DEPENDENCY_CHECK_XML("dependency-check-xml"),
    DEPENDENCY_CHECK_JSON("dependency-check-json"),
    CYCLONEDX_JSON("cyclonedx-json"),
    CYCLONEDX_XML("cyclonedx-xml"),
    ASFF("asff"),
    GITHUB_DEPENDABOT("github-dependabot"),
    GITHUB_CODE_SCANNING("github-code-scanning"),
    NPM_AUDIT("npm-audit"),
    SEMGREP("semgrep"),
    BANDIT("bandit"),
    GITLEAKS("gitleaks"),
    GENERIC_CSV("generic-csv"),
    GENERIC_JSON("generic-json");

    private final String id;

    ReportFormat(String id) {
        this.id = id;
    }

    /** The stable lower-case name, e.g. {@code sarif}, {@code zap-xml}. */
    public String id() {
        return id;
    }

    /** By stable name or enum name, case-insensitively. */
    public static Optional<ReportFormat> byName(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String n = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        return Arrays.stream(values()).filter(f -> f.id.equals(n)).findFirst();
    }

    /** Every stable name, for error messages that list what is known. */
    public static String known() {
        return String.join(", ", Arrays.stream(values()).map(ReportFormat::id).toList());
    }
}

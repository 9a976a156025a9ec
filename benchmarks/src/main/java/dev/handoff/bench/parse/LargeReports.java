package dev.handoff.bench.parse;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes large synthetic scanner reports, streaming (one finding at a time through a Jackson
 * {@link JsonGenerator}, nothing held in memory), pretty-printed like the real tools' output.
 *
 * <ul>
 * <li>{@link #sarif}: SARIF 2.1.0 shaped like {@code scans/sarif/codeql_2.5.4_codeQL-output.sarif}: one run,
 * {@code tool.driver} CodeQL with {@value #RULES} rules (short/full description, default level, tags with
 * CWEs, some with a {@code security-severity}), the run's {@code artifacts}, then results with
 * {@code ruleId}/{@code ruleIndex}, {@code level} (on most), message, one location with artifact uri,
 * uriBaseId and index, region and a context region with a snippet, and {@code partialFingerprints};
 * then {@code columnKind} and {@code properties} after the results, as CodeQL writes them.</li>
 * <li>{@link #trivy}: Trivy schema 2 shaped like {@code scans/trivy/scheme_2_many_vulns.json}: a container
 * image report with Metadata, then Results of 5 000 vulnerabilities each (an alpine os-pkgs result and
 * jar / npm / pip lang-pkgs results), each vulnerability with PkgID, PkgName, PkgPath (language packages),
 * PkgIdentifier (PURL, UID), versions, Status, Layer, SeveritySource, PrimaryURL, DataSource, Title,
 * Description, Severity, CweIDs, VendorSeverity, CVSS (nvd v2+v3, redhat v3), 4 to 12 References and dates.</li>
 * </ul>
 * Ids, paths, packages, lines and fingerprints vary with the finding's index, so all findings differ.
 */
public final class LargeReports {

    static final int RULES = 160;
    static final int FILES = 4_000;
    static final int TRIVY_PER_RESULT = 5_000;

    private static final JsonFactory JSON = new JsonFactory();
    private static final String[] LEVELS = {"error", "warning", "note", "warning"};
    private static final String[] SEVERITIES = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "MEDIUM", "HIGH", "UNKNOWN"};
    private static final String[] WORDS = {"conflicting", "attributes", "unused", "import", "variable", "equality", "hashing",
            "ordering", "injection", "path", "traversal", "clear", "text", "logging", "sensitive", "data", "regex", "redos",
            "deserialization", "untrusted", "stack", "trace", "exposure", "weak", "crypto", "algorithm", "url", "redirect"};
    private static final String[] DIRS = {"good", "bad", "src/app", "src/lib", "tests", "scripts", "web/views", "api/handlers"};
    private static final String[] LANG_TYPES = {"jar", "npm", "pip"};

    private LargeReports() {
    }

    /** Writes a SARIF log with {@code findings} results to {@code file}; returns the file's size in bytes. */
    public static long sarif(Path file, int findings) throws IOException {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
             JsonGenerator g = JSON.createGenerator(os, JsonEncoding.UTF8).useDefaultPrettyPrinter()) {
            g.writeStartObject();
            g.writeStringField("$schema", "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json");
            g.writeStringField("version", "2.1.0");
            g.writeArrayFieldStart("runs");
            g.writeStartObject();
            g.writeObjectFieldStart("tool");
            g.writeObjectFieldStart("driver");
            g.writeStringField("name", "CodeQL");
            g.writeStringField("organization", "GitHub");
            g.writeStringField("semanticVersion", "2.5.4");
            g.writeArrayFieldStart("rules");
            for (int r = 0; r < RULES; r++) {
                sarifRule(g, r);
            }
            g.writeEndArray();
            g.writeEndObject(); // driver
            g.writeEndObject(); // tool
            g.writeArrayFieldStart("artifacts");
            for (int a = 0; a < FILES; a++) {
                g.writeStartObject();
                g.writeObjectFieldStart("location");
                g.writeStringField("uri", filePath(a));
                g.writeStringField("uriBaseId", "%SRCROOT%");
                g.writeNumberField("index", a);
                g.writeEndObject();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("results");
            for (int i = 0; i < findings; i++) {
                sarifResult(g, i);
            }
            g.writeEndArray();
            g.writeStringField("columnKind", "unicodeCodePoints");
            g.writeObjectFieldStart("properties");
            g.writeStringField("semmle.formatSpecifier", "sarif-latest");
            g.writeEndObject();
            g.writeEndObject(); // run
            g.writeEndArray();
            g.writeEndObject();
        }
        return Files.size(file);
    }

    private static String ruleId(int r) {
        return "py/" + WORDS[r % WORDS.length] + "-" + WORDS[(r * 7 + 3) % WORDS.length] + "-" + r;
    }

    private static String filePath(int a) {
        return DIRS[a % DIRS.length] + "/module_" + (a / DIRS.length) + (a % 3 == 0 ? "/views.py" : a % 3 == 1 ? "/models.py" : "/util.py");
    }

    private static void sarifRule(JsonGenerator g, int r) throws IOException {
        String id = ruleId(r);
        String name = WORDS[r % WORDS.length] + " " + WORDS[(r * 7 + 3) % WORDS.length] + " problem " + r;
        String full = "When " + WORDS[(r * 3) % WORDS.length] + " is combined with " + WORDS[(r * 5 + 1) % WORDS.length]
                + ", the result may be unexpected behaviour of the program or a security weakness (rule " + r + ").";
        g.writeStartObject();
        g.writeStringField("id", id);
        g.writeStringField("name", id);
        g.writeObjectFieldStart("shortDescription");
        g.writeStringField("text", name);
        g.writeEndObject();
        g.writeObjectFieldStart("fullDescription");
        g.writeStringField("text", full);
        g.writeEndObject();
        g.writeObjectFieldStart("defaultConfiguration");
        g.writeBooleanField("enabled", true);
        g.writeStringField("level", LEVELS[r % LEVELS.length]);
        g.writeEndObject();
        g.writeObjectFieldStart("properties");
        g.writeArrayFieldStart("tags");
        g.writeString(r % 2 == 0 ? "security" : "reliability");
        g.writeString("correctness");
        if (r % 3 != 2) {
            g.writeString("external/cwe/cwe-" + (20 + (r * 37) % 900));
        }
        g.writeEndArray();
        g.writeStringField("description", full);
        g.writeStringField("id", id);
        g.writeStringField("kind", "problem");
        g.writeStringField("name", name);
        g.writeStringField("precision", r % 2 == 0 ? "high" : "very-high");
        g.writeStringField("problem.severity", LEVELS[r % LEVELS.length]);
        if (r % 2 == 0) {
            g.writeStringField("security-severity", String.format(Locale.ROOT, "%.1f", (r % 100) / 10.0));
        } else {
            g.writeStringField("sub-severity", r % 4 == 1 ? "low" : "high");
        }
        g.writeEndObject();
        g.writeEndObject();
    }

    private static void sarifResult(JsonGenerator g, int i) throws IOException {
        int r = (int) (mix(i) % RULES);
        int a = (int) (mix(i + 0x9E37L) % FILES);
        int line = 1 + (int) (mix(i * 31L) % 2_000);
        int col = 1 + i % 40;
        g.writeStartObject();
        g.writeStringField("ruleId", ruleId(r));
        g.writeNumberField("ruleIndex", r);
        if (i % 4 != 3) {
            g.writeStringField("level", LEVELS[(r + i) % LEVELS.length]);
        }
        g.writeObjectFieldStart("message");
        g.writeStringField("text", "The value assigned to local variable '" + WORDS[i % WORDS.length] + i + "' in "
                + WORDS[(i / 7) % WORDS.length] + " is never used.");
        g.writeEndObject();
        g.writeArrayFieldStart("locations");
        g.writeStartObject();
        g.writeObjectFieldStart("physicalLocation");
        g.writeObjectFieldStart("artifactLocation");
        g.writeStringField("uri", filePath(a));
        g.writeStringField("uriBaseId", "%SRCROOT%");
        g.writeNumberField("index", a);
        g.writeEndObject();
        g.writeObjectFieldStart("region");
        g.writeNumberField("startLine", line);
        g.writeNumberField("startColumn", col);
        g.writeNumberField("endColumn", col + 5 + i % 20);
        g.writeEndObject();
        g.writeObjectFieldStart("contextRegion");
        g.writeNumberField("startLine", Math.max(1, line - 2));
        g.writeNumberField("endLine", line + 2);
        g.writeObjectFieldStart("snippet");
        g.writeStringField("text", "    try:\n        os.remove('db_" + i + ".sqlite')\n    except FileNotFoundError:\n        pass\n\n");
        g.writeEndObject();
        g.writeEndObject();
        g.writeEndObject(); // physicalLocation
        g.writeEndObject();
        g.writeEndArray();
        g.writeObjectFieldStart("partialFingerprints");
        g.writeStringField("primaryLocationLineHash", String.format(Locale.ROOT, "%016x:%d", mix(i * 17L + 5), 1 + i % 3));
        g.writeStringField("primaryLocationStartColumnFingerprint", Integer.toString(col % 7));
        g.writeEndObject();
        g.writeEndObject();
    }

    /** Writes a Trivy schema-2 report with {@code findings} vulnerabilities to {@code file}; returns its size in bytes. */
    public static long trivy(Path file, int findings) throws IOException {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
             JsonGenerator g = JSON.createGenerator(os, JsonEncoding.UTF8).useDefaultPrettyPrinter()) {
            g.writeStartObject();
            g.writeNumberField("SchemaVersion", 2);
            g.writeStringField("CreatedAt", "2025-03-03T10:15:30.123456789Z");
            g.writeStringField("ArtifactName", "registry.example.com/team/teamdojo:1.4.2");
            g.writeStringField("ArtifactType", "container_image");
            g.writeObjectFieldStart("Metadata");
            g.writeObjectFieldStart("OS");
            g.writeStringField("Family", "alpine");
            g.writeStringField("Name", "3.9.4");
            g.writeEndObject();
            g.writeStringField("ImageID", "sha256:" + hex64(1));
            g.writeArrayFieldStart("RepoTags");
            g.writeString("registry.example.com/team/teamdojo:1.4.2");
            g.writeEndArray();
            g.writeArrayFieldStart("RepoDigests");
            g.writeString("registry.example.com/team/teamdojo@sha256:" + hex64(2));
            g.writeEndArray();
            g.writeEndObject();
            g.writeArrayFieldStart("Results");
            int i = 0;
            int result = 0;
            while (i < findings) {
                int n = Math.min(TRIVY_PER_RESULT, findings - i);
                boolean os0 = result % 4 == 0;
                String type = os0 ? "alpine" : LANG_TYPES[(result / 4 + result) % LANG_TYPES.length];
                g.writeStartObject();
                g.writeStringField("Target", os0 ? "registry.example.com/team/teamdojo:1.4.2 (alpine 3.9.4)"
                        : "app/" + type + "/deps-" + result + (type.equals("jar") ? ".jar" : type.equals("npm") ? "/package-lock.json" : "/requirements.txt"));
                g.writeStringField("Class", os0 ? "os-pkgs" : "lang-pkgs");
                g.writeStringField("Type", type);
                g.writeArrayFieldStart("Vulnerabilities");
                for (int k = 0; k < n; k++, i++) {
                    trivyVulnerability(g, i, type, !os0);
                }
                g.writeEndArray();
                g.writeEndObject();
                result++;
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return Files.size(file);
    }

    private static void trivyVulnerability(JsonGenerator g, int i, String type, boolean lang) throws IOException {
        int year = 2015 + (int) (mix(i) % 10);
        String cve = "CVE-" + year + "-" + (1000 + (int) (mix(i * 3L + 1) % 98_000));
        int p = (int) (mix(i * 5L + 2) % 3_000);
        String pkg;
        String purl;
        String version = (1 + p % 9) + "." + (p % 17) + "." + (i % 23);
        String fixed = (1 + p % 9) + "." + (p % 17) + "." + (i % 23 + 1);
        switch (type) {
            case "alpine" -> {
                pkg = "lib" + WORDS[p % WORDS.length] + p;
                version = version + "-r" + (i % 5);
                fixed = fixed + "-r0";
                purl = "pkg:apk/alpine/" + pkg + "@" + version + "?arch=x86_64&distro=3.9.4";
            }
            case "jar" -> {
                pkg = "org." + WORDS[p % WORDS.length] + ":" + WORDS[(p / 3) % WORDS.length] + "-core" + p;
                int colon = pkg.indexOf(':');
                purl = "pkg:maven/" + pkg.substring(0, colon) + "/" + pkg.substring(colon + 1) + "@" + version;
            }
            case "npm" -> {
                pkg = WORDS[p % WORDS.length] + "-" + WORDS[(p / 5) % WORDS.length] + p;
                purl = "pkg:npm/" + pkg + "@" + version;
            }
            default -> {
                pkg = "py" + WORDS[p % WORDS.length] + p;
                purl = "pkg:pypi/" + pkg + "@" + version;
            }
        }
        String severity = SEVERITIES[(int) (mix(i * 11L + 7) % SEVERITIES.length)];
        g.writeStartObject();
        g.writeStringField("VulnerabilityID", cve);
        g.writeStringField("PkgID", pkg + "@" + version);
        g.writeStringField("PkgName", pkg);
        if (lang) {
            g.writeStringField("PkgPath", "app/libs/" + pkg.replace(':', '-') + "-" + version);
        }
        g.writeObjectFieldStart("PkgIdentifier");
        g.writeStringField("PURL", purl);
        g.writeStringField("UID", String.format(Locale.ROOT, "%016x", mix(i * 13L + 3)));
        g.writeEndObject();
        g.writeStringField("InstalledVersion", version);
        if (i % 5 != 4) {
            g.writeStringField("FixedVersion", fixed);
        }
        g.writeStringField("Status", i % 5 != 4 ? "fixed" : "affected");
        g.writeObjectFieldStart("Layer");
        g.writeStringField("Digest", "sha256:" + hex64(100 + i % 7));
        g.writeStringField("DiffID", "sha256:" + hex64(200 + i % 7));
        g.writeEndObject();
        g.writeStringField("SeveritySource", lang ? "ghsa" : "nvd");
        g.writeStringField("PrimaryURL", "https://avd.aquasec.com/nvd/" + cve.toLowerCase(Locale.ROOT));
        g.writeObjectFieldStart("DataSource");
        g.writeStringField("ID", lang ? "ghsa" : "alpine");
        g.writeStringField("Name", lang ? "GitHub Security Advisory" : "Alpine Secdb");
        g.writeStringField("URL", lang ? "https://github.com/advisories" : "https://secdb.alpinelinux.org/");
        g.writeEndObject();
        g.writeStringField("Title", pkg + ": " + WORDS[i % WORDS.length] + " " + WORDS[(i / 3) % WORDS.length]
                + " via crafted input in " + WORDS[(i / 11) % WORDS.length] + " handling");
        g.writeStringField("Description", "A flaw was found in " + pkg + " before " + fixed + ". A remote attacker could "
                + WORDS[(i / 5) % WORDS.length] + " the " + WORDS[(i / 13) % WORDS.length]
                + " by sending a specially crafted request, leading to a denial of service or possibly code execution ("
                + cve + ").");
        g.writeStringField("Severity", severity);
        g.writeArrayFieldStart("CweIDs");
        g.writeString("CWE-" + (20 + (int) (mix(i * 7L) % 900)));
        g.writeEndArray();
        g.writeObjectFieldStart("VendorSeverity");
        g.writeNumberField("nvd", 1 + i % 4);
        g.writeNumberField("redhat", 1 + (i / 3) % 4);
        g.writeEndObject();
        double v3 = 1.0 + (mix(i * 19L) % 90) / 10.0;
        g.writeObjectFieldStart("CVSS");
        g.writeObjectFieldStart("nvd");
        g.writeStringField("V2Vector", "AV:N/AC:M/Au:N/C:N/I:N/A:P");
        g.writeStringField("V3Vector", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H");
        g.writeNumberField("V2Score", Math.max(1.0, v3 - 1.5));
        g.writeNumberField("V3Score", v3);
        g.writeEndObject();
        if (i % 2 == 0) {
            g.writeObjectFieldStart("redhat");
            g.writeStringField("V3Vector", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:H");
            g.writeNumberField("V3Score", Math.min(10.0, v3 + 0.4));
            g.writeEndObject();
        }
        g.writeEndObject();
        g.writeArrayFieldStart("References");
        int refs = 4 + i % 9;
        for (int k = 0; k < refs; k++) {
            switch (k % 6) {
                case 0 -> g.writeString("https://cve.mitre.org/cgi-bin/cvename.cgi?name=" + cve);
                case 1 -> g.writeString("https://nvd.nist.gov/vuln/detail/" + cve);
                case 2 -> g.writeString("https://github.com/advisories/GHSA-" + ghsaPart(i, 0) + "-" + ghsaPart(i, 1) + "-" + ghsaPart(i, 2));
                case 3 -> g.writeString("https://ubuntu.com/security/notices/USN-" + (4000 + i % 2000) + "-" + (1 + k));
                case 4 -> g.writeString("https://security.gentoo.org/glsa/2020" + (10 + i % 3) + "-" + (k + i % 50));
                default -> g.writeString("https://lists.example.org/archives/list/package-announce/message/" + hex64(i + k).substring(0, 26).toUpperCase(Locale.ROOT) + "/");
            }
        }
        g.writeEndArray();
        g.writeStringField("PublishedDate", year + "-11-03T03:15:00Z");
        g.writeStringField("LastModifiedDate", (year + 1) + "-02-11T19:50:00Z");
        g.writeEndObject();
    }

    private static String ghsaPart(int i, int part) {
        String alphabet = "23456789cfghjmpqrvwx";
        long h = mix(i * 29L + part);
        StringBuilder s = new StringBuilder(4);
        for (int k = 0; k < 4; k++) {
            s.append(alphabet.charAt((int) (h % alphabet.length())));
            h /= alphabet.length();
        }
        return s.toString();
    }

    private static String hex64(long seed) {
        return String.format(Locale.ROOT, "%016x%016x%016x%016x", mix(seed), mix(seed + 1), mix(seed + 2), mix(seed + 3));
    }

    /** A non-negative, well-mixed hash of {@code x} (splitmix64 finaliser). */
    static long mix(long x) {
        long z = x + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (z ^ (z >>> 31)) & Long.MAX_VALUE;
    }

    /** Writes both reports: {@code java ... LargeReports <dir> [findings]}. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : ".");
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        Files.createDirectories(dir);
        System.out.println("sarif " + sarif(dir.resolve("large-" + n + ".sarif"), n) + " bytes");
        System.out.println("trivy " + trivy(dir.resolve("large-trivy-" + n + ".json"), n) + " bytes");
    }
}

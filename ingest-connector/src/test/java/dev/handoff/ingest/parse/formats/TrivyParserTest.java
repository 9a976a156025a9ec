package dev.handoff.ingest.parse.formats;

import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportInput;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrivyParserTest {

    static List<ParsedFinding> parse(String json) throws ReportException {
        List<ParsedFinding> out = new ArrayList<>();
        new TrivyParser().parse(new ReportInput(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), ParseLimits.defaults()),
                out::add);
        return out;
    }

    @Test
    void onlyFailedMisconfigurationsAreFindings() throws ReportException {
        List<ParsedFinding> findings = parse("""
                {"SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem",
                 "Results": [{"Target": "Dockerfile", "Class": "config", "Type": "dockerfile",
                   "Misconfigurations": [
                     {"ID": "DS001", "Title": "latest tag", "Severity": "MEDIUM", "Status": "PASS"},
                     {"ID": "DS002", "AVDID": "AVD-DS-0002", "Title": "Image user should not be 'root'", "Severity": "HIGH",
                      "Status": "FAIL", "CauseMetadata": {"StartLine": 3, "EndLine": 3}},
                     {"ID": "DS005", "Title": "ADD instead of COPY", "Severity": "LOW", "Status": "EXCEPTION"}]}]}
                """);
        assertEquals(1, findings.size());
        ParsedFinding f = findings.get(0);
        assertEquals("HIGH", f.severityLabel());
        assertEquals(List.of("DS002"), f.ids().stream().map(i -> i.getId()).toList());
        assertEquals(VulnerabilityIdKind.TOOL_RULE, f.ids().get(0).getKind());
        assertEquals("Dockerfile", f.target().getFilePath());
        assertEquals(3, f.target().getLine());
        assertEquals("AVD-DS-0002", f.attributes().get("avdId"));
        assertTrue(f.hasAssetTarget());
    }

    @Test
    void secretsKeepRuleAndLinesButNeverTheSecretText() throws ReportException {
        String secret = "ghp_0123456789abcdefABCDEF0123456789abcd";
        List<ParsedFinding> findings = parse("""
                {"SchemaVersion": 2, "ArtifactName": "repo", "ArtifactType": "filesystem",
                 "Results": [{"Target": "config/app.env", "Class": "secret",
                   "Secrets": [{"RuleID": "github-pat", "Category": "GitHub", "Severity": "CRITICAL",
                     "Title": "GitHub Personal Access Token", "StartLine": 7, "EndLine": 7,
                     "Code": {"Lines": [{"Number": 7, "Content": "TOKEN=%1$s", "IsCause": true}]},
                     "Match": "TOKEN=%1$s", "Layer": {}}]}]}
                """.formatted(secret));
        assertEquals(1, findings.size());
        ParsedFinding f = findings.get(0);
        assertEquals("GitHub Personal Access Token", f.title());
        assertEquals("github-pat", f.ids().get(0).getId());
        assertEquals("config/app.env", f.target().getFilePath());
        assertEquals(7, f.target().getLine());
        assertEquals(SeverityBand.CRITICAL, f.band());
        assertFalse(f.toString().contains(secret), "the secret text must not reach the finding: " + f);
        assertFalse(f.toString().contains("TOKEN="), f.toString());
    }

    @Test
    void containerImageTargetComesFromArtifactNameAndRepoDigests() throws ReportException {
        List<ParsedFinding> findings = parse("""
                {"SchemaVersion": 2, "CreatedAt": "2024-05-01T10:00:00.123456789Z", "Trivy": {"Version": "0.51.1"},
                 "ArtifactName": "registry.example.com:5000/team/api:1.4.2", "ArtifactType": "container_image",
                 "Metadata": {"OS": {"Family": "debian", "Name": "12.5"}, "ImageID": "sha256:cfg",
                   "RepoTags": ["registry.example.com:5000/team/api:1.4.2"],
                   "RepoDigests": ["registry.example.com:5000/team/api@sha256:abc123"]},
                 "Results": [
                   {"Target": "registry.example.com:5000/team/api:1.4.2 (debian 12.5)", "Class": "os-pkgs", "Type": "debian",
                    "Vulnerabilities": [{"VulnerabilityID": "CVE-2024-0001", "VendorIDs": ["DSA-5600-1"], "PkgName": "libssl3",
                      "PkgIdentifier": {"PURL": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5"},
                      "InstalledVersion": "3.0.11-1~deb12u2", "FixedVersion": "3.0.13-1~deb12u1", "Severity": "UNKNOWN",
                      "CVSS": {"nvd": {"V40Vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "V40Score": 9.3}}}]},
                   {"Target": "Java", "Class": "lang-pkgs", "Type": "jar",
                    "Vulnerabilities": [{"VulnerabilityID": "GHSA-jfh8-c2jp-5v3q", "PkgName": "org.apache.logging.log4j:log4j-core",
                      "PkgPath": "app/lib/log4j-core-2.14.1.jar", "InstalledVersion": "2.14.1", "Severity": "CRITICAL",
                      "CVSS": {"ghsa": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "V3Score": 10}}}]}]}
                """);
        assertEquals(2, findings.size());
        ParsedFinding os = findings.get(0);
        assertEquals("registry.example.com:5000/team/api", os.target().getImage());
        assertEquals("1.4.2", os.target().getImageTag());
        assertEquals("sha256:abc123", os.target().getImageDigest());
        assertNull(os.target().getFilePath(), "an OS result's target names the image, not a file");
        assertEquals("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5", os.target().getPackagePurl());
        assertEquals("UNKNOWN", os.severityLabel());
        assertEquals(SeverityBand.LOW, os.band());
        assertEquals("4.0", os.cvss().get(0).getVersion());
        assertEquals("0.51.1", os.toolVersion());
        assertEquals("2024-05-01T10:00:00.123456789Z", os.detectedAt().toString());
        assertTrue(os.ids().stream().anyMatch(i -> i.getKind() == VulnerabilityIdKind.OTHER && i.getId().equals("DSA-5600-1")));
        ParsedFinding jar = findings.get(1);
        assertEquals("app/lib/log4j-core-2.14.1.jar", jar.target().getFilePath());
        assertEquals("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", jar.target().getPackagePurl());
        assertEquals(VulnerabilityIdKind.GHSA, jar.ids().get(0).getKind());
        assertFalse(jar.hasCve());
        assertEquals("3.1", jar.cvss().get(0).getVersion());
    }

    @Test
    void legacyArrayFormNamesTheImageByItsOsResult() throws ReportException {
        List<ParsedFinding> findings = parse("""
                [{"Target": "alpine:3.10 (alpine 3.10.2)", "Type": "alpine",
                  "Vulnerabilities": [{"VulnerabilityID": "CVE-2019-14697", "PkgName": "musl", "InstalledVersion": "1.1.22-r2",
                    "FixedVersion": "1.1.22-r3", "Severity": "HIGH"}]},
                 {"Target": "app/package-lock.json", "Type": "npm", "Vulnerabilities": null},
                 {"Target": "app/yarn.lock", "Type": "yarn",
                  "Vulnerabilities": [{"VulnerabilityID": "NSWG-ECO-428", "PkgName": "@babel/core", "InstalledVersion": "7.0.0",
                    "Severity": "LOW"}]}]
                """);
        assertEquals(2, findings.size());
        ParsedFinding os = findings.get(0);
        assertEquals("alpine", os.target().getImage());
        assertEquals("3.10", os.target().getImageTag());
        assertEquals("pkg:apk/alpine/musl@1.1.22-r2", os.target().getPackagePurl());
        assertTrue(os.hasCve());
        ParsedFinding npm = findings.get(1);
        assertEquals("alpine", npm.target().getImage());
        assertEquals("app/yarn.lock", npm.target().getFilePath());
        assertEquals("pkg:npm/%40babel/core@7.0.0", npm.target().getPackagePurl());
        assertEquals(VulnerabilityIdKind.OTHER, npm.ids().get(0).getKind());
    }

    @Test
    void itemsBeforeTheirResultTargetAreHeldUntilTheTargetIsKnown() throws ReportException {
        // jq -S sorts keys: Misconfigurations and Secrets come before Target.
        List<ParsedFinding> findings = parse("""
                {"ArtifactName": "https://github.com/acme/shop", "ArtifactType": "repository",
                 "Results": [{"Class": "secret",
                   "Secrets": [{"RuleID": "aws-access-key-id", "Severity": "CRITICAL", "Title": "AWS Access Key ID", "StartLine": 2}],
                   "Target": "deploy/.env"}],
                 "SchemaVersion": 2}
                """);
        assertEquals(1, findings.size());
        assertEquals("deploy/.env", findings.get(0).target().getFilePath());
        assertEquals("https://github.com/acme/shop", findings.get(0).target().getRepository());
    }

    @Test
    void emptyReportsAndResultsWithoutFindingsParseToNothing() throws ReportException {
        assertTrue(parse("{\"SchemaVersion\": 2, \"ArtifactName\": \"x\", \"ArtifactType\": \"container_image\"}").isEmpty());
        assertTrue(parse("{\"SchemaVersion\": 2, \"Results\": [{\"Target\": \"a\", \"Class\": \"lang-pkgs\"}]}").isEmpty());
        assertTrue(parse("[]").isEmpty());
    }

    @Test
    void truncatedJsonIsMalformedWithItsPosition() {
        ReportException e = assertThrows(ReportException.class, () -> parse("""
                {"SchemaVersion": 2, "ArtifactName": "x",
                 "Results": [{"Target": "a", "Vulnerabilities": [{"VulnerabilityID": "CVE-2020-1234",
                """));
        assertEquals(ReportException.Kind.MALFORMED, e.kind());
        assertTrue(e.line() >= 3, e.getMessage());
    }

    @Test
    void wrongShapesAreMalformedWithTheirLine() {
        ReportException results = assertThrows(ReportException.class, () -> parse("""
                {"SchemaVersion": 2,
                 "Results": {"Target": "a"}}
                """));
        assertEquals(ReportException.Kind.MALFORMED, results.kind());
        assertEquals(2, results.line());
        ReportException vuln = assertThrows(ReportException.class, () -> parse("""
                {"SchemaVersion": 2, "Results": [{"Target": "a",
                  "Vulnerabilities": ["CVE-2020-1234"]}]}
                """));
        assertEquals(2, vuln.line());
        assertEquals(ReportException.Kind.MALFORMED, assertThrows(ReportException.class, () -> parse("\"SchemaVersion\"")).kind());
        assertEquals(ReportException.Kind.MALFORMED, assertThrows(ReportException.class, () -> parse("{\"matches\": []}")).kind());
        assertEquals(ReportException.Kind.MALFORMED, assertThrows(ReportException.class, () -> parse("")).kind());
        ReportException k8s = assertThrows(ReportException.class, () -> parse("{\"ClusterName\": \"prod\", \"Resources\": []}"));
        assertTrue(k8s.getMessage().contains("Kubernetes"), k8s.getMessage());
        ReportException twice = assertThrows(ReportException.class, () -> parse("{\"SchemaVersion\": 2}\n{\"SchemaVersion\": 2}"));
        assertEquals(2, twice.line());
    }

    @Test
    void purlsForReportsWithoutPkgIdentifierFollowTrivysOwn() {
        assertEquals("pkg:rpm/redhat/openssl-libs@1.1.1k-5.el8_5", TrivyParser.purl("redhat", "openssl-libs", "1:1.1.1k-5.el8_5"));
        assertEquals("pkg:pypi/typing-extensions@4.0.1", TrivyParser.purl("pip", "Typing_Extensions", "4.0.1"));
        assertEquals("pkg:golang/github.com/gin-gonic/gin@v1.7.0", TrivyParser.purl("gomod", "github.com/gin-gonic/gin", "v1.7.0"));
        assertEquals("pkg:deb/debian/libgssapi-krb5-2@1.17-3+deb10u3", TrivyParser.purl("debian", "libgssapi-krb5-2", "1.17-3+deb10u3"));
        assertNull(TrivyParser.purl("terraform", "x", "1"));
    }
}

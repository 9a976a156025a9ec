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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GrypeParserTest {

    private static final String GHSA_MATCH = """
            {"vulnerability": {"id": "GHSA-v6rh-hp5x-86rv", "dataSource": "https://github.com/advisories/GHSA-v6rh-hp5x-86rv",
               "namespace": "github:python", "severity": "High", "urls": ["https://github.com/advisories/GHSA-v6rh-hp5x-86rv"],
               "cvss": [], "fix": {"versions": ["3.2.10"], "state": "fixed"}},
             "relatedVulnerabilities": [{"id": "CVE-2021-44420", "dataSource": "https://nvd.nist.gov/vuln/detail/CVE-2021-44420",
               "namespace": "nvd", "severity": "High", "description": "Django before 3.2.10 ...",
               "cvss": [{"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L",
                         "metrics": {"baseScore": 7.3, "exploitabilityScore": 3.9, "impactScore": 3.4}}]}],
             "matchDetails": [{"type": "exact-direct-match", "matcher": "python-matcher"}],
             "artifact": {"name": "Django", "version": "3.2.9", "type": "python",
               "locations": [{"path": "/usr/local/lib/python3.8/site-packages/Django-3.2.9.dist-info/METADATA"}],
               "purl": "pkg:pypi/Django@3.2.9"}}""";

    private static final String IMAGE_SOURCE = """
            {"type": "image", "target": {"userInput": "docker:registry.example.com:5000/team/api:1.2",
               "imageID": "sha256:cfg", "manifestDigest": "sha256:manifest", "tags": ["registry.example.com:5000/team/api:1.2"],
               "repoDigests": ["registry.example.com:5000/team/api@sha256:repo"]}}""";

    private static final String DESCRIPTOR = """
            {"name": "grype", "version": "0.74.0", "timestamp": "2024-01-02T03:04:05.678+01:00"}""";

    static List<ParsedFinding> parse(String json) throws ReportException {
        List<ParsedFinding> out = new ArrayList<>();
        new GrypeParser().parse(new ReportInput(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), ParseLimits.defaults()),
                out::add);
        return out;
    }

    @Test
    void ghsaMatchCarriesTheCveAndCvssOfItsRelatedRecord() throws ReportException {
        List<ParsedFinding> findings = parse("{\"matches\": [" + GHSA_MATCH + "], \"source\": " + IMAGE_SOURCE
                + ", \"descriptor\": " + DESCRIPTOR + "}");
        assertEquals(1, findings.size());
        ParsedFinding f = findings.get(0);
        assertEquals(VulnerabilityIdKind.GHSA, f.ids().get(0).getKind());
        assertTrue(f.hasCve());
        assertTrue(f.ids().stream().anyMatch(i -> i.getId().equals("CVE-2021-44420")));
        assertEquals(1, f.cvss().size());
        assertEquals(7.3, f.cvss().get(0).getBaseScore());
        assertEquals("nvd", f.cvss().get(0).getSource());
        assertEquals("High", f.severityLabel());
        assertEquals(SeverityBand.HIGH, f.band());
        assertEquals("3.2.10", f.fixedVersion());
        assertEquals("Django before 3.2.10 ...", f.description());
    }

    @Test
    void imageSourceAndDescriptorAfterTheMatchesStillApply() throws ReportException {
        List<ParsedFinding> findings = parse("{\"matches\": [" + GHSA_MATCH + "], \"source\": " + IMAGE_SOURCE
                + ", \"descriptor\": " + DESCRIPTOR + "}");
        ParsedFinding f = findings.get(0);
        assertEquals("registry.example.com:5000/team/api", f.target().getImage());
        assertEquals("1.2", f.target().getImageTag());
        assertEquals("sha256:repo", f.target().getImageDigest());
        assertEquals("pkg:pypi/Django@3.2.9", f.target().getPackagePurl());
        assertEquals("/usr/local/lib/python3.8/site-packages/Django-3.2.9.dist-info/METADATA", f.target().getFilePath());
        assertEquals("0.74.0", f.toolVersion());
        assertEquals("2024-01-02T02:04:05.678Z", f.detectedAt().toString());
    }

    @Test
    void contextFirstGivesTheSameFindingsWithoutSpooling() throws ReportException {
        List<ParsedFinding> late = parse("{\"matches\": [" + GHSA_MATCH + "], \"source\": " + IMAGE_SOURCE
                + ", \"descriptor\": " + DESCRIPTOR + "}");
        List<ParsedFinding> early = parse("{\"descriptor\": " + DESCRIPTOR + ", \"source\": " + IMAGE_SOURCE
                + ", \"matches\": [" + GHSA_MATCH + "]}");
        assertEquals(late, early);
    }

    @Test
    void directorySourceNamesNoImage() throws ReportException {
        List<ParsedFinding> findings = parse("{\"matches\": [" + GHSA_MATCH + "], \"source\": {\"type\": \"directory\", \"target\": \"/src/app\"}}");
        ParsedFinding f = findings.get(0);
        assertNull(f.target().getImage());
        assertEquals("/src/app", f.attributes().get("source"));
        assertTrue(f.hasAssetTarget());
    }

    @Test
    void archiveUserInputFallsBackToTheImageTag() throws ReportException {
        List<ParsedFinding> findings = parse("{\"matches\": [" + GHSA_MATCH + "], \"source\": {\"type\": \"image\", \"target\": "
                + "{\"userInput\": \"docker-archive:/tmp/api.tar\", \"tags\": [\"team/api:2.0\"], \"manifestDigest\": \"sha256:m\"}}}");
        ParsedFinding f = findings.get(0);
        assertEquals("team/api", f.target().getImage());
        assertEquals("2.0", f.target().getImageTag());
        assertEquals("sha256:m", f.target().getImageDigest());
    }

    @Test
    void negligibleIsInfoAndUnknownIsLow() throws ReportException {
        List<ParsedFinding> findings = parse("""
                {"matches": [
                  {"vulnerability": {"id": "CVE-2004-0971", "severity": "Negligible"}, "artifact": {"name": "krb5", "version": "1"}},
                  {"vulnerability": {"id": "CVE-2024-9999", "severity": "Unknown"}, "artifact": {"name": "zlib", "version": "1"}}]}
                """);
        assertEquals(SeverityBand.INFO, findings.get(0).band());
        assertEquals("Negligible", findings.get(0).severityLabel());
        assertEquals(SeverityBand.LOW, findings.get(1).band());
        assertEquals("Unknown", findings.get(1).severityLabel());
    }

    @Test
    void emptyMatchesAreNoFindings() throws ReportException {
        assertTrue(parse("{\"matches\": [], \"source\": " + IMAGE_SOURCE + "}").isEmpty());
    }

    @Test
    void aMatchWithoutVulnerabilityIsMalformedAtItsOwnLine() {
        ReportException e = assertThrows(ReportException.class, () -> parse("""
                {"matches": [
                  %s,
                  {"vulnerability": "CVE-2020-1", "artifact": {}}
                ],
                "source": {"type": "directory", "target": "."}}
                """.formatted(GHSA_MATCH)));
        assertEquals(ReportException.Kind.MALFORMED, e.kind());
        assertEquals(13, e.line(), e.getMessage()); // the second match: line 2 plus the 11 lines of the first
        assertEquals(3, e.column(), e.getMessage());
    }

    @Test
    void truncatedOrForeignJsonIsMalformed() {
        ReportException truncated = assertThrows(ReportException.class, () -> parse("{\"matches\": [\n" + GHSA_MATCH.substring(0, 200)));
        assertEquals(ReportException.Kind.MALFORMED, truncated.kind());
        assertTrue(truncated.line() >= 2, truncated.getMessage());
        assertEquals(ReportException.Kind.MALFORMED, assertThrows(ReportException.class, () -> parse("{\"SchemaVersion\": 2}")).kind());
        assertEquals(ReportException.Kind.MALFORMED, assertThrows(ReportException.class, () -> parse("{\"matches\": {}}")).kind());
        assertEquals(ReportException.Kind.MALFORMED, assertThrows(ReportException.class, () -> parse("[]")).kind());
    }
}

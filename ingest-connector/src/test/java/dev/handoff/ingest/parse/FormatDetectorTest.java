package dev.handoff.ingest.parse;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Detection cases the corpus does not hold, found while writing the parsers. */
class FormatDetectorTest {

    private static Optional<ReportFormat> detect(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return FormatDetector.detect(b, b.length);
    }

    @Test
    void shapesBeyondTheCorpusAreRecognised() {
        assertEquals(Optional.of(ReportFormat.TRIVY), detect("[{\"Target\": \"alpine:3.10 (alpine 3.10.2)\", \"Type\": \"alpine\", \"Vulnerabilities\": []}]"));
        assertEquals(Optional.of(ReportFormat.SEMGREP), detect("{\"errors\": [], \"paths\": {\"scanned\": []}, \"results\": [], \"version\": \"1.50.0\"}"));
        assertEquals(Optional.of(ReportFormat.NPM_AUDIT), detect("{\"actions\": [{\"action\": \"update\", \"isMajor\": false, \"resolves\": []}]}"));
        assertEquals(Optional.of(ReportFormat.GRYPE), detect("{\"matches\": [], \"source\": {\"type\": \"image\"}}"));
    }

    @Test
    void theGenericFormatWinsOverKeysOtherFormatsUseAndAsffOverTrivy() {
        assertEquals(Optional.of(ReportFormat.GENERIC_JSON),
                detect("{\"format\": \"handoff-generic\", \"findings\": [{\"title\": \"x\", \"severity\": \"low\", \"AwsAccountId\": \"1\"}]}"));
        assertEquals(Optional.of(ReportFormat.ASFF),
                detect("{\"Findings\": [{\"SchemaVersion\": \"2018-10-08\", \"ProductArn\": \"arn:aws\", \"ProductFields\": {\"Results\": \"1\"}}]}"));
    }

    @Test
    void doctypeIsRefusedOnlyInXml() throws Exception {
        byte[] xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE analysis [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><analysis/>".getBytes(StandardCharsets.UTF_8);
        assertTrue(FormatDetector.declaresDoctype(xml, xml.length));
        byte[] json = "{\"site\": [{\"alerts\": [{\"evidence\": \"<!DOCTYPE html>\"}]}], \"@version\": \"2.11\"}".getBytes(StandardCharsets.UTF_8);
        assertFalse(FormatDetector.declaresDoctype(json, json.length), "HTML quoted in a JSON value is not a DOCTYPE");
        ReportException e = assertThrows(ReportException.class, () -> new ReportParsers().parse(new ByteArrayInputStream(xml),
                Optional.empty(), ParseLimits.defaults(), f -> { }));
        assertEquals(ReportException.Kind.UNSAFE, e.kind());
    }

    /** PowerShell's Out-File writes UTF-16 with a byte-order mark; Jackson and StAX read it, so detection must too. */
    @Test
    void reportsInUtf16OrUtf32WithAByteOrderMarkAreRecognisedAndParsed() throws Exception {
        String trivy = "{\"SchemaVersion\": 2, \"ArtifactName\": \"alpine:3.10\", \"Results\": [{\"Target\": \"alpine:3.10\", \"Class\": \"os-pkgs\","
                + " \"Type\": \"alpine\", \"Vulnerabilities\": [{\"VulnerabilityID\": \"CVE-2019-1549\", \"PkgName\": \"openssl\","
                + " \"InstalledVersion\": \"1.1.1c-r0\", \"Severity\": \"MEDIUM\"}]}]}";
        String zap = "<?xml version=\"1.0\"?><OWASPZAPReport version=\"2.9.0\" generated=\"x\"></OWASPZAPReport>";
        for (java.nio.charset.Charset cs : java.util.List.of(StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE,
                java.nio.charset.Charset.forName("UTF-32BE"))) {
            byte[] json = ("\uFEFF" + trivy).getBytes(cs);
            assertEquals(Optional.of(ReportFormat.TRIVY), FormatDetector.detect(json, json.length), cs.name());
            assertEquals(1, new ReportParsers().parse(new ByteArrayInputStream(json), Optional.empty(), ParseLimits.defaults(), f -> { })
                    .findings(), cs.name());
            byte[] xml = ("\uFEFF" + zap).getBytes(cs);
            assertEquals(Optional.of(ReportFormat.ZAP_XML), FormatDetector.detect(xml, xml.length), cs.name());
        }
        byte[] doctype = "\uFEFF<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>".getBytes(StandardCharsets.UTF_16LE);
        assertTrue(FormatDetector.declaresDoctype(doctype, doctype.length), "a DOCTYPE is refused in UTF-16 too");
    }

    @Test
    void anUnrecognisedReportListsTheKnownFormatsAndSuggestsNamingIt() {
        ReportException e = assertThrows(ReportException.class, () -> new ReportParsers().parse(
                new ByteArrayInputStream("[]".getBytes(StandardCharsets.UTF_8)), Optional.empty(), ParseLimits.defaults(), f -> { }));
        assertEquals(ReportException.Kind.UNKNOWN_FORMAT, e.kind());
        assertTrue(e.getMessage().contains("format=") && e.getMessage().contains("sarif"), e.getMessage());
    }

    @Test
    void limitsAreEnforcedWithClearErrors() {
        String big = "{\"format\": \"handoff-generic\", \"version\": 1, \"findings\": [" + "{\"title\": \"t\", \"severity\": \"low\"},".repeat(3)
                + "{\"title\": \"t\", \"severity\": \"low\"}]}";
        ReportException tooMany = assertThrows(ReportException.class, () -> new ReportParsers().parse(
                new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)), Optional.empty(), new ParseLimits(1 << 20, 64, 1000, 2), f -> { }));
        assertEquals(ReportException.Kind.LIMIT_EXCEEDED, tooMany.kind());
        assertTrue(tooMany.getMessage().contains("ingest.limit.findings"), tooMany.getMessage());
        ReportException tooLarge = assertThrows(ReportException.class, () -> new ReportParsers().parse(
                new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)), Optional.empty(), new ParseLimits(100, 64, 1000, 100), f -> { }));
        assertEquals(ReportException.Kind.TOO_LARGE, tooLarge.kind());
        String deep = "{\"format\": \"handoff-generic\", \"findings\": [{\"title\": \"t\", \"severity\": \"low\", \"x\": " + "[".repeat(80) + "]".repeat(80) + "}]}";
        ReportException tooDeep = assertThrows(ReportException.class, () -> new ReportParsers().parse(
                new ByteArrayInputStream(deep.getBytes(StandardCharsets.UTF_8)), Optional.empty(), new ParseLimits(1 << 20, 32, 1000, 100), f -> { }));
        assertEquals(ReportException.Kind.LIMIT_EXCEEDED, tooDeep.kind(), tooDeep.getMessage());
    }
}

package dev.handoff.ingest.parse.formats;

import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.ParsedFinding;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static dev.handoff.ingest.parse.formats.SarifParserTest.malformed;
import static dev.handoff.ingest.parse.formats.SarifParserTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BanditParserTest {

    private final BanditParser parser = new BanditParser();

    private static final String PASSWORD_RESULT = """
            {"code": "10 db_password = 'hunter2-secret'\\n", "col_offset": 4, "filename": "app/settings.py",
             "issue_confidence": "MEDIUM", "issue_cwe": {"id": 259, "link": "https://cwe.mitre.org/data/definitions/259.html"},
             "issue_severity": "LOW", "issue_text": "Possible hardcoded password: 'hunter2-secret'", "line_number": 10,
             "line_range": [10], "more_info": "https://bandit.readthedocs.io/en/1.7.5/plugins/b105_hardcoded_password_string.html",
             "test_id": "B105", "test_name": "hardcoded_password_string"}
            """;

    @Test
    void resultFieldsAreMappedAndTheSecretNeverKept() throws Exception {
        ParsedFinding f = parse(parser, "{\"errors\": [], \"generated_at\": \"2024-02-03T04:05:06Z\", \"metrics\": {\"_totals\": {}},"
                + " \"results\": [" + PASSWORD_RESULT + "]}").get(0);
        assertEquals("Bandit", f.tool());
        assertEquals("LOW", f.severityLabel());
        assertEquals(SeverityBand.LOW, f.band());
        assertEquals(VulnerabilityIdKind.TOOL_RULE, f.ids().get(0).getKind());
        assertEquals("B105", f.ids().get(0).getId());
        assertEquals(List.of("CWE-259"), f.cwes());
        assertEquals("Possible hardcoded password: [redacted]", f.title());
        assertEquals("app/settings.py", f.target().getFilePath());
        assertEquals(10, f.target().getLine());
        assertEquals(Instant.parse("2024-02-03T04:05:06Z"), f.detectedAt());
        assertEquals("MEDIUM", f.attributes().get("confidence"));
        assertEquals("hardcoded_password_string", f.attributes().get("testName"));
        assertTrue(f.references().contains("https://cwe.mitre.org/data/definitions/259.html"));
        assertFalse(f.toString().contains("hunter2"), f.toString());
    }

    @Test
    void severitiesMapToBands() throws Exception {
        String results = String.join(",", List.of("HIGH", "MEDIUM", "LOW", "UNDEFINED").stream()
                .map(s -> "{\"test_id\": \"B1\", \"issue_severity\": \"" + s + "\", \"issue_text\": \"t\", \"filename\": \"a.py\", \"line_number\": 1}")
                .toList());
        List<ParsedFinding> f = parse(parser, "{\"generated_at\": \"2024-02-03T04:05:06Z\", \"results\": [" + results + "]}");
        assertEquals(List.of(SeverityBand.HIGH, SeverityBand.MEDIUM, SeverityBand.LOW, SeverityBand.INFO), f.stream().map(ParsedFinding::band).toList());
        assertEquals(List.of("HIGH", "MEDIUM", "LOW", "UNDEFINED"), f.stream().map(ParsedFinding::severityLabel).toList());
    }

    @Test
    void generatedAtAfterTheResultsStillDatesThem() throws Exception {
        String report = "{\"results\": [" + PASSWORD_RESULT + "], \"generated_at\": \"2024-02-03T04:05:06Z\"}";
        for (BanditParser p : List.of(parser, new BanditParser(0))) {
            assertEquals(Instant.parse("2024-02-03T04:05:06Z"), parse(p, report).get(0).detectedAt());
        }
    }

    @Test
    void noResultsGiveNoFindings() throws Exception {
        assertEquals(0, parse(parser, "{\"errors\": [], \"generated_at\": \"2024-02-03T04:05:06Z\", \"results\": []}").size());
    }

    @Test
    void wrongShapesAndTruncationAreMalformedWithALine() {
        assertEquals(2, malformed(parser, "{\"generated_at\": \"x\",\n \"results\": \"none\"}").line());
        assertEquals(2, malformed(parser, "{\"results\": [\n {\"test_id\": \"B1\", \"issue_cwe\": 259}]}").line());
        assertEquals(2, malformed(parser, "{\"results\": [\n {\"test_id\": \"B1\"").line());
        malformed(parser, "[1, 2]");
    }
}

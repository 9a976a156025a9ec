package dev.handoff.ingest.parse.formats;

import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.FormatDetector;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportInput;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenericCsvParserTest {

    private final GenericCsvParser parser = new GenericCsvParser();

    private List<ParsedFinding> parse(byte[] csv, ParseLimits limits) throws ReportException {
        List<ParsedFinding> out = new ArrayList<>();
        parser.parse(new ReportInput(new ByteArrayInputStream(csv), limits), out::add);
        return out;
    }

    private List<ParsedFinding> parse(String csv) throws ReportException {
        return parse(csv.getBytes(StandardCharsets.UTF_8), ParseLimits.defaults());
    }

    @Test
    void happyPath() throws Exception {
        List<ParsedFinding> findings = parse("""
                title,severity,cve,host,port,detected_at,cvss_vector,cvss_score,Ticket,tool
                Log4Shell on payments,critical,CVE-2021-44228;CVE-2021-45046,payments.example.com,8443,2024-05-02,CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H,10.0,SEC-1,
                Banner,Info,,www.example.com,443,2024-05-02T09:30:00Z,,,,nmap
                """);
        assertEquals(2, findings.size());
        ParsedFinding f = findings.get(0);
        assertEquals("manual", f.tool());
        assertEquals("critical", f.severityLabel());
        assertEquals(SeverityBand.CRITICAL, f.band());
        assertEquals(List.of(new VulnerabilityId(VulnerabilityIdKind.CVE, "CVE-2021-44228"), new VulnerabilityId(VulnerabilityIdKind.CVE, "CVE-2021-45046")),
                f.ids());
        assertEquals(8443, f.target().getPort());
        assertEquals(Instant.parse("2024-05-02T00:00:00Z"), f.detectedAt());
        assertEquals("3.1", f.cvss().get(0).getVersion());
        assertEquals("SEC-1", f.attributes().get("Ticket"), "unknown columns become attributes");
        assertEquals("nmap", findings.get(1).tool());
        assertEquals("Info", findings.get(1).severityLabel());
        assertEquals(SeverityBand.INFO, findings.get(1).band());
    }

    @Test
    void quotingPerRfc4180() throws Exception {
        String csv = "Title,Severity,Description,File Path,Line\r\n"
                + "\"SQL injection, in login\",HIGH,\"first line\r\nsecond \"\"quoted\"\" line\",src/Login.java,42\r\n"
                + "\r\n"
                + "plain \"inch\" mark,low,,,\r\n";
        List<ParsedFinding> findings = parse(csv);
        assertEquals(2, findings.size());
        ParsedFinding f = findings.get(0);
        assertEquals("SQL injection, in login", f.title());
        assertEquals("first line\nsecond \"quoted\" line", f.description());
        assertEquals("src/Login.java", f.target().getFilePath());
        assertEquals(42, f.target().getLine());
        assertEquals("plain \"inch\" mark", findings.get(1).title());
        assertNull(findings.get(1).target().getFilePath());
    }

    @Test
    void byteOrderMarkAndNoFinalNewlineAndShortRows() throws Exception {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] body = "title,severity,asset\nA,medium".getBytes(StandardCharsets.UTF_8);
        byte[] csv = new byte[bom.length + body.length];
        System.arraycopy(bom, 0, csv, 0, bom.length);
        System.arraycopy(body, 0, csv, bom.length, body.length);
        List<ParsedFinding> findings = parse(csv, ParseLimits.defaults());
        assertEquals(1, findings.size());
        assertEquals("A", findings.get(0).title());
        assertNull(findings.get(0).target().getAssetHint());
        assertEquals(Optional.of(ReportFormat.GENERIC_CSV), FormatDetector.detect(csv, csv.length));
    }

    @Test
    void headerOnlyIsZeroFindings() throws Exception {
        assertTrue(parse("title,severity\n").isEmpty());
    }

    @Test
    void badRowsNameLineAndColumn() {
        ReportException severity = assertThrows(ReportException.class, () -> parse("""
                title,severity,port
                ok,high,80
                bad,urgent,80
                """));
        assertEquals(ReportException.Kind.MALFORMED, severity.kind());
        assertEquals(3, severity.line());
        assertEquals(5, severity.column());
        assertTrue(severity.getMessage().contains("row 2, column \"severity\""), severity.getMessage());

        ReportException title = assertThrows(ReportException.class, () -> parse("title,severity\n\"multi\nline\",low\n,high\n"));
        assertEquals(4, title.line(), "the line of the row, counting the line break inside the quoted field");
        assertTrue(title.getMessage().contains("title is required"), title.getMessage());

        ReportException port = assertThrows(ReportException.class, () -> parse("title,severity,port\nx,low,http\n"));
        assertEquals(2, port.line());
        assertTrue(port.getMessage().contains("column \"port\""), port.getMessage());

        ReportException line = assertThrows(ReportException.class, () -> parse("title,severity,line\nx,low,0\n"));
        assertTrue(line.getMessage().contains("column \"line\""), line.getMessage());

        ReportException date = assertThrows(ReportException.class, () -> parse("title,severity,detected_at\nx,low,05/02/2024\n"));
        assertTrue(date.getMessage().contains("column \"detected_at\""), date.getMessage());
        assertEquals(2, date.line());
    }

    @Test
    void structuralErrors() {
        ReportException unterminated = assertThrows(ReportException.class, () -> parse("title,severity\n\"never closed,low\n"));
        assertEquals(ReportException.Kind.MALFORMED, unterminated.kind());
        assertEquals(2, unterminated.line());

        ReportException afterQuote = assertThrows(ReportException.class, () -> parse("title,severity\n\"a\"b,low\n"));
        assertEquals(2, afterQuote.line());

        ReportException extra = assertThrows(ReportException.class, () -> parse("title,severity\na,low,extra\n"));
        assertEquals(2, extra.line());
        assertEquals(7, extra.column());

        ReportException header = assertThrows(ReportException.class, () -> parse("name,level\na,low\n"));
        assertEquals(1, header.line());
        assertTrue(header.getMessage().contains("title and severity"), header.getMessage());

        ReportException twice = assertThrows(ReportException.class, () -> parse("title,severity,Title\na,low,b\n"));
        assertTrue(twice.getMessage().contains("named twice"), twice.getMessage());

        assertEquals(ReportException.Kind.MALFORMED, assertThrows(ReportException.class, () -> parse("")).kind());

        byte[] latin1 = "title,severity\ncaf\u00e9,low\n".getBytes(StandardCharsets.ISO_8859_1);
        ReportException encoding = assertThrows(ReportException.class, () -> parse(latin1, ParseLimits.defaults()));
        assertEquals(ReportException.Kind.MALFORMED, encoding.kind());
        assertTrue(encoding.getMessage().contains("UTF-8"), encoding.getMessage());
    }

    @Test
    void longFieldsAreALimit() {
        String csv = "title,severity\n" + "x".repeat(200) + ",low\n";
        ReportException e = assertThrows(ReportException.class,
                () -> parse(csv.getBytes(StandardCharsets.UTF_8), new ParseLimits(1 << 20, 16, 100, 100)));
        assertEquals(ReportException.Kind.LIMIT_EXCEEDED, e.kind());
        assertEquals(2, e.line());
    }

    @Test
    void oversizedReportIsTooLarge() {
        String csv = "title,severity\n" + "a,low\n".repeat(100);
        ReportException e = assertThrows(ReportException.class,
                () -> parse(csv.getBytes(StandardCharsets.UTF_8), new ParseLimits(100, 16, 100, 1000)));
        assertEquals(ReportException.Kind.TOO_LARGE, e.kind());
    }
}

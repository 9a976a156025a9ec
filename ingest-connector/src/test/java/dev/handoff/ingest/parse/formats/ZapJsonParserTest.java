package dev.handoff.ingest.parse.formats;

import dev.handoff.avro.SeverityBand;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ZapJsonParserTest {

    /** A ZAP 2.14 "traditional-json" report as the report add-on's template writes it. */
    private static final String REPORT = """
            {
            \t"@programName": "ZAP",
            \t"@version": "2.14.0",
            \t"@generated": "Wed, 3 Jan 2024 09:15:02",
            \t"created": "2024-01-03T09:15:02.318964Z",
            \t"site":[
            \t\t{
            \t\t\t"@name": "https://shop.example.com",
            \t\t\t"@host": "shop.example.com",
            \t\t\t"@port": "443",
            \t\t\t"@ssl": "true",
            \t\t\t"alerts": [
            \t\t\t\t{
            \t\t\t\t\t"pluginid": "10038",
            \t\t\t\t\t"alertRef": "10038-1",
            \t\t\t\t\t"alert": "Content Security Policy (CSP) Header Not Set",
            \t\t\t\t\t"name": "Content Security Policy (CSP) Header Not Set",
            \t\t\t\t\t"riskcode": "2",
            \t\t\t\t\t"confidence": "3",
            \t\t\t\t\t"riskdesc": "Medium (High)",
            \t\t\t\t\t"desc": "<p>Content Security Policy (CSP) is an added layer of security.</p>",
            \t\t\t\t\t"instances":[
            \t\t\t\t\t\t{
            \t\t\t\t\t\t\t"id": "12",
            \t\t\t\t\t\t\t"uri": "https://shop.example.com/",
            \t\t\t\t\t\t\t"nodeName": "https://shop.example.com/",
            \t\t\t\t\t\t\t"method": "GET",
            \t\t\t\t\t\t\t"param": "",
            \t\t\t\t\t\t\t"attack": "",
            \t\t\t\t\t\t\t"evidence": "",
            \t\t\t\t\t\t\t"otherinfo": ""
            \t\t\t\t\t\t},
            \t\t\t\t\t\t{
            \t\t\t\t\t\t\t"id": "15",
            \t\t\t\t\t\t\t"uri": "https://shop.example.com/robots.txt",
            \t\t\t\t\t\t\t"method": "GET"
            \t\t\t\t\t\t}
            \t\t\t\t\t],
            \t\t\t\t\t"count": "2",
            \t\t\t\t\t"systemic": true,
            \t\t\t\t\t"solution": "<p>Ensure that your web server sets the Content-Security-Policy header.</p>",
            \t\t\t\t\t"otherinfo": "",
            \t\t\t\t\t"reference": "<p>https://developer.mozilla.org/en-US/docs/Web/Security/CSP</p><p>https://www.w3.org/TR/CSP/</p>",
            \t\t\t\t\t"cweid": "693",
            \t\t\t\t\t"wascid": "15",
            \t\t\t\t\t"sourceid": "3"
            \t\t\t\t},
            \t\t\t\t{
            \t\t\t\t\t"pluginid": "40018",
            \t\t\t\t\t"alertRef": "40018",
            \t\t\t\t\t"alert": "SQL Injection",
            \t\t\t\t\t"name": "SQL Injection",
            \t\t\t\t\t"riskcode": "3",
            \t\t\t\t\t"confidence": "2",
            \t\t\t\t\t"riskdesc": "High (Medium)",
            \t\t\t\t\t"desc": "<p>SQL injection may be possible.</p>",
            \t\t\t\t\t"instances":[
            \t\t\t\t\t\t{
            \t\t\t\t\t\t\t"uri": "https://shop.example.com/login",
            \t\t\t\t\t\t\t"method": "POST",
            \t\t\t\t\t\t\t"param": "username",
            \t\t\t\t\t\t\t"attack": "' OR '1'='1",
            \t\t\t\t\t\t\t"evidence": "",
            \t\t\t\t\t\t\t"request-body": "username=x&password=y"
            \t\t\t\t\t\t}
            \t\t\t\t\t],
            \t\t\t\t\t"count": "1",
            \t\t\t\t\t"systemic": false,
            \t\t\t\t\t"solution": "<p>Use prepared statements.</p>",
            \t\t\t\t\t"otherinfo": "",
            \t\t\t\t\t"reference": "<p>https://cheatsheetseries.owasp.org/cheatsheets/SQL_Injection_Prevention_Cheat_Sheet.html</p>",
            \t\t\t\t\t"cweid": "89",
            \t\t\t\t\t"wascid": "19",
            \t\t\t\t\t"sourceid": "150"
            \t\t\t\t},
            \t\t\t\t{
            \t\t\t\t\t"pluginid": "10096",
            \t\t\t\t\t"alertRef": "10096",
            \t\t\t\t\t"alert": "Timestamp Disclosure - Unix",
            \t\t\t\t\t"riskcode": "0",
            \t\t\t\t\t"confidence": "1",
            \t\t\t\t\t"riskdesc": "Informational (Low)",
            \t\t\t\t\t"instances": [],
            \t\t\t\t\t"count": "0",
            \t\t\t\t\t"cweid": "200"
            \t\t\t\t}
            \t\t\t]
            \t\t},
            \t\t{
            \t\t\t"@name": "http://api.example.com:8080",
            \t\t\t"@host": "api.example.com",
            \t\t\t"@port": "8080",
            \t\t\t"@ssl": "false",
            \t\t\t"alerts": [
            \t\t\t\t{
            \t\t\t\t\t"pluginid": "10020",
            \t\t\t\t\t"alert": "Missing Anti-clickjacking Header",
            \t\t\t\t\t"riskcode": "2",
            \t\t\t\t\t"confidence": "2",
            \t\t\t\t\t"riskdesc": "Medium (Medium)",
            \t\t\t\t\t"instances": [ { "uri": "http://api.example.com:8080/docs", "method": "GET" } ],
            \t\t\t\t\t"count": "1",
            \t\t\t\t\t"cweid": "1021"
            \t\t\t\t},
            \t\t\t\t{
            \t\t\t\t\t"pluginid": "10035",
            \t\t\t\t\t"alert": "Strict-Transport-Security Header Not Set",
            \t\t\t\t\t"riskcode": "1",
            \t\t\t\t\t"confidence": "3",
            \t\t\t\t\t"riskdesc": "Low (High)",
            \t\t\t\t\t"instances": [ { "uri": "http://api.example.com:8080/", "method": "GET" } ],
            \t\t\t\t\t"count": "1",
            \t\t\t\t\t"cweid": "319"
            \t\t\t\t}
            \t\t\t]
            \t\t}
            \t],
            \t"sequences":[ { "name": "login", "steps": [ { "step": "1", "pass": "true", "alertIds": [1, 2] } ] } ]
            }
            """;

    @Test
    void oneFindingPerAlertWithTheRiskWordAsLabelAndTheRiskcodeAsBand() throws Exception {
        List<ParsedFinding> findings = parse(REPORT);
        assertEquals(5, findings.size());
        assertEquals(List.of("Medium", "High", "Informational", "Medium", "Low"), findings.stream().map(ParsedFinding::severityLabel).toList());
        assertEquals(List.of(SeverityBand.MEDIUM, SeverityBand.HIGH, SeverityBand.INFO, SeverityBand.MEDIUM, SeverityBand.LOW),
                findings.stream().map(ParsedFinding::band).toList());
    }

    @Test
    void fieldsTargetAndDetectionTime() throws Exception {
        List<ParsedFinding> findings = parse(REPORT);
        ParsedFinding csp = findings.get(0);
        assertEquals("zap", csp.tool());
        assertEquals("2.14.0", csp.toolVersion());
        assertEquals(Instant.parse("2024-01-03T09:15:02.318964Z"), csp.detectedAt());
        assertEquals("Content Security Policy (CSP) Header Not Set", csp.title());
        assertEquals("10038", csp.ids().get(0).getId());
        assertEquals(List.of("CWE-693"), csp.cwes());
        assertEquals("shop.example.com", csp.target().getHost());
        assertEquals(443, csp.target().getPort());
        assertEquals("https", csp.target().getProtocol());
        assertEquals("https://shop.example.com/", csp.target().getUrl());
        assertEquals("2", csp.attributes().get("instances"));
        assertEquals("10038-1", csp.attributes().get("alertRef"));
        assertEquals(2, csp.references().size());
        assertEquals("<p>Content Security Policy (CSP) is an added layer of security.</p>", csp.description(), "kept as plain text");

        ParsedFinding sqli = findings.get(1);
        assertEquals("https://shop.example.com/login", sqli.target().getUrl());
        assertEquals("username", sqli.attributes().get("param"));
        assertEquals("' OR '1'='1", sqli.attributes().get("attack"));

        ParsedFinding noInstance = findings.get(2);
        assertEquals("https://shop.example.com", noInstance.target().getUrl(), "the site when no instance is listed");

        ParsedFinding api = findings.get(3);
        assertEquals("api.example.com", api.target().getHost());
        assertEquals(8080, api.target().getPort());
        assertEquals("http", api.target().getProtocol());
        assertTrue(findings.stream().allMatch(ParsedFinding::hasAssetTarget));
    }

    @Test
    void olderReportsHoldASingleSiteAsAnObjectAndNumbersAsNumbers() throws Exception {
        List<ParsedFinding> findings = parse("""
                {"@version":"2.7.0","@generated":"Wed, 5 Sep 2018 10:00:00",
                 "site":{"@name":"http://localhost:8080","@host":"localhost","@port":"8080","@ssl":"false",
                   "alerts":[{"pluginid":10016,"alert":"Web Browser XSS Protection Not Enabled","riskcode":1,"confidence":2,
                     "riskdesc":"Low (Medium)","instances":[{"uri":"http://localhost:8080/","method":"GET"}],"count":1,
                     "cweid":933,"wascid":14}]}}
                """);
        assertEquals(1, findings.size());
        assertEquals("Low", findings.get(0).severityLabel());
        assertEquals(SeverityBand.LOW, findings.get(0).band());
        assertEquals("10016", findings.get(0).ids().get(0).getId());
        assertEquals("http://localhost:8080/", findings.get(0).target().getUrl());
    }

    @Test
    void siteAttributesAfterTheAlertsStillReachTheFindings() throws Exception {
        List<ParsedFinding> findings = parse("""
                {"@version":"2.12.0","site":[{"alerts":[{"pluginid":"10202","alert":"Absence of Anti-CSRF Tokens","riskcode":"1",
                  "riskdesc":"Low (Low)","instances":[]}],"@name":"https://late.example.com","@host":"late.example.com",
                  "@port":"443","@ssl":"true"}]}
                """);
        assertEquals(1, findings.size());
        assertEquals("late.example.com", findings.get(0).target().getHost());
        assertEquals("https://late.example.com", findings.get(0).target().getUrl());
    }

    @Test
    void noSitesNoFindings() throws Exception {
        assertEquals(List.of(), parse("{\"@version\":\"2.14.0\",\"site\":[]}"));
    }

    @Test
    void theFormatIsDetectedFromContent() {
        byte[] bytes = REPORT.getBytes(StandardCharsets.UTF_8);
        assertEquals(Optional.of(ReportFormat.ZAP_JSON), FormatDetector.detect(bytes, bytes.length));
    }

    @Test
    void truncatedJsonIsMalformedWithItsPosition() {
        String truncated = REPORT.substring(0, REPORT.indexOf("\"SQL Injection\""));
        ReportException e = assertThrows(ReportException.class, () -> parse(truncated));
        assertEquals(ReportException.Kind.MALFORMED, e.kind(), e.getMessage());
        assertTrue(e.line() > 1 && e.column() > 0, e.getMessage());
    }

    @Test
    void theWrongShapeIsMalformedWithItsPosition() {
        ReportException root = assertThrows(ReportException.class, () -> parse("[{\"@version\":\"2.14.0\"}]"));
        assertEquals(ReportException.Kind.MALFORMED, root.kind(), root.getMessage());
        assertEquals(1, root.line());
        ReportException site = assertThrows(ReportException.class, () -> parse("{\"@version\":\"2.14.0\",\n\"site\":\"x\"}"));
        assertEquals(ReportException.Kind.MALFORMED, site.kind(), site.getMessage());
        assertEquals(2, site.line());
        ReportException trailing = assertThrows(ReportException.class, () -> parse("{\"site\":[]} {\"site\":[]}"));
        assertEquals(ReportException.Kind.MALFORMED, trailing.kind(), trailing.getMessage());
    }

    private static List<ParsedFinding> parse(String report) throws ReportException {
        List<ParsedFinding> out = new ArrayList<>();
        new ZapJsonParser().parse(new ReportInput(new ByteArrayInputStream(report.getBytes(StandardCharsets.UTF_8)),
                ParseLimits.defaults()), out::add);
        return out;
    }
}

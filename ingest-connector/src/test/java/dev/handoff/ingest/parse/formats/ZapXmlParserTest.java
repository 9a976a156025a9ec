package dev.handoff.ingest.parse.formats;

import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.FormatDetector;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportInput;
import dev.handoff.ingest.parse.ReportParsers;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ZapXmlParserTest {

    private static final String REPORT = """
            <?xml version="1.0"?><OWASPZAPReport programName="ZAP" version="2.11.1" generated="Mon, 6 Dec 2021 10:00:00">
            <site name="https://shop.example.com" host="shop.example.com" port="443" ssl="true"><alerts>
            <alertitem>
              <pluginid>40012</pluginid><alertRef>40012</alertRef>
              <alert>Cross Site Scripting (Reflected)</alert><name>Cross Site Scripting (Reflected)</name>
              <riskcode>3</riskcode><confidence>2</confidence><riskdesc>High (Medium)</riskdesc>
              <desc>&lt;p&gt;Cross-site Scripting (XSS) is an attack technique&lt;/p&gt;</desc>
              <instances>
                <instance><uri>https://shop.example.com/search?q=1</uri><method>GET</method><param>q</param>
                  <attack>&lt;script&gt;alert(1);&lt;/script&gt;</attack><evidence>&lt;script&gt;alert(1);&lt;/script&gt;</evidence>
                  <requestbody>not kept</requestbody></instance>
                <instance><uri>https://shop.example.com/search?q=2</uri><method>GET</method><param>q</param></instance>
                <instance><uri>https://shop.example.com/search?q=3</uri><method>POST</method><param>q</param></instance>
              </instances>
              <count>3</count>
              <solution>&lt;p&gt;Validate all input.&lt;/p&gt;</solution>
              <reference>&lt;p&gt;https://owasp.org/www-community/attacks/xss/&lt;/p&gt;&lt;p&gt;https://cwe.mitre.org/data/definitions/79.html&lt;/p&gt;</reference>
              <cweid>79</cweid><wascid>8</wascid><sourceid>1</sourceid>
            </alertitem>
            <alertitem>
              <pluginid>10038</pluginid><alert>Content Security Policy (CSP) Header Not Set</alert>
              <riskcode>2</riskcode><confidence>3</confidence><riskdesc>Medium (High)</riskdesc>
              <instances><instance><uri>https://shop.example.com/</uri><method>GET</method></instance></instances>
              <count>1</count><cweid>693</cweid>
            </alertitem>
            <alertitem>
              <pluginid>10021</pluginid><alert>X-Content-Type-Options Header Missing</alert>
              <riskcode>1</riskcode><confidence>2</confidence><riskdesc>Low (Medium)</riskdesc>
              <instances/><count>0</count><cweid>-1</cweid>
            </alertitem>
            <alertitem>
              <pluginid>10109</pluginid><alert>Modern Web Application</alert>
              <riskcode>0</riskcode><confidence>2</confidence><riskdesc>Informational (Medium)</riskdesc>
              <cweid>0</cweid>
            </alertitem>
            <alertitem>
              <pluginid>90001</pluginid><alert>Insecure JSF ViewState</alert>
              <riskcode>2</riskcode><confidence>1</confidence>
            </alertitem>
            </alerts></site>
            <site name="http://10.0.0.5:8080" host="10.0.0.5" port="8080" ssl="false"><alerts>
            <alertitem>
              <pluginid>40043</pluginid><alert>Log4Shell (CVE-2021-44228)</alert>
              <riskcode>3</riskcode><confidence>3</confidence><riskdesc>High (High)</riskdesc>
              <instances><instance><uri>http://10.0.0.5:8080/api</uri><method>GET</method></instance></instances>
            </alertitem>
            </alerts></site>
            </OWASPZAPReport>
            """;

    @Test
    void oneFindingPerAlertItemWithTheRiskWordAsLabelAndTheRiskcodeAsBand() throws Exception {
        List<ParsedFinding> findings = parse(REPORT);
        assertEquals(6, findings.size(), "one finding per alertitem, instances are occurrences");
        assertEquals(List.of("High", "Medium", "Low", "Informational", "Medium", "High"),
                findings.stream().map(ParsedFinding::severityLabel).toList());
        assertEquals(List.of(SeverityBand.HIGH, SeverityBand.MEDIUM, SeverityBand.LOW, SeverityBand.INFO, SeverityBand.MEDIUM,
                SeverityBand.HIGH), findings.stream().map(ParsedFinding::band).toList());
    }

    @Test
    void riskcodeWordsWhenThereIsNoRiskdesc() {
        assertEquals("Informational", ZapXmlParser.riskLabel(null, "0"));
        assertEquals("Low", ZapXmlParser.riskLabel(null, "1"));
        assertEquals("Medium", ZapXmlParser.riskLabel("", "2"));
        assertEquals("High", ZapXmlParser.riskLabel(null, "3"));
        assertEquals("High", ZapXmlParser.riskLabel("High (Low)", "3"));
        assertEquals("(missing)", ZapXmlParser.riskLabel(null, null));
        assertEquals(SeverityBand.INFO, ZapXmlParser.band("0", "Informational"));
        assertEquals(SeverityBand.LOW, ZapXmlParser.band("1", "Low"));
        assertEquals(SeverityBand.MEDIUM, ZapXmlParser.band("2", "Medium"));
        assertEquals(SeverityBand.HIGH, ZapXmlParser.band("3", "High"));
        assertEquals(SeverityBand.HIGH, ZapXmlParser.band(null, "High"), "the label's word when riskcode is missing");
        assertEquals(SeverityBand.INFO, ZapXmlParser.band("x", "Informational"));
    }

    @Test
    void idsTargetAndFirstInstance() throws Exception {
        ParsedFinding xss = parse(REPORT).get(0);
        assertEquals("zap", xss.tool());
        assertEquals("2.11.1", xss.toolVersion());
        assertEquals("Cross Site Scripting (Reflected)", xss.title());
        assertEquals(VulnerabilityIdKind.TOOL_RULE, xss.ids().get(0).getKind());
        assertEquals("40012", xss.ids().get(0).getId());
        assertEquals(List.of("CWE-79"), xss.cwes());
        assertEquals("shop.example.com", xss.target().getHost());
        assertEquals(443, xss.target().getPort());
        assertEquals("https", xss.target().getProtocol());
        assertEquals("https://shop.example.com/search?q=1", xss.target().getUrl());
        assertEquals("3", xss.attributes().get("instances"));
        assertEquals("q", xss.attributes().get("param"));
        assertEquals("GET", xss.attributes().get("method"));
        assertEquals("8", xss.attributes().get("wascid"));
        assertEquals("2", xss.attributes().get("confidence"));
        assertEquals(List.of("https://owasp.org/www-community/attacks/xss/", "https://cwe.mitre.org/data/definitions/79.html"),
                xss.references());
        assertTrue(xss.hasAssetTarget());
        assertTrue(!xss.hasCve() && !xss.hasCvss());

        ParsedFinding log4shell = parse(REPORT).get(5);
        assertTrue(log4shell.hasCve(), "a CVE named in the alert name is an id");
        assertEquals("CVE-2021-44228", log4shell.ids().get(1).getId());
        assertEquals("10.0.0.5", log4shell.target().getIp());
        assertNull(log4shell.target().getHost());
        assertEquals("http", log4shell.target().getProtocol());
    }

    @Test
    void anItemWithoutInstancesPointsAtTheSiteAndPlaceholderCwesAreDropped() throws Exception {
        List<ParsedFinding> findings = parse(REPORT);
        assertEquals("https://shop.example.com", findings.get(2).target().getUrl());
        assertEquals(List.of(), findings.get(2).cwes(), "cweid -1 means none");
        assertEquals(List.of(), findings.get(3).cwes(), "cweid 0 means none");
    }

    @Test
    void markupStaysPlainText() throws Exception {
        ParsedFinding xss = parse(REPORT).get(0);
        assertEquals("<p>Cross-site Scripting (XSS) is an attack technique</p>", xss.description());
        assertEquals("<script>alert(1);</script>", xss.attributes().get("evidence"));
        assertEquals("<p>Validate all input.</p>", xss.attributes().get("solution"));
    }

    @Test
    void beforeZap25AnAlertItemCarriesItsOneInstanceInline() throws Exception {
        List<ParsedFinding> findings = parse("""
                <?xml version="1.0"?><OWASPZAPReport version="2.4.3" generated="Tue, 1 Mar 2016 10:00:00">
                <site name="http://legacy.example.com" host="legacy.example.com" port="80" ssl="false"><alerts><alertitem>
                <pluginid>10016</pluginid><alert>Web Browser XSS Protection Not Enabled</alert><riskcode>1</riskcode>
                <confidence>2</confidence><riskdesc>Low (Medium)</riskdesc><desc>X-XSS-Protection</desc>
                <uri>http://legacy.example.com/robots.txt</uri><param>X-XSS-Protection</param>
                <solution>Set the header</solution><reference>https://example.org/xss</reference><cweid>933</cweid><wascid>14</wascid>
                </alertitem></alerts></site></OWASPZAPReport>
                """);
        assertEquals(1, findings.size());
        assertEquals("http://legacy.example.com/robots.txt", findings.get(0).target().getUrl());
        assertEquals("X-XSS-Protection", findings.get(0).attributes().get("param"));
        assertEquals("Low", findings.get(0).severityLabel());
    }

    @Test
    void anEmptySiteHasNoFindings() throws Exception {
        assertEquals(List.of(), parse("""
                <?xml version="1.0"?><OWASPZAPReport version="2.9.0" generated="Tue, 12 May 2020 20:59:12">
                <site name="https://isaac.nl" host="isaac.nl" port="443" ssl="true"><alerts></alerts></site></OWASPZAPReport>"""));
    }

    @Test
    void theFormatIsDetectedFromContent() {
        byte[] bytes = REPORT.getBytes(StandardCharsets.UTF_8);
        assertEquals(Optional.of(ReportFormat.ZAP_XML), FormatDetector.detect(bytes, bytes.length));
    }

    @Test
    void aDoctypeIsRefused() {
        String xxe = """
                <?xml version="1.0"?>
                <!DOCTYPE OWASPZAPReport [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
                <OWASPZAPReport version="2.10.0"><site name="&xxe;"/></OWASPZAPReport>""";
        ReportException direct = assertThrows(ReportException.class, () -> parse(xxe));
        assertEquals(ReportException.Kind.UNSAFE, direct.kind(), direct.getMessage());
        ReportException viaParsers = assertThrows(ReportException.class, () -> new ReportParsers().parse(
                new ByteArrayInputStream(xxe.getBytes(StandardCharsets.UTF_8)), Optional.empty(), ParseLimits.defaults(), f -> { }));
        assertEquals(ReportException.Kind.UNSAFE, viaParsers.kind(), viaParsers.getMessage());
        assertTrue(viaParsers.getMessage().contains("DOCTYPE"));
    }

    @Test
    void truncatedXmlIsMalformedWithItsPosition() {
        String truncated = REPORT.substring(0, REPORT.indexOf("<count>3</count>") + 10);
        ReportException e = assertThrows(ReportException.class, () -> parse(truncated));
        assertEquals(ReportException.Kind.MALFORMED, e.kind(), e.getMessage());
        assertTrue(e.line() > 0 && e.column() > 0, e.getMessage());
    }

    @Test
    void anotherRootIsMalformedWithItsPosition() {
        ReportException e = assertThrows(ReportException.class, () -> parse("<?xml version=\"1.0\"?>\n<report><site/></report>"));
        assertEquals(ReportException.Kind.MALFORMED, e.kind(), e.getMessage());
        assertEquals(2, e.line(), e.getMessage());
        assertTrue(e.column() > 0, e.getMessage());
        assertTrue(e.getMessage().contains("OWASPZAPReport"), e.getMessage());
    }

    @Test
    void mismatchedTagsAreMalformedWithTheirPosition() {
        ReportException e = assertThrows(ReportException.class, () -> parse("""
                <OWASPZAPReport version="2.10.0"><site name="x"><alerts><alertitem>
                <pluginid>1</pluginid></alert></alerts></site></OWASPZAPReport>"""));
        assertEquals(ReportException.Kind.MALFORMED, e.kind());
        assertEquals(2, e.line(), e.getMessage());
    }

    private static List<ParsedFinding> parse(String report) throws ReportException {
        List<ParsedFinding> out = new ArrayList<>();
        new ZapXmlParser().parse(new ReportInput(new ByteArrayInputStream(report.getBytes(StandardCharsets.UTF_8)),
                ParseLimits.defaults()), out::add);
        return out;
    }
}

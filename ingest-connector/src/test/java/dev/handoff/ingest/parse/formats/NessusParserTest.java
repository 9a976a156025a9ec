package dev.handoff.ingest.parse.formats;

import dev.handoff.avro.CvssScore;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NessusParserTest {

    private static final String REPORT = """
            <?xml version="1.0" ?>
            <NessusClientData_v2>
              <Policy><policyName>Basic Network Scan</policyName>
                <Preferences><ServerPreferences><preference><name>plugin_set</name><value>1;2;3</value></preference></ServerPreferences>
                <PluginsPreferences><item><pluginName>Ping</pluginName><pluginId>10180</pluginId></item></PluginsPreferences></Preferences>
              </Policy>
              <Report xmlns:cm="http://www.nessus.org/cm" name="weekly">
                <ReportHost name="web01.example.com">
                  <HostProperties>
                    <tag name="HOST_END">Wed Mar 23 15:07:52 2022</tag>
                    <tag name="operating-system">Linux Kernel 5.4</tag>
                    <tag name="host-fqdn">web01.example.com</tag>
                    <tag name="host-ip">192.0.2.10</tag>
                    <tag name="HOST_START_TIMESTAMP">1648042311</tag>
                    <tag name="HOST_START">Wed Mar 23 14:31:51 2022</tag>
                  </HostProperties>
                  <ReportItem port="0" svc_name="general" protocol="tcp" severity="0" pluginID="19506"
                              pluginName="Nessus Scan Information" pluginFamily="Settings">
                    <description>This plugin displays information about the Nessus scan.</description>
                    <risk_factor>None</risk_factor>
                    <synopsis>This plugin displays information about the Nessus scan.</synopsis>
                    <plugin_output>Nessus version : 10.1.1</plugin_output>
                  </ReportItem>
                  <ReportItem port="443" svc_name="www" protocol="tcp" severity="3" pluginID="31649"
                              pluginName="PHP 5.x &lt; 5.2 Multiple Vulnerabilities" pluginFamily="CGI abuses">
                    <cve>CVE-2006-1015</cve>
                    <cve>CVE-2006-1549</cve>
                    <cve>cve-2007-5424</cve>
                    <cvss3_base_score>8.1</cvss3_base_score>
                    <cvss3_vector>CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H</cvss3_vector>
                    <cvss_base_score>7.5</cvss_base_score>
                    <cvss_vector>CVSS2#AV:N/AC:L/Au:N/C:P/I:P/A:P</cvss_vector>
                    <cwe>119</cwe>
                    <xref>CWE:94</xref>
                    <xref>OSVDB:12345</xref>
                    <description>According to its banner, the version of PHP is affected.</description>
                    <risk_factor>High</risk_factor>
                    <see_also>https://www.php.net/releases/5_2_0.php
            https://www.php.net/ChangeLog-5.php</see_also>
                    <solution>Upgrade to PHP version 5.2.0 or later.</solution>
                    <synopsis>The remote web server uses a vulnerable version of PHP.</synopsis>
                    <plugin_output>Installed version : 5.1.6</plugin_output>
                  </ReportItem>
                  <ReportItem port="22" svc_name="ssh" protocol="tcp" severity="2" pluginID="70658"
                              pluginName="SSH Server CBC Mode Ciphers Enabled" pluginFamily="Misc.">
                    <cvss_base_score>2.6</cvss_base_score>
                    <cvss_vector>CVSS2#AV:N/AC:H/Au:N/C:P/I:N/A:N</cvss_vector>
                    <risk_factor>Low</risk_factor>
                  </ReportItem>
                  <ReportItem port="0" svc_name="general" protocol="icmp" severity="0" pluginID="10114"
                              pluginName="ICMP Timestamp Request Remote Date Disclosure" pluginFamily="General">
                    <cve>CVE-1999-0524</cve>
                    <cvss3_base_score>0.0</cvss3_base_score>
                    <cvss_base_score>0.0</cvss_base_score>
                    <risk_factor>None</risk_factor>
                  </ReportItem>
                  <ReportItem port="3389" svc_name="msrdp" protocol="tcp" severity="4" pluginID="58987"
                              pluginName="Unsupported Version Detection" pluginFamily="Misc.">
                    <risk_factor>Critical</risk_factor>
                    <cvss4_base_score>9.3</cvss4_base_score>
                    <cvss4_vector>CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N</cvss4_vector>
                  </ReportItem>
                  <ReportItem port="80" svc_name="www" protocol="tcp" severity="1" pluginID="26194"
                              pluginName="Web Server Transmits Cleartext Credentials" pluginFamily="Web Servers">
                    <risk_factor>Low</risk_factor>
                  </ReportItem>
                </ReportHost>
                <ReportHost name="198.51.100.7">
                  <HostProperties><tag name="HOST_START">2022-03-23T14:31:51+01:00</tag></HostProperties>
                  <ReportItem port="161" svc_name="snmp" protocol="udp" severity="2" pluginID="41028"
                              pluginName="SNMP Agent Default Community Name (public)" pluginFamily="SNMP">
                    <cve>CVE-1999-0517</cve>
                  </ReportItem>
                </ReportHost>
              </Report>
            </NessusClientData_v2>
            """;

    @Test
    void everyReportItemIsAFindingSeverityZeroIncludedAsInfo() throws Exception {
        List<ParsedFinding> findings = parse(REPORT);
        assertEquals(7, findings.size());
        assertEquals(List.of("0", "3", "2", "0", "4", "1", "2"), findings.stream().map(ParsedFinding::severityLabel).toList());
        assertEquals(List.of(SeverityBand.INFO, SeverityBand.HIGH, SeverityBand.MEDIUM, SeverityBand.INFO, SeverityBand.CRITICAL,
                SeverityBand.LOW, SeverityBand.MEDIUM), findings.stream().map(ParsedFinding::band).toList());
        ParsedFinding info = findings.get(0);
        assertEquals("Nessus Scan Information", info.title());
        assertEquals("19506", info.ids().get(0).getId());
        assertEquals(VulnerabilityIdKind.TOOL_RULE, info.ids().get(0).getKind());
        assertFalse(info.hasCve());
        assertFalse(info.hasCvss());
        assertTrue(info.hasAssetTarget());
        assertNull(info.target().getPort(), "port 0 is the host itself");
    }

    @Test
    void multipleCvesAndBothCvssVersions() throws Exception {
        ParsedFinding php = parse(REPORT).get(1);
        assertEquals(List.of("CVE-2006-1015", "CVE-2006-1549", "CVE-2007-5424"), php.ids().stream()
                .filter(i -> i.getKind() == VulnerabilityIdKind.CVE).map(i -> i.getId()).toList());
        assertEquals(2, php.cvss().size());
        CvssScore v3 = php.cvss().stream().filter(c -> c.getVersion().startsWith("3")).findFirst().orElseThrow();
        assertEquals("3.1", v3.getVersion());
        assertEquals("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", v3.getVector());
        assertEquals(8.1, v3.getBaseScore());
        CvssScore v2 = php.cvss().stream().filter(c -> c.getVersion().equals("2.0")).findFirst().orElseThrow();
        assertEquals("CVSS2#AV:N/AC:L/Au:N/C:P/I:P/A:P", v2.getVector());
        assertEquals(7.5, v2.getBaseScore());
        assertEquals(List.of("CWE-119", "CWE-94"), php.cwes());
        assertEquals(List.of("https://www.php.net/releases/5_2_0.php", "https://www.php.net/ChangeLog-5.php"), php.references());
        assertEquals("PHP 5.x < 5.2 Multiple Vulnerabilities", php.title());
        assertEquals("Upgrade to PHP version 5.2.0 or later.", php.attributes().get("solution"));
        assertEquals("Installed version : 5.1.6", php.attributes().get("pluginOutput"));

        ParsedFinding critical = parse(REPORT).get(4);
        assertEquals("4.0", critical.cvss().get(0).getVersion());
        assertEquals(9.3, critical.cvss().get(0).getBaseScore());
    }

    @Test
    void aZeroScoreIsStillAScore() throws Exception {
        ParsedFinding icmp = parse(REPORT).get(3);
        assertTrue(icmp.hasCve());
        assertTrue(icmp.hasCvss());
        assertEquals(SeverityBand.INFO, icmp.band());
        assertEquals("icmp", icmp.target().getProtocol());
    }

    @Test
    void hostTargetsFromHostProperties() throws Exception {
        List<ParsedFinding> findings = parse(REPORT);
        ParsedFinding php = findings.get(1);
        assertEquals("web01.example.com", php.target().getHost());
        assertEquals("192.0.2.10", php.target().getIp());
        assertEquals(443, php.target().getPort());
        assertEquals("tcp", php.target().getProtocol());
        assertEquals(Instant.ofEpochSecond(1648042311), php.detectedAt());
        assertEquals("Linux Kernel 5.4", php.attributes().get("operatingSystem"));

        ParsedFinding byAddress = findings.get(6);
        assertEquals("198.51.100.7", byAddress.target().getIp(), "a host named by its address");
        assertNull(byAddress.target().getHost());
        assertEquals(161, byAddress.target().getPort());
        assertEquals("udp", byAddress.target().getProtocol());
        assertEquals(Instant.parse("2022-03-23T13:31:51Z"), byAddress.detectedAt());
    }

    @Test
    void webApplicationScansNameTheHostByUrl() throws Exception {
        List<ParsedFinding> findings = parse("""
                <?xml version="1.0" ?>
                <NessusClientData_v2><Report name="was" type="was"><ReportHost name="https://app.example.com/">
                <HostProperties><tag name="host-fqdn">https://app.example.com/</tag></HostProperties>
                <ReportItem port="443" svc_name="www" protocol="tcp" severity="2" pluginID="98115"
                  pluginName="Missing Content Security Policy" pluginFamily="HTTP Security Header"><risk_factor>Medium</risk_factor></ReportItem>
                </ReportHost></Report></NessusClientData_v2>""");
        assertEquals(1, findings.size());
        assertEquals("app.example.com", findings.get(0).target().getHost());
        assertEquals("https://app.example.com/", findings.get(0).target().getUrl());
    }

    @Test
    void bandWithoutANumericSeverity() {
        assertEquals(SeverityBand.HIGH, NessusParser.band(null, "High", null));
        assertEquals(SeverityBand.CRITICAL, NessusParser.band("", null, 9.8));
        assertEquals(SeverityBand.INFO, NessusParser.band(null, null, null));
    }

    @Test
    void hostsWithoutItemsHaveNoFindings() throws Exception {
        assertEquals(List.of(), parse("""
                <?xml version="1.0" ?><NessusClientData_v2><Policy/><Report name="x"><ReportHost name="http://google.com/">
                <HostProperties><tag name="host-fqdn">http://google.com/</tag></HostProperties></ReportHost></Report></NessusClientData_v2>"""));
    }

    @Test
    void theFormatIsDetectedFromContent() {
        byte[] bytes = REPORT.getBytes(StandardCharsets.UTF_8);
        assertEquals(Optional.of(ReportFormat.NESSUS), FormatDetector.detect(bytes, bytes.length));
    }

    @Test
    void aDoctypeIsRefused() {
        String xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE NessusClientData_v2 [<!ENTITY host SYSTEM \"file:///etc/hostname\">]>\n"
                + "<NessusClientData_v2><Report><ReportHost name=\"&host;\"/></Report></NessusClientData_v2>";
        ReportException direct = assertThrows(ReportException.class, () -> parse(xxe));
        assertEquals(ReportException.Kind.UNSAFE, direct.kind(), direct.getMessage());
        ReportException viaParsers = assertThrows(ReportException.class, () -> new ReportParsers().parse(
                new ByteArrayInputStream(xxe.getBytes(StandardCharsets.UTF_8)), Optional.empty(), ParseLimits.defaults(), f -> { }));
        assertEquals(ReportException.Kind.UNSAFE, viaParsers.kind(), viaParsers.getMessage());
    }

    @Test
    void truncatedXmlIsMalformedWithItsPosition() {
        String truncated = REPORT.substring(0, REPORT.indexOf("<cvss_base_score>7.5"));
        ReportException e = assertThrows(ReportException.class, () -> parse(truncated));
        assertEquals(ReportException.Kind.MALFORMED, e.kind(), e.getMessage());
        assertTrue(e.line() > 1 && e.column() > 0, e.getMessage());
    }

    @Test
    void anotherRootIsMalformedWithItsPosition() {
        ReportException e = assertThrows(ReportException.class, () -> parse("<?xml version=\"1.0\"?>\n<NessusClientData><Report/></NessusClientData>"));
        assertEquals(ReportException.Kind.MALFORMED, e.kind(), e.getMessage());
        assertEquals(2, e.line());
        assertTrue(e.column() > 0);
    }

    @Test
    void anEmptyDocumentIsMalformed() {
        ReportException e = assertThrows(ReportException.class, () -> parse(""));
        assertEquals(ReportException.Kind.MALFORMED, e.kind(), e.getMessage());
    }

    private static List<ParsedFinding> parse(String report) throws ReportException {
        List<ParsedFinding> out = new ArrayList<>();
        new NessusParser().parse(new ReportInput(new ByteArrayInputStream(report.getBytes(StandardCharsets.UTF_8)),
                ParseLimits.defaults()), out::add);
        return out;
    }
}

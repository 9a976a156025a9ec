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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CycloneDxXmlParserTest {

    private final CycloneDxXmlParser parser = new CycloneDxXmlParser();

    private List<ParsedFinding> parse(String xml, ParseLimits limits) throws ReportException {
        List<ParsedFinding> out = new ArrayList<>();
        parser.parse(new ReportInput(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), limits), out::add);
        return out;
    }

    private List<ParsedFinding> parse(String xml) throws ReportException {
        return parse(xml, ParseLimits.defaults());
    }

    private static final String V14 = """
            <?xml version="1.0" encoding="UTF-8"?>
            <bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1">
              <metadata>
                <timestamp>2022-07-22T09:45:22+01:00</timestamp>
                <tools><tool><vendor>anchore</vendor><name>grype</name><version>0.41.0</version></tool></tools>
                <component type="file"><name>./example</name></component>
              </metadata>
              <components>
                <component bom-ref="pkg:maven/org.example/example@1.0.0?package-id=abc" type="library">
                  <name>example</name><version>1.0.0</version><purl>pkg:maven/org.example/example@1.0.0</purl>
                  <components>
                    <component bom-ref="inner" type="library"><name>inner</name><version>0.1</version><purl>pkg:maven/org.example/inner@0.1</purl></component>
                  </components>
                </component>
              </components>
              <vulnerabilities>
                <vulnerability bom-ref="v1">
                  <id>CVE-2021-99999</id>
                  <source><name>nvd:cpe</name><url>http://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2021-99999</url></source>
                  <ratings>
                    <rating><severity>critical</severity></rating>
                    <rating><score>10</score><method>CVSSv31</method><vector>CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H</vector></rating>
                  </ratings>
                  <cwes><cwe>79</cwe><cwe>89</cwe></cwes>
                  <description>Example vulnerability with more than one CWE.</description>
                  <advisories><advisory><url>https://example.org/advisory</url></advisory></advisories>
                  <analysis><state>in_triage</state></analysis>
                  <affects>
                    <target><ref>pkg:maven/org.example/example@1.0.0?package-id=abc</ref></target>
                    <target><ref>inner</ref></target>
                  </affects>
                  <properties><property name="grype:fixed_versions">1.0.1</property></properties>
                </vulnerability>
              </vulnerabilities>
            </bom>
            """;

    @Test
    void readsVulnerabilitiesOfA14Bom() throws Exception {
        List<ParsedFinding> findings = parse(V14);
        assertEquals(2, findings.size());
        ParsedFinding f = findings.get(0);
        assertEquals("grype", f.tool());
        assertEquals("0.41.0", f.toolVersion());
        assertEquals("critical", f.severityLabel());
        assertEquals(SeverityBand.CRITICAL, f.band());
        assertEquals("pkg:maven/org.example/example@1.0.0", f.target().getPackagePurl());
        assertEquals("./example", f.target().getAssetHint());
        assertEquals(List.of("CWE-79", "CWE-89"), f.cwes());
        assertEquals("3.1", f.cvss().get(0).getVersion());
        assertEquals("1.0.1", f.fixedVersion());
        assertTrue(f.references().contains("https://example.org/advisory"));
        assertEquals("pkg:maven/org.example/inner@0.1", findings.get(1).target().getPackagePurl(), "nested component resolved");
    }

    @Test
    void vulnerabilitiesBeforeComponentsAreResolvedAtTheEnd() throws Exception {
        String xml = """
                <bom xmlns="http://cyclonedx.org/schema/bom/1.5">
                  <vulnerabilities>
                    <vulnerability><id>GHSA-p6xc-xr62-6r2g</id><ratings><rating><severity>high</severity></rating></ratings>
                      <affects><target><ref>c1</ref></target></affects></vulnerability>
                  </vulnerabilities>
                  <components><component bom-ref="c1" type="library"><name>c</name><version>1</version><purl>pkg:npm/c@1</purl></component></components>
                  <metadata><tools><components><component type="application"><name>cdxgen</name><version>10</version></component></components></tools></metadata>
                </bom>
                """;
        List<ParsedFinding> findings = parse(xml);
        assertEquals(1, findings.size());
        assertEquals("pkg:npm/c@1", findings.get(0).target().getPackagePurl());
        assertEquals("cdxgen", findings.get(0).tool());
    }

    @Test
    void legacyVulnerabilityExtensionTopLevelAndNested() throws Exception {
        String xml = """
                <?xml version="1.0" encoding="UTF-8"?>
                <bom xmlns="http://cyclonedx.org/schema/bom/1.2" xmlns:v="http://cyclonedx.org/schema/ext/vulnerability/1.0" version="1">
                  <metadata>
                    <tools><tool><vendor>anchore</vendor><name>grype</name><version>0.11.0</version></tool></tools>
                    <component type="container"><name>defectdojo/defectdojo-django:1.15.0</name>
                      <version>sha256:b914ffbdf28309f2</version></component>
                  </metadata>
                  <components>
                    <component type="library" bom-ref="pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.9">
                      <group>com.fasterxml.jackson.core</group><name>jackson-databind</name><version>2.9.9</version>
                      <purl>pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.9</purl>
                    </component>
                    <component type="library">
                      <name>bash</name><version>5.0-4</version>
                      <v:vulnerabilities>
                        <v:vulnerability ref="urn:uuid:283de0fa-65a1-4855-857c-c667492162b2">
                          <v:id>CVE-2019-18276</v:id>
                          <v:source name="vulnerabilities:debian:10"><v:url>http://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2019-18276</v:url></v:source>
                          <v:ratings><v:rating><v:score><v:base>7.2</v:base><v:impact>0</v:impact></v:score>
                            <v:severity>Low</v:severity><v:method>CVSSv2</v:method><v:vector>AV:L/AC:L/Au:N/C:C/I:C/A:C</v:vector></v:rating></v:ratings>
                        </v:vulnerability>
                        <v:vulnerability ref="urn:uuid:5ed5038e">
                          <v:id>CVE-2021-25214</v:id>
                          <v:ratings><v:rating><v:score><v:base>0</v:base></v:score><v:severity>Unknown</v:severity></v:rating></v:ratings>
                        </v:vulnerability>
                      </v:vulnerabilities>
                    </component>
                  </components>
                  <v:vulnerabilities>
                    <v:vulnerability ref="pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.9">
                      <v:id>CVE-2018-7489</v:id>
                      <v:ratings>
                        <v:rating><v:severity>Low</v:severity><v:method>OWASP Risk</v:method><v:vector>OWASP/K9:M1</v:vector></v:rating>
                        <v:rating><v:score><v:base>9.8</v:base></v:score><v:severity>Critical</v:severity><v:method>CVSSv3</v:method>
                          <v:vector>AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H</v:vector></v:rating>
                      </v:ratings>
                      <v:cwes><v:cwe>184</v:cwe><v:cwe>502</v:cwe></v:cwes>
                      <v:description>FasterXML jackson-databind ...</v:description>
                      <v:recommendations><v:recommendation>Upgrade</v:recommendation></v:recommendations>
                      <v:advisories><v:advisory>https://github.com/FasterXML/jackson-databind/issues/1931</v:advisory></v:advisories>
                    </v:vulnerability>
                  </v:vulnerabilities>
                </bom>
                """;
        List<ParsedFinding> findings = parse(xml);
        assertEquals(3, findings.size());
        ParsedFinding bash = findings.get(0);
        assertEquals("CVE-2019-18276 in bash@5.0-4", bash.title());
        assertEquals("bash", bash.target().getPackageName());
        assertEquals("Low", bash.severityLabel());
        assertEquals(SeverityBand.LOW, bash.band());
        assertEquals(7.2, bash.cvss().get(0).getBaseScore());
        assertEquals("2.0", bash.cvss().get(0).getVersion());
        assertEquals("defectdojo/defectdojo-django", bash.target().getImage());
        assertEquals("1.15.0", bash.target().getImageTag());
        assertEquals("sha256:b914ffbdf28309f2", bash.target().getImageDigest());
        assertEquals("Unknown", findings.get(1).severityLabel());
        assertEquals(SeverityBand.LOW, findings.get(1).band());
        assertTrue(findings.get(1).cvss().isEmpty(), "a base score without a CVSS method is no CVSS");
        ParsedFinding jackson = findings.get(2);
        assertEquals("Critical", jackson.severityLabel(), "the CVSSv3 rating wins over the first");
        assertEquals("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.9", jackson.target().getPackagePurl());
        assertEquals(List.of("CWE-184", "CWE-502"), jackson.cwes());
        assertEquals("Upgrade", jackson.attributes().get("cyclonedx.recommendation"));
    }

    @Test
    void manyTextElementsDoNotCountAsDepth() throws Exception {
        StringBuilder xml = new StringBuilder("<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\"><components>");
        for (int i = 0; i < 300; i++) {
            xml.append("<component bom-ref=\"c").append(i).append("\"><name>n").append(i).append("</name><version>1</version></component>");
        }
        xml.append("</components><vulnerabilities><vulnerability><id>CVE-2020-1</id><affects><target><ref>c299</ref></target></affects>")
                .append("</vulnerability></vulnerabilities></bom>");
        List<ParsedFinding> findings = parse(xml.toString(), new ParseLimits(1 << 20, 16, 1 << 16, 100));
        assertEquals("n299", findings.get(0).target().getPackageName());
    }

    @Test
    void malformedXmlHasALine() {
        ReportException e = assertThrows(ReportException.class, () -> parse("<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\">\n<components>\n</bom>"));
        assertEquals(ReportException.Kind.MALFORMED, e.kind());
        assertEquals(3, e.line());
    }

    @Test
    void anotherRootIsMalformed() {
        ReportException e = assertThrows(ReportException.class, () -> parse("<analysis xmlns=\"https://jeremylong.github.io/\"/>"));
        assertEquals(ReportException.Kind.MALFORMED, e.kind());
        assertEquals(1, e.line());
        ReportException ns = assertThrows(ReportException.class, () -> parse("<bom xmlns=\"urn:other\"/>"));
        assertEquals(ReportException.Kind.MALFORMED, ns.kind());
    }

    @Test
    void tooLongTextIsALimit() {
        String xml = "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\"><vulnerabilities><vulnerability><id>CVE-2020-1</id><description>"
                + "x".repeat(100) + "</description></vulnerability></vulnerabilities></bom>";
        ReportException e = assertThrows(ReportException.class, () -> parse(xml, new ParseLimits(1 << 20, 16, 50, 100)));
        assertEquals(ReportException.Kind.LIMIT_EXCEEDED, e.kind());
    }

    @Test
    void detectorRecognisesCycloneDxXml() {
        byte[] b = V14.getBytes(StandardCharsets.UTF_8);
        assertEquals(Optional.of(ReportFormat.CYCLONEDX_XML), FormatDetector.detect(b, b.length));
    }
}

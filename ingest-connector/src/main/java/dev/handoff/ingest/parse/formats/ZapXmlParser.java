package dev.handoff.ingest.parse.formats;

import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.FindingSink;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportInput;
import dev.handoff.ingest.parse.ReportParser;

import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import java.net.URI;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * OWASP ZAP "traditional" XML report ({@code OWASPZAPReport}, ZAP 2.x): {@code site} elements each holding
 * {@code alerts/alertitem}. One finding per {@code alertitem}: ZAP groups every instance of one alert type on
 * one site into one alert item, and its instances (listed under {@code instances/instance}, or as
 * {@code uri}/{@code param}/{@code evidence} directly in the item before ZAP 2.5) are occurrences of that
 * finding, counted in the {@code instances} attribute. Instances are streamed: only the first is kept.
 *
 * <p>Severity label: the risk word of {@code riskdesc} before the confidence in parentheses ("High" from
 * "High (Medium)"), or, without {@code riskdesc}, the word for {@code riskcode}. Band from {@code riskcode}:
 * 3 HIGH, 2 MEDIUM, 1 LOW, 0 INFO (ZAP has no critical risk); without a usable riskcode from the label word
 * (High/Medium/Low/Informational); an alert with neither is MEDIUM.
 *
 * <p>Ids: the plugin id as {@code TOOL_RULE}, CVE ids named in the alert's name (ZAP's Log4Shell,
 * Spring4Shell, Text4Shell rules); CWE from {@code cweid} when positive. Target: the site's host, port and
 * protocol ({@code https} when {@code ssl} is true) and the first instance's URI as url (else the site name).
 * HTML in {@code desc}, {@code solution}, {@code otherinfo} is kept as the report's plain text, never
 * interpreted; http(s) URLs in {@code reference} become references.
 */
public final class ZapXmlParser implements ReportParser {

    static final String TOOL = "zap";

    /** The instance fields kept (the "plus" reports add request and response bodies, which are not). */
    static final Set<String> INSTANCE_FIELDS = Set.of("uri", "method", "param", "attack", "evidence", "otherinfo");

    @Override
    public ReportFormat format() {
        return ReportFormat.ZAP_XML;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        XMLStreamReader r = input.xml();
        int max = input.limits().maxStringLength();
        try {
            ItemReading.root(r, "OWASPZAPReport", "an OWASP ZAP XML report");
            String version = ItemReading.attr(r, "version");
            String generated = ItemReading.attr(r, "generated");
            while (ItemReading.nextChild(r)) {
                if ("site".equals(r.getLocalName())) {
                    Site site = new Site(ItemReading.attr(r, "name"), ItemReading.attr(r, "host"), ItemReading.attr(r, "port"),
                            ItemReading.attr(r, "ssl"));
                    while (ItemReading.nextChild(r)) {
                        if ("alerts".equals(r.getLocalName())) {
                            while (ItemReading.nextChild(r)) {
                                if ("alertitem".equals(r.getLocalName())) {
                                    Alert alert = readAlert(r, max);
                                    sink.accept(toFinding(version, null, generated, site, alert));
                                } else {
                                    ItemReading.skip(r);
                                }
                            }
                        } else {
                            ItemReading.skip(r);
                        }
                    }
                } else {
                    ItemReading.skip(r);
                }
            }
            ItemReading.finish(r);
        } catch (XMLStreamException e) {
            throw ReportInput.xmlProblem(e);
        } finally {
            ItemReading.close(r);
        }
    }

    private static Alert readAlert(XMLStreamReader r, int max) throws XMLStreamException, ReportException {
        Alert a = new Alert();
        while (ItemReading.nextChild(r)) {
            String name = r.getLocalName();
            if ("instances".equals(name)) {
                while (ItemReading.nextChild(r)) {
                    if ("instance".equals(r.getLocalName())) {
                        a.instances++;
                        if (a.instances == 1) {
                            while (ItemReading.nextChild(r)) {
                                String field = r.getLocalName();
                                if (INSTANCE_FIELDS.contains(field)) {
                                    String text = ItemReading.readText(r, max);
                                    if (text != null) {
                                        a.instance.putIfAbsent(field, text);
                                    }
                                } else {
                                    ItemReading.skip(r);
                                }
                            }
                        } else {
                            ItemReading.skip(r);
                        }
                    } else {
                        ItemReading.skip(r);
                    }
                }
            } else {
                String text = ItemReading.readText(r, max);
                if (text != null) {
                    a.fields.putIfAbsent(name, text);
                }
            }
        }
        return a;
    }

    // ------------------------------------------------------------------ shared with ZapJsonParser

    /** A site's attributes as the report writes them. */
    record Site(String name, String host, String port, String ssl) {
    }

    /** One alert item: its scalar fields by name, its first instance's fields, and how many instances it lists. */
    static final class Alert {
        final Map<String, String> fields = new HashMap<>();
        final Map<String, String> instance = new HashMap<>();
        int instances;

        String get(String key) {
            return ItemReading.blankToNull(fields.get(key));
        }
    }

    static ParsedFinding toFinding(String version, Instant created, String generated, Site site, Alert a) {
        ParsedFinding.Builder b = ParsedFinding.builder(TOOL).toolVersion(version).detectedAt(created);
        String title = a.get("alert") != null ? a.get("alert") : a.get("name");
        b.title(title);
        b.id(VulnerabilityIdKind.TOOL_RULE, a.get("pluginid"));
        for (String cve : ItemReading.cvesIn(title)) {
            b.id(VulnerabilityIdKind.CVE, cve);
        }
        b.cwe(ItemReading.cwe(a.get("cweid")));
        b.description(a.get("desc"));

        String label = riskLabel(a.get("riskdesc"), a.get("riskcode"));
        b.severity(label, band(a.get("riskcode"), label));

        for (String url : ItemReading.urlsIn(a.get("reference"))) {
            b.reference(url);
        }

        FindingTarget.Builder t = b.target();
        URI siteUri = ItemReading.uri(site.name());
        String host = site.host() != null ? site.host() : siteUri == null ? null : siteUri.getHost();
        if (host != null) {
            if (ItemReading.isIpLiteral(host)) {
                t.setIp(host);
            } else {
                t.setHost(host);
            }
        }
        Integer port = ItemReading.parseInt(site.port());
        if (port == null && siteUri != null && siteUri.getPort() > 0) {
            port = siteUri.getPort();
        }
        if (port != null && port > 0) {
            t.setPort(port);
        }
        if (site.ssl() != null) {
            t.setProtocol(Boolean.parseBoolean(site.ssl()) ? "https" : "http");
        } else if (siteUri != null && siteUri.getScheme() != null) {
            t.setProtocol(siteUri.getScheme().toLowerCase(Locale.ROOT));
        }
        String uri = ItemReading.blankToNull(a.instance.get("uri"));
        if (uri == null) {
            uri = a.get("uri"); // before ZAP 2.5 an alert item carried one instance inline
        }
        t.setUrl(uri != null ? uri : site.name());

        b.attribute("alertRef", a.get("alertRef"));
        b.attribute("riskcode", a.get("riskcode"));
        b.attribute("confidence", a.get("confidence"));
        b.attribute("wascid", a.get("wascid"));
        b.attribute("sourceid", a.get("sourceid"));
        b.attribute("site", site.name());
        b.attribute("generated", generated);
        int instances = a.instances > 0 ? a.instances : (uri != null ? 1 : 0);
        String count = a.get("count");
        b.attribute("instances", count != null ? count : instances > 0 ? Integer.toString(instances) : null);
        b.attribute("method", first(a, "method"));
        b.attribute("param", first(a, "param"));
        b.attribute("attack", ItemReading.clip(first(a, "attack")));
        b.attribute("evidence", ItemReading.clip(first(a, "evidence")));
        b.attribute("solution", ItemReading.clip(a.get("solution")));
        b.attribute("otherinfo", ItemReading.clip(a.get("otherinfo")));
        return b.build();
    }

    private static String first(Alert a, String key) {
        String v = ItemReading.blankToNull(a.instance.get(key));
        return v != null ? v : a.get(key);
    }

    /** "High" from "High (Medium)"; without riskdesc the word for riskcode; "(missing)" with neither. */
    static String riskLabel(String riskdesc, String riskcode) {
        String d = ItemReading.blankToNull(riskdesc);
        if (d != null) {
            int paren = d.indexOf('(');
            String word = paren > 0 ? d.substring(0, paren).trim() : d;
            if (!word.isEmpty()) {
                return word;
            }
        }
        Integer code = ItemReading.parseInt(riskcode);
        if (code != null) {
            switch (code) {
                case 0 -> {
                    return "Informational";
                }
                case 1 -> {
                    return "Low";
                }
                case 2 -> {
                    return "Medium";
                }
                case 3 -> {
                    return "High";
                }
                default -> {
                    return riskcode.trim();
                }
            }
        }
        return riskcode != null && !riskcode.isBlank() ? riskcode.trim() : "(missing)";
    }

    static SeverityBand band(String riskcode, String label) {
        Integer code = ItemReading.parseInt(riskcode);
        if (code != null) {
            if (code >= 3) {
                return SeverityBand.HIGH;
            }
            if (code == 2) {
                return SeverityBand.MEDIUM;
            }
            if (code == 1) {
                return SeverityBand.LOW;
            }
            if (code == 0) {
                return SeverityBand.INFO;
            }
        }
        SeverityBand byWord = ItemReading.bandForWord(label);
        return byWord != null ? byWord : SeverityBand.MEDIUM;
    }
}

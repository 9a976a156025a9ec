package dev.handoff.ingest.parse.formats;

import dev.handoff.ingest.parse.Bands;
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
 * Tenable Nessus v2 export ({@code .nessus}, root {@code NessusClientData_v2}): {@code Policy} (skipped) and
 * {@code Report/ReportHost[@name]}, each host with {@code HostProperties/tag[@name]} then its
 * {@code ReportItem}s. Every {@code ReportItem} is one finding, severity 0 ("None", informational plugins)
 * included. Items are streamed one at a time; a host's properties are held only while its items are read.
 *
 * <p>Severity label: the {@code severity} attribute exactly as written ({@code 0}..{@code 4}). Band: 4
 * CRITICAL, 3 HIGH, 2 MEDIUM, 1 LOW, 0 INFO. Without a numeric severity the band comes from
 * {@code risk_factor} (Critical/High/Medium/Low/None), else from the CVSS v3 then v2 base score
 * (>= 9.0 CRITICAL, >= 7.0 HIGH, >= 4.0 MEDIUM, > 0 LOW, 0 INFO), else INFO; the label is then "(missing)".
 *
 * <p>Ids: the plugin id as {@code TOOL_RULE}, every {@code cve} element as {@code CVE}; CWE from {@code cwe}
 * elements and {@code CWE:n} xrefs. CVSS: v2 ({@code cvss_base_score}, {@code cvss_vector}), v3
 * ({@code cvss3_base_score}, {@code cvss3_vector}) and v4 ({@code cvss4_base_score}, {@code cvss4_vector}),
 * each when present, vectors as written. Target: host from the {@code host-fqdn} tag, else the
 * {@code ReportHost} name when it is not an address; ip from {@code host-ip}, else the name when it is an
 * address; a name that is a URL (Nessus WAS) is the url and gives the host; the item's port (when not 0) and
 * protocol. Detected at {@code HOST_START_TIMESTAMP} (epoch seconds), else an ISO-8601 {@code HOST_START}.
 * {@code see_also} URLs are references.
 */
public final class NessusParser implements ReportParser {

    static final String TOOL = "nessus";

    private static final Set<String> ITEM_SKIP = Set.of("attachment");

    @Override
    public ReportFormat format() {
        return ReportFormat.NESSUS;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        XMLStreamReader r = input.xml();
        int max = input.limits().maxStringLength();
        try {
            ItemReading.root(r, "NessusClientData_v2", "a Nessus v2 report");
            while (ItemReading.nextChild(r)) {
                if ("Report".equals(r.getLocalName())) {
                    while (ItemReading.nextChild(r)) {
                        if ("ReportHost".equals(r.getLocalName())) {
                            readHost(r, max, sink);
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

    private static void readHost(XMLStreamReader r, int max, FindingSink sink) throws XMLStreamException, ReportException {
        String name = ItemReading.attr(r, "name");
        Map<String, String> tags = new HashMap<>();
        while (ItemReading.nextChild(r)) {
            String child = r.getLocalName();
            if ("HostProperties".equals(child)) {
                while (ItemReading.nextChild(r)) {
                    if ("tag".equals(r.getLocalName())) {
                        String tag = ItemReading.attr(r, "name");
                        String value = ItemReading.readText(r, max);
                        if (tag != null && value != null && wanted(tag)) {
                            tags.put(tag, value);
                        }
                    } else {
                        ItemReading.skip(r);
                    }
                }
            } else if ("ReportItem".equals(child)) {
                ItemReading.Node item = ItemReading.readNode(r, max, ITEM_SKIP);
                sink.accept(toFinding(name, tags, item));
            } else {
                ItemReading.skip(r);
            }
        }
    }

    /** Host tags kept; the others (CPE lists, traceroutes, patch summaries) can be long and are not used. */
    private static boolean wanted(String tag) {
        return switch (tag) {
            case "host-ip", "host-fqdn", "host-rdns", "netbios-name", "operating-system", "os", "mac-address",
                    "HOST_START", "HOST_START_TIMESTAMP", "HOST_END", "HOST_END_TIMESTAMP" -> true;
            default -> false;
        };
    }

    static ParsedFinding toFinding(String hostName, Map<String, String> tags, ItemReading.Node item) {
        ParsedFinding.Builder b = ParsedFinding.builder(TOOL);
        String pluginId = item.attr("pluginID");
        b.id(VulnerabilityIdKind.TOOL_RULE, pluginId);
        for (ItemReading.Node cve : item.all("cve")) {
            b.id(VulnerabilityIdKind.CVE, cve.text());
        }
        for (ItemReading.Node cwe : item.all("cwe")) {
            b.cwe(ItemReading.cwe(cwe.text()));
        }
        for (ItemReading.Node xref : item.all("xref")) {
            String x = xref.text();
            if (x != null && x.toUpperCase(Locale.ROOT).startsWith("CWE:")) {
                b.cwe(ItemReading.cwe(x));
            }
        }
        b.title(item.attr("pluginName") != null ? item.attr("pluginName") : item.text("plugin_name"));
        b.description(item.text("description") != null ? item.text("description") : item.text("synopsis"));

        Double v2 = ItemReading.parseDouble(item.text("cvss_base_score"));
        Double v3 = ItemReading.parseDouble(item.text("cvss3_base_score"));
        Double v4 = ItemReading.parseDouble(item.text("cvss4_base_score"));
        String v2vector = item.text("cvss_vector");
        String v3vector = item.text("cvss3_vector");
        String v4vector = item.text("cvss4_vector");
        b.cvss("2.0", v2vector, v2, null);
        String v3version = ItemReading.vectorVersion(v3vector);
        b.cvss(v3version != null ? v3version : "3.0", v3vector, v3, null);
        b.cvss("4.0", v4vector, v4, null);

        String severity = item.attributes.get("severity");
        String riskFactor = item.text("risk_factor");
        if (ItemReading.blankToNull(severity) != null) {
            b.severity(severity, band(severity, riskFactor, v3 != null ? v3 : v2));
        } else {
            b.severity("(missing)", band(null, riskFactor, v3 != null ? v3 : v2));
        }

        for (String url : ItemReading.urlsIn(item.text("see_also"))) {
            b.reference(url);
        }

        FindingTarget.Builder t = b.target();
        String fqdn = tags.get("host-fqdn");
        String ip = tags.get("host-ip");
        URI nameUrl = ItemReading.uri(hostName);
        URI fqdnUrl = ItemReading.uri(fqdn);
        if (nameUrl != null || fqdnUrl != null) {
            // Nessus WAS names a web application host by its URL
            t.setUrl(nameUrl != null ? hostName : fqdn);
            if (fqdn == null || fqdnUrl != null) {
                fqdn = (nameUrl != null ? nameUrl : fqdnUrl).getHost();
            }
        } else if (fqdn == null && hostName != null && !ItemReading.isIpLiteral(hostName)) {
            fqdn = hostName;
        }
        if (ItemReading.isIpLiteral(fqdn)) {
            ip = ip == null ? fqdn : ip;
            fqdn = null;
        }
        if (ip == null && ItemReading.isIpLiteral(hostName)) {
            ip = hostName;
        }
        if (fqdn != null) {
            t.setHost(fqdn);
        }
        if (ip != null) {
            t.setIp(ip);
        }
        Integer port = ItemReading.parseInt(item.attributes.get("port"));
        if (port != null && port > 0) {
            t.setPort(port);
        }
        String protocol = item.attr("protocol");
        if (protocol != null) {
            t.setProtocol(protocol.toLowerCase(Locale.ROOT));
        }
        b.detectedAt(detectedAt(tags));

        b.attribute("reportHost", hostName);
        b.attribute("pluginFamily", item.attr("pluginFamily"));
        b.attribute("svcName", item.attr("svc_name"));
        b.attribute("riskFactor", riskFactor);
        b.attribute("synopsis", ItemReading.clip(item.text("synopsis")));
        b.attribute("solution", ItemReading.clip(item.text("solution")));
        b.attribute("pluginOutput", ItemReading.clip(item.text("plugin_output")));
        b.attribute("exploitAvailable", item.text("exploit_available"));
        b.attribute("vprScore", item.text("vpr_score"));
        b.attribute("operatingSystem", tags.get("operating-system"));
        b.attribute("netbiosName", tags.get("netbios-name"));
        return b.build();
    }

    static SeverityBand band(String severity, String riskFactor, Double score) {
        Integer s = ItemReading.parseInt(severity);
        if (s != null && s >= 0) {
            return switch (s) {
                case 0 -> SeverityBand.INFO;
                case 1 -> SeverityBand.LOW;
                case 2 -> SeverityBand.MEDIUM;
                case 3 -> SeverityBand.HIGH;
                default -> SeverityBand.CRITICAL;
            };
        }
        SeverityBand byWord = ItemReading.bandForWord(riskFactor);
        if (byWord != null) {
            return byWord;
        }
        return score != null ? Bands.fromScore(score) : SeverityBand.INFO;
    }

    private static Instant detectedAt(Map<String, String> tags) {
        String epoch = tags.get("HOST_START_TIMESTAMP");
        if (epoch != null) {
            try {
                return Instant.ofEpochSecond(Long.parseLong(epoch.trim()));
            } catch (NumberFormatException | java.time.DateTimeException e) {
                // fall through to HOST_START
            }
        }
        return ItemReading.isoInstant(tags.get("HOST_START"));
    }
}

package dev.handoff.ingest.parse.formats;

import dev.handoff.ingest.parse.FindingSink;
import dev.handoff.ingest.parse.ReportException;
import dev.handoff.ingest.parse.ReportFormat;
import dev.handoff.ingest.parse.ReportInput;
import dev.handoff.ingest.parse.ReportParser;
import dev.handoff.ingest.parse.formats.CycloneDxSupport.Bom;
import dev.handoff.ingest.parse.formats.CycloneDxSupport.Component;
import dev.handoff.ingest.parse.formats.CycloneDxSupport.Rating;
import dev.handoff.ingest.parse.formats.CycloneDxSupport.Vuln;

import javax.xml.stream.Location;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import javax.xml.stream.util.StreamReaderDelegate;

/**
 * CycloneDX XML BOMs with vulnerabilities: root {@code bom} in the namespace
 * {@code http://cyclonedx.org/schema/bom/1.x}, vulnerabilities in {@code bom/vulnerabilities} (1.4 to
 * 1.6). Also reads the older vulnerability extension
 * ({@code http://cyclonedx.org/schema/ext/vulnerability/1.0}, {@code v:vulnerabilities}) that grype and
 * others wrote into 1.2/1.3 BOMs, either at the top level ({@code ref} names a component's bom-ref) or
 * nested in the {@code component} it affects (the nesting names the component).
 *
 * <p>The rules for findings, severity labels and bands, CVSS, ids and targets are those of
 * {@link CycloneDxJsonParser}. In the extension, a rating's score is {@code v:score/v:base}.
 *
 * <p>Streaming with StAX: components are reduced to the bom-ref map as they pass; vulnerabilities are
 * emitted as they are read (the schema puts {@code vulnerabilities} after {@code components}), and
 * kept as compact records only when a BOM breaks that order.
 */
public final class CycloneDxXmlParser implements ReportParser {

    private static final String BOM_NS = "http://cyclonedx.org/schema/bom/";
    private static final String EXT_NS = "cyclonedx.org/schema/ext/vulnerability";

    @Override
    public ReportFormat format() {
        return ReportFormat.CYCLONEDX_XML;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        XMLStreamReader r = new TextReader(input.xml(), input.limits().maxStringLength());
        try {
            if (!nextChild(r)) {
                throw malformed(r, "no root element");
            }
            String ns = ns(r);
            if (!"bom".equals(r.getLocalName()) || !(ns.isEmpty() || ns.startsWith(BOM_NS))) {
                throw malformed(r, "the root element must be bom in the namespace " + BOM_NS + "1.x, not {" + ns + "}" + r.getLocalName());
            }
            Bom bom = new Bom(sink, input.limits());
            bom.specVersion = ns.startsWith(BOM_NS) ? ns.substring(BOM_NS.length()) : null;
            while (nextChild(r)) {
                String name = r.getLocalName();
                if (isExt(r)) {
                    bom.metadataDone = true;
                    if ("vulnerabilities".equals(name)) {
                        legacyVulnerabilities(r, bom, null);
                    } else {
                        skip(r);
                    }
                    continue;
                }
                if (!ns(r).equals(ns)) {
                    skip(r);
                    continue;
                }
                if (!"metadata".equals(name)) {
                    bom.metadataDone = true; // the schema orders metadata first
                }
                switch (name) {
                    case "metadata" -> {
                        metadata(r, bom, ns);
                        bom.metadataDone = true;
                    }
                    case "components" -> {
                        components(r, bom, ns);
                        bom.componentsDone = true;
                    }
                    case "vulnerabilities" -> {
                        while (nextChild(r)) {
                            if ("vulnerability".equals(r.getLocalName()) && ns(r).equals(ns)) {
                                bom.vulnerability(vulnerability(r, ns));
                            } else {
                                skip(r);
                            }
                        }
                    }
                    default -> skip(r);
                }
            }
            while (r.hasNext()) {
                r.next();
            }
            bom.finish();
        } catch (TooLong e) {
            throw e.report;
        } catch (XMLStreamException e) {
            throw ReportInput.xmlProblem(e);
        } finally {
            try {
                r.close();
            } catch (XMLStreamException ignored) {
                // nothing to release beyond the stream, which the caller owns
            }
        }
    }

    private static void metadata(XMLStreamReader r, Bom bom, String ns) throws XMLStreamException, ReportException {
        while (nextChild(r)) {
            if (!ns(r).equals(ns)) {
                skip(r);
                continue;
            }
            switch (r.getLocalName()) {
                case "timestamp" -> bom.timestamp = CycloneDxSupport.timestamp(text(r));
                case "tools" -> {
                    String[] tool = tools(r, ns);
                    if (tool != null) {
                        bom.toolName = tool[0];
                        bom.toolVersion = tool[1];
                    }
                }
                case "component" -> bom.subject = component(r, bom, ns);
                default -> skip(r);
            }
        }
    }

    /** Name and version of the first tool: {@code tools/tool} (1.4) or {@code tools/components/component}, {@code tools/services/service} (1.5+). */
    private static String[] tools(XMLStreamReader r, String ns) throws XMLStreamException {
        String[] found = null;
        while (nextChild(r)) {
            String name = r.getLocalName();
            if (found == null && ("tool".equals(name) || "component".equals(name) || "service".equals(name))) {
                found = nameAndVersion(r, ns);
            } else if (found == null && ("components".equals(name) || "services".equals(name))) {
                found = tools(r, ns);
            } else {
                skip(r);
            }
        }
        return found;
    }

    private static String[] nameAndVersion(XMLStreamReader r, String ns) throws XMLStreamException {
        String name = null;
        String version = null;
        while (nextChild(r)) {
            switch (r.getLocalName()) {
                case "name" -> name = text(r);
                case "version" -> version = text(r);
                default -> skip(r);
            }
        }
        return name == null ? null : new String[] {name, version};
    }

    private static void components(XMLStreamReader r, Bom bom, String ns) throws XMLStreamException, ReportException {
        while (nextChild(r)) {
            if ("component".equals(r.getLocalName()) && ns(r).equals(ns)) {
                component(r, bom, ns);
            } else {
                skip(r);
            }
        }
    }

    /** One component (the reader is on its start tag), its nested components, and extension vulnerabilities nested in it. */
    private static Component component(XMLStreamReader r, Bom bom, String ns) throws XMLStreamException, ReportException {
        String ref = attribute(r, "bom-ref");
        String type = attribute(r, "type");
        String group = null;
        String name = null;
        String version = null;
        String purl = null;
        while (nextChild(r)) {
            String local = r.getLocalName();
            if (isExt(r)) {
                if ("vulnerabilities".equals(local)) {
                    legacyVulnerabilities(r, bom, new Component(type, group, name, version, purl));
                } else {
                    skip(r);
                }
                continue;
            }
            if (!ns(r).equals(ns)) {
                skip(r);
                continue;
            }
            switch (local) {
                case "group" -> group = text(r);
                case "name" -> name = text(r);
                case "version" -> version = text(r);
                case "purl" -> purl = text(r);
                case "components" -> components(r, bom, ns);
                default -> skip(r);
            }
        }
        Component c = new Component(type, group, name, version, purl);
        bom.component(ref, c);
        return c;
    }

    private static Vuln vulnerability(XMLStreamReader r, String ns) throws XMLStreamException {
        Vuln v = new Vuln();
        v.bomRef = attribute(r, "bom-ref");
        while (nextChild(r)) {
            if (!ns(r).equals(ns)) {
                skip(r);
                continue;
            }
            switch (r.getLocalName()) {
                case "id" -> v.id = text(r);
                case "source" -> {
                    String[] s = source(r);
                    v.sourceName = s[0];
                    v.sourceUrl = s[1];
                }
                case "references" -> {
                    while (nextChild(r)) {
                        if (!"reference".equals(r.getLocalName())) {
                            skip(r);
                            continue;
                        }
                        while (nextChild(r)) {
                            switch (r.getLocalName()) {
                                case "id" -> add(v.referenceIds, text(r));
                                case "source" -> add(v.referenceUrls, source(r)[1]);
                                default -> skip(r);
                            }
                        }
                    }
                }
                case "ratings" -> {
                    while (nextChild(r)) {
                        if ("rating".equals(r.getLocalName())) {
                            v.ratings.add(rating(r));
                        } else {
                            skip(r);
                        }
                    }
                }
                case "cwes" -> {
                    while (nextChild(r)) {
                        if ("cwe".equals(r.getLocalName())) {
                            add(v.cwes, CycloneDxSupport.cwe(text(r)));
                        } else {
                            skip(r);
                        }
                    }
                }
                case "description" -> v.description = text(r);
                case "detail" -> v.detail = text(r);
                case "recommendation" -> v.recommendation = text(r);
                case "advisories" -> {
                    while (nextChild(r)) {
                        if (!"advisory".equals(r.getLocalName())) {
                            skip(r);
                            continue;
                        }
                        while (nextChild(r)) {
                            if ("url".equals(r.getLocalName())) {
                                add(v.advisoryUrls, text(r));
                            } else {
                                skip(r);
                            }
                        }
                    }
                }
                case "published" -> v.published = text(r);
                case "analysis" -> {
                    while (nextChild(r)) {
                        switch (r.getLocalName()) {
                            case "state" -> v.analysisState = text(r);
                            case "justification" -> v.analysisJustification = text(r);
                            default -> skip(r);
                        }
                    }
                }
                case "affects" -> {
                    while (nextChild(r)) {
                        if (!"target".equals(r.getLocalName())) {
                            skip(r);
                            continue;
                        }
                        while (nextChild(r)) {
                            if ("ref".equals(r.getLocalName())) {
                                String ref = text(r);
                                if (ref != null) {
                                    v.affects.add(ref);
                                }
                            } else {
                                skip(r);
                            }
                        }
                    }
                }
                case "properties" -> {
                    while (nextChild(r)) {
                        if ("property".equals(r.getLocalName())) {
                            String name = attribute(r, "name");
                            String value = text(r);
                            if (v.fixedVersion == null && CycloneDxSupport.isFixedVersionProperty(name)) {
                                v.fixedVersion = value;
                            }
                        } else {
                            skip(r);
                        }
                    }
                }
                case "tools" -> {
                    String[] tool = tools(r, ns);
                    if (tool != null) {
                        v.toolName = tool[0];
                        v.toolVersion = tool[1];
                    }
                }
                default -> skip(r);
            }
        }
        return v;
    }

    private static Rating rating(XMLStreamReader r) throws XMLStreamException {
        Rating rating = new Rating();
        while (nextChild(r)) {
            switch (r.getLocalName()) {
                case "source" -> rating.source = source(r)[0];
                case "score" -> rating.score = CycloneDxSupport.number(text(r));
                case "severity" -> rating.severity = text(r);
                case "method" -> rating.method = text(r);
                case "vector" -> rating.vector = text(r);
                default -> skip(r);
            }
        }
        return rating;
    }

    /** {@code source/name} and {@code source/url}. */
    private static String[] source(XMLStreamReader r) throws XMLStreamException {
        String[] s = new String[2];
        s[0] = attribute(r, "name"); // the extension's <v:source name="...">
        while (nextChild(r)) {
            switch (r.getLocalName()) {
                case "name" -> s[0] = text(r);
                case "url" -> s[1] = text(r);
                default -> skip(r);
            }
        }
        return s;
    }

    // ------------------------------------------------------------------ the 1.0 vulnerability extension

    private static void legacyVulnerabilities(XMLStreamReader r, Bom bom, Component enclosing) throws XMLStreamException, ReportException {
        while (nextChild(r)) {
            if ("vulnerability".equals(r.getLocalName()) && isExt(r)) {
                Vuln v = legacyVulnerability(r);
                v.enclosing = enclosing;
                bom.vulnerability(v);
            } else {
                skip(r);
            }
        }
    }

    private static Vuln legacyVulnerability(XMLStreamReader r) throws XMLStreamException {
        Vuln v = new Vuln();
        String ref = attribute(r, "ref");
        if (ref != null) {
            v.affects.add(ref);
        }
        while (nextChild(r)) {
            switch (r.getLocalName()) {
                case "id" -> v.id = text(r);
                case "source" -> {
                    String[] s = source(r);
                    v.sourceName = s[0];
                    v.sourceUrl = s[1];
                }
                case "ratings" -> {
                    while (nextChild(r)) {
                        if (!"rating".equals(r.getLocalName())) {
                            skip(r);
                            continue;
                        }
                        Rating rating = new Rating();
                        while (nextChild(r)) {
                            switch (r.getLocalName()) {
                                case "score" -> {
                                    while (nextChild(r)) {
                                        if ("base".equals(r.getLocalName())) {
                                            rating.score = CycloneDxSupport.number(text(r));
                                        } else {
                                            skip(r);
                                        }
                                    }
                                }
                                case "severity" -> rating.severity = text(r);
                                case "method" -> rating.method = text(r);
                                case "vector" -> rating.vector = text(r);
                                default -> skip(r);
                            }
                        }
                        v.ratings.add(rating);
                    }
                }
                case "cwes" -> {
                    while (nextChild(r)) {
                        if ("cwe".equals(r.getLocalName())) {
                            add(v.cwes, CycloneDxSupport.cwe(text(r)));
                        } else {
                            skip(r);
                        }
                    }
                }
                case "description" -> v.description = text(r);
                case "recommendations" -> {
                    StringBuilder all = new StringBuilder();
                    while (nextChild(r)) {
                        if ("recommendation".equals(r.getLocalName())) {
                            String text = text(r);
                            if (text != null) {
                                all.append(all.length() == 0 ? "" : "\n").append(text);
                            }
                        } else {
                            skip(r);
                        }
                    }
                    v.recommendation = all.length() == 0 ? null : all.toString();
                }
                case "advisories" -> {
                    while (nextChild(r)) {
                        if ("advisory".equals(r.getLocalName())) {
                            add(v.advisoryUrls, text(r));
                        } else {
                            skip(r);
                        }
                    }
                }
                default -> skip(r);
            }
        }
        return v;
    }

    // ------------------------------------------------------------------ StAX helpers

    /**
     * Reads element text through {@link #next()}, so the guarded reader underneath sees (and counts) every
     * event, and bounds the whole text, not only each chunk, by the string limit. Child elements inside a
     * text element are skipped rather than refused.
     */
    /** Carries a limit refusal out of {@link TextReader#getElementText()}. */
    private static final class TooLong extends XMLStreamException {
        final transient ReportException report;

        TooLong(ReportException report) {
            super(report.getMessage());
            this.report = report;
        }
    }

    private static final class TextReader extends StreamReaderDelegate {
        private final int max;

        TextReader(XMLStreamReader reader, int max) {
            super(reader);
            this.max = max;
        }

        @Override
        public String getElementText() throws XMLStreamException {
            StringBuilder text = new StringBuilder();
            int depth = 0;
            while (hasNext()) {
                int event = next();
                switch (event) {
                    case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
                        if (depth == 0) {
                            text.append(getText());
                            if (text.length() > max) {
                                Location at = getLocation();
                                throw new TooLong(new ReportException(ReportException.Kind.LIMIT_EXCEEDED, "an XML value longer than "
                                        + max + " characters (ingest.limit.string)", at.getLineNumber(), at.getColumnNumber(), null));
                            }
                        }
                    }
                    case XMLStreamConstants.START_ELEMENT -> depth++;
                    case XMLStreamConstants.END_ELEMENT -> {
                        if (depth-- == 0) {
                            return text.toString();
                        }
                    }
                    default -> {
                    }
                }
            }
            throw new XMLStreamException("unexpected end of document inside an element", getLocation());
        }
    }

    /** Moves to the next child element of the current element: true on its start tag, false on the current element's end tag. */
    private static boolean nextChild(XMLStreamReader r) throws XMLStreamException {
        while (r.hasNext()) {
            int event = r.next();
            if (event == XMLStreamConstants.START_ELEMENT) {
                return true;
            }
            if (event == XMLStreamConstants.END_ELEMENT) {
                return false;
            }
        }
        return false;
    }

    /** Skips the element the reader is on, with everything in it. */
    private static void skip(XMLStreamReader r) throws XMLStreamException {
        int depth = 1;
        while (depth > 0 && r.hasNext()) {
            int event = r.next();
            if (event == XMLStreamConstants.START_ELEMENT) {
                depth++;
            } else if (event == XMLStreamConstants.END_ELEMENT) {
                depth--;
            }
        }
    }

    /** The text of a text-only element, trimmed; {@code null} when blank. */
    private static String text(XMLStreamReader r) throws XMLStreamException {
        String s = r.getElementText();
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static String attribute(XMLStreamReader r, String name) {
        String v = r.getAttributeValue(null, name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static String ns(XMLStreamReader r) {
        String ns = r.getNamespaceURI();
        return ns == null ? "" : ns;
    }

    private static boolean isExt(XMLStreamReader r) {
        return ns(r).contains(EXT_NS);
    }

    private static void add(java.util.List<String> list, String value) {
        if (value != null && !value.isBlank()) {
            list.add(value.trim());
        }
    }

    private static ReportException malformed(XMLStreamReader r, String message) {
        Location at = r.getLocation();
        return new ReportException(ReportException.Kind.MALFORMED, "malformed CycloneDX XML: " + message,
                at == null ? -1 : at.getLineNumber(), at == null ? -1 : at.getColumnNumber(), null);
    }
}

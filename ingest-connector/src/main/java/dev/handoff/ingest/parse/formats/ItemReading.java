package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.handoff.avro.SeverityBand;
import dev.handoff.ingest.parse.ReportException;

import javax.xml.stream.Location;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Streaming helpers shared by the ZAP, Nessus and Dependency-Check parsers: walking an XML element's
 * children one at a time on the safe reader {@link dev.handoff.ingest.parse.ReportInput#xml()} hands
 * out (only {@code next()} is ever called on it, so its DOCTYPE, entity, depth and text guards see every
 * event), reading one bounded report item into a small tree, JSON scalar reading, and value
 * normalisation (CWE ids, CVSS score bands, dates, URLs).
 */
final class ItemReading {

    static final int MAX_ATTRIBUTE = 4096;

    private static final Pattern CWE = Pattern.compile("^(?:CWE[-: ]?)?(\\d{1,6})(?:\\D.*)?$", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    private static final Pattern CVE = Pattern.compile("CVE-\\d{4}-\\d{4,}", Pattern.CASE_INSENSITIVE);
    private static final Pattern CVE_ONLY = Pattern.compile("^CVE-\\d{4}-\\d{4,}$", Pattern.CASE_INSENSITIVE);
    private static final Pattern GHSA_ONLY = Pattern.compile("^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$", Pattern.CASE_INSENSITIVE);
    private static final Pattern URL = Pattern.compile("https?://[^\\s<>\"'`]+", Pattern.CASE_INSENSITIVE);
    private static final Pattern IPV4 = Pattern.compile("^\\d{1,3}(\\.\\d{1,3}){3}$");
    private static final Pattern VECTOR_VERSION = Pattern.compile("^CVSS:(\\d\\.\\d)/");
    /** {@code 2017-10-01T10:00:00.000-0400}, as older Java reports write times. */
    private static final DateTimeFormatter OFFSET_WITHOUT_COLON = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME).appendOffset("+HHMM", "Z").toFormatter(Locale.ROOT);

    private ItemReading() {
    }

    // ------------------------------------------------------------------ XML walking

    /** One XML element read whole: name, attributes, own text and child elements. Only for bounded report items. */
    static final class Node {
        final String name;
        final Map<String, String> attributes;
        final StringBuilder text = new StringBuilder();
        final List<Node> children = new ArrayList<>();

        Node(String name, Map<String, String> attributes) {
            this.name = name;
            this.attributes = attributes;
        }

        /** The trimmed own text, or null when blank. */
        String text() {
            return blankToNull(text.toString());
        }

        String attr(String local) {
            return blankToNull(attributes.get(local));
        }

        Node child(String local) {
            for (Node c : children) {
                if (c.name.equals(local)) {
                    return c;
                }
            }
            return null;
        }

        List<Node> all(String local) {
            List<Node> out = new ArrayList<>();
            for (Node c : children) {
                if (c.name.equals(local)) {
                    out.add(c);
                }
            }
            return out;
        }

        /** The trimmed text of the first child named {@code local}, or null. */
        String text(String local) {
            Node c = child(local);
            return c == null ? null : c.text();
        }

        boolean has(String local) {
            return child(local) != null;
        }
    }

    /** The next event, with any runtime failure of the XML implementation turned into a positioned XML error. */
    static int next(XMLStreamReader r) throws XMLStreamException {
        try {
            return r.next();
        } catch (RuntimeException e) {
            Location at = null;
            try {
                at = r.getLocation();
            } catch (RuntimeException ignored) {
                // no position then
            }
            throw new XMLStreamException(String.valueOf(e.getMessage()), at, e);
        }
    }

    /** Moves to the root element; its local name must be {@code root}. */
    static void root(XMLStreamReader r, String root, String what) throws XMLStreamException, ReportException {
        int e = r.getEventType();
        while (e != XMLStreamConstants.START_ELEMENT) {
            if (e == XMLStreamConstants.END_DOCUMENT) {
                throw malformed(r, "not " + what + ": the document has no root element");
            }
            e = next(r);
        }
        if (!root.equals(r.getLocalName())) {
            throw malformed(r, "not " + what + ": the root element is <" + r.getLocalName() + ">, expected <" + root + ">");
        }
    }

    /** After the root element ended: reads to the end so trailing garbage is reported. */
    static void finish(XMLStreamReader r) throws XMLStreamException {
        while (r.hasNext()) {
            next(r);
        }
    }

    /**
     * From a START_ELEMENT (or the END_ELEMENT of its previous child) to the element's next child START_ELEMENT;
     * false at the element's own END_ELEMENT. Every child must be consumed (read or skipped) before the next call.
     */
    static boolean nextChild(XMLStreamReader r) throws XMLStreamException {
        while (true) {
            int e = next(r);
            if (e == XMLStreamConstants.START_ELEMENT) {
                return true;
            }
            if (e == XMLStreamConstants.END_ELEMENT) {
                return false;
            }
            if (e == XMLStreamConstants.END_DOCUMENT) {
                throw new XMLStreamException("unexpected end of the document", r.getLocation());
            }
        }
    }

    /** Skips the current element and everything in it; ends on its END_ELEMENT. */
    static void skip(XMLStreamReader r) throws XMLStreamException {
        int depth = 1;
        while (depth > 0) {
            int e = next(r);
            if (e == XMLStreamConstants.START_ELEMENT) {
                depth++;
            } else if (e == XMLStreamConstants.END_ELEMENT) {
                depth--;
            } else if (e == XMLStreamConstants.END_DOCUMENT) {
                throw new XMLStreamException("unexpected end of the document", r.getLocation());
            }
        }
    }

    /** The text of the current element and its descendants, trimmed (null when blank); ends on its END_ELEMENT. */
    static String readText(XMLStreamReader r, int max) throws XMLStreamException, ReportException {
        StringBuilder sb = new StringBuilder();
        int depth = 1;
        while (depth > 0) {
            int e = next(r);
            switch (e) {
                case XMLStreamConstants.START_ELEMENT -> depth++;
                case XMLStreamConstants.END_ELEMENT -> depth--;
                case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> append(sb, r, max);
                case XMLStreamConstants.END_DOCUMENT -> throw new XMLStreamException("unexpected end of the document", r.getLocation());
                default -> {
                }
            }
        }
        return blankToNull(sb.toString());
    }

    /** Reads the current element whole into a {@link Node}, leaving out subtrees named in {@code skip}; ends on its END_ELEMENT. */
    static Node readNode(XMLStreamReader r, int max, Set<String> skip) throws XMLStreamException, ReportException {
        Node node = new Node(r.getLocalName(), attributes(r));
        while (true) {
            int e = next(r);
            switch (e) {
                case XMLStreamConstants.START_ELEMENT -> {
                    if (skip.contains(r.getLocalName())) {
                        skip(r);
                    } else {
                        node.children.add(readNode(r, max, skip));
                    }
                }
                case XMLStreamConstants.END_ELEMENT -> {
                    return node;
                }
                case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> append(node.text, r, max);
                case XMLStreamConstants.END_DOCUMENT -> throw new XMLStreamException("unexpected end of the document", r.getLocation());
                default -> {
                }
            }
        }
    }

    /** The attributes of the current START_ELEMENT by local name. */
    static Map<String, String> attributes(XMLStreamReader r) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < r.getAttributeCount(); i++) {
            out.put(r.getAttributeLocalName(i), r.getAttributeValue(i));
        }
        return out;
    }

    /** An attribute of the current START_ELEMENT by local name, in any namespace; null when absent or blank. */
    static String attr(XMLStreamReader r, String local) {
        for (int i = 0; i < r.getAttributeCount(); i++) {
            if (local.equals(r.getAttributeLocalName(i))) {
                return blankToNull(r.getAttributeValue(i));
            }
        }
        return null;
    }

    private static void append(StringBuilder sb, XMLStreamReader r, int max) throws ReportException {
        sb.append(r.getTextCharacters(), r.getTextStart(), r.getTextLength());
        if (sb.length() > max) {
            throw new ReportException(ReportException.Kind.LIMIT_EXCEEDED, "an XML value longer than " + max
                    + " characters (ingest.limit.string) at line " + r.getLocation().getLineNumber());
        }
    }

    /** A report of the wrong shape, at the reader's position. */
    static ReportException malformed(XMLStreamReader r, String message) {
        Location at = r.getLocation();
        return new ReportException(ReportException.Kind.MALFORMED, message, at == null ? -1 : at.getLineNumber(),
                at == null ? -1 : at.getColumnNumber(), null);
    }

    static void close(XMLStreamReader r) {
        try {
            r.close();
        } catch (XMLStreamException | RuntimeException ignored) {
            // nothing to release beyond the stream the caller owns
        }
    }

    // ------------------------------------------------------------------ JSON walking

    /** A report of the wrong shape, at the parser's position. */
    static ReportException malformed(JsonParser p, String message) {
        JsonLocation at = p.currentLocation();
        return new ReportException(ReportException.Kind.MALFORMED, message, at == null ? -1 : at.getLineNr(),
                at == null ? -1 : at.getColumnNr(), null);
    }

    /** The next token; the end of input inside a value is a positioned error. */
    static JsonToken nextToken(JsonParser p) throws IOException, ReportException {
        JsonToken t = p.nextToken();
        if (t == null) {
            throw malformed(p, "malformed JSON: unexpected end of the report");
        }
        return t;
    }

    /** Expects the current token to start an object. */
    static void expectObject(JsonParser p, String what) throws ReportException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw malformed(p, what + " must be a JSON object, found " + describe(p.currentToken()));
        }
    }

    /** The current scalar as text (strings, numbers, booleans); null for null; skips and returns null for objects and arrays. */
    static String scalar(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null || t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t.isStructStart()) {
            p.skipChildren();
            return null;
        }
        return blankToNull(p.getText());
    }

    /** After a report's root value: nothing but whitespace may follow. */
    static void finish(JsonParser p) throws IOException, ReportException {
        if (p.nextToken() != null) {
            throw malformed(p, "malformed JSON: unexpected content after the report");
        }
    }

    static void close(JsonParser p) {
        try {
            p.close();
        } catch (IOException | RuntimeException ignored) {
            // nothing else to release
        }
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "nothing";
        }
        return switch (t) {
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.name();
        };
    }

    // ------------------------------------------------------------------ values

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** Long free text kept for attributes, cut at {@link #MAX_ATTRIBUTE} characters. */
    static String clip(String s) {
        String v = blankToNull(s);
        return v == null || v.length() <= MAX_ATTRIBUTE ? v : v.substring(0, MAX_ATTRIBUTE) + "…";
    }

    static Integer parseInt(String s) {
        String v = blankToNull(s);
        if (v == null) {
            return null;
        }
        try {
            return Integer.valueOf(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static Double parseDouble(String s) {
        String v = blankToNull(s);
        if (v == null) {
            return null;
        }
        try {
            double d = Double.parseDouble(v);
            return Double.isFinite(d) ? d : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * A CWE id as {@code CWE-<n>} from the spellings reports use ({@code 79}, {@code CWE-79}, {@code CWE:79},
     * {@code CWE-20 Improper Input Validation}); null for placeholders such as {@code NVD-CWE-Other}, {@code -1}, {@code 0}.
     */
    static String cwe(String raw) {
        String v = blankToNull(raw);
        if (v == null) {
            return null;
        }
        Matcher m = CWE.matcher(v);
        if (!m.matches()) {
            return null;
        }
        long n = Long.parseLong(m.group(1));
        return n <= 0 ? null : "CWE-" + n;
    }

    static boolean isCve(String s) {
        return s != null && CVE_ONLY.matcher(s.trim()).matches();
    }

    static boolean isGhsa(String s) {
        return s != null && GHSA_ONLY.matcher(s.trim()).matches();
    }

    /** Every CVE id mentioned in {@code text}. */
    static List<String> cvesIn(String text) {
        List<String> out = new ArrayList<>();
        if (text != null) {
            Matcher m = CVE.matcher(text);
            while (m.find()) {
                out.add(m.group().toUpperCase(Locale.ROOT));
            }
        }
        return out;
    }

    /** Every http(s) URL in free text (ZAP separates them with markup, Nessus with new lines). The text itself is never interpreted. */
    static List<String> urlsIn(String text) {
        List<String> out = new ArrayList<>();
        if (text != null) {
            Matcher m = URL.matcher(text);
            while (m.find()) {
                String u = m.group().replaceAll("[.,;:)\\]]+$", "");
                if (!out.contains(u)) {
                    out.add(u);
                }
            }
        }
        return out;
    }

    /**
     * A reference link as the report wrote it when it is an absolute http(s) URL without whitespace, quotes or
     * angle brackets; else null. Reports carry attacker-influenced text in reference fields, and a link is only
     * kept when it cannot smuggle markup into whatever later renders it.
     */
    static String link(String s) {
        String v = blankToNull(s);
        if (v == null || !v.regionMatches(true, 0, "http://", 0, 7) && !v.regionMatches(true, 0, "https://", 0, 8)) {
            return null;
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (Character.isWhitespace(c) || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`' || Character.isISOControl(c)) {
                return null;
            }
        }
        return v;
    }

    /** A severity word to band, case-insensitively; null when the word is not a known one. */
    static SeverityBand bandForWord(String word) {
        String w = blankToNull(word);
        if (w == null) {
            return null;
        }
        return switch (w.toLowerCase(Locale.ROOT)) {
            case "critical" -> SeverityBand.CRITICAL;
            case "high", "important" -> SeverityBand.HIGH;
            case "medium", "moderate" -> SeverityBand.MEDIUM;
            case "low" -> SeverityBand.LOW;
            case "info", "informational", "information", "none" -> SeverityBand.INFO;
            default -> null;
        };
    }

    /** The version in a CVSS vector's prefix ({@code CVSS:3.1/...} gives 3.1, {@code CVSS2#...} gives 2.0); null when none. */
    static String vectorVersion(String vector) {
        String v = blankToNull(vector);
        if (v == null) {
            return null;
        }
        Matcher m = VECTOR_VERSION.matcher(v);
        if (m.find()) {
            return m.group(1);
        }
        if (v.startsWith("CVSS2#")) {
            return "2.0";
        }
        return null;
    }

    /** An instant from ISO-8601 with or without an offset (without one it is taken as UTC, an offset may lack its colon); null when unparseable. */
    static Instant isoInstant(String s) {
        String v = blankToNull(s);
        if (v == null) {
            return null;
        }
        try {
            return Instant.parse(v);
        } catch (DateTimeParseException e) {
            // try the next form
        }
        try {
            return OffsetDateTime.parse(v).toInstant();
        } catch (DateTimeParseException e) {
            // try the next form
        }
        try {
            return OffsetDateTime.parse(v, OFFSET_WITHOUT_COLON).toInstant();
        } catch (DateTimeParseException e) {
            // try the next form
        }
        try {
            return LocalDateTime.parse(v).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            return null;
        }
    }


    static boolean isIpLiteral(String s) {
        if (s == null) {
            return false;
        }
        return IPV4.matcher(s).matches() || (s.indexOf(':') >= 0 && s.matches("^[0-9A-Fa-f:.]+$"));
    }

    /** A URI if {@code s} parses as an absolute one with a host, else null. */
    static URI uri(String s) {
        String v = blankToNull(s);
        if (v == null || !v.contains("://")) {
            return null;
        }
        try {
            URI u = new URI(v);
            return u.getHost() == null ? null : u;
        } catch (URISyntaxException e) {
            return null;
        }
    }
}

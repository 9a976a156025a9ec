package dev.handoff.ingest.parse.formats;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.ingest.parse.Bands;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.ingest.parse.ParseLimits;
import dev.handoff.ingest.parse.ParsedFinding;
import dev.handoff.ingest.parse.ReportException;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the code-analysis and secret-scanning parsers (SARIF, GitHub code scanning, Semgrep, Bandit,
 * gitleaks) share: stepping through a streaming JSON report, reading one small sub-object at a time as a
 * tree, shape errors with positions, the identifier patterns (CVE, GHSA, CWE), CVSS values found in
 * property bags, severity words and scores to bands, and a spool that holds results whose context
 * (Semgrep's version, Bandit's generation time) comes later in the file, in memory up to a bound and on
 * disk beyond ({@link TokenSpool} does this for SARIF without building trees).
 */
final class SastJson {

    static final ObjectMapper MAPPER = new ObjectMapper();

    /** Results held in memory before a spool moves to a temporary file (source bytes, approximately). */
    static final long SPOOL_MEMORY_BYTES = 4L * 1024 * 1024;

    /** A whole value that is a CVE id, optionally after a tag path ('external/cve/'), never inside a URL. */
    private static final Pattern CVE = Pattern.compile("(?i)(?:[^:]*/)?(CVE-\\d{4}-\\d{4,})");
    private static final Pattern GHSA = Pattern.compile("(?i)(?:[^:]*/)?(GHSA(?:-[a-z0-9]{4}){3})");
    private static final Pattern CWE = Pattern.compile("(?is)(?:external/cwe/)?cwe[-_: ]\\s*0*(\\d{1,7})(?!\\d).*");
    private static final Pattern CVSS_KEY_VERSION = Pattern.compile("cvss[-_ ]?v?(\\d)");
    private static final Pattern CVSS_VECTOR_VERSION = Pattern.compile("^CVSS:(\\d\\.\\d)/");

    private SastJson() {
    }

    // ------------------------------------------------------------------ streaming

    /** The next token; a report that ends where more must follow is malformed. */
    static JsonToken next(JsonParser p) throws IOException, ReportException {
        JsonToken t = p.nextToken();
        if (t == null) {
            throw shape(p.currentLocation(), "the report ends unexpectedly");
        }
        return t;
    }

    /** The first token of the report; an empty report is malformed. */
    static JsonToken first(JsonParser p, String format) throws IOException, ReportException {
        JsonToken t = p.nextToken();
        if (t == null) {
            throw new ReportException(ReportException.Kind.MALFORMED, "the " + format + " report is empty");
        }
        return t;
    }

    /** After the root value: nothing but whitespace may follow. */
    static void expectEnd(JsonParser p) throws IOException, ReportException {
        if (p.nextToken() != null) {
            throw shape(p, "content after the end of the report");
        }
    }

    /** The current token must be {@code expected}, else a shape error naming {@code what}. */
    static void expect(JsonParser p, JsonToken expected, String what) throws ReportException {
        if (p.currentToken() != expected) {
            throw shape(p, what + " must be " + (expected == JsonToken.START_ARRAY ? "an array" : "an object") + ", not "
                    + describe(p.currentToken()));
        }
    }

    /** The start of an array (true), null (false), or a shape error. */
    static boolean arrayOrNull(JsonParser p, String what) throws ReportException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return false;
        }
        expect(p, JsonToken.START_ARRAY, what);
        return true;
    }

    /** The start of an object (true), null (false), or a shape error. */
    static boolean objectOrNull(JsonParser p, String what) throws ReportException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return false;
        }
        expect(p, JsonToken.START_OBJECT, what);
        return true;
    }

    /** The current scalar as text (numbers and booleans as written); null for null, objects and arrays (skipped). */
    static String scalarText(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
            p.skipChildren();
            return null;
        }
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        String s = p.getText();
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** Reads the current value (the parser is on its first token) into a tree. */
    static JsonNode tree(JsonParser p) throws IOException {
        JsonNode n = MAPPER.readTree(p);
        return n == null ? MAPPER.nullNode() : n;
    }

    static ReportException shape(JsonParser p, String message) {
        return shape(p.currentTokenLocation(), message);
    }

    static ReportException shape(JsonLocation at, String message) {
        return new ReportException(ReportException.Kind.MALFORMED, "malformed report: " + message,
                at == null ? -1 : at.getLineNr(), at == null ? -1 : at.getColumnNr(), null);
    }

    static ReportException shape(long line, long column, String message) {
        return new ReportException(ReportException.Kind.MALFORMED, "malformed report: " + message, line, column, null);
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "nothing";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.asString() == null ? t.name() : t.asString();
        };
    }

    // ------------------------------------------------------------------ trees

    /** A scalar as trimmed text (numbers and booleans as written); null when absent, null, blank or a container. */
    static String text(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode() || n.isContainerNode()) {
            return null;
        }
        String s = n.asText();
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** An int from a number or a numeric string; null otherwise. */
    static Integer integer(JsonNode n) {
        if (n == null) {
            return null;
        }
        if (n.isIntegralNumber() && n.canConvertToInt()) {
            return n.intValue();
        }
        if (n.isTextual()) {
            try {
                return Integer.valueOf(n.asText().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    /** A number from a JSON number or a numeric string; null otherwise. */
    static Double number(JsonNode n) {
        if (n == null) {
            return null;
        }
        if (n.isNumber()) {
            return n.doubleValue();
        }
        return number(text(n));
    }

    static Double number(String s) {
        if (s == null) {
            return null;
        }
        try {
            double d = Double.parseDouble(s.trim());
            return Double.isFinite(d) ? d : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The object at {@code field}, null when absent or null, a shape error when it is something else. */
    static ObjectNode object(JsonNode parent, String field, String what, long line, long column) throws ReportException {
        JsonNode n = parent == null ? null : parent.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            throw shape(line, column, what + " must be an object");
        }
        return (ObjectNode) n;
    }

    /** The array at {@code field}, null when absent or null, a shape error when it is something else. */
    static ArrayNode array(JsonNode parent, String field, String what, long line, long column) throws ReportException {
        JsonNode n = parent == null ? null : parent.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isArray()) {
            throw shape(line, column, what + " must be an array");
        }
        return (ArrayNode) n;
    }

    /** Strings of a value that may be one string or an array of strings. */
    static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n == null) {
            return out;
        }
        if (n.isArray()) {
            for (JsonNode e : n) {
                String s = text(e);
                if (s != null) {
                    out.add(s);
                }
            }
        } else {
            String s = text(n);
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    /** An ISO-8601 timestamp (with offset, or without one taken as UTC); null when absent or unreadable. */
    static Instant instant(String s) {
        if (s == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }

    /** A title from a message: its first line, of a long line its first sentence, at most 200 characters. */
    static String firstLine(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        String t = s.strip();
        int nl = t.indexOf('\n');
        if (nl >= 0) {
            t = t.substring(0, nl).strip();
        }
        if (t.length() > 120) {
            int stop = t.indexOf(". ");
            if (stop > 0 && stop < 200) {
                t = t.substring(0, stop + 1);
            }
        }
        return t.length() > 200 ? t.substring(0, 199) + "\u2026" : t;
    }

    // ------------------------------------------------------------------ identifiers and scores

    /** A CVE id when the whole value is one (optionally after a tag path such as {@code external/cve/}, not a URL). */
    static String cve(String s) {
        if (s == null || !mentions(s, "cve-")) {
            return null;
        }
        Matcher m = CVE.matcher(s.trim());
        return m.matches() ? m.group(1).toUpperCase(Locale.ROOT) : null;
    }

    /** A GHSA id when the whole value is one. */
    static String ghsa(String s) {
        if (s == null || !mentions(s, "ghsa-")) {
            return null;
        }
        Matcher m = GHSA.matcher(s.trim());
        return m.matches() ? m.group(1) : null;
    }

    /** 'CWE-n' from 'CWE-79', 'cwe-079', 'external/cwe/cwe-79', 'CWE-89: Improper ...'; null otherwise. */
    static String cwe(String s) {
        if (s == null || !mentions(s, "cwe")) {
            return null;
        }
        Matcher m = CWE.matcher(s.trim());
        return m.matches() ? "CWE-" + m.group(1) : null;
    }

    /**
     * Whether {@code s} contains {@code lowerWord} in any case: a cheap test that every match of the id
     * patterns passes, so the regexes run only on the few values that may be ids (rule ids, tags and
     * property values of every finding are checked).
     */
    private static boolean mentions(String s, String lowerWord) {
        int n = lowerWord.length();
        char lower = lowerWord.charAt(0);
        char upper = Character.toUpperCase(lower);
        for (int i = 0, last = s.length() - n; i <= last; i++) {
            char c = s.charAt(i);
            if ((c == lower || c == upper) && s.regionMatches(true, i + 1, lowerWord, 1, n - 1)) {
                return true;
            }
        }
        return false;
    }

    /** Adds the CVE or GHSA id a value is, if it is one. */
    static void addAdvisoryId(ParsedFinding.Builder b, String s) {
        String c = cve(s);
        if (c != null) {
            b.id(VulnerabilityIdKind.CVE, c);
        }
        String g = ghsa(s);
        if (g != null) {
            b.id(VulnerabilityIdKind.GHSA, g);
        }
    }

    /** A band from a severity word (critical, high, medium/moderate, low, info/informational/none); null when unknown. */
    static SeverityBand wordBand(String word) {
        if (word == null) {
            return null;
        }
        return switch (word.trim().toLowerCase(Locale.ROOT)) {
            case "critical" -> SeverityBand.CRITICAL;
            case "high" -> SeverityBand.HIGH;
            case "medium", "moderate" -> SeverityBand.MEDIUM;
            case "low" -> SeverityBand.LOW;
            case "info", "informational", "information", "none" -> SeverityBand.INFO;
            default -> null;
        };
    }

    /** A band from a value that is either a score (number or numeric string, 0-10) or a severity word; null when neither. */
    static SeverityBand scoreOrWordBand(String value) {
        Double score = number(value);
        if (score != null) {
            return score >= 0 && score <= 10 ? Bands.fromScore(score) : null;
        }
        return wordBand(value);
    }

    /** One CVSS score found in a property bag. */
    record Cvss(String version, String vector, Double score) {
    }

    /**
     * CVSS values in a property bag: every key containing 'cvss' whose value is a vector string, a 0-10
     * score, or an object with a vector and/or score; grouped by CVSS major version (from the vector's
     * prefix, else the key such as 'cvssv3_baseScore'). A 'security-severity' alone is not CVSS.
     */
    static List<Cvss> cvss(JsonNode props) {
        List<Cvss> out = new ArrayList<>();
        if (props == null || !props.isObject()) {
            return out;
        }
        Map<String, Slot> byMajor = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : props.properties()) {
            String key = e.getKey().toLowerCase(Locale.ROOT);
            if (!key.contains("cvss")) {
                continue;
            }
            JsonNode v = e.getValue();
            String vector = null;
            Double score = null;
            if (v.isObject()) {
                vector = firstText(v, "vectorString", "vector_string", "vector", "V3Vector", "V2Vector");
                score = firstScore(v, "baseScore", "base_score", "score", "V3Score", "V2Score");
            } else if (looksLikeVector(text(v))) {
                vector = text(v);
            } else {
                Double d = number(v);
                score = d != null && d >= 0 && d <= 10 ? d : null;
            }
            if (vector == null && score == null) {
                continue;
            }
            String major = major(key, vector);
            Slot slot = byMajor.computeIfAbsent(major, k -> new Slot());
            if (slot.vector == null) {
                slot.vector = vector;
            }
            if (slot.score == null) {
                slot.score = score;
            }
        }
        byMajor.forEach((major, slot) -> out.add(new Cvss(version(major, slot.vector), slot.vector, slot.score)));
        return out;
    }

    private static final class Slot {
        String vector;
        Double score;
    }

    private static String firstText(JsonNode o, String... keys) {
        for (String k : keys) {
            String s = text(o.get(k));
            if (s != null) {
                return s;
            }
        }
        return null;
    }

    private static Double firstScore(JsonNode o, String... keys) {
        for (String k : keys) {
            Double d = number(o.get(k));
            if (d != null && d >= 0 && d <= 10) {
                return d;
            }
        }
        return null;
    }

    private static boolean looksLikeVector(String s) {
        return s != null && (s.startsWith("CVSS:") || s.contains("AV:"));
    }

    private static String major(String key, String vector) {
        if (vector != null) {
            Matcher m = CVSS_VECTOR_VERSION.matcher(vector);
            if (m.find()) {
                return m.group(1).substring(0, 1);
            }
            if (vector.contains("Au:")) {
                return "2";
            }
        }
        Matcher k = CVSS_KEY_VERSION.matcher(key);
        return k.find() ? k.group(1) : "?";
    }

    private static String version(String major, String vector) {
        if (vector != null) {
            Matcher m = CVSS_VECTOR_VERSION.matcher(vector);
            if (m.find()) {
                return m.group(1);
            }
        }
        return "2".equals(major) ? "2.0" : null;
    }

    /** Adds CVSS values to a builder. */
    static void addCvss(ParsedFinding.Builder b, List<Cvss> values, String source) {
        for (Cvss c : values) {
            b.cvss(c.version(), c.vector(), c.score(), source);
        }
    }

    // ------------------------------------------------------------------ spool

    /** One spooled value with where it began in the report. */
    record Spooled(long line, long column, JsonNode node) {
    }

    /** What a spool is drained into. */
    @FunctionalInterface
    interface SpoolConsumer {
        void accept(Spooled entry) throws ReportException;
    }

    /**
     * Holds small trees (one result each) until their context is known: in memory up to
     * {@code memoryBytes} of source, then in a temporary file (owner-only permissions, deleted on
     * close), so memory stays flat however many results a report holds.
     */
    static final class Spool implements Closeable {
        private final ParseLimits limits;
        private final long memoryBytes;
        private final List<Spooled> memory = new ArrayList<>();
        private long held;
        private Path file;
        private JsonGenerator out;

        Spool(ParseLimits limits, long memoryBytes) {
            this.limits = limits;
            this.memoryBytes = memoryBytes;
        }

        /** Adds a tree that took {@code sourceBytes} bytes of the report (negative when unknown). */
        void add(long line, long column, JsonNode node, long sourceBytes) throws IOException, ReportException {
            if (out != null) {
                write(new Spooled(line, column, node));
                return;
            }
            memory.add(new Spooled(line, column, node));
            held += sourceBytes >= 0 ? sourceBytes : 1024;
            if (held > memoryBytes) {
                spill();
            }
        }

        boolean isEmpty() {
            return memory.isEmpty() && out == null;
        }

        /** Hands every entry, in order, to {@code consumer}, then empties the spool. */
        void drain(SpoolConsumer consumer) throws IOException, ReportException {
            if (out == null) {
                for (Spooled s : memory) {
                    consumer.accept(s);
                }
                memory.clear();
                held = 0;
                return;
            }
            out.close();
            out = null;
            JsonFactory factory = JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(limits.maxDepth() + 8)
                            .maxStringLength(limits.maxStringLength())
                            .maxNumberLength(1000)
                            .build())
                    .build();
            try (JsonParser in = factory.createParser(file.toFile())) {
                while (in.nextToken() == JsonToken.START_ARRAY) {
                    in.nextToken();
                    long line = in.getLongValue();
                    in.nextToken();
                    long column = in.getLongValue();
                    in.nextToken();
                    JsonNode node = MAPPER.readTree(in);
                    in.nextToken();
                    consumer.accept(new Spooled(line, column, node));
                }
            }
            deleteFile();
        }

        private void spill() throws ReportException {
            try {
                file = Files.createTempFile("handoff-report-spool-", ".json");
                out = MAPPER.getFactory().createGenerator(Files.newOutputStream(file));
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                deleteFile();
                throw new ReportException(ReportException.Kind.LIMIT_EXCEEDED, "the report's results need more than "
                        + memoryBytes + " bytes of buffering and no temporary file could be created: " + e.getMessage());
            }
            try {
                for (Spooled s : memory) {
                    write(s);
                }
            } catch (IOException e) {
                throw new ReportException(ReportException.Kind.LIMIT_EXCEEDED, "cannot buffer the report's results in a temporary file: "
                        + e.getMessage());
            }
            memory.clear();
            held = 0;
        }

        private void write(Spooled s) throws IOException {
            out.writeStartArray();
            out.writeNumber(s.line());
            out.writeNumber(s.column());
            MAPPER.writeTree(out, s.node());
            out.writeEndArray();
        }

        private void deleteFile() {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a leftover temporary file is harmless; the OS cleans its temp directory
                }
                file = null;
            }
        }

        @Override
        public void close() {
            if (out != null) {
                try {
                    out.close();
                } catch (IOException ignored) {
                    // closing a file we only wrote; nothing to recover
                }
                out = null;
            }
            memory.clear();
            deleteFile();
        }
    }
}

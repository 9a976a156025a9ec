package dev.handoff.ingest.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.ingest.parse.ReportFormat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Seeded uploads for {@link IntakeFuzzIT}: the sample reports of every supported format, as they are and
 * mutated, each with what the intake owes it. Upload {@code i} of a seed is always the same bytes, whichever
 * thread makes it.
 */
final class ReportMutations {

    /** What the intake must answer. */
    enum Expect {
        /** 202 with exactly the sample's finding count (an unmutated sample). */
        ACCEPT,
        /** A 4xx (refusals the intake must make: DTDs and entities, empty or over-size bodies, unknown format names). */
        REFUSE,
        /** 2xx if the mutation happens to still be a valid report, else a 4xx; never a 5xx. */
        EITHER
    }

    /** A sample report and what it holds. */
    record Sample(String name, byte[] bytes, long findings, boolean mustRefuse) {
        boolean xml() {
            return firstChar() == '<';
        }

        boolean json() {
            return firstChar() == '{' || firstChar() == '[';
        }

        private char firstChar() {
            for (byte b : bytes) {
                if (!Character.isWhitespace(b) && b != (byte) 0xEF && b != (byte) 0xBB && b != (byte) 0xBF) {
                    return (char) b;
                }
            }
            return ' ';
        }
    }

    /** One upload; {@code sample} is what it was made from. */
    record Upload(String op, Sample sample, byte[] body, Map<String, String> query, Map<String, String> headers, Expect expect) {
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Three UTF-8 bytes each: a string of these is three times as many bytes as characters. */
    private static final char WIDE = '\u20ac';

    private final List<Sample> samples;
    private final long seed;
    private final long maxBytes;
    private final int maxString;
    private final List<Op> ops = new ArrayList<>();
    private final int totalWeight;

    private record Op(String name, int weight, BiFunction<Sample, Random, Upload> make) {
    }

    ReportMutations(List<Sample> samples, long seed, long maxBytes, int maxString) {
        this.samples = samples;
        this.seed = seed;
        this.maxBytes = maxBytes;
        this.maxString = maxString;
        op("valid sample", 8, (s, r) -> upload("valid sample", s, s.bytes(), s.mustRefuse() ? Expect.REFUSE : Expect.ACCEPT));
        op("bytes flipped", 10, (s, r) -> either("bytes flipped", s, flip(s.bytes(), r)));
        op("truncated", 8, (s, r) -> either("truncated", s, Arrays.copyOf(s.bytes(), r.nextInt(Math.max(1, s.bytes().length)))));
        op("span deleted", 6, (s, r) -> either("span deleted", s, deleteSpan(s.bytes(), r)));
        op("span duplicated", 6, (s, r) -> either("span duplicated", s, duplicateSpan(s.bytes(), r)));
        op("tokens swapped", 8, (s, r) -> either("tokens swapped", s, swapTokens(s, r)));
        op("wrong type in a field", 8, (s, r) -> either("wrong type in a field", s, wrongType(s, r)));
        op("huge string under the limit", 3, (s, r) -> either("huge string under the limit", s,
                hugeString(s, r, String.valueOf(WIDE).repeat(100_000 + r.nextInt(maxString / 2)))));
        op("huge string over the limit", 2, (s, r) -> either("huge string over the limit", s, hugeString(s, r, "x".repeat(maxString + 1))));
        op("deep nesting", 4, (s, r) -> either("deep nesting", s, deepNesting(s, r)));
        op("invalid UTF-8", 5, (s, r) -> either("invalid UTF-8", s, invalidUtf8(s.bytes(), r)));
        op("byte-order mark", 4, (s, r) -> either("byte-order mark", s, bom(s.bytes(), r)));
        op("empty body", 1, (s, r) -> upload("empty body", s, new byte[0], Expect.REFUSE));
        op("wrong format hint", 5, (s, r) -> {
            ReportFormat f = ReportFormat.values()[r.nextInt(ReportFormat.values().length)];
            return new Upload("wrong format hint", s, s.bytes(), Map.of("format", f.id()), Map.of(), Expect.EITHER);
        });
        op("unknown format name", 1, (s, r) -> new Upload("unknown format name", s, s.bytes(),
                Map.of("format", List.of("docx", "sarif-3", "", " ", "zap_xml_2", "%00").get(r.nextInt(6))), Map.of(),
                Expect.EITHER));
        op("DTD or entity attack", 6, (s, r) -> upload("DTD or entity attack", s, dtdAttack(s, r), Expect.REFUSE));
        op("compressed body", 2, (s, r) -> compressed(s, r));
        op("over-size body", 1, (s, r) -> upload("over-size body", s, overSize(s), Expect.REFUSE));
        op("multipart upload", 3, (s, r) -> multipart(s, r));
        op("bad query parameter", 2, (s, r) -> badQuery(s, r));
        totalWeight = ops.stream().mapToInt(Op::weight).sum();
    }

    /** Every report of the vendored corpus and of the fuzz samples, with its expected finding count. */
    static List<Sample> load() throws IOException, URISyntaxException {
        List<Sample> out = new ArrayList<>();
        for (String dir : List.of("/scans", "/fuzz")) {
            Path root = Path.of(ReportMutations.class.getResource(dir).toURI());
            List<Path> files;
            try (Stream<Path> walk = Files.walk(root)) {
                files = walk.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".expected.json")).sorted().toList();
            }
            for (Path expected : files) {
                Path report = expected.resolveSibling(expected.getFileName().toString().replaceFirst("\\.expected\\.json$", ""));
                String name = root.relativize(report).toString();
                out.add(new Sample(name, Files.readAllBytes(report), MAPPER.readTree(expected.toFile()).path("findings").asLong(),
                        name.contains("ADVERSARIAL_xxe")));
            }
        }
        return out;
    }

    /** Upload {@code i}: the same for the same seed, whichever thread asks. */
    Upload upload(int i) {
        Random r = new Random(seed * 1_000_003L + i);
        // Large samples are picked a sixth as often: the small ones give the same coverage for less time.
        List<Sample> weighted = new ArrayList<>();
        for (Sample s : samples) {
            for (int k = s.bytes().length > 400_000 ? 1 : 6; k > 0; k--) {
                weighted.add(s);
            }
        }
        Sample s = weighted.get(r.nextInt(weighted.size()));
        int pick = r.nextInt(totalWeight);
        for (Op op : ops) {
            pick -= op.weight();
            if (pick < 0) {
                Upload u = op.make().apply(s, r);
                Map<String, String> query = new LinkedHashMap<>(u.query());
                // A source of its own, so that equal bytes from two mutations are two reports, not a retry.
                query.putIfAbsent("source", "fuzz/" + seed + "/" + i);
                return new Upload(u.op(), u.sample(), u.body(), query, u.headers(), u.expect());
            }
        }
        throw new IllegalStateException();
    }

    List<String> opNames() {
        return ops.stream().map(Op::name).toList();
    }

    // ------------------------------------------------------------------ operators

    private void op(String name, int weight, BiFunction<Sample, Random, Upload> make) {
        ops.add(new Op(name, weight, make));
    }

    private static Upload upload(String op, Sample s, byte[] body, Expect expect) {
        return new Upload(op, s, body, Map.of(), Map.of(), expect);
    }

    private static Upload either(String op, Sample s, byte[] body) {
        return upload(op, s, body, s.mustRefuse() ? Expect.REFUSE : Expect.EITHER);
    }

    private static byte[] flip(byte[] in, Random r) {
        byte[] b = in.clone();
        for (int n = 1 + r.nextInt(8); n > 0 && b.length > 0; n--) {
            b[r.nextInt(b.length)] = (byte) r.nextInt(256);
        }
        return b;
    }

    private static byte[] deleteSpan(byte[] in, Random r) {
        if (in.length < 2) {
            return new byte[0];
        }
        int from = r.nextInt(in.length);
        int len = 1 + r.nextInt(Math.min(in.length - from, r.nextBoolean() ? 16 : 4_000));
        return concat(Arrays.copyOfRange(in, 0, from), Arrays.copyOfRange(in, from + len, in.length));
    }

    private static byte[] duplicateSpan(byte[] in, Random r) {
        if (in.length < 2) {
            return concat(in, in);
        }
        int from = r.nextInt(in.length);
        byte[] span = Arrays.copyOfRange(in, from, from + 1 + r.nextInt(Math.min(in.length - from, 4_000)));
        int at = r.nextInt(in.length + 1);
        return concat(Arrays.copyOfRange(in, 0, at), span, Arrays.copyOfRange(in, at, in.length));
    }

    /** Two structural characters of the document's syntax trade places. */
    private static byte[] swapTokens(Sample s, Random r) {
        String tokens = s.xml() ? "<>/=\"'" : s.json() ? "{}[]:,\"" : ",\"\n";
        List<Integer> at = new ArrayList<>();
        byte[] b = s.bytes().clone();
        for (int i = 0; i < b.length; i++) {
            if (tokens.indexOf(b[i]) >= 0) {
                at.add(i);
            }
        }
        for (int n = 1 + r.nextInt(3); n > 0 && at.size() > 1; n--) {
            int i = at.get(r.nextInt(at.size()));
            int j = at.get(r.nextInt(at.size()));
            byte t = b[i];
            b[i] = b[j];
            b[j] = t;
        }
        return b;
    }

    /** A known field of the report gets a value of another type: a string for a number, an object for a string... */
    private static byte[] wrongType(Sample s, Random r) {
        if (s.json()) {
            try {
                JsonNode root = MAPPER.readTree(s.bytes());
                List<JsonNode> parents = new ArrayList<>();
                collectContainers(root, parents, 0);
                JsonNode parent = parents.get(r.nextInt(parents.size()));
                JsonNode odd = oddValue(r);
                if (parent instanceof ObjectNode o && o.size() > 0) {
                    List<String> names = new ArrayList<>();
                    o.fieldNames().forEachRemaining(names::add);
                    o.set(names.get(r.nextInt(names.size())), odd);
                } else if (parent instanceof ArrayNode a && a.size() > 0) {
                    a.set(r.nextInt(a.size()), odd);
                } else if (parent instanceof ArrayNode a) {
                    a.add(odd);
                }
                return MAPPER.writeValueAsBytes(root);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        String text = new String(s.bytes(), StandardCharsets.UTF_8);
        List<int[]> spans = new ArrayList<>();
        if (s.xml()) {
            // Text between a start tag and the next tag: the value of a known element.
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(">([^<>]{1,200})<").matcher(text);
            while (m.find() && spans.size() < 5_000) {
                spans.add(new int[] {m.start(1), m.end(1)});
            }
        } else {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?<=^|,)([^,\\n\"]{1,200})(?=,|$)", java.util.regex.Pattern.MULTILINE)
                    .matcher(text);
            while (m.find()) {
                spans.add(new int[] {m.start(1), m.end(1)});
            }
        }
        if (spans.isEmpty()) {
            return flip(s.bytes(), r);
        }
        int[] span = spans.get(r.nextInt(spans.size()));
        String replacement = List.of("-1", "NaN", "99999999999999999999999", "", "true", "<x a=\"1\"/>", "1e400", "urgent",
                "2024-13-45T99:99:99Z", "CVE-NOT-AN-ID", "\u0000", "0x1F").get(r.nextInt(12));
        if (!s.xml()) {
            replacement = replacement.replace("<", "").replace(">", "");
        }
        return (text.substring(0, span[0]) + replacement + text.substring(span[1])).getBytes(StandardCharsets.UTF_8);
    }

    private static void collectContainers(JsonNode n, List<JsonNode> out, int depth) {
        if (out.size() > 20_000 || depth > 60) {
            return;
        }
        if (n.isContainerNode()) {
            out.add(n);
            n.elements().forEachRemaining(c -> collectContainers(c, out, depth + 1));
        }
    }

    private static JsonNode oddValue(Random r) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (r.nextInt(11)) {
            case 0 -> f.textNode("");
            case 1 -> f.numberNode(-1);
            case 2 -> f.numberNode(Long.MAX_VALUE);
            case 3 -> f.numberNode(1e308);
            case 4 -> f.booleanNode(true);
            case 5 -> f.nullNode();
            case 6 -> f.arrayNode().add(1).add("a").add(f.objectNode());
            case 7 -> f.objectNode().put("a", 1).set("b", f.arrayNode());
            case 8 -> f.textNode("not a date, not a number, not a CVE");
            case 9 -> f.numberNode(new java.math.BigDecimal("1e-9999"));
            default -> f.textNode("\u0000\u202e<script>alert(1)</script>");
        };
    }

    /** A very long string where the report has a string: in a JSON string value, or as the text of an XML element. */
    private static byte[] hugeString(Sample s, Random r, String huge) {
        String text = new String(s.bytes(), StandardCharsets.UTF_8);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(s.xml() ? ">([^<>]{1,80})<" : "\"([^\"\\\\]{1,80})\"").matcher(text);
        List<int[]> spans = new ArrayList<>();
        while (m.find() && spans.size() < 5_000) {
            spans.add(new int[] {m.start(1), m.end(1)});
        }
        if (spans.isEmpty()) {
            return concat(s.bytes(), huge.getBytes(StandardCharsets.UTF_8));
        }
        int[] span = spans.get(r.nextInt(spans.size()));
        return (text.substring(0, span[0]) + huge + text.substring(span[1])).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] deepNesting(Sample s, Random r) {
        int depth = 200 + r.nextInt(r.nextBoolean() ? 1_000 : 50_000);
        String text = new String(s.bytes(), StandardCharsets.UTF_8);
        if (s.xml()) {
            int at = text.indexOf('>', text.indexOf("<", text.startsWith("<?") ? 2 : 0) + 1) + 1;
            return (text.substring(0, at) + "<a>".repeat(depth) + "</a>".repeat(depth) + text.substring(at)).getBytes(StandardCharsets.UTF_8);
        }
        int colon = text.indexOf(':', r.nextInt(Math.max(1, text.length())));
        if (colon < 0) {
            return ("[".repeat(depth) + "]".repeat(depth)).getBytes(StandardCharsets.UTF_8);
        }
        return (text.substring(0, colon + 1) + "[".repeat(depth) + "1" + "]".repeat(depth) + "," + text.substring(colon + 1))
                .getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] invalidUtf8(byte[] in, Random r) {
        byte[][] bad = {{(byte) 0xc3, 0x28}, {(byte) 0xff}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, {(byte) 0xf8, (byte) 0x88, (byte) 0x80,
                (byte) 0x80, (byte) 0x80}, {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xe2, (byte) 0x82}};
        byte[] b = in;
        for (int n = 1 + r.nextInt(3); n > 0; n--) {
            int at = r.nextInt(b.length + 1);
            b = concat(Arrays.copyOfRange(b, 0, at), bad[r.nextInt(bad.length)], Arrays.copyOfRange(b, at, b.length));
        }
        return b;
    }

    /** A byte-order mark: UTF-8's before the UTF-8 text, or the text re-encoded as UTF-16 or UTF-32 with its mark. */
    private static byte[] bom(byte[] in, Random r) {
        String text = new String(in, StandardCharsets.UTF_8);
        return switch (r.nextInt(4)) {
            case 0 -> concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, in);
            case 1 -> concat(new byte[] {(byte) 0xfe, (byte) 0xff}, text.getBytes(StandardCharsets.UTF_16BE));
            case 2 -> concat(new byte[] {(byte) 0xff, (byte) 0xfe}, text.getBytes(StandardCharsets.UTF_16LE));
            default -> concat(new byte[] {0, 0, (byte) 0xfe, (byte) 0xff}, text.getBytes(java.nio.charset.Charset.forName("UTF-32BE")));
        };
    }

    /** DTDs, internal and external entities, parameter entities, entity references: every one must be refused. */
    private static byte[] dtdAttack(Sample s, Random r) {
        String text = new String(s.bytes(), StandardCharsets.UTF_8);
        String root = "report";
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<([A-Za-z_][\\w:.-]*)").matcher(text);
        while (m.find()) {
            if (!text.startsWith("<?", m.start()) && !text.startsWith("<!", m.start())) {
                root = m.group(1);
                break;
            }
        }
        String laughs = "<!DOCTYPE " + root + " [<!ENTITY lol \"lol\"><!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
                + "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
                + "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>";
        String xxe = "<!DOCTYPE " + root + " [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>";
        String ssrf = "<!DOCTYPE " + root + " SYSTEM \"http://127.0.0.1:9/evil.dtd\">";
        String parameter = "<!DOCTYPE " + root + " [<!ENTITY % p SYSTEM \"file:///etc/hostname\"> %p;]>";
        String doctype = List.of(laughs, xxe, ssrf, parameter).get(r.nextInt(4));
        String reference = List.of("&xxe;", "&lol3;", "&undefined;", "&#x0;").get(r.nextInt(4));
        if (!s.xml()) {
            // A DTD in front of JSON makes neither a JSON nor an XML report.
            return (xxe + "\n" + text).getBytes(StandardCharsets.UTF_8);
        }
        int afterProlog = text.startsWith("<?") ? text.indexOf("?>") + 2 : 0;
        int inText = text.indexOf('>', text.indexOf("<" + root) + 1) + 1;
        return switch (r.nextInt(4)) {
            // The DTD where it belongs, and the entity used in the first element's text.
            case 0 -> (text.substring(0, afterProlog) + doctype + text.substring(afterProlog, inText) + reference + text.substring(inText))
                    .getBytes(StandardCharsets.UTF_8);
            // Behind 70 KB of comment, past what format detection reads.
            case 1 -> (text.substring(0, afterProlog) + "<!--" + " ".repeat(70_000) + "-->" + doctype + text.substring(afterProlog))
                    .getBytes(StandardCharsets.UTF_8);
            // An entity reference with no DTD at all.
            case 2 -> (text.substring(0, inText) + reference + text.substring(inText)).getBytes(StandardCharsets.UTF_8);
            default -> (doctype + text.substring(afterProlog)).getBytes(StandardCharsets.UTF_8);
        };
    }

    /** A gzip bomb (or a gzipped sample, or a zip of it), said to be gzip: the intake reads bodies as they are sent. */
    private Upload compressed(Sample s, Random r) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            String op;
            if (r.nextBoolean()) {
                op = "gzip bomb";
                try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                    byte[] zeros = new byte[1 << 20];
                    for (long n = 0; n < 4 * maxBytes; n += zeros.length) {
                        gz.write(zeros);
                    }
                }
            } else if (r.nextBoolean()) {
                op = "gzipped report";
                try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                    gz.write(s.bytes());
                }
            } else {
                op = "zipped report";
                try (ZipOutputStream zip = new ZipOutputStream(out)) {
                    zip.putNextEntry(new ZipEntry("report"));
                    zip.write(s.bytes());
                    zip.closeEntry();
                }
            }
            return new Upload(op, s, out.toByteArray(), Map.of(), Map.of("Content-Encoding", "gzip"), Expect.REFUSE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private byte[] overSize(Sample s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (out.size() <= maxBytes) {
            out.writeBytes(s.bytes().length == 0 ? new byte[4096] : s.bytes());
        }
        return out.toByteArray();
    }

    private Upload multipart(Sample s, Random r) {
        String boundary = "fuzz" + Long.toHexString(r.nextLong());
        String part = r.nextInt(4) == 0 ? "report" : "file";
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part + "\"; filename=\"report\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] body = concat(head, s.bytes(), tail);
        String type = "multipart/form-data; boundary=" + boundary;
        String op = "multipart, part '" + part + "'";
        switch (r.nextInt(4)) {
            case 0 -> {
                body = Arrays.copyOf(body, r.nextInt(body.length));
                op = "multipart cut short";
            }
            case 1 -> {
                type = "multipart/form-data; boundary=" + "other" + boundary;
                op = "multipart with the wrong boundary";
            }
            case 2 -> {
                type = "multipart/form-data";
                op = "multipart without a boundary";
            }
            default -> {
            }
        }
        Expect expect = op.equals("multipart, part 'file'") && !s.mustRefuse() ? Expect.ACCEPT
                : op.equals("multipart cut short") && !s.mustRefuse() ? Expect.EITHER : Expect.REFUSE;
        return new Upload(op, s, body, Map.of(), Map.of("Content-Type", type), expect);
    }

    private static Upload badQuery(Sample s, Random r) {
        Map<String, String> q = new LinkedHashMap<>();
        String op;
        switch (r.nextInt(5)) {
            case 0 -> {
                q.put("scanned_at", List.of("yesterday", "2024-13-01T00:00:00Z", "1700000000", "", "2024-05-02").get(r.nextInt(5)));
                op = "scanned_at not an instant";
            }
            case 1 -> {
                q.put("scanned_at", List.of("9999-12-31T23:59:59Z", "+100000-01-01T00:00:00Z", "1969-07-20T20:17:00Z",
                        "-0001-01-01T00:00:00Z").get(r.nextInt(4)));
                op = "scanned_at out of range";
            }
            case 2 -> {
                q.put("source", "s".repeat(20_000));
                op = "source of 20 000 characters";
            }
            case 3 -> {
                q.put("asset", "\u0000\u202e" + "a".repeat(5_000));
                op = "odd asset hint";
            }
            default -> {
                q.put("format", "sarif");
                q.put("asset", "");
                op = "empty asset hint";
            }
        }
        boolean refused = op.equals("scanned_at out of range") || op.equals("scanned_at not an instant") && !q.get("scanned_at").isEmpty();
        Expect expect = s.mustRefuse() || refused ? Expect.REFUSE : Expect.EITHER;
        return new Upload(op, s, s.bytes(), q, Map.of(), expect);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}

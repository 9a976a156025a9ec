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
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OWASP Dependency-Check XML report (root {@code analysis}). Every schema version is accepted: elements are
 * matched on local names whatever the namespace ({@code dependency-check.1.x.xsd} up to {@code 4.x} and
 * beyond). Structure: {@code scanInfo/engineVersion}, {@code projectInfo}, then
 * {@code dependencies/dependency} with {@code fileName}, {@code filePath}, {@code identifiers} and
 * {@code vulnerabilities/vulnerability}. One finding per {@code vulnerability} of each dependency;
 * {@code suppressedVulnerability} elements (inside {@code vulnerabilities}, or a separate
 * {@code suppressedVulnerabilities} list in older schemas) are not findings, and related dependencies carry
 * no vulnerabilities of their own. Streaming: one dependency is held at a time (vulnerable-software lists
 * and collected evidence are skipped).
 *
 * <p>Severity label: the vulnerability's {@code severity} exactly as written (NVD's CRITICAL/HIGH/MEDIUM/LOW,
 * title case in 1.x reports, a source's own word such as "moderate", or an unscored value such as
 * {@code 0.0}), {@code (missing)} when there is no severity element or it is empty. Band: the word
 * (critical, high, medium/moderate, low, info/informational) case-insensitively; a number > 0 by the CVSS
 * rule (>= 9.0 CRITICAL, >= 7.0 HIGH, >= 4.0 MEDIUM, > 0 LOW). Anything else — missing, {@code Unknown}, or
 * {@code 0.0}, which Dependency-Check writes for an unscored severity and itself reports as "Unknown" — takes
 * the band of the CVSS v4, else v3, else v2 base score (Dependency-Check's own order), and without any score
 * LOW, the 3.9 Dependency-Check's {@code SeverityUtil} estimates for an unknown severity.
 *
 * <p>Ids: {@code name} as {@code CVE} or {@code GHSA} when it is one, else {@code OTHER} (OSS Index, NPM and
 * RetireJS names). CWE from {@code cwes/cwe} (or the 1.x {@code cwe}). CVSS: {@code cvssV2} (score and a
 * vector built from its metrics), {@code cvssV3} (baseScore, vector built with the {@code CVSS:3.x/} prefix
 * when the report gives the version, bare otherwise), {@code cvssV4} ({@code vectorString}, baseScore), and
 * the flat 1.x {@code cvssScore} metrics; the source is the CVSS entry's own {@code source} else the
 * vulnerability's {@code source} attribute. Fixed version: {@code versionEndExcluding} of the vulnerable
 * software entry the match was made on. Target: {@code filePath} (else {@code fileName}) as file path, the
 * first {@code pkg:} package id (1.x: a {@code maven} identifier turned into a purl) as package purl, with
 * the package name and version taken from it. The project name is an attribute, not a repository: it is
 * the build's display name, not a repository location. Markup in any field is kept as plain text.
 */
public final class DependencyCheckXmlParser implements ReportParser {

    static final String TOOL = "dependency-check";

    private static final Set<String> NOTHING = Set.of();

    @Override
    public ReportFormat format() {
        return ReportFormat.DEPENDENCY_CHECK_XML;
    }

    @Override
    public void parse(ReportInput input, FindingSink sink) throws ReportException {
        XMLStreamReader r = input.xml();
        int max = input.limits().maxStringLength();
        try {
            ItemReading.root(r, "analysis", "a Dependency-Check XML report");
            Context ctx = new Context();
            while (ItemReading.nextChild(r)) {
                switch (r.getLocalName()) {
                    case "scanInfo" -> {
                        while (ItemReading.nextChild(r)) {
                            if ("engineVersion".equals(r.getLocalName())) {
                                ctx.engineVersion = ItemReading.readText(r, max);
                            } else {
                                ItemReading.skip(r);
                            }
                        }
                    }
                    case "projectInfo" -> {
                        ItemReading.Node info = ItemReading.readNode(r, max, NOTHING);
                        ctx.project = info.text("name");
                        ctx.reportDate = ItemReading.isoInstant(info.text("reportDate"));
                    }
                    case "dependencies" -> {
                        while (ItemReading.nextChild(r)) {
                            if ("dependency".equals(r.getLocalName())) {
                                Dependency d = readDependency(r, max);
                                for (Vuln v : d.vulns) {
                                    sink.accept(toFinding(ctx, d, v));
                                }
                            } else {
                                ItemReading.skip(r);
                            }
                        }
                    }
                    default -> ItemReading.skip(r);
                }
            }
            ItemReading.finish(r);
        } catch (XMLStreamException e) {
            throw ReportInput.xmlProblem(e);
        } finally {
            ItemReading.close(r);
        }
    }

    private static Dependency readDependency(XMLStreamReader r, int max) throws XMLStreamException, ReportException {
        Dependency d = new Dependency();
        while (ItemReading.nextChild(r)) {
            switch (r.getLocalName()) {
                case "fileName" -> d.fileName = ItemReading.readText(r, max);
                case "filePath" -> d.filePath = ItemReading.readText(r, max);
                case "identifiers" -> {
                    while (ItemReading.nextChild(r)) {
                        String kind = r.getLocalName();
                        if ("package".equals(kind)) {
                            ItemReading.Node pkg = ItemReading.readNode(r, max, NOTHING);
                            d.offerPackage(pkg.text("id"));
                        } else if ("identifier".equals(kind)) {
                            String type = ItemReading.attr(r, "type");
                            ItemReading.Node id = ItemReading.readNode(r, max, NOTHING);
                            d.offerIdentifier(type, id.text("name"));
                        } else {
                            ItemReading.skip(r);
                        }
                    }
                }
                case "vulnerabilities" -> {
                    while (ItemReading.nextChild(r)) {
                        if ("vulnerability".equals(r.getLocalName())) {
                            d.vulns.add(readVulnerability(r, max));
                        } else {
                            ItemReading.skip(r); // suppressedVulnerability
                        }
                    }
                }
                default -> ItemReading.skip(r); // evidence, related dependencies, suppressedVulnerabilities...
            }
        }
        return d;
    }

    private static Vuln readVulnerability(XMLStreamReader r, int max) throws XMLStreamException, ReportException {
        Vuln v = new Vuln();
        v.source = ItemReading.attr(r, "source");
        Map<String, String> flat = new HashMap<>();
        while (ItemReading.nextChild(r)) {
            String name = r.getLocalName();
            switch (name) {
                case "severity" -> {
                    v.severityPresent = true;
                    v.severity = ItemReading.readText(r, max);
                }
                case "cvssV2", "cvssV3", "cvssV4" -> {
                    ItemReading.Node node = ItemReading.readNode(r, max, NOTHING);
                    Map<String, String> m = new HashMap<>();
                    for (ItemReading.Node c : node.children) {
                        m.putIfAbsent(c.name, c.text());
                    }
                    v.cvss.put(name.toLowerCase(Locale.ROOT), m);
                }
                case "cwes" -> {
                    ItemReading.Node node = ItemReading.readNode(r, max, NOTHING);
                    for (ItemReading.Node c : node.all("cwe")) {
                        v.cwes.add(c.text());
                    }
                }
                case "cwe" -> v.cwes.add(ItemReading.readText(r, max));
                case "references" -> {
                    ItemReading.Node node = ItemReading.readNode(r, max, NOTHING);
                    for (ItemReading.Node ref : node.all("reference")) {
                        v.references.add(ref.text("url"));
                    }
                }
                case "vulnerableSoftware" -> {
                    while (ItemReading.nextChild(r)) {
                        if ("software".equals(r.getLocalName()) && "true".equalsIgnoreCase(ItemReading.attr(r, "vulnerabilityIdMatched"))) {
                            v.offerFixedVersion(ItemReading.attr(r, "versionEndExcluding"));
                        }
                        ItemReading.skip(r);
                    }
                }
                case "knownExploitedVulnerability" -> {
                    v.knownExploited = true;
                    ItemReading.skip(r);
                }
                default -> {
                    String text = ItemReading.readText(r, max);
                    if (text != null) {
                        flat.putIfAbsent(name, text);
                    }
                }
            }
        }
        v.name = flat.get("name");
        v.description = flat.get("description");
        v.notes = flat.get("notes");
        v.flat = flat;
        return v;
    }

    // ------------------------------------------------------------------ shared with DependencyCheckJsonParser

    /** What the report says once, before its dependencies. */
    static final class Context {
        String engineVersion;
        String project;
        Instant reportDate;
    }

    /** One dependency and its (unsuppressed) vulnerabilities. */
    static final class Dependency {
        String fileName;
        String filePath;
        String purl;
        final List<Vuln> vulns = new ArrayList<>();

        void offerPackage(String id) {
            String v = ItemReading.blankToNull(id);
            if (purl == null && v != null && v.startsWith("pkg:")) {
                purl = v;
            }
        }

        /** 1.x identifiers: {@code <identifier type="maven"><name>(group:artifact:version)</name>}. */
        void offerIdentifier(String type, String name) {
            String v = ItemReading.blankToNull(name);
            if (v == null) {
                return;
            }
            if (v.startsWith("(") && v.endsWith(")")) {
                v = v.substring(1, v.length() - 1).trim();
            }
            if (v.startsWith("pkg:")) {
                offerPackage(v);
            } else if ("maven".equalsIgnoreCase(type)) {
                String[] gav = v.split(":");
                if (gav.length == 3 && !gav[0].isBlank() && !gav[1].isBlank() && !gav[2].isBlank()) {
                    offerPackage("pkg:maven/" + gav[0] + "/" + gav[1] + "@" + gav[2]);
                }
            }
        }
    }

    /** One vulnerability as read, before mapping. */
    static final class Vuln {
        String source;
        String name;
        boolean severityPresent;
        String severity;
        String description;
        String notes;
        String fixedVersion;
        boolean knownExploited;
        /** cvssv2 / cvssv3 / cvssv4 entries by lower-cased key, each as its fields' text. */
        final Map<String, Map<String, String>> cvss = new HashMap<>();
        /** Scalar fields of the vulnerability itself (the flat 1.x CVSS fields among them). */
        Map<String, String> flat = Map.of();
        final List<String> cwes = new ArrayList<>();
        final List<String> references = new ArrayList<>();

        void offerFixedVersion(String v) {
            if (fixedVersion == null) {
                fixedVersion = ItemReading.blankToNull(v);
            }
        }
    }

    private static final Pattern PURL = Pattern.compile("^pkg:([^/]+)/(.+?)(?:@([^?#]+))?(?:[?#].*)?$");

    static ParsedFinding toFinding(Context ctx, Dependency d, Vuln v) {
        ParsedFinding.Builder b = ParsedFinding.builder(TOOL).toolVersion(ctx.engineVersion).detectedAt(ctx.reportDate);
        String name = ItemReading.blankToNull(v.name);
        if (ItemReading.isCve(name)) {
            b.id(VulnerabilityIdKind.CVE, name);
        } else if (ItemReading.isGhsa(name)) {
            b.id(VulnerabilityIdKind.GHSA, name);
        } else {
            b.id(VulnerabilityIdKind.OTHER, name);
        }
        for (String cwe : v.cwes) {
            b.cwe(ItemReading.cwe(cwe));
        }
        String file = d.fileName != null ? d.fileName : d.filePath;
        b.title(name != null ? name : "Vulnerability in " + (file != null ? file : "a dependency"));
        b.description(v.description);

        List<Double> byPriority = new ArrayList<>();
        Map<String, String> v4 = v.cvss.get("cvssv4");
        if (v4 != null) {
            Double score = ItemReading.parseDouble(v4.get("baseScore"));
            String vector = v4.get("vectorString");
            String version = v4.get("version") != null ? v4.get("version") : "4.0";
            b.cvss(version, vector, score, v4.get("source") != null ? v4.get("source") : v.source);
            byPriority.add(score);
        }
        Map<String, String> v3 = v.cvss.get("cvssv3");
        if (v3 != null) {
            Double score = ItemReading.parseDouble(v3.get("baseScore"));
            String version = ItemReading.blankToNull(v3.get("version"));
            String vector = v3.get("vectorString") != null ? v3.get("vectorString") : v3Vector(v3, version);
            if (version == null) {
                version = ItemReading.vectorVersion(vector);
            }
            b.cvss(version != null ? version : "3.x", vector, score, v3.get("source") != null ? v3.get("source") : v.source);
            byPriority.add(score);
        }
        Map<String, String> v2 = v.cvss.get("cvssv2");
        if (v2 != null) {
            Double score = ItemReading.parseDouble(v2.get("score"));
            String vector = v2.get("vectorString") != null ? v2.get("vectorString") : v2Vector(
                    v2.get("accessVector"), v2.get("accessComplexity"),
                    v2.get("authenticationr") != null ? v2.get("authenticationr") : v2.get("authentication"),
                    v2.get("confidentialImpact") != null ? v2.get("confidentialImpact") : v2.get("confidentialityImpact"),
                    v2.get("integrityImpact"), v2.get("availabilityImpact"));
            b.cvss("2.0", vector, score, v2.get("source") != null ? v2.get("source") : v.source);
            byPriority.add(score);
        } else if (v.flat.containsKey("cvssScore")) {
            Double score = ItemReading.parseDouble(v.flat.get("cvssScore"));
            String vector = v2Vector(v.flat.get("cvssAccessVector"), v.flat.get("cvssAccessComplexity"),
                    v.flat.get("cvssAuthenticationr") != null ? v.flat.get("cvssAuthenticationr") : v.flat.get("cvssAuthentication"),
                    v.flat.get("cvssConfidentialImpact") != null ? v.flat.get("cvssConfidentialImpact") : v.flat.get("cvssConfidentialityImpact"),
                    v.flat.get("cvssIntegrityImpact"), v.flat.get("cvssAvailabilityImpact"));
            b.cvss("2.0", vector, score, v.source);
            byPriority.add(score);
        }

        String label = v.severityPresent && ItemReading.blankToNull(v.severity) != null ? v.severity.trim() : "(missing)";
        b.severity(label, band(label, byPriority));

        for (String ref : v.references) {
            b.reference(ItemReading.link(ref));
        }
        b.fixedVersion(v.fixedVersion);

        FindingTarget.Builder t = b.target();
        String path = d.filePath != null ? d.filePath : d.fileName;
        if (path != null) {
            t.setFilePath(path);
        }
        if (d.purl != null) {
            t.setPackagePurl(d.purl);
            Matcher m = PURL.matcher(d.purl);
            if (m.matches()) {
                String type = m.group(1).toLowerCase(Locale.ROOT);
                String nameAndNs = decode(m.group(2));
                if ("maven".equals(type) && nameAndNs.indexOf('/') > 0) {
                    int slash = nameAndNs.lastIndexOf('/');
                    t.setPackageName(nameAndNs.substring(0, slash).replace('/', '.') + ":" + nameAndNs.substring(slash + 1));
                } else {
                    t.setPackageName(nameAndNs);
                }
                if (m.group(3) != null) {
                    t.setPackageVersion(decode(m.group(3)));
                }
            }
        }

        b.attribute("source", v.source);
        b.attribute("fileName", d.fileName);
        b.attribute("project", ctx.project);
        b.attribute("notes", ItemReading.clip(v.notes));
        if (v.knownExploited) {
            b.attribute("knownExploited", "true");
        }
        return b.build();
    }

    /** The label's band; see the class documentation. */
    static SeverityBand band(String label, List<Double> scoresByPriority) {
        SeverityBand byWord = "none".equalsIgnoreCase(label) ? null : ItemReading.bandForWord(label);
        if (byWord != null) {
            return byWord;
        }
        Double numeric = ItemReading.parseDouble(label);
        if (numeric != null && numeric > 0) {
            return Bands.fromScore(numeric);
        }
        for (Double score : scoresByPriority) {
            if (score != null) {
                return Bands.fromScore(score);
            }
        }
        return SeverityBand.LOW;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    static String v2Vector(String av, String ac, String au, String c, String i, String a) {
        String vAv = code(av, Map.of("NETWORK", "N", "ADJACENT_NETWORK", "A", "LOCAL", "L"));
        String vAc = code(ac, Map.of("LOW", "L", "MEDIUM", "M", "HIGH", "H"));
        String vAu = code(au, Map.of("NONE", "N", "SINGLE", "S", "SINGLE_INSTANCE", "S", "MULTIPLE", "M", "MULTIPLE_INSTANCES", "M"));
        Map<String, String> impact = Map.of("NONE", "N", "PARTIAL", "P", "COMPLETE", "C");
        String vC = code(c, impact);
        String vI = code(i, impact);
        String vA = code(a, impact);
        if (vAv == null || vAc == null || vAu == null || vC == null || vI == null || vA == null) {
            return null;
        }
        return "AV:" + vAv + "/AC:" + vAc + "/Au:" + vAu + "/C:" + vC + "/I:" + vI + "/A:" + vA;
    }

    static String v3Vector(Map<String, String> m, String version) {
        String av = code(m.get("attackVector"), Map.of("NETWORK", "N", "ADJACENT_NETWORK", "A", "ADJACENT", "A", "LOCAL", "L", "PHYSICAL", "P"));
        String ac = code(m.get("attackComplexity"), Map.of("LOW", "L", "HIGH", "H"));
        String pr = code(m.get("privilegesRequired"), Map.of("NONE", "N", "LOW", "L", "HIGH", "H"));
        String ui = code(m.get("userInteraction"), Map.of("NONE", "N", "REQUIRED", "R"));
        String s = code(m.get("scope"), Map.of("UNCHANGED", "U", "CHANGED", "C"));
        Map<String, String> impact = Map.of("NONE", "N", "LOW", "L", "HIGH", "H");
        String c = code(m.get("confidentialityImpact"), impact);
        String i = code(m.get("integrityImpact"), impact);
        String a = code(m.get("availabilityImpact"), impact);
        if (av == null || ac == null || pr == null || ui == null || s == null || c == null || i == null || a == null) {
            return null;
        }
        String body = "AV:" + av + "/AC:" + ac + "/PR:" + pr + "/UI:" + ui + "/S:" + s + "/C:" + c + "/I:" + i + "/A:" + a;
        return version != null && version.matches("3\\.\\d") ? "CVSS:" + version + "/" + body : body;
    }

    private static String code(String value, Map<String, String> codes) {
        String v = ItemReading.blankToNull(value);
        return v == null ? null : codes.get(v.toUpperCase(Locale.ROOT));
    }
}

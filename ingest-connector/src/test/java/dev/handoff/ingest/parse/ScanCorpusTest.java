package dev.handoff.ingest.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every real scanner output with an {@code .expected.json} beside it parses to exactly those facts:
 * finding count, count per severity label, findings with a CVE, with CVSS, with an asset target. The
 * corpus is vendored under {@code src/test/resources/scans} (sources and licenses in its README), and
 * any file in {@code ../shared/scans} next to the repository that the copy lacks or that differs is
 * checked too. Format detection is from content only. {@code ADVERSARIAL_xxe_*} must be refused.
 */
class ScanCorpusTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final ReportParsers parsers = new ReportParsers();

    @TestFactory
    Stream<DynamicTest> everyCorpusFileParsesToItsExpectedFacts() throws IOException, URISyntaxException {
        Map<String, Path> files = new LinkedHashMap<>();
        Path vendored = Path.of(ScanCorpusTest.class.getResource("/scans").toURI());
        collect(vendored, files);
        for (Path shared : List.of(Path.of("../../shared/scans"), Path.of("../shared/scans"))) {
            if (Files.isDirectory(shared)) {
                Map<String, Path> extra = new LinkedHashMap<>();
                collect(shared, extra);
                extra.forEach((name, path) -> {
                    Path mine = files.get(name);
                    if (mine == null || !sameBytes(mine, path)) {
                        files.put("shared/" + name, path);
                    }
                });
                break;
            }
        }
        assertTrue(files.size() >= 29, "the corpus is where it should be: " + files.size() + " expected files");
        return files.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> check(e.getValue())));
    }

    private void check(Path expectedFile) throws Exception {
        JsonNode expected = MAPPER.readTree(expectedFile.toFile());
        Path report = expectedFile.resolveSibling(expectedFile.getFileName().toString().replaceFirst("\\.expected\\.json$", ""));
        if (report.getFileName().toString().startsWith("ADVERSARIAL_xxe")) {
            try (InputStream in = Files.newInputStream(report)) {
                ReportException e = assertThrows(ReportException.class,
                        () -> parsers.parse(in, Optional.empty(), ParseLimits.defaults(), f -> { }));
                assertEquals(ReportException.Kind.UNSAFE, e.kind(), e.getMessage());
                assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());
            }
            return;
        }
        List<ParsedFinding> findings = new ArrayList<>();
        ReportSummary summary;
        try (InputStream in = Files.newInputStream(report)) {
            byte[] prefix = Files.readAllBytes(report);
            Optional<ReportFormat> format = FormatDetector.detect(prefix, Math.min(prefix.length, FormatDetector.PREFIX_BYTES));
            assertTrue(format.isPresent(), "format of " + report + " not recognised from its content");
            Assumptions.assumeTrue(parsers.supports(format.get()), "no parser for " + format.get().id() + " yet (issue D unfinished)");
            summary = parsers.parse(in, Optional.empty(), ParseLimits.defaults(), findings::add);
        }
        String what = report.getFileName() + " (" + summary.format().id() + ")";
        assertEquals(expected.path("findings").asLong(), summary.findings(), what + ": findings");
        Map<String, Long> labels = new HashMap<>();
        expected.path("severities").fields().forEachRemaining(f -> labels.put(f.getKey(), f.getValue().asLong()));
        assertEquals(labels, summary.bySeverityLabel(), what + ": severity labels");
        assertEquals(expected.path("with_cve").asLong(), findings.stream().filter(ParsedFinding::hasCve).count(), what + ": with CVE");
        assertEquals(expected.path("with_cvss").asLong(), findings.stream().filter(ParsedFinding::hasCvss).count(), what + ": with CVSS");
        assertEquals(expected.path("with_asset").asLong(), findings.stream().filter(ParsedFinding::hasAssetTarget).count(), what + ": with asset");
    }

    private static void collect(Path root, Map<String, Path> into) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(p -> p.getFileName().toString().endsWith(".expected.json")).sorted()
                    .forEach(p -> into.put(root.relativize(p).toString(), p));
        }
    }

    private static boolean sameBytes(Path a, Path b) {
        try {
            return Files.mismatch(a, b) == -1;
        } catch (IOException e) {
            return false;
        }
    }
}

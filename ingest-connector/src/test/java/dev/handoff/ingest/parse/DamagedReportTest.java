package dev.handoff.ingest.parse;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every real report, cut short or with bytes damaged, either still parses or is refused with a
 * {@link ReportException}: a parser never lets another exception escape (the intake must answer 400,
 * not crash), and a truncated report is never silently accepted as a complete one.
 */
class DamagedReportTest {

    private static final String NOISE = "{}[]<>\"',:\\\u0000x";
    private final ReportParsers parsers = new ReportParsers();

    @TestFactory
    Stream<DynamicTest> damagedCorpusFilesFailCleanly() throws Exception {
        Path root = Path.of(DamagedReportTest.class.getResource("/scans").toURI());
        List<Path> reports;
        try (Stream<Path> walk = Files.walk(root)) {
            reports = walk.filter(Files::isRegularFile)
                    .filter(p -> !p.toString().endsWith(".expected.json") && !p.getFileName().toString().equals("README.md"))
                    .filter(p -> !p.getFileName().toString().startsWith("ADVERSARIAL_xxe"))
                    .sorted().toList();
        }
        return reports.stream().map(p -> DynamicTest.dynamicTest(root.relativize(p).toString(), () -> check(p)));
    }

    private void check(Path report) throws Exception {
        byte[] bytes = Files.readAllBytes(report);
        for (double cut : new double[] {0.1, 0.5, 0.9, 0.999}) {
            int n = Math.max(1, (int) (bytes.length * cut));
            Outcome o = parse(Arrays.copyOf(bytes, n), Optional.empty());
            if (o == Outcome.CRASH) {
                fail(report.getFileName() + " cut at " + n + " of " + bytes.length + " bytes escaped as a non-report exception");
            }
            // Detection may not recognise a tiny prefix; with the format named, a cut report must be refused, never accepted.
            if (n < bytes.length - 2 && !isTrailingWhitespaceOnly(bytes, n)) {
                Optional<ReportFormat> format = FormatDetector.detect(bytes, Math.min(bytes.length, FormatDetector.PREFIX_BYTES));
                Outcome named = parse(Arrays.copyOf(bytes, n), format);
                assertTrue(named != Outcome.CRASH, report.getFileName() + " cut at " + n + ": non-report exception");
                assertTrue(named == Outcome.REFUSED || report.toString().endsWith(".csv"),
                        report.getFileName() + " cut at " + n + " of " + bytes.length + " bytes was accepted as complete");
            }
        }
        Random random = new Random(report.getFileName().toString().hashCode());
        for (int i = 0; i < 5; i++) {
            byte[] damaged = bytes.clone();
            for (int k = 0; k < 3; k++) {
                damaged[random.nextInt(damaged.length)] = (byte) NOISE.charAt(random.nextInt(NOISE.length()));
            }
            if (parse(damaged, Optional.empty()) == Outcome.CRASH) {
                fail(report.getFileName() + " with damaged bytes (seed run " + i + ") escaped as a non-report exception");
            }
        }
    }

    private enum Outcome { PARSED, REFUSED, CRASH }

    private Outcome parse(byte[] bytes, Optional<ReportFormat> format) {
        try {
            parsers.parse(new ByteArrayInputStream(bytes), format, ParseLimits.defaults(), f -> { });
            return Outcome.PARSED;
        } catch (ReportException e) {
            return Outcome.REFUSED;
        } catch (RuntimeException | Error e) {
            e.printStackTrace();
            return Outcome.CRASH;
        }
    }

    private static boolean isTrailingWhitespaceOnly(byte[] bytes, int n) {
        for (int i = n; i < bytes.length; i++) {
            if (!Character.isWhitespace(bytes[i])) {
                return false;
            }
        }
        return true;
    }
}

package dev.handoff.launcher;

import dev.handoff.avro.FailureMode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./handoff demo --once} in-process, with the sample programme replayed through the real intake, streams
 * service and alerter on the real local broker: every severity has handoff numbers, every failure mode occurs, and
 * the alerter delivered to the local receiver.
 */
@Tag("integration")
class DemoReplayIT {

    @Test
    void theReplayedProgrammePopulatesEverySeverityAndEveryFailureModeAndOutlivesARestartOnItsDataDir(@TempDir java.nio.file.Path data)
            throws java.io.IOException {
        java.nio.file.Path runFile = java.nio.file.Files.createTempDirectory("handoff-run-").resolve("local.properties");
        CliRun run = CliRun.of("demo", "--once", "--run-file", runFile.toString(), "--topic-prefix", "replay-it.", "--query-port", "0",
                    "--intake-port", "0", "--alerts-port", "0", "--alerter-port", "0", "--partitions", "3", "--days", "14",
                    "--data-dir", data.toString());
        String out = run.out();
        int exit = run.exit();
        assertEquals(0, exit, out);
        assertTrue(out.contains("run file:  " + runFile), out);
        assertTrue(!java.nio.file.Files.exists(runFile), "a clean stop deletes the run file");
        for (String band : new String[] {"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"}) {
            Matcher row = Pattern.compile("(?m)^  " + band + "\\s+(\\d+)\\s+(\\d+)\\s+(\\S+ ?\\S*)\\s").matcher(out);
            assertTrue(row.find(), "a row for " + band + ":\n" + out);
            assertTrue(Integer.parseInt(row.group(1)) > 0, band + " has captured findings");
            assertTrue(Integer.parseInt(row.group(2)) > 0, band + " has acknowledged findings");
            assertTrue(!row.group(3).startsWith("-"), band + " has a median");
        }
        Matcher modes = Pattern.compile("failure modes \\(breaches and no-acks\\): \\{([^}]*)}").matcher(out);
        assertTrue(modes.find(), out);
        for (FailureMode mode : FailureMode.values()) {
            if (mode != FailureMode.UNCLASSIFIED) {
                assertTrue(Pattern.compile("\\b" + mode.name() + "=[1-9]").matcher(modes.group(1)).find(), mode + " occurs: " + modes.group(1));
            }
        }
        Matcher queue = Pattern.compile("unrouted queue: (\\d+) open findings").matcher(out);
        assertTrue(queue.find() && Integer.parseInt(queue.group(1)) > 0, "some findings wait unrouted");
        Matcher alerts = Pattern.compile("alerts delivered to the local receiver: (\\d+) .*OWNER_NOTIFICATION=\\d+.*SLA_ALERT=\\d+").matcher(out);
        assertTrue(alerts.find() && Integer.parseInt(alerts.group(1)) > 0, "the alerter delivered owner notifications and SLA alerts");

        // A restart on the same data directory: no second replay, and the numbers are those of the first run.
        CliRun again = CliRun.of("demo", "--once", "--run-file", runFile.toString(), "--topic-prefix", "replay-it.", "--query-port", "0",
                "--intake-port", "0", "--alerts-port", "0", "--alerter-port", "0", "--partitions", "3", "--data-dir", data.toString());
        String second = again.out();
        assertEquals(0, again.exit(), second);
        assertTrue(second.contains("(kept from the last run, sample programme replayed at "), second);
        assertTrue(!second.contains("replay:"), "no second replay:\n" + second);
        assertEquals(bandRows(out), bandRows(second), "captured and acknowledged per severity survive the restart:\n" + second);
    }

    /** Each severity's row of the printed numbers: band, captured, acknowledged. */
    private static java.util.List<String> bandRows(String out) {
        java.util.List<String> rows = new java.util.ArrayList<>();
        Matcher m = Pattern.compile("(?m)^  (CRITICAL|HIGH|MEDIUM|LOW|INFO)\\s+(\\d+)\\s+(\\d+)\\s").matcher(out);
        while (m.find()) {
            rows.add(m.group(1) + " " + m.group(2) + " " + m.group(3));
        }
        assertEquals(5, rows.size(), out);
        return rows;
    }
}

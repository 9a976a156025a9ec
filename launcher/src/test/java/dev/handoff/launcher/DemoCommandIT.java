package dev.handoff.launcher;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's run command, in-process: a real broker, every topic, and a finding through the serde. */
@Tag("integration")
class DemoCommandIT {

    @Test
    void demoOnceStartsTheBrokerDeclaresTopicsAndRoundTripsAFinding() throws java.io.IOException {
        java.nio.file.Path runFile = java.nio.file.Files.createTempDirectory("handoff-run-").resolve("local.properties");
        CliRun run = CliRun.of("demo", "--once", "--run-file", runFile.toString(), "--no-replay", "--topic-prefix", "demo-it.", "--query-port", "0",
                    "--intake-port", "0", "--alerts-port", "0", "--alerter-port", "0", "--partitions", "3");
        String out = run.out();
        int exit = run.exit();
        assertEquals(0, exit, out);
        assertTrue(out.contains("run file:  " + runFile), out);
        assertTrue(!java.nio.file.Files.exists(runFile), "a clean stop deletes the run file");
        assertTrue(out.matches("(?s).*broker:\\s+localhost:\\d+.*"), out);
        assertTrue(out.contains("topics:    " + dev.handoff.schemas.Topics.ALL.size() + " declared with prefix 'demo-it.'"), out);
        assertTrue(out.matches("(?s).*intake:    http://localhost:\\d+ .*"), out);
        assertTrue(out.matches("(?s).*alerter:   delivering to the local receiver http://127.0.0.1:\\d+/alerts.*"), out);
        assertTrue(out.matches("(?s).*dashboard: http://localhost:\\d+/\\s.*"), out);
        assertTrue(out.matches("(?s).*wrote finding f1-[0-9a-f]{32} through the serde; the streams service answers: status OPEN, band CRITICAL, captured_at .*ASSET_BINDING_GAP.*"), out);
    }

    @Test
    void unknownOptionsAreRejectedWithUsage() {
        PrintStream originalErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int exit;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new HandoffCli()).execute("demo", "--bogus");
        } finally {
            System.setErr(originalErr);
        }
        assertEquals(2, exit);
        assertTrue(captured.toString(StandardCharsets.UTF_8).contains("Unknown option: '--bogus'"));
    }
}

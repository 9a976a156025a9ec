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
    void aDataDirIsReplayedIntoOnlyOnceAndNeverAfterAnInterruptedReplay(@org.junit.jupiter.api.io.TempDir java.nio.file.Path data)
            throws java.io.IOException {
        DataDir.open(data).replayStarted();
        CliRun interrupted = CliRun.of("demo", "--once", "--data-dir", data.toString());
        assertEquals(2, interrupted.exit());
        assertTrue(interrupted.err().contains("replay into " + data + " was interrupted; remove the directory"), interrupted.err());

        java.nio.file.Path used = data.resolve("used");
        DataDir.open(used);
        java.nio.file.Files.createDirectories(used.resolve("kafka"));
        CliRun onRealData = CliRun.of("demo", "--once", "--data-dir", used.toString());
        assertEquals(2, onRealData.exit());
        assertTrue(onRealData.err().contains("holds the data of a --no-replay run"), onRealData.err());

        java.nio.file.Files.writeString(data.resolve("a-file"), "x");
        CliRun onFile = CliRun.of("demo", "--once", "--data-dir", data.resolve("a-file").toString());
        assertEquals(2, onFile.exit());
        assertTrue(onFile.err().contains("is a file, not a directory"), onFile.err());
    }

    @Test
    void dataDirSecretsAreKeptAndPrivate(@org.junit.jupiter.api.io.TempDir java.nio.file.Path data) throws java.io.IOException {
        DataDir first = DataDir.open(data.resolve("d"));
        DataDir second = DataDir.open(data.resolve("d"));
        assertEquals(first.token(), second.token());
        assertEquals(first.ackSecret(), second.ackSecret());
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(data.resolve("d"))));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(data.resolve("d").resolve(DataDir.FILE))));
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

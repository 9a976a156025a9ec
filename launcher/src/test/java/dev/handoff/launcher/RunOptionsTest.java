package dev.handoff.launcher;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where the subcommands find the local Handoff: options first, then the run file, then defaults. */
class RunOptionsTest {

    @TempDir
    Path dir;

    @Command(name = "probe")
    static final class Probe {
        @Mixin
        RunOptions run;
    }

    private static RunOptions parse(String... args) {
        Probe probe = new Probe();
        new CommandLine(probe).parseArgs(args);
        return probe.run;
    }

    private Path runFile(Map<String, String> values) throws Exception {
        return LocalRun.write(dir.resolve("local.properties"), values).file();
    }

    @Test
    void anOptionOverridesTheRunFileAndTheRestComesFromTheFile() throws Exception {
        Path file = runFile(Map.of(LocalRun.BOOTSTRAP_SERVERS, "localhost:1111", LocalRun.TOPIC_PREFIX, "demo.",
                LocalRun.QUERY_URL, "http://localhost:8090", LocalRun.INTAKE_URL, "http://localhost:8091", LocalRun.INTAKE_TOKEN, "from-the-file"));

        RunOptions run = parse("--run-file", file.toString(), "--query-url", "http://other:9090/", "--token", "from-the-option");

        assertEquals("http://other:9090", run.queryUrl(), "the option wins; a trailing slash is dropped");
        assertEquals("from-the-option", run.token());
        assertEquals("http://localhost:8091", run.intakeUrl());
        assertEquals("localhost:1111", run.bootstrapServers());
        assertEquals("demo.", run.topicPrefix());
        assertEquals("embedded", run.registryUrl(), "the default when neither says");
    }

    @Test
    void withoutARunFileOptionsAloneAreEnoughAndDefaultsFillTheRest() {
        RunOptions run = parse("--run-file", dir.resolve("absent.properties").toString(), "--bootstrap-servers", "kafka:9092",
                "--topic-prefix", "prod.");

        assertEquals("kafka:9092", run.bootstrapServers());
        assertEquals("prod.", run.topicPrefix());
        assertEquals("embedded", run.registryUrl());
        assertTrue(run.queryUrlIfKnown().isEmpty());
    }

    @Test
    void aNeededValueWithoutOptionOrRunFileSaysNoLocalHandoffIsRunningAndWhichOptionWouldDo() {
        Path absent = dir.resolve("absent.properties");
        RunOptions run = parse("--run-file", absent.toString());

        LocalRun.NotRunning e = assertThrows(LocalRun.NotRunning.class, run::intakeUrl);

        assertEquals("no local Handoff is running: start it with ./handoff demo (no run file at " + absent + "; or give --intake-url)",
                e.getMessage());
    }

    @Test
    void aValueTheRunFileLacksNamesTheKeyAndTheOption() throws Exception {
        Path file = runFile(Map.of(LocalRun.BOOTSTRAP_SERVERS, "localhost:1111"));
        RunOptions run = parse("--run-file", file.toString());

        CommandFailure e = assertThrows(CommandFailure.class, run::intakeUrl);

        assertEquals("the run file " + file + " has no intake.url: the local mode is not running that service; give --intake-url to use"
                + " another one", e.getMessage());
    }

    @Test
    void aLeftOverRunFileIsIgnoredButNamedWhenAValueIsMissing() throws Exception {
        Path file = runFile(Map.of(LocalRun.BOOTSTRAP_SERVERS, "localhost:1111", LocalRun.PID, Long.toString(Long.MAX_VALUE),
                LocalRun.TOPIC_PREFIX, "stale."));
        RunOptions run = parse("--run-file", file.toString(), "--bootstrap-servers", "localhost:2222");

        assertEquals("localhost:2222", run.bootstrapServers());
        assertEquals("handoff.", run.topicPrefix(), "nothing is taken from a left-over file");
        LocalRun.NotRunning e = assertThrows(LocalRun.NotRunning.class, run::queryUrl);
        assertTrue(e.getMessage().contains("the run file " + file + " is left over from process " + Long.MAX_VALUE), e.getMessage());
    }

    @Test
    void anOwnersTokenIsReadFromItsOwnKey() throws Exception {
        Path file = runFile(Map.of(LocalRun.BOOTSTRAP_SERVERS, "localhost:1111", LocalRun.OWNER_TOKEN_PREFIX + "alice", "alice-token-0123456789"));

        RunOptions run = parse("--run-file", file.toString());

        assertEquals("alice-token-0123456789", run.fromFile(LocalRun.OWNER_TOKEN_PREFIX + "alice").orElseThrow());
        assertTrue(run.fromFile(LocalRun.OWNER_TOKEN_PREFIX + "bob").isEmpty());
    }
}

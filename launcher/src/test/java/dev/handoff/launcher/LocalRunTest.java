package dev.handoff.launcher;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class LocalRunTest {

    @TempDir
    Path dir;

    private static Map<String, String> values() {
        Map<String, String> v = new HashMap<>();
        v.put(LocalRun.BOOTSTRAP_SERVERS, "localhost:34819");
        v.put(LocalRun.TOPIC_PREFIX, "handoff.");
        v.put(LocalRun.SCHEMA_REGISTRY_URL, "embedded");
        v.put(LocalRun.QUERY_URL, "http://localhost:8090");
        v.put(LocalRun.INTAKE_URL, "http://localhost:8091");
        v.put(LocalRun.INTAKE_TOKEN, "secret-token-0123456789");
        return v;
    }

    @Test
    void whatIsWrittenIsReadBackWithThePidOfTheWriter() throws Exception {
        Path file = dir.resolve("local.properties");
        LocalRun written = LocalRun.write(file, values());

        LocalRun read = LocalRun.read(file);

        Map<String, String> expected = new HashMap<>(values());
        expected.put(LocalRun.PID, Long.toString(ProcessHandle.current().pid()));
        assertEquals(expected, read.values());
        assertEquals(written.values(), read.values());
        assertEquals("http://localhost:8091", read.get(LocalRun.INTAKE_URL).orElseThrow());
        assertTrue(read.get(LocalRun.ALERTER_URL).isEmpty());
    }

    @Test
    void theFileIsAPropertiesFileWithSortedEntriesUnderAComment() throws Exception {
        Path file = dir.resolve("local.properties");
        LocalRun.write(file, values());

        List<String> lines = Files.readAllLines(file);

        assertTrue(lines.get(0).startsWith("# Handoff local mode"), lines.get(0));
        List<String> entries = lines.subList(1, lines.size());
        assertEquals(entries.stream().sorted().toList(), entries);
        assertTrue(entries.contains("intake.url=http\\://localhost\\:8091"), entries.toString());
    }

    @Test
    void theFileAndANewDirectoryAreForTheOwnerOnlyBecauseTheFileHoldsAToken() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
        Path file = dir.resolve("new-dir").resolve("local.properties");

        LocalRun.write(file, values());

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
        try (var left = Files.list(file.getParent())) {
            assertEquals(List.of(file), left.toList(), "no temporary file is left beside it");
        }
    }

    @Test
    void aMissingFileSaysNoLocalHandoffIsRunning() {
        Path file = dir.resolve("local.properties");

        LocalRun.NotRunning e = assertThrows(LocalRun.NotRunning.class, () -> LocalRun.read(file));

        assertEquals("no local Handoff is running: start it with ./handoff demo (no run file at " + file + ")", e.getMessage());
        assertTrue(LocalRun.readIfPresent(file).isEmpty());
    }

    @Test
    void aFileLeftOverByAProcessThatStoppedCountsAsNotRunning() throws Exception {
        Process finished = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-version")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        finished.waitFor();
        Map<String, String> v = values();
        v.put(LocalRun.PID, Long.toString(finished.pid()));
        Path file = LocalRun.write(dir.resolve("local.properties"), v).file();

        LocalRun.NotRunning e = assertThrows(LocalRun.NotRunning.class, () -> LocalRun.read(file));

        assertEquals("no local Handoff is running: start it with ./handoff demo (the run file " + file + " is left over from process "
                + finished.pid() + ", which stopped without removing it)", e.getMessage());
    }

    @Test
    void theDefaultFileIsTheEnvironmentsElseUnderHome() {
        Path home = Path.of("/home/ana");
        assertEquals(Path.of("/home/ana/.handoff/local.properties"), LocalRun.defaultFile(Map.of(), home));
        assertEquals(Path.of("/tmp/run.properties"), LocalRun.defaultFile(Map.of(LocalRun.FILE_ENV, "/tmp/run.properties"), home));
        assertEquals(Path.of("/home/ana/.handoff/local.properties"), LocalRun.defaultFile(Map.of(LocalRun.FILE_ENV, " "), home));
    }

    @Test
    void deleteRemovesTheFileOnlyWhileItHoldsWhatThisRunWrote() throws Exception {
        Path file = dir.resolve("local.properties");
        LocalRun first = LocalRun.write(file, values());
        Map<String, String> later = values();
        later.put(LocalRun.QUERY_URL, "http://localhost:9090");
        LocalRun second = LocalRun.write(file, later);

        assertFalse(first.delete(), "a demo stopping after another one started leaves the newer file");
        assertEquals("http://localhost:9090", LocalRun.read(file).get(LocalRun.QUERY_URL).orElseThrow());
        assertTrue(second.delete());
        assertFalse(Files.exists(file));
        assertFalse(second.delete(), "already gone");
    }

    @Test
    void writeRefusesAnAddressThatIsNotAnHttpUrlAndARunWithoutABroker() {
        Map<String, String> badUrl = values();
        badUrl.put(LocalRun.INTAKE_URL, "localhost:8091");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LocalRun.write(dir.resolve("a"), badUrl));
        assertEquals("intake.url must be an absolute http(s) URL, was 'localhost:8091'", e.getMessage());

        Map<String, String> noBroker = values();
        noBroker.remove(LocalRun.BOOTSTRAP_SERVERS);
        e = assertThrows(IllegalArgumentException.class, () -> LocalRun.write(dir.resolve("b"), noBroker));
        assertEquals("the run file needs bootstrap.servers", e.getMessage());
        assertFalse(Files.exists(dir.resolve("a")) || Files.exists(dir.resolve("b")));
    }

    @Test
    void aFileThatIsNotPropertiesIsReportedWithWhatToDo() throws Exception {
        Path file = dir.resolve("local.properties");
        Files.writeString(file, "bootstrap.servers=\\u00zz\n");

        CommandFailure e = assertThrows(CommandFailure.class, () -> LocalRun.read(file));

        assertTrue(e.getMessage().startsWith("the run file " + file + " is not a properties file"), e.getMessage());
        assertTrue(e.getMessage().endsWith("delete it and start ./handoff demo again"), e.getMessage());
    }
}

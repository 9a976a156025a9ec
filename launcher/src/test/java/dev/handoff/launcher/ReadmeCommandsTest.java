package dev.handoff.launcher;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's first two commands are the ones that work: the demo script runs this launcher, and .ci/run runs the tests. */
class ReadmeCommandsTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private static List<String> firstCodeBlock() throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve("README.md"));
        int open = lines.indexOf("```bash");
        int close = lines.subList(open + 1, lines.size()).indexOf("```") + open + 1;
        return lines.subList(open + 1, close).stream().map(String::trim).filter(l -> !l.isEmpty()).toList();
    }

    @Test
    void theReadmeStartsWithTheDemoAndTheTestCommand() throws IOException {
        List<String> commands = firstCodeBlock();
        assertEquals(List.of("./handoff demo", "./mvnw -B -ntp verify"), commands);
    }

    @Test
    void ciRunsExactlyTheReadmesTestCommand() throws IOException {
        String testCommand = firstCodeBlock().get(1);
        List<String> ci = Files.readAllLines(ROOT.resolve(".ci/run")).stream().map(String::trim).filter(l -> !l.startsWith("#")).toList();
        assertTrue(ci.contains(testCommand), ".ci/run runs '" + testCommand + "': " + ci);
    }

    @Test
    void theDemoScriptRunsThisLauncherAndItKnowsTheDemoCommand() throws IOException {
        String script = Files.readString(ROOT.resolve("handoff"));
        assertTrue(script.contains("dev.handoff.launcher.HandoffCli \"$@\""), "./handoff runs HandoffCli with its arguments");
        assertTrue(Files.isExecutable(ROOT.resolve("handoff")), "./handoff is executable");
        CommandLine cli = new CommandLine(new HandoffCli());
        assertTrue(cli.getSubcommands().containsKey(firstCodeBlock().get(0).split(" ")[1]), "the launcher has the README's demo subcommand");
    }
}

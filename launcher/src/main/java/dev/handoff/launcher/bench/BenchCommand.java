package dev.handoff.launcher.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code ./handoff bench}: the end-to-end benchmark of issue G. See {@link BenchRun} for the phases and README.md
 * ("./handoff bench") for what each printed figure means.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = BenchCommand.Recompute.class,
        description = {"End-to-end benchmark: a synthetic programme with ground truth, produced to an in-process broker and processed "
                + "by the full handoff-streams topology (exactly-once v2); measured against raw produce+consume and a plain EOS "
                + "windowed count on the same records; prints events/s, memory, state size, breach-alert delay and accuracy.",
                "Exit code 0 when every metric matches the ground truth, 1 when not, 2 on bad usage."})
public final class BenchCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--events", defaultValue = "1000000", description = "Lifecycle events to generate and process (default: ${DEFAULT-VALUE}).")
    long events;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the programme (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--days", defaultValue = "28", description = "Days the timeline covers, ending on the whole hour before last (the broker refuses future timestamps) (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--partitions", defaultValue = "12", description = "Partitions of the finding topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--threads", defaultValue = "2", description = "Stream threads of Handoff and of the EOS anchor (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--dump", paramLabel = "DIR", description = "Write the input events and the final metrics.handoff rows as NDJSON to DIR.")
    Path dump;

    @Option(names = "--breach-findings", defaultValue = "200",
            description = "Findings of the wall-clock breach-delay phase; 0 skips it (default: ${DEFAULT-VALUE}).")
    int breachFindings;

    @Option(names = "--history-queries", paramLabel = "N", defaultValue = "200",
            description = "Findings whose GET /findings/{id} (state and timeline) is timed after the Handoff phase; 0 skips it (default: ${DEFAULT-VALUE}).")
    int historyQueries;

    @Option(names = "--skip-anchors", description = "Do not run the raw and EOS-count anchors (for quick accuracy runs).")
    boolean skipAnchors;

    @Option(names = "--param", paramLabel = "KEY=VALUE",
            description = "Overrides a knob of the programme (rates, delay distributions, directory size); --param help lists them.")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--streams", paramLabel = "KEY=VALUE",
            description = "A handoff-streams setting for the run, e.g. --streams commit.interval.ms=500 (defaults otherwise).")
    Map<String, String> streams = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        if (params.containsKey("help")) {
            spec.commandLine().getOut().println("bench parameters (defaults): " + BenchProfile.defaultProfile().describe());
            return 0;
        }
        if (events < 1_000 || events > 100_000_000) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--events must be between 1,000 and 100,000,000, was " + events);
        }
        if (days < 2 || days > 365) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--days must be between 2 and 365, was " + days);
        }
        if (partitions < 1 || partitions > 64 || threads < 1 || threads > 32) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--partitions must be 1..64 and --threads 1..32");
        }
        if (breachFindings < 0 || breachFindings > 10_000) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--breach-findings must be between 0 and 10,000, was " + breachFindings);
        }
        if (historyQueries < 0 || historyQueries > 10_000) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--history-queries must be between 0 and 10,000, was " + historyQueries);
        }
        if (dump != null && Files.isDirectory(dump) && Files.list(dump).findAny().isPresent()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--dump " + dump + " is not empty: give a new or empty directory");
        }
        BenchProfile profile;
        try {
            profile = BenchProfile.of(params);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--param: " + e.getMessage());
        }
        BenchRun run = new BenchRun(new BenchRun.Options(events, seed, days, partitions, threads, dump, breachFindings, historyQueries,
                !skipAnchors, profile, streams), System.out);
        return run.run();
    }

    /** {@code ./handoff bench recompute DIR}: checks a dump's rows against the truth rebuilt from its events alone. */
    @Command(name = "recompute", mixinStandardHelpOptions = true,
            description = "Rebuild the ground truth from a --dump directory's events.ndjson and check its metrics-handoff.ndjson rows "
                    + "against it; exit 0 when they match.")
    static final class Recompute implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "A directory written by ./handoff bench --dump.")
        Path dir;

        @Override
        public Integer call() {
            return BenchDump.recompute(dir, System.out).exact() ? 0 : 1;
        }
    }
}

package dev.handoff.launcher;

import dev.handoff.schemas.Topics;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the subcommands find the local Handoff: the run file, each value overridable by an option
 * (option, then run file, then a default where one exists). The run file is read only when an option
 * leaves a value open, so a command given every address it needs works without one.
 */
public final class RunOptions {

    @Option(names = "--run-file", paramLabel = "FILE",
            description = "Run file the local mode wrote (default: $" + LocalRun.FILE_ENV + ", else ~/.handoff/local.properties).")
    Path runFile;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Kafka (overrides the run file's bootstrap.servers).")
    String bootstrapServers;

    @Option(names = "--topic-prefix", paramLabel = "PREFIX",
            description = "Topic prefix (overrides the run file's topic.prefix; default " + Topics.DEFAULT_PREFIX + ").")
    String topicPrefix;

    @Option(names = "--schema-registry-url", paramLabel = "URL",
            description = "Schema registry (overrides the run file's schema.registry.url; default embedded).")
    String registryUrl;

    @Option(names = "--query-url", paramLabel = "URL", description = "Streams query API (overrides the run file's query.url).")
    String queryUrl;

    @Option(names = "--intake-url", paramLabel = "URL", description = "HTTP intake (overrides the run file's intake.url).")
    String intakeUrl;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Bearer token for the intake (overrides the run file's intake.token; prefer the run file: "
                    + "a token on the command line shows in the process list and the shell history).")
    String token;

    private LocalRun run;
    private boolean read;
    private String absent;

    /** The run file's path: --run-file, else the default. */
    public Path file() {
        return runFile != null ? runFile : LocalRun.defaultFile();
    }

    public String bootstrapServers() {
        return required(bootstrapServers, LocalRun.BOOTSTRAP_SERVERS, "--bootstrap-servers");
    }

    public String topicPrefix() {
        return optional(topicPrefix, LocalRun.TOPIC_PREFIX).orElse(Topics.DEFAULT_PREFIX);
    }

    public String registryUrl() {
        return optional(registryUrl, LocalRun.SCHEMA_REGISTRY_URL).orElse("embedded");
    }

    public String queryUrl() {
        return trimSlash(required(queryUrl, LocalRun.QUERY_URL, "--query-url"));
    }

    /** The query API when an option or the run file names it. */
    public Optional<String> queryUrlIfKnown() {
        return optional(queryUrl, LocalRun.QUERY_URL).map(RunOptions::trimSlash);
    }

    public String intakeUrl() {
        return trimSlash(required(intakeUrl, LocalRun.INTAKE_URL, "--intake-url"));
    }

    public Optional<String> intakeUrlIfKnown() {
        return optional(intakeUrl, LocalRun.INTAKE_URL).map(RunOptions::trimSlash);
    }

    public String token() {
        return required(token, LocalRun.INTAKE_TOKEN, "--token");
    }

    /** Whether --token was given. */
    public boolean tokenGiven() {
        return token != null && !token.isBlank();
    }

    /** Any other run file value, e.g. {@code alerter.url} or {@code intake.token.<owner>}. */
    public Optional<String> fromFile(String key) {
        return optional(null, key);
    }

    /**
     * The run file, read at most once; a missing file is an error only when a value is needed from it. A file
     * left over by a process that has stopped counts as missing.
     */
    private Optional<LocalRun> run() {
        if (!read) {
            read = true;
            LocalRun found = LocalRun.readIfPresent(file()).orElse(null);
            if (found != null && found.writerGone().isPresent()) {
                absent = "the run file " + found.file() + " is left over from process " + found.writerGone().get()
                        + ", which stopped without removing it";
            } else if (found == null) {
                absent = "no run file at " + file();
            }
            run = absent == null ? found : null;
        }
        return Optional.ofNullable(run);
    }

    private Optional<String> optional(String option, String key) {
        if (option != null && !option.isBlank()) {
            return Optional.of(option.trim());
        }
        return run().flatMap(r -> r.get(key));
    }

    private String required(String option, String key, String optionName) {
        return optional(option, key).orElseThrow(() -> {
            Optional<LocalRun> r = run();
            if (r.isEmpty()) {
                return new LocalRun.NotRunning(LocalRun.NOT_RUNNING + " (" + absent + "; or give " + optionName + ")");
            }
            return new CommandFailure("the run file " + r.get().file() + " has no " + key
                    + ": the local mode is not running that service; give " + optionName + " to use another one");
        });
    }

    private static String trimSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}

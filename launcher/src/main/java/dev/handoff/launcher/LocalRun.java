package dev.handoff.launcher;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The run file of the local mode: how to reach a running {@code ./handoff demo} (broker, query API, intake,
 * alerter, and a bearer token). The demo {@link #write writes} it once everything is up and {@link #delete
 * deletes} it on a clean shutdown; {@code ack}, {@code status} and {@code export} {@link #read read} it.
 *
 * <p>It is a plain {@link Properties} file at {@code ~/.handoff/local.properties} ({@value #FILE_ENV} names
 * another path), readable by its owner only because it holds a token.
 */
public final class LocalRun {

    /** Environment variable naming the run file instead of {@code ~/.handoff/local.properties}. */
    public static final String FILE_ENV = "HANDOFF_LOCAL_FILE";

    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String TOPIC_PREFIX = "topic.prefix";
    /** {@code embedded} in the local mode. */
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    /** The streams service's query API, e.g. {@code http://localhost:8090}. */
    public static final String QUERY_URL = "query.url";
    /** The HTTP intake, e.g. {@code http://localhost:8091}. */
    public static final String INTAKE_URL = "intake.url";
    /** A bearer token for the intake with the roles ingest, acknowledge and read. */
    public static final String INTAKE_TOKEN = "intake.token";
    /**
     * Optional, one per person: {@code intake.token.<owner id>} is a token the local mode issued to that owner,
     * which {@code ack --as <owner id>} uses (the intake records a token's own actor, never one named in a request).
     */
    public static final String OWNER_TOKEN_PREFIX = "intake.token.";
    /** Optional: the local webhook receiver the alerter delivers to. */
    public static final String ALERTS_URL = "alerts.url";
    /** Optional: the alerter's metrics server, which answers {@code /health}. */
    public static final String ALERTER_URL = "alerter.url";
    /** The process that wrote the file; {@link #write} fills it in. A file whose process is gone is left over. */
    public static final String PID = "pid";

    static final String NOT_RUNNING = "no local Handoff is running: start it with ./handoff demo";
    private static final String HEADER = "Handoff local mode: how to reach the running ./handoff demo."
            + " Holds a bearer token: keep it readable by its owner only. Deleted when the demo stops cleanly.";

    private final Path file;
    private final Map<String, String> values;

    private LocalRun(Path file, Map<String, String> values) {
        this.file = file;
        this.values = Collections.unmodifiableMap(new TreeMap<>(values));
    }

    /** {@code $HANDOFF_LOCAL_FILE}, else {@code ~/.handoff/local.properties}. */
    public static Path defaultFile() {
        return defaultFile(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** {@link #defaultFile()} for a given environment and home directory. */
    public static Path defaultFile(Map<String, String> env, Path home) {
        String named = env.get(FILE_ENV);
        if (named != null && !named.isBlank()) {
            return Path.of(named.trim());
        }
        return home.resolve(".handoff").resolve("local.properties");
    }

    /**
     * Writes the run file, replacing any earlier one in one atomic move, readable and writable by its owner only
     * (on POSIX file systems; elsewhere the user's profile directory is assumed private). {@code bootstrap.servers}
     * is required; values of keys ending in {@code .url} (other than {@code schema.registry.url}) must be absolute
     * http(s) URLs.
     *
     * @return the written run, whose {@link #delete()} removes the file again
     */
    public static LocalRun write(Path file, Map<String, String> values) throws IOException {
        Objects.requireNonNull(file, "file");
        Map<String, String> checked = new TreeMap<>();
        values.forEach((key, value) -> {
            if (key == null || key.isBlank() || value == null) {
                throw new IllegalArgumentException("run file entries need a key and a value, got " + key + "=" + value);
            }
            if (key.endsWith(".url") && !key.equals(SCHEMA_REGISTRY_URL)) {
                checkUrl(key, value);
            }
            checked.put(key.trim(), value.trim());
        });
        if (!checked.containsKey(BOOTSTRAP_SERVERS)) {
            throw new IllegalArgumentException("the run file needs " + BOOTSTRAP_SERVERS);
        }
        checked.putIfAbsent(PID, Long.toString(ProcessHandle.current().pid()));
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectories(dir, posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------"))} : new FileAttribute<?>[0]);
            } catch (FileAlreadyExistsException raced) {
                // another process created it in between: fine
            }
        }
        // createTempFile makes the file owner-only before any byte of the token is in it.
        Path temp = posix ? Files.createTempFile(dir, ".local-", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                : Files.createTempFile(dir, ".local-", ".tmp");
        try {
            Files.writeString(temp, render(checked), StandardCharsets.UTF_8);
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
        return new LocalRun(target, checked);
    }

    /**
     * Reads the run file.
     *
     * @throws NotRunning when there is no run file, or the process that wrote it has stopped without removing it
     */
    public static LocalRun read(Path file) {
        LocalRun run = readIfPresent(file).orElseThrow(() -> new NotRunning(NOT_RUNNING + " (no run file at " + file + ")"));
        run.writerGone().ifPresent(pid -> {
            throw new NotRunning(NOT_RUNNING + " (the run file " + file + " is left over from process " + pid
                    + ", which stopped without removing it)");
        });
        return run;
    }

    /** The pid of the process that wrote the file when that process is no longer alive on this machine. */
    Optional<Long> writerGone() {
        return get(PID).flatMap(p -> {
            try {
                long pid = Long.parseLong(p);
                return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) ? Optional.empty() : Optional.of(pid);
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }

    /** The run file, or empty when there is none. */
    public static Optional<LocalRun> readIfPresent(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new CommandFailure("cannot read the run file " + file + ": " + e);
        }
        Properties p = new Properties();
        try (Reader in = new StringReader(text)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new CommandFailure("the run file " + file + " is not a properties file (" + e.getMessage()
                    + "); delete it and start ./handoff demo again");
        }
        Map<String, String> values = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> values.put(k, p.getProperty(k).trim()));
        return Optional.of(new LocalRun(file, values));
    }

    public Path file() {
        return file;
    }

    /** Every entry, sorted by key. */
    public Map<String, String> values() {
        return values;
    }

    /** The value of {@code key}, empty when absent or blank. */
    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key)).filter(v -> !v.isBlank());
    }

    /**
     * Deletes the run file if it still holds what this run wrote, so a demo stopping after another one started
     * leaves the newer demo's file in place.
     *
     * @return whether the file was deleted
     */
    public boolean delete() {
        try {
            Optional<LocalRun> now = readIfPresent(file);
            if (now.isEmpty() || !now.get().values.equals(values)) {
                return false;
            }
            return Files.deleteIfExists(file);
        } catch (IOException | CommandFailure e) {
            throw new UncheckedIOException(new IOException("cannot delete the run file " + file + ": " + e.getMessage(), e));
        }
    }

    @Override
    public String toString() {
        return "LocalRun" + values.keySet() + " at " + file;
    }

    private static void checkUrl(String key, String value) {
        URI uri;
        try {
            uri = URI.create(value.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + " must be an absolute http(s) URL, was '" + value + "'");
        }
        if (!uri.isAbsolute() || uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
            throw new IllegalArgumentException(key + " must be an absolute http(s) URL, was '" + value + "'");
        }
    }

    /** Properties text with sorted entries (Properties.store writes hash order and a date), so the file reads the same every time. */
    private static String render(Map<String, String> values) throws IOException {
        Properties p = new Properties();
        p.putAll(values);
        StringWriter raw = new StringWriter();
        p.store(raw, null);
        String entries = raw.toString().lines().filter(l -> !l.startsWith("#") && !l.isEmpty()).sorted()
                .collect(Collectors.joining("\n"));
        return "# " + HEADER + "\n" + entries + "\n";
    }

    /** No run file: no local Handoff is running, or the explicit options do not say where one is. */
    public static final class NotRunning extends CommandFailure {
        public NotRunning(String message) {
            super(message);
        }
    }
}

package dev.handoff.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Properties;

/**
 * {@code ./handoff demo --data-dir DIR}: where the local mode keeps what must outlive a restart. Readable by its owner
 * only, since it holds the run's secrets.
 * <ul>
 *   <li>{@code kafka/}: the broker's data ({@code LocalKafka.Builder#dataDirectory});</li>
 *   <li>{@code schemas/}: the embedded schema registry ({@code embedded:DIR/schemas});</li>
 *   <li>{@code streams/}: the streams service's RocksDB state ({@code state.dir}), so a restart restores nothing it has;</li>
 *   <li>{@value #FILE}: the intake token and acknowledgement-link secret (links in delivered alerts keep working), and
 *       whether the sample programme was replayed into it.</li>
 * </ul>
 */
final class DataDir {

    static final String FILE = "handoff-local.properties";
    private static final String TOKEN = "intake.token";
    private static final String ACK_SECRET = "intake.ack.secret";
    private static final String REPLAY = "demo.replay";
    private static final String REPLAY_STARTED = "started";
    private static final String REPLAY_DONE = "done";

    /** What became of a replay into the directory. */
    enum Replay { NONE, INTERRUPTED, DONE }

    private final Path root;
    private final Properties values = new Properties();
    private boolean fresh;

    private DataDir(Path root) {
        this.root = root;
    }

    /** Opens {@code root}, creating it, and the token and secret on first use. */
    static DataDir open(Path root) {
        DataDir dir = new DataDir(root.toAbsolutePath().normalize());
        try {
            if (Files.exists(dir.root) && !Files.isDirectory(dir.root)) {
                throw new IllegalArgumentException("--data-dir " + dir.root + " is a file, not a directory");
            }
            boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
            Files.createDirectories(dir.root, posix ? new FileAttribute<?>[] {
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))} : new FileAttribute<?>[0]);
            Path file = dir.root.resolve(FILE);
            dir.fresh = !Files.exists(dir.kafka());
            if (Files.exists(file)) {
                try (InputStream in = Files.newInputStream(file)) {
                    dir.values.load(in);
                }
            } else if (Files.exists(dir.kafka())) {
                throw new IllegalArgumentException("--data-dir " + dir.root + " holds broker data but no " + FILE
                        + "; it was not made by ./handoff demo --data-dir");
            }
            boolean changed = dir.values.putIfAbsent(TOKEN, "local-" + random(16)) == null;
            changed |= dir.values.putIfAbsent(ACK_SECRET, random(24)) == null;
            if (changed) {
                dir.save();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use --data-dir " + dir.root + ": " + e.getMessage(), e);
        }
        return dir;
    }

    Path root() {
        return root;
    }

    /** Whether no broker has run on this directory yet. */
    boolean fresh() {
        return fresh;
    }

    Path kafka() {
        return root.resolve("kafka");
    }

    Path streamsState() {
        return root.resolve("streams");
    }

    String registryUrl() {
        return "embedded:" + root.resolve("schemas");
    }

    String token() {
        return values.getProperty(TOKEN);
    }

    String ackSecret() {
        return values.getProperty(ACK_SECRET);
    }

    Replay replay() {
        String r = values.getProperty(REPLAY, "");
        return r.startsWith(REPLAY_DONE) ? Replay.DONE : r.startsWith(REPLAY_STARTED) ? Replay.INTERRUPTED : Replay.NONE;
    }

    /** When the replay finished, as written by {@link #replayDone()}. */
    Optional<String> replayedAt() {
        String r = values.getProperty(REPLAY, "");
        return r.startsWith(REPLAY_DONE + " ") ? Optional.of(r.substring(REPLAY_DONE.length() + 1)) : Optional.empty();
    }

    void replayStarted() {
        values.setProperty(REPLAY, REPLAY_STARTED + " " + Instant.now());
        save();
    }

    void replayDone() {
        values.setProperty(REPLAY, REPLAY_DONE + " " + Instant.now());
        save();
    }

    private void save() {
        Path file = root.resolve(FILE);
        try {
            Path temp = Files.createTempFile(root, FILE, ".tmp");
            try (OutputStream out = Files.newOutputStream(temp)) {
                values.store(out, "Handoff local mode (./handoff demo --data-dir): secrets of this directory's runs; keep private");
            }
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}

package dev.handoff.launcher.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The generated events, serialised once (Avro, registry wire format) into a temporary file, so producing them measures
 * the broker and the producer rather than the generator, and every consumer of the bench reads the same bytes.
 * Record: topic index (byte), timestamp (long), key (UTF), value length (int), value.
 */
final class EventLog implements AutoCloseable {

    /** The finding-keyed input topics, by the index the log stores. */
    static final List<String> TOPICS = List.of("findings.reported", "findings.commands", "notifications.receipts");

    /** One stored event. */
    record Entry(int topic, long timestamp, String key, byte[] value) {
    }

    private final Path file;
    private final DataOutputStream out;
    private long count;
    private long bytes;

    EventLog(Path file) {
        this.file = file;
        try {
            this.out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the bench's event log " + file, e);
        }
    }

    void append(String topicSuffix, long timestamp, String key, byte[] value) {
        int topic = TOPICS.indexOf(topicSuffix);
        if (topic < 0) {
            throw new IllegalArgumentException("not an input topic: " + topicSuffix);
        }
        try {
            out.writeByte(topic);
            out.writeLong(timestamp);
            out.writeUTF(key);
            out.writeInt(value.length);
            out.write(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        count++;
        bytes += value.length + key.length();
    }

    long count() {
        return count;
    }

    /** Key and value bytes written. */
    long bytes() {
        return bytes;
    }

    Path file() {
        return file;
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the log back in order. */
    static void read(Path file, java.util.function.Consumer<Entry> each) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            while (true) {
                int topic;
                try {
                    topic = in.readByte();
                } catch (EOFException end) {
                    return;
                }
                long ts = in.readLong();
                String key = in.readUTF();
                byte[] value = new byte[in.readInt()];
                in.readFully(value);
                each.accept(new Entry(topic, ts, key, value));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the bench's event log " + file, e);
        }
    }
}

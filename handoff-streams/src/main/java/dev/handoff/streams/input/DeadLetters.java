package dev.handoff.streams.input;

import dev.handoff.avro.DeadLetter;
import dev.handoff.avro.DeadLetterKind;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * The dead letter of an input record: why, and the original key, value and headers, with the topic, partition and
 * offset they came from. It must always fit on the deadletter topic, or the record that could not be processed would
 * stop the app instead: keys over {@value #MAX_KEY_BYTES} bytes are shortened in the dead letter's own key (the whole
 * key stays in {@code original_key}), and when key, value and headers together pass {@value #MAX_ORIGINAL_BYTES} bytes
 * the value is cut, saying so in the reason and in the {@value #VALUE_SIZE_HEADER} header.
 */
public final class DeadLetters {

    /** Longest key a dead letter is keyed by as is. */
    static final int MAX_KEY_BYTES = 1024;
    /** Original bytes one dead letter carries: 48 KB left for its own fields under Kafka's default 1 MiB record limit. */
    static final int MAX_ORIGINAL_BYTES = 1_000_000;
    /** Set when the value was cut: the size of the whole original value. */
    public static final String VALUE_SIZE_HEADER = "handoff.original.value.size";
    /** Set when the key was cut: the size of the whole original key. */
    public static final String KEY_SIZE_HEADER = "handoff.original.key.size";

    private DeadLetters() {
    }

    /** The dead letter of {@code record}, dated with its timestamp, ready to forward to the deadletter sink. */
    public static Record<String, Object> of(Record<String, byte[]> record, Optional<RecordMetadata> meta, DeadLetterKind kind,
                                            String reason, Throwable cause, Instant now, String source) {
        Map<String, String> headers = new HashMap<>();
        int headerBytes = 0;
        for (var h : record.headers()) {
            String value = h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
            headers.put(h.key(), value);
            headerBytes += h.key().length() + (h.value() == null ? 0 : h.value().length);
        }
        byte[] key = record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8);
        byte[] value = record.value();
        String why = reason;
        int keyLength = key == null ? 0 : key.length;
        if (keyLength > MAX_ORIGINAL_BYTES / 2) {
            headers.put(KEY_SIZE_HEADER, Integer.toString(keyLength));
            key = Arrays.copyOf(key, MAX_ORIGINAL_BYTES / 2);
            why += "; the original key of " + keyLength + " bytes is cut to its first " + key.length;
        }
        int room = Math.max(0, MAX_ORIGINAL_BYTES - (key == null ? 0 : key.length) - headerBytes);
        if (value != null && value.length > room) {
            headers.put(VALUE_SIZE_HEADER, Integer.toString(value.length));
            why += "; the original value of " + value.length + " bytes is cut to its first " + room
                    + meta.map(m -> " (the whole record is " + m.topic() + "/" + m.partition() + "@" + m.offset() + " until retention)").orElse("");
            value = Arrays.copyOf(value, room);
        }
        DeadLetter dl = DeadLetter.newBuilder()
                .setEventId(meta.map(m -> m.topic() + "/" + m.partition() + "/" + m.offset()).orElse("unknown/" + record.timestamp()))
                .setEventTime(Instant.ofEpochMilli(record.timestamp()))
                .setRecordedTime(now)
                .setSource(source)
                .setReason(why)
                .setErrorKind(kind)
                .setException(cause == null ? null : cause.getClass().getName())
                .setOriginalTopic(meta.map(RecordMetadata::topic).orElse(null))
                .setOriginalPartition(meta.map(RecordMetadata::partition).orElse(null))
                .setOriginalOffset(meta.map(RecordMetadata::offset).orElse(null))
                .setOriginalKey(key == null ? null : ByteBuffer.wrap(key))
                .setOriginalValue(value == null ? null : ByteBuffer.wrap(value))
                .setHeaders(headers)
                .build();
        return new Record<>(keyOf(record.key()), dl, record.timestamp());
    }

    /** The dead letter's own key: the original key, or for one over {@value #MAX_KEY_BYTES} bytes its start and digest. */
    static String keyOf(String key) {
        if (key == null || key.getBytes(StandardCharsets.UTF_8).length <= MAX_KEY_BYTES) {
            return key;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return key.substring(0, 64) + "…sha256:" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }
}

package dev.handoff.streams.input;

import dev.handoff.avro.DeadLetter;
import dev.handoff.avro.DeadLetterKind;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeadLettersTest {

    private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");

    @Test
    void aDeadLetterCarriesTheOriginalKeyValueAndHeadersWithWhereTheyCameFrom() {
        Record<String, byte[]> r = new Record<>("f1-1", new byte[] {1, 2, 3}, 42L, new RecordHeaders().add("trace", "t-1".getBytes(StandardCharsets.UTF_8)));
        Record<String, Object> out = DeadLetters.of(r, Optional.of(meta()), DeadLetterKind.DESERIALIZATION, "not Avro", null, NOW, "test");
        DeadLetter dl = (DeadLetter) out.value();
        assertEquals("f1-1", out.key());
        assertEquals(42L, out.timestamp());
        assertEquals("handoff.findings.reported/2/17", dl.getEventId());
        assertEquals("not Avro", dl.getReason());
        assertArrayEquals(new byte[] {1, 2, 3}, bytes(dl.getOriginalValue()));
        assertArrayEquals("f1-1".getBytes(StandardCharsets.UTF_8), bytes(dl.getOriginalKey()));
        assertEquals("t-1", dl.getHeaders().get("trace"));
        assertEquals(17L, dl.getOriginalOffset());
    }

    /** The dead letter must fit on the log whatever the record was, or the record would stop the app instead. */
    @Test
    void aRecordTooLargeToCopyWholeIsCutSayingSoAndAHugeKeyKeysItsDeadLetterByADigest() {
        String key = "k".repeat(300_000);
        byte[] value = new byte[1_000_000];
        Arrays.fill(value, (byte) 7);
        Record<String, Object> out = DeadLetters.of(new Record<>(key, value, 42L), Optional.of(meta()), DeadLetterKind.VALIDATION,
                "too big", null, NOW, "test");
        DeadLetter dl = (DeadLetter) out.value();
        assertTrue(out.key().length() < 200 && out.key().startsWith("kkkk") && out.key().contains("sha256:"), out.key());
        assertEquals(300_000, dl.getOriginalKey().remaining(), "the whole key is still carried");
        assertEquals(DeadLetters.MAX_ORIGINAL_BYTES - 300_000, dl.getOriginalValue().remaining());
        assertEquals("1000000", dl.getHeaders().get(DeadLetters.VALUE_SIZE_HEADER));
        assertTrue(dl.getReason().contains("cut to its first") && dl.getReason().contains("handoff.findings.reported/2@17"), dl.getReason());
    }

    @Test
    void longIdsAreQuotedShortInReasons() {
        assertEquals("'f1-1'", InputRules.quote("f1-1"));
        String quoted = InputRules.quote("x".repeat(10_000));
        assertTrue(quoted.length() < 200 && quoted.endsWith("(10000 characters)"), quoted);
        assertTrue(InputRules.idProblem("finding_id", "f".repeat(InputRules.MAX_ID_LENGTH + 1)).isPresent());
        assertTrue(InputRules.idProblem("finding_id", "f1-1").isEmpty());
    }

    private static RecordMetadata meta() {
        return new RecordMetadata() {
            public String topic() {
                return "handoff.findings.reported";
            }

            public int partition() {
                return 2;
            }

            public long offset() {
                return 17;
            }
        };
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}

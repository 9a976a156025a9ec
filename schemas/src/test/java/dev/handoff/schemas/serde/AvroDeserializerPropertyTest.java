package dev.handoff.schemas.serde;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.handoff.avro.Owner;
import dev.handoff.avro.OwnerKind;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Whatever bytes follow a known schema id, the deserializer answers with a record or a
 * {@link SerializationException}: never an {@link OutOfMemoryError} from a length or count the bytes merely
 * claim (a consumer that gets an Error instead of an exception dies on the record, again and again).
 */
class AvroDeserializerPropertyTest {

    private static final String TOPIC = "handoff.owners";
    private static final EmbeddedSchemaRegistry REGISTRY = new EmbeddedSchemaRegistry();
    private static final AvroDeserializer<Owner> DESERIALIZER = new AvroDeserializer<>(Owner.class, REGISTRY);

    /** An owner whose last two fields, channels and time_zone, are encoded as one zero byte each (empty, null). */
    private static byte[] owner() {
        Owner o = Owner.newBuilder().setEventId("e").setEventTime(Instant.EPOCH).setRecordedTime(Instant.EPOCH).setSource("s")
                .setOwnerId("u-1").setDisplayName("U").setActive(true).setKind(OwnerKind.PERSON).setChannels(List.of()).setTimeZone(null)
                .build();
        return new AvroSerializer<Owner>(REGISTRY, false).serialize(TOPIC, o);
    }

    @Property(tries = 300)
    void anyBodyIsARecordOrASerializationException(@ForAll @Size(max = 200) byte[] body) {
        byte[] data = Arrays.copyOf(owner(), WireFormat.HEADER_SIZE + body.length);
        System.arraycopy(body, 0, data, WireFormat.HEADER_SIZE, body.length);
        try {
            DESERIALIZER.deserialize(TOPIC, data);
        } catch (SerializationException refused) {
            // the only other answer allowed
        }
    }

    @Property(tries = 200)
    void aClaimedCollectionCountIsNeverAllocatedAhead(@ForAll @LongRange(min = 1_000, max = Integer.MAX_VALUE) long count,
                                                      @ForAll @Size(max = 40) byte[] rest) {
        byte[] whole = owner();
        byte[] data = concat(Arrays.copyOf(whole, whole.length - 2), zigzag(count), rest);
        SerializationException e = assertThrows(SerializationException.class, () -> DESERIALIZER.deserialize(TOPIC, data));
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Property(tries = 200)
    void aClaimedStringLengthIsNeverAllocatedAhead(@ForAll @LongRange(min = 1_000, max = Integer.MAX_VALUE) long length,
                                                   @ForAll @Size(max = 40) byte[] rest) {
        byte[] data = concat(Arrays.copyOf(owner(), WireFormat.HEADER_SIZE), zigzag(length), rest);
        assertThrows(SerializationException.class, () -> DESERIALIZER.deserialize(TOPIC, data));
    }

    private static byte[] zigzag(long n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long z = (n << 1) ^ (n >> 63);
        while ((z & ~0x7FL) != 0) {
            out.write((int) ((z & 0x7F) | 0x80));
            z >>>= 7;
        }
        out.write((int) z);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}

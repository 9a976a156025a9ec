package dev.handoff.schemas.serde;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.apache.kafka.common.errors.SerializationException;

class WireFormatPropertyTest {

    @Property
    void anyIdAndBodySurviveEncoding(@ForAll int schemaId, @ForAll @Size(max = 64) byte[] body) {
        byte[] data = WireFormat.encode(schemaId, body);

        assertEquals(WireFormat.HEADER_SIZE + body.length, data.length);
        assertEquals(WireFormat.MAGIC_BYTE, data[0]);
        assertEquals(schemaId, WireFormat.schemaId(data));
        assertArrayEquals(body, WireFormat.body(data));
    }

    @Property
    void anyOtherFirstByteIsRejected(@ForAll @IntRange(min = 1, max = 255) int first, @ForAll @Size(min = 4, max = 16) byte[] rest) {
        byte[] data = new byte[rest.length + 1];
        data[0] = (byte) first;
        System.arraycopy(rest, 0, data, 1, rest.length);

        assertThrows(SerializationException.class, () -> WireFormat.schemaId(data));
    }
}

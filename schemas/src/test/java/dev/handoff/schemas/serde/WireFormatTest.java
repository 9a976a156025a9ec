package dev.handoff.schemas.serde;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class WireFormatTest {

    @Test
    void headerIsMagicByteThenBigEndianIdThenBody() {
        byte[] data = WireFormat.encode(0x01020304, new byte[] {9, 8});

        assertArrayEquals(new byte[] {0x00, 0x01, 0x02, 0x03, 0x04, 9, 8}, data);
        assertEquals(0x01020304, WireFormat.schemaId(data));
        assertArrayEquals(new byte[] {9, 8}, WireFormat.body(data));
    }

    @Test
    void largeIdsUseAllFourBytesUnsignedOnTheWire() {
        byte[] data = WireFormat.encode(0x7fffff80, new byte[0]);

        assertArrayEquals(new byte[] {0x00, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0x80}, data);
        assertEquals(0x7fffff80, WireFormat.schemaId(data));
    }

    @Test
    void streamingHeaderEqualsTheEncodedOne() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WireFormat.writeHeader(out, 258);

        assertArrayEquals(WireFormat.encode(258, new byte[0]), out.toByteArray());
    }

    @Test
    void shortInputIsRejected() {
        SerializationException e = assertThrows(SerializationException.class, () -> WireFormat.schemaId(new byte[] {0, 0, 1}));

        assertTrue(e.getMessage().startsWith("not Schema Registry wire format: 3 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("5 bytes"), e.getMessage());
    }

    @Test
    void emptyInputIsRejected() {
        assertThrows(SerializationException.class, () -> WireFormat.schemaId(new byte[0]));
    }

    @Test
    void wrongMagicByteIsRejectedShowingTheByte() {
        byte[] json = "{\"owner_id\":\"u1\"}".getBytes(StandardCharsets.UTF_8);

        SerializationException e = assertThrows(SerializationException.class, () -> WireFormat.schemaId(json));

        assertEquals("not Schema Registry wire format: first byte is 0x7b, expected 0x00 (was this written by a"
                + " non-Avro producer?)", e.getMessage());
    }

    @Test
    void nullIsRejectedAsATombstone() {
        SerializationException e = assertThrows(SerializationException.class, () -> WireFormat.schemaId(null));

        assertTrue(e.getMessage().contains("tombstone"), e.getMessage());
        assertThrows(SerializationException.class, () -> WireFormat.body(null));
        assertThrows(SerializationException.class, () -> WireFormat.encode(1, null));
    }
}

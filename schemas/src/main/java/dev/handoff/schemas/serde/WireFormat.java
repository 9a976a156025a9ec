package dev.handoff.schemas.serde;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The Confluent Schema Registry wire format: magic byte 0, the schema id as 4 big-endian bytes, then
 * the Avro binary body.
 */
public final class WireFormat {

    public static final byte MAGIC_BYTE = 0x00;
    /** Length of magic byte plus schema id; the Avro body starts at this offset. */
    public static final int HEADER_SIZE = 5;

    private WireFormat() {}

    /** Header followed by {@code avroBody}. */
    public static byte[] encode(int schemaId, byte[] avroBody) {
        if (avroBody == null) {
            throw new SerializationException("cannot encode a null Avro body for schema id " + schemaId
                    + "; serialize a record (or send a null value for a tombstone)");
        }
        byte[] data = new byte[HEADER_SIZE + avroBody.length];
        ByteBuffer.wrap(data).put(MAGIC_BYTE).putInt(schemaId).put(avroBody);
        return data;
    }

    /** Writes the header to {@code out}, for callers that then stream the Avro body into it. */
    public static void writeHeader(ByteArrayOutputStream out, int schemaId) {
        out.write(MAGIC_BYTE);
        out.write(schemaId >>> 24);
        out.write(schemaId >>> 16);
        out.write(schemaId >>> 8);
        out.write(schemaId);
    }

    /**
     * The schema id of wire-format {@code data}.
     *
     * @throws SerializationException if {@code data} is null, too short or does not start with the magic byte
     */
    public static int schemaId(byte[] data) {
        if (data == null) {
            throw new SerializationException("not Schema Registry wire format: the data is null; a null value is a"
                    + " tombstone and has no schema id, so handle it before decoding");
        }
        if (data.length < HEADER_SIZE) {
            throw new SerializationException("not Schema Registry wire format: " + data.length + " byte"
                    + (data.length == 1 ? "" : "s") + ", but the header alone (magic byte 0x00 and a 4-byte schema id) is "
                    + HEADER_SIZE + " bytes (was this written by a non-Avro producer?)");
        }
        if (data[0] != MAGIC_BYTE) {
            throw new SerializationException(String.format("not Schema Registry wire format: first byte is 0x%02x,"
                    + " expected 0x00 (was this written by a non-Avro producer?)", data[0] & 0xff));
        }
        return ByteBuffer.wrap(data, 1, 4).getInt();
    }

    /** A copy of the Avro body of wire-format {@code data}, after checking the header like {@link #schemaId}. */
    public static byte[] body(byte[] data) {
        schemaId(data);
        return Arrays.copyOfRange(data, HEADER_SIZE, data.length);
    }
}

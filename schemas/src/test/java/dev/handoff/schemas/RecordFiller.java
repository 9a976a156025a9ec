package dev.handoff.schemas;

import org.apache.avro.LogicalType;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Builds records of any Handoff schema with every field set to a non-default value (the non-null branch
 * of every union, non-empty arrays and maps), so a round trip that drops or mangles a field fails.
 * {@code variant} picks a different branch of multi-record unions.
 */
final class RecordFiller {

    private final Random random;
    private final int variant;

    RecordFiller(long seed, int variant) {
        this.random = new Random(seed);
        this.variant = variant;
    }

    <T extends SpecificRecord> T fill(Class<T> type) {
        Schema schema = HandoffSchemas.schemaOf(type);
        GenericRecord generic = (GenericRecord) value(schema);
        return toSpecific(generic, schema);
    }

    private Object value(Schema s) {
        LogicalType logical = s.getLogicalType();
        if (logical != null) {
            return switch (logical.getName()) {
                // Whole milliseconds within a sane range, as Instant and LocalDate round-trip them.
                case "timestamp-millis" -> 1_700_000_000_000L + random.nextInt(1_000_000_000);
                case "date" -> 19_000 + random.nextInt(2_000);
                case "time-millis" -> random.nextInt(86_400_000);
                default -> throw new IllegalArgumentException("unhandled logical type " + logical.getName());
            };
        }
        return switch (s.getType()) {
            case RECORD -> {
                GenericData.Record r = new GenericData.Record(s);
                for (Schema.Field f : s.getFields()) {
                    r.put(f.pos(), value(f.schema()));
                }
                yield r;
            }
            case UNION -> {
                List<Schema> branches = s.getTypes().stream().filter(t -> t.getType() != Schema.Type.NULL).toList();
                yield value(branches.get(variant % branches.size()));
            }
            case ENUM -> new GenericData.EnumSymbol(s, s.getEnumSymbols().get(random.nextInt(s.getEnumSymbols().size())));
            case ARRAY -> {
                List<Object> items = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    items.add(value(s.getElementType()));
                }
                yield new GenericData.Array<>(s, items);
            }
            case MAP -> {
                Map<String, Object> m = new HashMap<>();
                m.put("k" + random.nextInt(1000), value(s.getValueType()));
                m.put("z" + random.nextInt(1000), value(s.getValueType()));
                yield m;
            }
            case STRING -> "s-" + Long.toHexString(random.nextLong()) + "-é✓";
            case BYTES -> {
                byte[] b = new byte[8];
                random.nextBytes(b);
                yield ByteBuffer.wrap(b);
            }
            case INT -> random.nextInt(10_000) + 1;
            case LONG -> random.nextLong();
            case DOUBLE -> random.nextDouble() * 10;
            case FLOAT -> random.nextFloat();
            case BOOLEAN -> true;
            default -> throw new IllegalArgumentException("unhandled type " + s.getType());
        };
    }

    @SuppressWarnings("unchecked")
    private static <T> T toSpecific(GenericRecord generic, Schema schema) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<GenericRecord>(schema).write(generic, enc);
            enc.flush();
            return (T) new SpecificDatumReader<>(schema).read(null,
                    DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package dev.handoff.schemas.serde;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.handoff.avro.Actor;
import dev.handoff.avro.ActorKind;
import dev.handoff.avro.ChannelAddress;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.Owner;
import dev.handoff.avro.OwnerKind;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import dev.handoff.schemas.registry.SchemaRegistries;
import dev.handoff.schemas.registry.SchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

    private static final String TOPIC = "handoff.owners";
    private static final Instant EVENT_TIME = Instant.parse("2025-03-01T09:30:00.123Z");
    private static final Instant RECORDED_TIME = Instant.parse("2025-03-01T09:30:01.456Z");

    /** Owner as released before actor, email, kind, team, channels and time zone were added. */
    private static final Schema OWNER_V1 = new Schema.Parser().parse("""
      {"type": "record", "name": "Owner", "namespace": "dev.handoff.avro", "fields": [
        {"name": "event_id", "type": "string"},
        {"name": "event_time", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "recorded_time", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "source", "type": "string"},
        {"name": "owner_id", "type": "string"},
        {"name": "display_name", "type": "string"},
        {"name": "active", "type": "boolean"}
      ]}""");

    private final EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();

    private static Owner owner() {
        return Owner.newBuilder()
                .setEventId("3f1c2a7e-0000-4000-8000-000000000001")
                .setEventTime(EVENT_TIME)
                .setRecordedTime(RECORDED_TIME)
                .setSource("scim-sync")
                .setActor(Actor.newBuilder().setId("svc-scim").setKind(ActorKind.SERVICE).setDisplayName("SCIM sync").build())
                .setOwnerId("u-1001")
                .setDisplayName("Ada Lovelace")
                .setEmail("ada@example.com")
                .setActive(true)
                .setKind(OwnerKind.PERSON)
                .setTeamId("t-platform")
                .setChannels(List.of(
                        ChannelAddress.newBuilder().setChannel(ChannelType.EMAIL).setAddress("ada@example.com").build(),
                        ChannelAddress.newBuilder().setChannel(ChannelType.SLACK).setAddress("U024BE7LH").build()))
                .setTimeZone("Europe/London")
                .build();
    }

    @Test
    void aRecordSurvivesTheRoundTrip() {
        Owner owner = owner();

        byte[] data = new AvroSerializer<Owner>(registry, false).serialize(TOPIC, owner);
        Owner back = new AvroDeserializer<>(Owner.class, registry).deserialize(TOPIC, data);

        assertEquals(owner, back);
        assertEquals(EVENT_TIME, back.getEventTime());
        assertEquals(WireFormat.MAGIC_BYTE, data[0]);
        assertEquals(EmbeddedSchemaRegistry.idOf(Owner.getClassSchema()), WireFormat.schemaId(data));
    }

    @Test
    void theBodyIsPlainAvroBinary() throws IOException {
        Owner owner = owner();

        byte[] data = new AvroSerializer<Owner>(registry, false).serialize(TOPIC, owner);

        assertArrayEquals(avroBinary(owner), WireFormat.body(data));
    }

    @Test
    void nullIsATombstoneBothWays() {
        assertNull(new AvroSerializer<Owner>(registry, false).serialize(TOPIC, null));
        assertNull(new AvroDeserializer<>(Owner.class, registry).deserialize(TOPIC, null));
    }

    @Test
    void valuesAndKeysAreRegisteredUnderTheirTopicSubjectOncePerTopic() {
        RecordingRegistry recording = new RecordingRegistry(registry);
        AvroSerializer<Owner> values = new AvroSerializer<>(recording, false);
        AvroSerializer<Owner> keys = new AvroSerializer<>(recording, true);

        values.serialize(TOPIC, owner());
        values.serialize(TOPIC, owner());
        keys.serialize(TOPIC, owner());
        values.serialize("handoff.owners.copy", owner());

        assertEquals(List.of("handoff.owners-value", "handoff.owners-key", "handoff.owners.copy-value"), recording.subjects);
    }

    @Test
    void configureAsKeyMakesItAKeySerializer() {
        RecordingRegistry recording = new RecordingRegistry(registry);
        AvroSerializer<Owner> serializer = new AvroSerializer<>(recording, false);
        serializer.configure(Map.of(), true);

        serializer.serialize(TOPIC, owner());

        assertEquals(List.of("handoff.owners-key"), recording.subjects);
    }

    @Test
    void serdesConfiguredFromAMapUseTheNamedRegistry() {
        Map<String, Object> config = Map.of(SchemaRegistries.URL_CONFIG, "embedded");
        AvroSerializer<Owner> serializer = new AvroSerializer<>();
        serializer.configure(config, false);
        AvroDeserializer<Owner> deserializer = new AvroDeserializer<>(Owner.class);
        deserializer.configure(config, false);

        assertEquals(owner(), deserializer.deserialize(TOPIC, serializer.serialize(TOPIC, owner())));

        try (Serde<Owner> serde = AvroSerdes.value(Owner.class, config)) {
            assertEquals(owner(), serde.deserializer().deserialize(TOPIC, serde.serializer().serialize(TOPIC, owner())));
        }
    }

    @Test
    void anUnconfiguredSerializerSaysHowToConfigureIt() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new AvroSerializer<Owner>().serialize(TOPIC, owner()));

        assertTrue(e.getMessage().contains(SchemaRegistries.URL_CONFIG), e.getMessage());
    }

    @Test
    void keyAndValueSerdesRoundTrip() {
        RecordingRegistry recording = new RecordingRegistry(registry);
        try (Serde<Owner> key = AvroSerdes.key(Owner.class, recording);
                Serde<Owner> value = AvroSerdes.value(Owner.class, recording)) {
            assertEquals(owner(), key.deserializer().deserialize(TOPIC, key.serializer().serialize(TOPIC, owner())));
            assertEquals(owner(), value.deserializer().deserialize(TOPIC, value.serializer().serialize(TOPIC, owner())));
        }
        assertEquals(List.of("handoff.owners-key", "handoff.owners-value"), recording.subjects);
    }

    @Test
    void dataOfAnOlderWriterSchemaIsReadWithTheNewFieldsDefaults() throws IOException {
        int id = registry.register(TOPIC + "-value", OWNER_V1);
        GenericRecord old = new GenericRecordBuilder(OWNER_V1)
                .set("event_id", "e-1")
                .set("event_time", EVENT_TIME.toEpochMilli())
                .set("recorded_time", RECORDED_TIME.toEpochMilli())
                .set("source", "scim-sync")
                .set("owner_id", "u-7")
                .set("display_name", "Grace Hopper")
                .set("active", false)
                .build();

        Owner owner = new AvroDeserializer<>(Owner.class, registry).deserialize(TOPIC, wire(id, old));

        assertEquals("u-7", owner.getOwnerId());
        assertEquals("Grace Hopper", owner.getDisplayName());
        assertEquals(EVENT_TIME, owner.getEventTime());
        assertEquals(false, owner.getActive());
        assertNull(owner.getActor());
        assertNull(owner.getEmail());
        assertEquals(OwnerKind.PERSON, owner.getKind());
        assertNull(owner.getTeamId());
        assertEquals(List.of(), owner.getChannels());
        assertNull(owner.getTimeZone());
    }

    @Test
    void aFieldOfANewerWriterSchemaIsDropped() throws IOException {
        Schema newer = withExtraField(Owner.getClassSchema(), "nickname");
        int id = registry.register(TOPIC + "-value", newer);
        Schema kind = newer.getField("kind").schema();
        GenericRecord record = new GenericRecordBuilder(newer)
                .set("event_id", "e-2")
                .set("event_time", EVENT_TIME.toEpochMilli())
                .set("recorded_time", RECORDED_TIME.toEpochMilli())
                .set("source", "scim-sync")
                .set("owner_id", "u-8")
                .set("display_name", "Team inbox")
                .set("active", true)
                .set("kind", new GenericData.EnumSymbol(kind, "GROUP"))
                .set("nickname", "inbox")
                .build();

        Owner owner = new AvroDeserializer<>(Owner.class, registry).deserialize(TOPIC, wire(id, record));

        assertEquals("u-8", owner.getOwnerId());
        assertEquals(OwnerKind.GROUP, owner.getKind());
        assertEquals(Owner.getClassSchema(), owner.getSchema());
    }

    @Test
    void anIncompatibleWriterSchemaFailsSayingWhichFieldIsMissing() throws IOException {
        Schema withoutName = new Schema.Parser().parse(OWNER_V1.toString().replace(
                ",{\"name\":\"display_name\",\"type\":\"string\"}", ""));
        int id = registry.register(TOPIC + "-value", withoutName);
        GenericRecord record = new GenericRecordBuilder(withoutName)
                .set("event_id", "e-3").set("event_time", 1L).set("recorded_time", 2L).set("source", "s")
                .set("owner_id", "u-9").set("active", true).build();
        byte[] data = wire(id, record);
        AvroDeserializer<Owner> deserializer = new AvroDeserializer<>(Owner.class, registry);

        SerializationException e = assertThrows(SerializationException.class, () -> deserializer.deserialize(TOPIC, data));

        assertTrue(e.getMessage().contains("topic '" + TOPIC + "' with schema id " + id), e.getMessage());
        assertTrue(e.getMessage().contains("display_name"), e.getMessage());
    }

    @Test
    void bytesThatAreNotWireFormatFailNamingTopicAndFirstByte() {
        AvroDeserializer<Owner> deserializer = new AvroDeserializer<>(Owner.class, registry);

        SerializationException e = assertThrows(SerializationException.class,
                () -> deserializer.deserialize(TOPIC, "{\"owner_id\":\"u1\"}".getBytes(StandardCharsets.UTF_8)));

        assertTrue(e.getMessage().contains("topic '" + TOPIC + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("first byte is 0x7b"), e.getMessage());
    }

    @Test
    void anUnknownSchemaIdFailsNamingTopicAndId() {
        AvroDeserializer<Owner> deserializer = new AvroDeserializer<>(Owner.class, registry);

        SerializationException e = assertThrows(SerializationException.class,
                () -> deserializer.deserialize(TOPIC, WireFormat.encode(12345, new byte[] {2, 65})));

        assertTrue(e.getMessage().contains("topic '" + TOPIC + "' with schema id 12345"), e.getMessage());
        assertTrue(e.getMessage().contains("no schema with id 12345"), e.getMessage());
    }

    @Test
    void aTruncatedBodyFails() {
        byte[] data = new AvroSerializer<Owner>(registry, false).serialize(TOPIC, owner());
        byte[] truncated = Arrays.copyOf(data, data.length - 10);

        SerializationException e = assertThrows(SerializationException.class,
                () -> new AvroDeserializer<>(Owner.class, registry).deserialize(TOPIC, truncated));

        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void bytesLeftOverAfterTheRecordFail() {
        byte[] data = new AvroSerializer<Owner>(registry, false).serialize(TOPIC, owner());
        byte[] longer = Arrays.copyOf(data, data.length + 3);

        SerializationException e = assertThrows(SerializationException.class,
                () -> new AvroDeserializer<>(Owner.class, registry).deserialize(TOPIC, longer));

        assertTrue(e.getMessage().contains("left over"), e.getMessage());
    }

    @Test
    void aRecordMissingARequiredFieldFailsToSerializeNamingTheTopic() {
        Owner invalid = owner();
        invalid.put("display_name", null);

        SerializationException e = assertThrows(SerializationException.class,
                () -> new AvroSerializer<Owner>(registry, false).serialize(TOPIC, invalid));

        assertTrue(e.getMessage().contains("dev.handoff.avro.Owner for topic '" + TOPIC + "'"), e.getMessage());
    }

    @Test
    void serializerAndDeserializerCanBeSharedByThreads() throws Exception {
        AvroSerializer<Owner> serializer = new AvroSerializer<>(registry, false);
        AvroDeserializer<Owner> deserializer = new AvroDeserializer<>(Owner.class, registry);
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                String topic = "topic-" + t;
                results.add(threads.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        Owner owner = Owner.newBuilder(owner()).setOwnerId("u-" + i).build();
                        if (!owner.equals(deserializer.deserialize(topic, serializer.serialize(topic, owner)))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> result : results) {
                assertTrue(result.get());
            }
        } finally {
            threads.shutdownNow();
        }
    }

    private static byte[] wire(int id, GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
        encoder.flush();
        return WireFormat.encode(id, out.toByteArray());
    }

    private static byte[] avroBinary(Owner owner) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<Owner>(Owner.getClassSchema()).write(owner, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    /** The schema with one more optional string field, as a later release might add. */
    private static Schema withExtraField(Schema schema, String name) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = (ObjectNode) json.readTree(schema.toString());
        ObjectNode field = root.withArray("fields").addObject();
        field.put("name", name);
        field.put("type", "string");
        field.put("default", "");
        return new Schema.Parser().parse(json.writeValueAsString(root));
    }

    /** Remembers the subjects registered through it. */
    private static final class RecordingRegistry implements SchemaRegistry {
        final List<String> subjects = new CopyOnWriteArrayList<>();
        private final SchemaRegistry delegate;

        RecordingRegistry(SchemaRegistry delegate) {
            this.delegate = delegate;
        }

        @Override
        public int register(String subject, Schema schema) {
            subjects.add(subject);
            return delegate.register(subject, schema);
        }

        @Override
        public Schema schemaById(int id) {
            return delegate.schemaById(id);
        }
    }
}

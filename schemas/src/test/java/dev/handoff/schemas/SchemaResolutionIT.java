package dev.handoff.schemas;

import dev.handoff.avro.Owner;
import dev.handoff.avro.OwnerKind;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import dev.handoff.schemas.serde.AvroDeserializer;
import dev.handoff.schemas.serde.WireFormat;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two processes on two schema versions: a writer with an older and one with a newer {@code Owner}
 * schema, each with its own registry instance sharing only a directory (as the local mode's processes
 * do), and today's reader decoding both from a real topic.
 */
@Tag("integration")
class SchemaResolutionIT {

    /** Owner as an early build wrote it: no e-mail, kind, team, channels or time zone. */
    private static final Schema OWNER_V0 = new Schema.Parser().parse("""
            {"type":"record","name":"Owner","namespace":"dev.handoff.avro","fields":[
              {"name":"event_id","type":"string"},
              {"name":"event_time","type":{"type":"long","logicalType":"timestamp-millis"}},
              {"name":"recorded_time","type":{"type":"long","logicalType":"timestamp-millis"}},
              {"name":"source","type":"string"},
              {"name":"owner_id","type":"string"},
              {"name":"display_name","type":"string"},
              {"name":"active","type":"boolean"}]}""");

    private static LocalKafka kafka;

    @TempDir
    Path sharedDir;

    @BeforeAll
    static void startBroker() {
        kafka = LocalKafka.start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void todaysReaderDecodesOwnersWrittenWithAnOlderAndANewerSchema() throws IOException {
        String topic = "resolution-" + UUID.randomUUID();
        kafka.createTopics(List.of(new NewTopic(topic, 1, (short) 1)));

        // A newer build added a required-with-default field the current reader does not know.
        Schema ownerV2 = new Schema.Parser().parse(Owner.getClassSchema().toString().replaceFirst("\"fields\":\\[",
                "\"fields\":[{\"name\":\"cost_centre\",\"type\":\"string\",\"default\":\"\"},"));

        EmbeddedSchemaRegistry olderWriter = new EmbeddedSchemaRegistry(sharedDir);
        EmbeddedSchemaRegistry newerWriter = new EmbeddedSchemaRegistry(sharedDir);
        byte[] old = encode(olderWriter, topic, OWNER_V0, r -> {
            r.put("owner_id", "u-old");
            r.put("display_name", "Old Writer");
            r.put("active", false);
        });
        byte[] newer = encode(newerWriter, topic, ownerV2, r -> {
            r.put("owner_id", "u-new");
            r.put("display_name", "New Writer");
            r.put("active", true);
            r.put("kind", new GenericData.EnumSymbol(ownerV2.getField("kind").schema(), "GROUP"));
            r.put("channels", new GenericData.Array<>(ownerV2.getField("channels").schema(), List.of()));
            r.put("cost_centre", "CC-17");
        });
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.clientProperties(),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "u-old", old));
            producer.send(new ProducerRecord<>(topic, "u-new", newer));
            producer.flush();
        }

        // The reader's registry never saw either writer schema: it finds them through the shared directory.
        EmbeddedSchemaRegistry readerRegistry = new EmbeddedSchemaRegistry(sharedDir);
        List<Owner> owners = read(topic, new AvroDeserializer<>(Owner.class, readerRegistry), 2);

        Owner fromOld = owners.get(0);
        assertEquals("u-old", fromOld.getOwnerId());
        assertEquals(false, fromOld.getActive());
        assertEquals(OwnerKind.PERSON, fromOld.getKind(), "missing field takes its default");
        assertTrue(fromOld.getChannels().isEmpty());
        assertNull(fromOld.getEmail());
        assertNull(fromOld.getActor());

        Owner fromNew = owners.get(1);
        assertEquals("u-new", fromNew.getOwnerId());
        assertEquals(OwnerKind.GROUP, fromNew.getKind());
        assertEquals(Instant.ofEpochMilli(1_764_000_000_000L), fromNew.getEventTime());
    }

    private interface Filler {
        void fill(GenericRecord r);
    }

    private static byte[] encode(EmbeddedSchemaRegistry registry, String topic, Schema schema, Filler filler)
            throws IOException {
        GenericRecord r = new GenericData.Record(schema);
        r.put("event_id", UUID.randomUUID().toString());
        r.put("event_time", 1_764_000_000_000L);
        r.put("recorded_time", 1_764_000_000_500L);
        r.put("source", "scim-sync");
        filler.fill(r);
        int id = registry.register(topic + "-value", schema);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(body, null);
        new GenericDatumWriter<GenericRecord>(schema).write(r, enc);
        enc.flush();
        return WireFormat.encode(id, body.toByteArray());
    }

    private static List<Owner> read(String topic, AvroDeserializer<Owner> deserializer, int expected) {
        Properties c = kafka.clientProperties();
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "resolution-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<Owner> out = new ArrayList<>();
        try (KafkaConsumer<String, Owner> consumer = new KafkaConsumer<>(c, new StringDeserializer(), deserializer)) {
            consumer.subscribe(List.of(topic));
            Instant deadline = Instant.now().plusSeconds(30);
            while (out.size() < expected && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, Owner> r : consumer.poll(Duration.ofMillis(100))) {
                    out.add(r.value());
                }
            }
        }
        assertEquals(expected, out.size());
        return out;
    }
}

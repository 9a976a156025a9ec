package dev.handoff.schemas;

import dev.handoff.avro.Actor;
import dev.handoff.avro.ActorKind;
import dev.handoff.avro.FindingReported;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import dev.handoff.schemas.serde.WireFormat;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Records written through the serde to a real broker come back identical, in the Schema Registry wire format. */
@Tag("integration")
class KafkaRoundTripIT {

    private static LocalKafka kafka;
    private Topics topics;

    @BeforeAll
    static void startBroker() {
        kafka = LocalKafka.start();
    }

    /** Each test gets its own topics, so what one test wrote is never read by another. */
    @BeforeEach
    void declareTopics() {
        topics = new Topics("it-" + UUID.randomUUID().toString().substring(0, 8) + ".", 3, new EmbeddedSchemaRegistry());
        kafka.createTopics(topics.newTopics((short) 1));
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void findingReportedComesBackWithEveryFieldInTheWireFormat() {
        FindingReported sent = FindingIds.withId(SampleFindings.log4j()
                .setActor(Actor.newBuilder().setId("u-alice").setKind(ActorKind.PERSON).setDisplayName("Alice Ng").build())
                .build());
        String topic = topics.name(Topics.FINDINGS_REPORTED);

        produce(Topics.FINDINGS_REPORTED, List.of(sent));
        FindingReported received = consume(topic, topics.valueSerde(Topics.FINDINGS_REPORTED).deserializer(), 1).get(0);

        for (Schema.Field field : FindingReported.getClassSchema().getFields()) {
            assertEquals(sent.get(field.pos()), received.get(field.pos()), "field " + field.name());
        }
        assertEquals(sent, received);
        assertEquals(Instant.parse("2026-11-02T09:15:00Z"), received.getEventTime());
        assertEquals("CVE-2021-44228", received.getVulnerabilityIds().get(1).getId());
        assertEquals("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", received.getTarget().getPackagePurl());

        byte[] raw = consume(topic, new ByteArrayDeserializer(), 1).get(0);
        assertEquals(0, raw[0], "magic byte");
        assertEquals(EmbeddedSchemaRegistry.idOf(FindingReported.getClassSchema()), WireFormat.schemaId(raw));
    }

    @Test
    void everyRecordTypeRoundTripsThroughItsTopic() {
        for (TopicDef<?> topic : Topics.ALL) {
            roundTrip(topic);
        }
    }

    private <V extends SpecificRecord> void roundTrip(TopicDef<V> topic) {
        List<V> sent = new ArrayList<>();
        for (int variant = 0; variant < 3; variant++) {
            sent.add(new RecordFiller(topic.suffix().hashCode() + variant, variant).fill(topic.valueType()));
        }
        produce(topic, sent);
        List<V> received = consume(topics.name(topic), topics.valueSerde(topic).deserializer(), sent.size());
        // One key per topic in this test, so the order within its partition is the order sent.
        assertEquals(sent, received, "round trip through " + topics.name(topic));
    }

    private <V extends SpecificRecord> void produce(TopicDef<V> topic, List<V> values) {
        Properties p = kafka.clientProperties();
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "round-trip-" + UUID.randomUUID());
        try (KafkaProducer<String, V> producer = new KafkaProducer<>(p,
                topics.keySerde().serializer(), topics.valueSerde(topic).serializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (V v : values) {
                producer.send(new ProducerRecord<>(topics.name(topic), "key-1", v));
            }
            producer.commitTransaction();
        }
    }

    private static <V> List<V> consume(String topic, Deserializer<V> valueDeserializer, int expected) {
        Properties c = kafka.clientProperties();
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "round-trip-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<V> out = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(c, new StringDeserializer(), valueDeserializer)) {
            consumer.subscribe(List.of(topic));
            Instant deadline = Instant.now().plusSeconds(30);
            while (out.size() < expected && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, V> r : consumer.poll(Duration.ofMillis(100))) {
                    assertNotNull(r.value(), "value on " + topic);
                    out.add(r.value());
                }
            }
        }
        assertEquals(expected, out.size(), "records read back from " + topic);
        return out;
    }
}

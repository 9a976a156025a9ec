package dev.handoff.local;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Tag("integration")
class LocalKafkaIT {

    @Test
    void startsARealBrokerThatKeepsTransactionalWritesAndRemovesItsDataOnClose() throws Exception {
        Path dataDir;
        try (LocalKafka kafka = LocalKafka.start()) {
            dataDir = kafka.dataDirectory();
            assertTrue(Files.isDirectory(dataDir), "data directory exists while running");
            assertTrue(kafka.bootstrapServers().matches("localhost:\\d+"), kafka.bootstrapServers());

            kafka.createTopics(List.of(new NewTopic("it.topic", 3, (short) 1)));
            // declaring the same topic again is harmless: services declare their topics on every start
            kafka.createTopics(List.of(new NewTopic("it.topic", 3, (short) 1)));
            assertTrue(kafka.listTopics().contains("it.topic"));

            writeTransactionally(kafka, "it.topic", "local-kafka-it", 0, 10);
            List<ConsumerRecord<String, String>> seen = readCommitted(kafka, "it.topic", "it-" + UUID.randomUUID(), 10);
            assertEquals(10, seen.size());
            assertEquals(10, seen.stream().map(ConsumerRecord::key).distinct().count());
        }
        assertFalse(Files.exists(dataDir), "data directory removed on close");
    }

    @Test
    void aDataDirectoryKeepsTopicsRecordsOffsetsAndTransactionsAcrossRestarts(@TempDir Path dir) throws Exception {
        String bootstrap;
        try (LocalKafka kafka = LocalKafka.builder().dataDirectory(dir).start()) {
            assertTrue(kafka.persistent());
            bootstrap = kafka.bootstrapServers();
            kafka.createTopics(List.of(new NewTopic("kept.topic", 3, (short) 1)));
            writeTransactionally(kafka, "kept.topic", "kept-writer", 0, 10);
            // a consumer group that has read 10 records and committed its position
            assertEquals(10, readCommitted(kafka, "kept.topic", "kept-group", 10).size());
        }
        assertTrue(Files.exists(dir.resolve("logs").resolve("meta.properties")), "the data outlives close()");

        try (LocalKafka kafka = LocalKafka.builder().dataDirectory(dir).start()) {
            assertEquals(bootstrap, kafka.bootstrapServers(), "the same ports when they are free");
            assertTrue(kafka.listTopics().contains("kept.topic"));
            assertEquals(10, readCommitted(kafka, "kept.topic", "fresh-" + UUID.randomUUID(), 10).size(), "records kept");
            // the same transactional id fences its old epoch and goes on writing
            writeTransactionally(kafka, "kept.topic", "kept-writer", 10, 5);
            List<ConsumerRecord<String, String>> resumed = readCommitted(kafka, "kept.topic", "kept-group", 5);
            assertEquals(List.of("v10", "v11", "v12", "v13", "v14"),
                    resumed.stream().map(ConsumerRecord::value).sorted().toList(), "the group resumes at its committed offsets");

            IllegalStateException second = assertThrows(IllegalStateException.class,
                    () -> LocalKafka.builder().dataDirectory(dir).skipWarmUp().start());
            assertTrue(second.getMessage().contains(dir.toAbsolutePath().toString()), second.getMessage());
        }
    }

    @Test
    void aDirectoryWithForeignKafkaDataIsRefusedWithAReason(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("logs"));
        Files.writeString(dir.resolve("logs").resolve("meta.properties"), "node.id=3\nversion=1\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> LocalKafka.builder().dataDirectory(dir).start());
        assertTrue(e.getMessage().contains("not made by Handoff's local mode"), e.getMessage());
    }

    private static void writeTransactionally(LocalKafka kafka, String topic, String transactionalId, int from, int count) {
        Properties p = kafka.clientProperties();
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = from; i < from + count; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i));
            }
            producer.commitTransaction();
        }
    }

    /** Reads {@code expected} committed records as {@code group}, commits its position, and returns them. */
    private static List<ConsumerRecord<String, String>> readCommitted(LocalKafka kafka, String topic, String group, int expected) {
        Properties c = kafka.clientProperties();
        c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<ConsumerRecord<String, String>> seen = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
            consumer.subscribe(List.of(topic));
            Instant deadline = Instant.now().plusSeconds(30);
            while (seen.size() < expected && Instant.now().isBefore(deadline)) {
                consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
            }
            // nothing more than expected arrives in a further moment
            consumer.poll(Duration.ofMillis(500)).forEach(seen::add);
            consumer.commitSync();
        }
        return seen;
    }

    @Test
    void producingToAnUndeclaredTopicFailsInsteadOfCreatingIt() {
        try (LocalKafka kafka = LocalKafka.builder().skipWarmUp().start()) {
            Properties p = kafka.clientProperties();
            p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "2000");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
                assertThrows(Exception.class, () -> producer.send(new ProducerRecord<>("no.such.topic", "k", "v")).get());
            }
            assertFalse(kafka.listTopics().contains("no.such.topic"));
        }
    }
}

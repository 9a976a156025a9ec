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

            Properties p = kafka.clientProperties();
            p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "local-kafka-it");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
                producer.initTransactions();
                producer.beginTransaction();
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>("it.topic", "k" + i, "v" + i));
                }
                producer.commitTransaction();
            }

            Properties c = kafka.clientProperties();
            c.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
            c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            List<ConsumerRecord<String, String>> seen = new ArrayList<>();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
                consumer.subscribe(List.of("it.topic"));
                Instant deadline = Instant.now().plusSeconds(30);
                while (seen.size() < 10 && Instant.now().isBefore(deadline)) {
                    consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
                }
            }
            assertEquals(10, seen.size());
            assertEquals(10, seen.stream().map(ConsumerRecord::key).distinct().count());
        }
        assertFalse(Files.exists(dataDir), "data directory removed on close");
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

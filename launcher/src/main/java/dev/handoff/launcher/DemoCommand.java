package dev.handoff.launcher;

import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SourceTool;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.FindingIds;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import dev.handoff.schemas.registry.SchemaRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./handoff demo}: the local mode on its embedded default. Today it starts the real in-process
 * broker, declares every Handoff topic, proves the event path with one finding written and read back
 * through the Schema-Registry serde, and keeps the broker up for other tools until Ctrl-C. The streams
 * app, intake and alerter join it as their issues land.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start the local mode: an in-process Kafka broker with every Handoff topic.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--once", description = "Exit after the start-up check instead of serving until Ctrl-C.")
    boolean once;

    @Option(names = "--topic-prefix", defaultValue = Topics.DEFAULT_PREFIX,
            description = "Prefix of every topic name (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Option(names = "--partitions", defaultValue = "" + Topics.DEFAULT_PARTITIONS,
            description = "Partitions of finding-keyed topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        out.println("Handoff local mode: starting an in-process Kafka broker (KRaft, one node)...");
        LocalKafka kafka = LocalKafka.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            out.println("\nshutting down the local broker...");
            kafka.close();
            stopped.countDown();
        }, "handoff-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        SchemaRegistry registry = SchemaRegistries.fromConfig(Map.of(SchemaRegistries.URL_CONFIG, "embedded"));
        Topics topics = new Topics(prefix, partitions, registry);
        kafka.createTopics(topics.newTopics((short) 1));
        out.printf("broker:   %s%n", kafka.bootstrapServers());
        out.printf("registry: embedded (schema.registry.url=embedded)%n");
        out.printf("topics:   %d declared with prefix '%s'%n", Topics.ALL.size(), prefix);

        FindingReported echoed = roundTrip(kafka, topics);
        out.printf("check:    wrote and read back finding %s (%s, %s) on %s%n", echoed.getFindingId(),
                echoed.getVulnerabilityIds().get(0).getId(), echoed.getScannerBand(), topics.name(Topics.FINDINGS_REPORTED));
        out.println("services: intake, streams and alerter are not built yet (issues B-E); nothing else to run yet.");

        if (once) {
            Runtime.getRuntime().removeShutdownHook(hook);
            kafka.close();
            return 0;
        }
        out.println("The broker stays up for your own clients. Press Ctrl-C to stop.");
        stopped.await();
        return 0;
    }

    /** Writes one finding through the real serde and reads it back, so a broken event path shows at start-up. */
    private static FindingReported roundTrip(LocalKafka kafka, Topics topics) {
        FindingReported finding = sampleFinding();
        String topic = topics.name(Topics.FINDINGS_REPORTED);
        Properties producerProps = kafka.clientProperties();
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        try (KafkaProducer<String, FindingReported> producer = new KafkaProducer<>(producerProps,
                topics.keySerde().serializer(), topics.valueSerde(Topics.FINDINGS_REPORTED).serializer())) {
            producer.send(new ProducerRecord<>(topic, finding.getFindingId(), finding)).get();
        } catch (Exception e) {
            throw new IllegalStateException("start-up check failed: could not write a finding to " + topic + ": " + e, e);
        }
        Properties consumerProps = kafka.clientProperties();
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "handoff-demo-check-" + UUID.randomUUID());
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, FindingReported> consumer = new KafkaConsumer<>(consumerProps,
                topics.keySerde().deserializer(), topics.valueSerde(Topics.FINDINGS_REPORTED).deserializer())) {
            consumer.subscribe(List.of(topic));
            Instant deadline = Instant.now().plusSeconds(60);
            while (Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, FindingReported> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value().getEventId().equals(finding.getEventId())) {
                        return r.value();
                    }
                }
            }
        }
        throw new IllegalStateException("start-up check failed: the finding written to " + topic + " was not read back within 60 s");
    }

    private static FindingReported sampleFinding() {
        Instant now = Instant.now();
        FindingReported finding = FindingReported.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setEventTime(now)
                .setRecordedTime(now)
                .setSource("launcher/start-up-check")
                .setFindingId("")
                .setSourceTool(new SourceTool("Trivy", "0.50.1"))
                .setVulnerabilityIds(List.of(new VulnerabilityId(VulnerabilityIdKind.CVE, "CVE-2021-44228")))
                .setTitle("log4j-core: Remote code injection in Log4j")
                .setScannerSeverity("CRITICAL")
                .setScannerBand(SeverityBand.CRITICAL)
                .setTarget(FindingTarget.newBuilder()
                        .setImage("registry.example.com/payments/api")
                        .setPackagePurl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
                        .build())
                .build();
        return FindingIds.withId(finding);
    }
}

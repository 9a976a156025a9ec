package dev.handoff.launcher.bench;

import dev.handoff.avro.AlertLevel;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingTarget;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SeverityTarget;
import dev.handoff.avro.SlaBreach;
import dev.handoff.avro.SlaKind;
import dev.handoff.avro.SlaPolicy;
import dev.handoff.avro.SlaSpan;
import dev.handoff.avro.SourceTool;
import dev.handoff.avro.SpanClock;
import dev.handoff.avro.SpanUnit;
import dev.handoff.avro.VulnerabilityId;
import dev.handoff.avro.VulnerabilityIdKind;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.FindingIds;
import dev.handoff.schemas.Topics;
import dev.handoff.streams.HandoffTopology;
import dev.handoff.streams.StreamsSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Breach-alert delay on the wall clock ({@code sla.clock=wall}): findings captured now under a policy whose CRITICAL
 * handoff SLA is one minute, nobody acknowledges them, and a read_committed consumer of {@code alerts.sla-breach}
 * notes when each HANDOFF BREACH arrives. Delay = arrival time minus the deadline the alert names.
 */
final class BreachDelay {

    /** Delays in milliseconds, sorted, and how many alerts never came. */
    record Result(long[] delaysMs, int missing) {
        long quantile(double q) {
            return delaysMs.length == 0 ? -1 : delaysMs[(int) Math.floor(q * (delaysMs.length - 1))];
        }
    }

    private BreachDelay() {
    }

    static Result run(LocalKafka kafka, Admin admin, Path stateDir, int findings, Duration spread, Map<String, String> settings,
                      PrintStream out) {
        Topics topics = new Topics("bench-breach.", 3, dev.handoff.schemas.registry.SchemaRegistries.fromConfig(Map.of("schema.registry.url", "embedded")));
        kafka.createTopics(topics.newTopics((short) 1));
        kafka.createTopics(HandoffTopology.newInternalTopics(topics, 3, (short) 1));
        Map<String, String> s = new java.util.HashMap<>(settings);
        s.put(StreamsSettings.SLA_CLOCK, "wall");
        s.put(StreamsSettings.METRICS_CLOCK, "wall");
        Properties producerProps = kafka.clientProperties();
        try (HandoffRun run = new HandoffRun(kafka.bootstrapServers(), topics, admin, stateDir, s);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
             KafkaConsumer<String, byte[]> alerts = alertConsumer(kafka, topics)) {
            // The default policy (every finding falls back to it): CRITICAL handoff one minute on the calendar clock.
            SlaPolicy policy = SlaPolicy.newBuilder(ProgrammeGenerator.policy(Instant.now())).setPolicyId("default")
                    .setTargets(List.of(SeverityTarget.newBuilder().setBand(SeverityBand.CRITICAL).setHandoff(minutes(1))
                            .setRemediation(minutes(60)).setNoAckWindow(minutes(30)).build())).build();
            String policyTopic = topics.name(Topics.SLA_POLICY);
            producer.send(new ProducerRecord<>(policyTopic, "default", topics.valueSerde(Topics.SLA_POLICY).serializer().serialize(policyTopic, policy)));
            producer.flush();
            run.startAndTakeInReference(List.of(topics.name(Topics.ASSETS), topics.name(Topics.OWNERS), topics.name(Topics.TEAMS),
                    topics.name(Topics.SLA_POLICY)));
            String topic = topics.name(Topics.FINDINGS_REPORTED);
            long gap = Math.max(1, spread.toMillis() / Math.max(1, findings));
            out.printf("breach:   %d CRITICAL findings over %d s, handoff SLA 1 minute, sla.clock=wall; waiting for their breaches...%n",
                    findings, spread.toSeconds());
            for (int i = 0; i < findings; i++) {
                Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
                FindingReported f = FindingIds.withId(FindingReported.newBuilder()
                        .setEventId("bench-breach-" + i).setEventTime(now).setRecordedTime(now).setSource("bench/breach")
                        .setFindingId("").setSourceTool(new SourceTool("Trivy", "1.0"))
                        .setVulnerabilityIds(List.of(new VulnerabilityId(VulnerabilityIdKind.TOOL_RULE, "BREACH-" + i)))
                        .setTitle("breach probe " + i).setScannerSeverity("CRITICAL").setScannerBand(SeverityBand.CRITICAL)
                        .setTarget(FindingTarget.newBuilder().setHost("h-breach.bench.example").setPort(443).build()).build());
                producer.send(new ProducerRecord<>(topic, null, now.toEpochMilli(), f.getFindingId(),
                        topics.valueSerde(Topics.FINDINGS_REPORTED).serializer().serialize(topic, f)));
                producer.flush();
                sleep(gap);
            }
            Deserializer<SlaBreach> breaches = topics.valueSerde(Topics.ALERTS_SLA_BREACH).deserializer();
            String alertTopic = topics.name(Topics.ALERTS_SLA_BREACH);
            List<Long> delays = new ArrayList<>();
            long until = System.nanoTime() + Duration.ofMinutes(1).plus(Duration.ofSeconds(60)).toNanos();
            while (delays.size() < findings && System.nanoTime() < until) {
                for (ConsumerRecord<String, byte[]> r : alerts.poll(Duration.ofMillis(20))) {
                    long arrived = System.currentTimeMillis();
                    SlaBreach b = breaches.deserialize(alertTopic, r.value());
                    if (b.getSla() == SlaKind.HANDOFF && b.getLevel() == AlertLevel.BREACH) {
                        delays.add(arrived - b.getDeadline().toEpochMilli());
                    }
                }
            }
            long[] sorted = delays.stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(sorted);
            return new Result(sorted, findings - sorted.length);
        }
    }

    private static KafkaConsumer<String, byte[]> alertConsumer(LocalKafka kafka, Topics topics) {
        Properties p = kafka.clientProperties();
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        String topic = topics.name(Topics.ALERTS_SLA_BREACH);
        List<TopicPartition> tps = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
        c.assign(tps);
        c.seekToEnd(tps);
        tps.forEach(c::position);
        return c;
    }

    private static SlaSpan minutes(int n) {
        return SlaSpan.newBuilder().setAmount(n).setUnit(SpanUnit.MINUTES).setClock(SpanClock.CALENDAR).build();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}

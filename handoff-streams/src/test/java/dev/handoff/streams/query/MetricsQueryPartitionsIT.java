package dev.handoff.streams.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.HandoffWindow;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SourceTool;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.FindingIds;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.SchemaRegistries;
import dev.handoff.streams.Fixtures;
import dev.handoff.streams.HandoffStreamsApp;
import dev.handoff.streams.HandoffTopology;
import dev.handoff.streams.StreamsSettings;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One instance holding every partition of the metrics stores answers a metrics query with the series of every
 * partition. (Its stores span several partitions, whose keys do not iterate in one order: finding a dimension's
 * series by skipping through them in order once missed the series of all but the first partition.)
 */
@Tag("integration")
class MetricsQueryPartitionsIT {

    private static final int PARTITIONS = 4;
    private static final List<String> TOOLS = List.of("Trivy", "Grype", "Snyk");
    private static final List<SeverityBand> BANDS = List.of(SeverityBand.CRITICAL, SeverityBand.HIGH, SeverityBand.MEDIUM,
            SeverityBand.LOW);

    @Test
    void anInstanceHoldingSeveralMetricsPartitionsAnswersForTheSeriesOfEveryOne(@TempDir Path stateDir) throws Exception {
        try (LocalKafka kafka = LocalKafka.start()) {
            String prefix = "mqp-" + UUID.randomUUID().toString().substring(0, 8) + ".";
            Topics topics = new Topics(prefix, PARTITIONS, SchemaRegistries.embedded());
            List<NewTopic> declared = new ArrayList<>(topics.newTopics((short) 1));
            declared.addAll(HandoffTopology.newInternalTopics(topics, PARTITIONS, (short) 1));
            kafka.createTopics(declared);
            Map<String, String> config = new HashMap<>();
            config.put("bootstrap.servers", kafka.bootstrapServers());
            config.put("application.id", prefix + "streams");
            config.put("state.dir", stateDir.toString());
            config.put("num.stream.threads", "1");
            config.put("commit.interval.ms", "100");
            config.put(StreamsSettings.TOPIC_PREFIX, prefix);
            config.put(StreamsSettings.TOPIC_PARTITIONS, Integer.toString(PARTITIONS));
            config.put(StreamsSettings.SLA_CLOCK, "stream");
            config.put(StreamsSettings.METRICS_CLOCK, "wall");
            config.put(StreamsSettings.METRICS_REFRESH_INTERVAL, "PT1S");
            config.put(StreamsSettings.QUERY_PORT, "0");

            // Twelve SOURCE_TOOL series (three tools by four bands), spread over the four partitions by their hash.
            try (KafkaProducer<String, FindingReported> producer = new KafkaProducer<>(kafka.clientProperties(), new StringSerializer(),
                    topics.valueSerde(Topics.FINDINGS_REPORTED).serializer())) {
                int n = 0;
                for (String tool : TOOLS) {
                    for (SeverityBand band : BANDS) {
                        FindingReported f = FindingIds.withId(FindingReported.newBuilder(Fixtures.finding(QueryFixtures.IMAGE,
                                "CVE-2026-" + (100 + n++), band, Fixtures.T0.plusSeconds(n))).setSourceTool(new SourceTool(tool, "1")).build());
                        producer.send(new ProducerRecord<>(topics.name(Topics.FINDINGS_REPORTED), f.getFindingId(), f)).get();
                    }
                }
            }
            try (HandoffStreamsApp app = new HandoffStreamsApp(StreamsSettings.from(config, Map.of()))) {
                app.start();
                Set<String> published = awaitPublishedSeries(kafka, topics, TOOLS.size() * BANDS.size());
                String day = Fixtures.T0.atZone(java.time.ZoneOffset.UTC).toLocalDate().toString();
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:"
                        + app.queryPort() + "/metrics/handoff?from=" + day + "&to=" + day + "&dimension=SOURCE_TOOL")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                Set<String> answered = new TreeSet<>();
                for (JsonNode row : new ObjectMapper().readTree(r.body()).path("rows")) {
                    answered.add(row.path("band").asText() + "|" + row.path("key").asText());
                }
                assertEquals(published, answered, "every series on metrics.handoff is in the answer");
            }
        }
    }

    /** The (band, key) of the SOURCE_TOOL day rows on metrics.handoff, once {@code expected} of them are there. */
    private static Set<String> awaitPublishedSeries(LocalKafka kafka, Topics topics, int expected) {
        Properties p = kafka.clientProperties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "mqp-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Set<String> series = new TreeSet<>();
        try (KafkaConsumer<String, HandoffWindow> c = new KafkaConsumer<>(p, new StringDeserializer(),
                topics.valueSerde(Topics.METRICS_HANDOFF).deserializer())) {
            c.subscribe(List.of(topics.name(Topics.METRICS_HANDOFF)));
            Instant deadline = Instant.now().plusSeconds(90);
            while (series.size() < expected) {
                if (Instant.now().isAfter(deadline)) {
                    fail("only " + series + " on metrics.handoff after 90 s");
                }
                c.poll(Duration.ofMillis(200)).forEach(rec -> {
                    HandoffWindow w = rec.value();
                    if (rec.key().startsWith("DAY|") && w.getDimension().name().equals("SOURCE_TOOL") && w.getCaptured() > 0) {
                        series.add(w.getBand() + "|" + w.getDimensionKey());
                    }
                });
            }
        }
        assertTrue(series.size() == expected, "one series per tool and band: " + series);
        return series;
    }
}

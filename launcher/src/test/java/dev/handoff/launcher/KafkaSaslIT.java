package dev.handoff.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.handoff.avro.FindingState;
import dev.handoff.ingest.intake.IntakeServer;
import dev.handoff.ingest.intake.IntakeSettings;
import dev.handoff.local.LocalKafka;
import dev.handoff.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The services reach a SASL listener with nothing but the Kafka client settings of their configuration: a report
 * posted to the intake goes over SASL to the broker, the streams service reads and writes over SASL, and the alerter
 * starts (its topic check and mirrors are SASL clients too) and delivers. A wrong password is refused with a reason.
 */
@Tag("integration")
class KafkaSaslIT {

    private static final String REPORT = "demo/reports/trivy_scheme_2_many_vulns.json";

    @Test
    void everyServiceWorksThroughASaslListenerWithItsSettingsAndAWrongPasswordIsRefused() throws Exception {
        LocalKafka kafka = LocalKafka.builder().saslPlain(Map.of("handoff", "handoff-secret")).start();
        Map<String, String> sasl = sasl(kafka, "handoff-secret");
        try (LocalMode local = LocalMode.on(kafka, new LocalMode.Options("sasl-it.", 3, 0, 0, 0, 0, false, null), sasl)) {
            byte[] report;
            try (InputStream in = getClass().getClassLoader().getResourceAsStream(REPORT)) {
                report = in.readAllBytes();
            }
            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(local.intakeUrl() + "/v1/reports?source=" + "ci%2Fsasl-it"))
                    .header("Authorization", "Bearer " + local.token)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(report)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(202, answer.statusCode(), answer.body());
            JsonNode accepted = new ObjectMapper().readTree(answer.body());
            int findings = accepted.path("findings").asInt();
            assertTrue(findings > 0, answer.body());

            // the streams service's state of every finding, read back over SASL as well
            Set<String> states = new HashSet<>();
            Properties c = new Properties();
            c.putAll(sasl);
            c.put(ConsumerConfig.GROUP_ID_CONFIG, "sasl-it-reader");
            c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            String topic = local.topics.name(Topics.FINDINGS_STATE);
            try (KafkaConsumer<String, FindingState> consumer = new KafkaConsumer<>(c, local.topics.keySerde().deserializer(),
                    local.topics.valueSerde(Topics.FINDINGS_STATE).deserializer())) {
                consumer.subscribe(List.of(topic));
                Instant deadline = Instant.now().plusSeconds(90);
                while (states.size() < findings && Instant.now().isBefore(deadline)) {
                    consumer.poll(Duration.ofMillis(500)).forEach(r -> states.add(r.key()));
                }
            }
            assertEquals(findings, states.size(), "every finding of the report reached findings.state through SASL");

            // the alerter, a SASL client throughout, delivers the unrouted alerts of those findings
            Instant deadline = Instant.now().plusSeconds(60);
            while (local.inbox.counts().values().stream().mapToLong(Long::longValue).sum() == 0 && Instant.now().isBefore(deadline)) {
                Thread.sleep(250);
            }
            assertTrue(local.inbox.counts().values().stream().mapToLong(Long::longValue).sum() > 0,
                    "the alerter delivered through SASL: " + local.inbox.counts());

            // the same settings with a wrong password: the intake refuses to start and says why
            Map<String, String> wrong = new HashMap<>(sasl(kafka, "not-the-password"));
            wrong.put("intake.port", "0");
            wrong.put("topic.prefix", "sasl-it.");
            wrong.put("intake.token.ci", "ingest:0123456789abcdef0123");
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> IntakeServer.start(IntakeSettings.from(wrong, Map.of())));
            assertTrue(String.valueOf(refused.getMessage()).toLowerCase().contains("authentication"), refused.toString());
        }
    }

    private static Map<String, String> sasl(LocalKafka kafka, String password) {
        return Map.of("bootstrap.servers", kafka.saslBootstrapServers(), "security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"handoff\" password=\""
                        + password + "\";");
    }
}

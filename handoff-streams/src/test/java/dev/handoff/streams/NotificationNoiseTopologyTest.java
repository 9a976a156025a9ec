package dev.handoff.streams;

import dev.handoff.avro.ChannelType;
import dev.handoff.avro.CommandKind;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.NotificationDispatched;
import dev.handoff.avro.SeverityBand;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import dev.handoff.streams.noise.NoiseSettings;
import dev.handoff.streams.sla.ReminderSchedule;
import dev.handoff.streams.stages.LifecycleSettings;
import dev.handoff.streams.stages.StoreNames;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

import static dev.handoff.streams.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** NOTIFICATION_NOISE: a delivery to an owner who already holds 2 unacknowledged notifications, or got 3 in the hour. */
class NotificationNoiseTopologyTest {

    private static final String IMAGE = "registry.example.com/payments/api";

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path stateDir;

    private TopologyTestDriver driver;
    private Topics topics;

    @BeforeEach
    void start() {
        topics = new Topics("handoff.", 1, new EmbeddedSchemaRegistry());
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "noise-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        LifecycleSettings settings = new LifecycleSettings(LifecycleSettings.Clock.STREAM, Duration.ofSeconds(1), 500,
                ReminderSchedule.defaults(), new NoiseSettings(2, 3, Duration.ofHours(1)),
                LifecycleSettings.UnroutedLimits.defaults());
        driver = new TopologyTestDriver(HandoffTopology.build(topics, settings), props, T0);
        pipe(Topics.OWNERS, "u-ana", Fixtures.person("u-ana", true, "payments"));
        pipe(Topics.TEAMS, "payments", Fixtures.team("payments", "u-ana", List.of()));
        pipe(Topics.ASSETS, "api", Fixtures.asset("api", IMAGE, "u-ana", "payments"));
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void aDeliveryOnTopOfTwoUnacknowledgedNotificationsIsNoise() {
        FindingReported a = delivered("CVE-2024-0001", T0);
        FindingReported b = delivered("CVE-2024-0002", T0.plus(Duration.ofHours(2)));
        FindingReported c = delivered("CVE-2024-0003", T0.plus(Duration.ofHours(4)));
        assertFalse(modes(a).contains(FailureMode.NOTIFICATION_NOISE));
        assertFalse(modes(b).contains(FailureMode.NOTIFICATION_NOISE));
        assertTrue(modes(c).contains(FailureMode.NOTIFICATION_NOISE), "third delivery lands on two pending");
    }

    @Test
    void acknowledgementsReleaseTheOwnersLoad() {
        FindingReported a = delivered("CVE-2024-0001", T0);
        command(a, CommandKind.ACKNOWLEDGE, T0.plus(Duration.ofMinutes(90)));
        delivered("CVE-2024-0002", T0.plus(Duration.ofHours(2)));
        FindingReported c = delivered("CVE-2024-0003", T0.plus(Duration.ofHours(4)));
        assertFalse(modes(c).contains(FailureMode.NOTIFICATION_NOISE), "only one notification was still pending");
    }

    @Test
    void threeDeliveriesWithinTheHourMakeTheFourthNoise() {
        FindingReported a = delivered("CVE-2024-0001", T0);
        command(a, CommandKind.ACKNOWLEDGE, T0.plusSeconds(60));
        FindingReported b = delivered("CVE-2024-0002", T0.plusSeconds(120));
        command(b, CommandKind.ACKNOWLEDGE, T0.plusSeconds(180));
        FindingReported c = delivered("CVE-2024-0003", T0.plusSeconds(240));
        command(c, CommandKind.ACKNOWLEDGE, T0.plusSeconds(300));
        FindingReported d = delivered("CVE-2024-0004", T0.plusSeconds(360));
        assertTrue(modes(d).contains(FailureMode.NOTIFICATION_NOISE), "three deliveries in the last hour");
    }

    private FindingReported delivered(String cve, Instant at) {
        FindingReported f = Fixtures.finding(IMAGE, cve, SeverityBand.MEDIUM, at);
        pipe(Topics.FINDINGS_REPORTED, f.getFindingId(), f);
        pipe(Topics.NOTIFICATIONS_RECEIPTS, f.getFindingId(), NotificationDispatched.newBuilder()
                .setEventId("rcpt-" + cve).setEventTime(at.plusSeconds(5)).setRecordedTime(at.plusSeconds(5)).setSource("sla-alerter")
                .setFindingId(f.getFindingId()).setNotificationId("n-" + cve).setKind(DispatchKind.OWNER_NOTIFICATION)
                .setOwnerId("u-ana").setChannel(ChannelType.SLACK).setTarget("slack:dm").setIdempotencyKey("n-" + cve).build());
        return f;
    }

    private void command(FindingReported f, CommandKind kind, Instant at) {
        pipe(Topics.FINDINGS_COMMANDS, f.getFindingId(), Fixtures.command(f.getFindingId(), kind, "u-ana", at));
    }

    private List<FailureMode> modes(FindingReported f) {
        FindingState s = driver.<String, FindingState>getKeyValueStore(StoreNames.FINDING_STATE).get(f.getFindingId());
        return s.getFailureModes();
    }

    private <V extends SpecificRecord> void pipe(TopicDef<V> topic, String key, V value) {
        driver.createInputTopic(topics.name(topic), new StringSerializer(), topics.valueSerde(topic).serializer()).pipeInput(key, value);
    }
}

package dev.handoff.streams;

import dev.handoff.avro.ActivityKind;
import dev.handoff.avro.Asset;
import dev.handoff.avro.CaptureOrigin;
import dev.handoff.avro.ChannelType;
import dev.handoff.avro.CommandKind;
import dev.handoff.avro.DeadLetter;
import dev.handoff.avro.DeadLetterKind;
import dev.handoff.avro.DispatchKind;
import dev.handoff.avro.FailureMode;
import dev.handoff.avro.FindingActivity;
import dev.handoff.avro.FindingReported;
import dev.handoff.avro.FindingState;
import dev.handoff.avro.FindingStatus;
import dev.handoff.avro.LifecycleCommand;
import dev.handoff.avro.NotificationDispatched;
import dev.handoff.avro.Owner;
import dev.handoff.avro.OwnerNotification;
import dev.handoff.avro.RouteKind;
import dev.handoff.avro.SeverityBand;
import dev.handoff.avro.SeverityChange;
import dev.handoff.avro.Team;
import dev.handoff.avro.UnroutedCause;
import dev.handoff.avro.UnroutedEvent;
import dev.handoff.avro.UnroutedEventKind;
import dev.handoff.schemas.TopicDef;
import dev.handoff.schemas.Topics;
import dev.handoff.schemas.registry.EmbeddedSchemaRegistry;
import dev.handoff.streams.stages.StoreNames;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

import static dev.handoff.streams.Fixtures.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandoffTopologyTest {

    private static final String IMAGE = "registry.example.com/payments/api";

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path stateDir;

    private TopologyTestDriver driver;
    private Topics topics;
    private TestOutputTopic<String, FindingActivity> activity;
    private TestOutputTopic<String, FindingState> state;
    private TestOutputTopic<String, OwnerNotification> notify;
    private TestOutputTopic<String, UnroutedEvent> unrouted;
    private TestOutputTopic<String, DeadLetter> deadletter;

    @BeforeEach
    void start() {
        topics = new Topics("handoff.", 1, new EmbeddedSchemaRegistry());
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "handoff-topology-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, "true");
        driver = new TopologyTestDriver(HandoffTopology.build(topics), props, T0.minusSeconds(7200));
        activity = output(Topics.FINDINGS_ACTIVITY);
        state = output(Topics.FINDINGS_STATE);
        notify = output(Topics.NOTIFY_REQUESTS);
        unrouted = output(Topics.ALERTS_UNROUTED);
        deadletter = output(Topics.DEADLETTER);
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void firstCaptureOfABoundFindingIsEnrichedRoutedAndNotified() {
        registerPaymentsTeam(true);
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0);
        capture(f);

        FindingState s = current(f.getFindingId());
        assertEquals(T0, s.getCapturedAt());
        assertEquals(T0, s.getEnrichedAt());
        assertEquals(T0, s.getRoutedAt());
        assertEquals("u-ana", s.getOwnerId());
        assertEquals(RouteKind.ASSET_OWNER, s.getRoute());
        assertEquals("api", s.getAssetId());
        assertEquals(CaptureOrigin.FIRST_TIME, s.getOrigin());
        assertNotNull(s.getHandoffDeadline(), "HIGH carries a handoff SLA");
        assertTrue(s.getHandoffDeadline().isAfter(T0));
        List<ActivityKind> kinds = activityKinds();
        assertTrue(kinds.containsAll(List.of(ActivityKind.CAPTURED, ActivityKind.ENRICHED, ActivityKind.ROUTED)), kinds.toString());
        OwnerNotification n = notify.readValue();
        assertEquals("u-ana", n.getOwnerId());
        assertEquals(f.getFindingId(), n.getFindingId());
        assertTrue(unrouted.isEmpty());
    }

    @Test
    void laterCapturesAreDuplicatesThatNeverMoveTZero() {
        registerPaymentsTeam(true);
        FindingReported first = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0);
        capture(first);
        FindingReported again = FindingReported.newBuilder(Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0.plusSeconds(600)))
                .setSourceTool(new dev.handoff.avro.SourceTool("grype", "0.74")).build();
        assertEquals(first.getFindingId(), again.getFindingId());
        activity.readValuesToList();
        notify.readValuesToList();
        capture(again);

        FindingState s = current(first.getFindingId());
        assertEquals(T0, s.getCapturedAt());
        assertEquals(2, s.getCaptureCount());
        assertEquals(List.of("Trivy", "grype"), s.getSourceTools());
        assertEquals(List.of(ActivityKind.DUPLICATE_CAPTURE), activityKinds());
        assertTrue(notify.isEmpty(), "a duplicate does not notify the owner again");
    }

    @Test
    void unboundFindingWaitsInTheUnroutedQueueAndIsRoutedWhenTheAssetRegisterCatchesUp() {
        pipe(Topics.OWNERS, "u-ana", Fixtures.person("u-ana", true, "payments"));
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0);
        capture(f);

        FindingState waiting = current(f.getFindingId());
        assertNull(waiting.getOwnerId());
        assertEquals(RouteKind.UNROUTED, waiting.getRoute());
        assertEquals(UnroutedCause.ASSET_BINDING_GAP, waiting.getUnroutedCause(), "the state says why, for the queue view");
        assertTrue(waiting.getFailureModes().contains(FailureMode.ASSET_BINDING_GAP));
        assertTrue(waiting.getEnrichmentMissing().contains("asset"));
        UnroutedEvent entered = unrouted.readValue();
        assertEquals(UnroutedEventKind.ENTERED, entered.getKind());
        assertEquals(UnroutedCause.ASSET_BINDING_GAP, entered.getCause());
        assertEquals(1L, unroutedStore().approximateNumEntries());

        Asset asset = Asset.newBuilder(Fixtures.asset("api", IMAGE, "u-ana", "payments")).setEventTime(T0.plusSeconds(3600)).build();
        pipe(Topics.ASSETS, "api", asset);

        FindingState routed = current(f.getFindingId());
        assertEquals("u-ana", routed.getOwnerId());
        assertEquals(T0.plusSeconds(3600), routed.getRoutedAt(), "routed at the event time of the asset record");
        assertEquals(T0, routed.getCapturedAt());
        assertNull(routed.getUnroutedCause(), "routed: no cause left");
        UnroutedEvent left = unrouted.readValue();
        assertEquals(UnroutedEventKind.LEFT, left.getKind());
        assertEquals(3_600_000L, left.getTimeInQueueMs());
        assertNull(unroutedStore().get(f.getFindingId()));
        assertEquals("u-ana", notify.readValue().getOwnerId());
    }

    @Test
    void aFindingsActivityIsOnTheLogNoEarlierThanItsCaptureSoAHistoryReadSeekingThereFindsIt() {
        pipe(Topics.OWNERS, "u-ana", Fixtures.person("u-ana", true, "payments"));
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0);
        capture(f);
        activity.readRecordsToList().forEach(r -> assertEquals(T0, r.getRecordTime(), r.value().getKind().toString()));

        // The asset register's entry is dated an hour before the capture; it routes the waiting finding now.
        pipe(Topics.ASSETS, "api", Asset.newBuilder(Fixtures.asset("api", IMAGE, "u-ana", "payments"))
                .setEventTime(T0.minusSeconds(3600)).build());

        var records = activity.readRecordsToList();
        var routed = records.stream().filter(r -> r.value().getKind() == ActivityKind.ROUTED).findFirst().orElseThrow();
        assertEquals(T0.minusSeconds(3600), routed.value().getEventTime(), "the activity keeps its cause's event time");
        assertEquals(T0, routed.getRecordTime(), "but its record is timestamped no earlier than the capture");
        records.forEach(r -> assertFalse(r.getRecordTime().isBefore(T0), r.toString()));
    }

    @Test
    void inactiveOwnerFallsBackToTheTeamLeadAndIsTaggedDecayedRouting() {
        registerPaymentsTeam(false);
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0);
        capture(f);

        FindingState s = current(f.getFindingId());
        assertEquals("u-lead", s.getOwnerId());
        assertEquals(RouteKind.TEAM_LEAD, s.getRoute());
        assertTrue(s.getFailureModes().contains(FailureMode.DECAYED_ROUTING));
        assertEquals("u-lead", notify.readValue().getOwnerId());
    }

    @Test
    void leadWhoLeavesMovesTheFindingOnToTheEscalationChain() {
        registerPaymentsTeam(false);
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0);
        capture(f);
        notify.readValuesToList();
        // The lead leaves: the finding must move on to the escalation chain.
        pipe(Topics.OWNERS, "u-lead", Owner.newBuilder(Fixtures.person("u-lead", false, "payments"))
                .setEventTime(T0.plusSeconds(60)).build());
        FindingState s = current(f.getFindingId());
        assertEquals("u-esc", s.getOwnerId());
        assertEquals(RouteKind.ESCALATION_CHAIN, s.getRoute());
        assertEquals(T0, s.getRoutedAt(), "stage 3 time stays the first routing");
        assertTrue(activityKinds().contains(ActivityKind.REROUTED));
        assertEquals("u-esc", notify.readValue().getOwnerId());
    }

    @Test
    void aPassedOverLeadWhoBecomesActiveAgainRoutesTheWaitingFinding() {
        pipe(Topics.OWNERS, "u-ana", Fixtures.person("u-ana", false, "payments"));
        pipe(Topics.OWNERS, "u-lead", Fixtures.person("u-lead", false, "payments"));
        pipe(Topics.TEAMS, "payments", Fixtures.team("payments", "u-lead", List.of()));
        pipe(Topics.ASSETS, "api", Fixtures.asset("api", IMAGE, "u-ana", "payments"));
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0);
        capture(f);
        assertNull(current(f.getFindingId()).getOwnerId(), "owner and lead inactive, empty chain: unrouted");

        pipe(Topics.OWNERS, "u-lead", Owner.newBuilder(Fixtures.person("u-lead", true, "payments"))
                .setEventTime(T0.plusSeconds(600)).build());
        FindingState s = current(f.getFindingId());
        assertEquals("u-lead", s.getOwnerId(), "the lead's return re-evaluates findings that passed them over");
        assertEquals(RouteKind.TEAM_LEAD, s.getRoute());
        assertEquals(T0.plusSeconds(600), s.getRoutedAt());
    }

    @Test
    void ackByOtherUserReassignsBeforeAcknowledging() {
        registerPaymentsTeam(true);
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0);
        capture(f);
        activity.readValuesToList();
        command(Fixtures.command(f.getFindingId(), CommandKind.ACKNOWLEDGE, "u-bo", T0.plusSeconds(1800)));

        FindingState s = current(f.getFindingId());
        assertEquals("u-bo", s.getOwnerId());
        assertEquals(RouteKind.REASSIGNED, s.getRoute());
        assertEquals(T0.plusSeconds(1800), s.getAcknowledgedAt());
        assertEquals("u-bo", s.getAcknowledgedBy());
        assertFalse(s.getAckInferred());
        assertEquals(FindingStatus.ACKNOWLEDGED, s.getStatus());
        assertNotNull(s.getRemediationDeadline());
        assertEquals(List.of(ActivityKind.REASSIGNED, ActivityKind.ACKNOWLEDGED), activityKinds());
    }

    @Test
    void theAcknowledgersNoteIsOnTheAcknowledgedEntryOfTheAuditTrail() {
        registerPaymentsTeam(true);
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0);
        capture(f);
        activity.readValuesToList();
        command(LifecycleCommand.newBuilder(Fixtures.command(f.getFindingId(), CommandKind.ACKNOWLEDGE, "u-ana", T0.plusSeconds(600)))
                .setNote("taking it: patch in sprint 48").build());
        FindingActivity acknowledged = activity.readValuesToList().stream().filter(a -> a.getKind() == ActivityKind.ACKNOWLEDGED)
                .findFirst().orElseThrow();
        assertEquals("taking it: patch in sprint 48", acknowledged.getNote());
    }

    @Test
    void triageWithoutAnExplicitAckInfersTheAckAndTagsAckAmbiguity() {
        registerPaymentsTeam(true);
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0);
        capture(f);
        activity.readValuesToList();
        command(Fixtures.command(f.getFindingId(), CommandKind.ENTER_TRIAGE, "u-ana", T0.plusSeconds(7200)));

        FindingState s = current(f.getFindingId());
        assertTrue(s.getAckInferred());
        assertEquals(T0.plusSeconds(7200), s.getAcknowledgedAt());
        assertEquals(T0.plusSeconds(7200), s.getTriagedAt());
        assertEquals(FindingStatus.TRIAGED, s.getStatus());
        assertTrue(s.getFailureModes().contains(FailureMode.ACK_AMBIGUITY));
        assertEquals(List.of(ActivityKind.FAILURE_MODE_TAGGED, ActivityKind.ACK_INFERRED, ActivityKind.TRIAGED), activityKinds());
    }

    @Test
    void deliveryReceiptForTheRoutedOwnerSetsNotifiedAt() {
        registerPaymentsTeam(true);
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0);
        capture(f);
        OwnerNotification n = notify.readValue();
        receipt(n, "u-someone-else", T0.plusSeconds(5));
        assertNull(current(f.getFindingId()).getNotifiedAt(), "a delivery to someone else is not stage 4");
        receipt(n, "u-ana", T0.plusSeconds(10));
        assertEquals(T0.plusSeconds(10), current(f.getFindingId()).getNotifiedAt());
    }

    @Test
    void resolvedFindingCapturedAgainReopensWithOriginReopen() {
        registerPaymentsTeam(true);
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0);
        capture(f);
        command(Fixtures.command(f.getFindingId(), CommandKind.ACKNOWLEDGE, "u-ana", T0.plusSeconds(60)));
        command(Fixtures.command(f.getFindingId(), CommandKind.RESOLVE, "u-ana", T0.plusSeconds(120)));
        capture(Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0.plusSeconds(86_400)));

        FindingState s = current(f.getFindingId());
        assertEquals(FindingStatus.OPEN, s.getStatus());
        assertEquals(CaptureOrigin.REOPEN, s.getOrigin());
        assertEquals(1, s.getReopenCount());
        assertEquals(T0, s.getCapturedAt(), "t0 never moves");
        assertEquals(T0.plusSeconds(86_400), s.getReopenedAt());
        assertNull(s.getAcknowledgedAt(), "a reopened finding needs a new acknowledgement");
    }

    @Test
    void aReopenedFindingGetsHandoffDeadlinesFromItsReopening() {
        registerPaymentsTeam(true);
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0);
        capture(f);
        Instant firstDeadline = current(f.getFindingId()).getHandoffDeadline();
        command(Fixtures.command(f.getFindingId(), CommandKind.ACKNOWLEDGE, "u-ana", T0.plusSeconds(60)));
        command(Fixtures.command(f.getFindingId(), CommandKind.RESOLVE, "u-ana", T0.plusSeconds(120)));
        Instant reopenedAt = T0.plus(java.time.Duration.ofDays(7));
        capture(Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, reopenedAt));

        FindingState s = current(f.getFindingId());
        assertEquals(CaptureOrigin.REOPEN, s.getOrigin());
        assertTrue(s.getHandoffDeadline().isAfter(reopenedAt),
                "the new handoff runs from the reopening: deadline " + s.getHandoffDeadline() + ", first one " + firstDeadline);
        assertTrue(s.getNoAckDeadline().isAfter(reopenedAt), "no-ack window from the reopening: " + s.getNoAckDeadline());
    }

    @Test
    void aFirstCaptureTakesItsDeadlinesFromTheRoutedTeamsPolicy() {
        registerPaymentsTeam(true);
        // The team runs a 24x7 calendar-time policy: HIGH is handed off within 2 hours, whatever the day.
        dev.handoff.avro.SlaPolicy defaults = dev.handoff.streams.sla.SlaPolicies.defaultPolicy();
        dev.handoff.avro.SlaPolicy allHours = dev.handoff.avro.SlaPolicy.newBuilder(defaults).setPolicyId("all-hours")
                .setTargets(List.of(dev.handoff.avro.SeverityTarget.newBuilder(defaults.getTargets().get(1))
                        .setHandoff(dev.handoff.avro.SlaSpan.newBuilder().setAmount(2).setUnit(dev.handoff.avro.SpanUnit.HOURS)
                                .setClock(dev.handoff.avro.SpanClock.CALENDAR).build()).build()))
                .build();
        pipe(Topics.SLA_POLICY, "all-hours", allHours);
        pipe(Topics.TEAMS, "payments", Team.newBuilder(Fixtures.team("payments", "u-lead", List.of("u-esc"))).setSlaPolicyId("all-hours").build());
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0);
        capture(f);

        FindingState s = current(f.getFindingId());
        assertEquals("payments", s.getTeamId());
        assertEquals("all-hours", s.getSlaPolicyId());
        assertEquals(T0.plus(java.time.Duration.ofHours(2)), s.getHandoffDeadline());
        assertEquals(T0.plus(java.time.Duration.ofHours(2)), notify.readValue().getHandoffDeadline(), "the owner is told the team's deadline");
    }

    @Test
    void aTeamMovedToAnotherPolicyGivesItsNextFindingsThatPolicysDeadlines() {
        registerPaymentsTeam(true);
        FindingReported before = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0);
        capture(before);
        assertEquals("default", current(before.getFindingId()).getSlaPolicyId());

        dev.handoff.avro.SlaPolicy defaults = dev.handoff.streams.sla.SlaPolicies.defaultPolicy();
        pipe(Topics.SLA_POLICY, "all-hours", dev.handoff.avro.SlaPolicy.newBuilder(defaults).setPolicyId("all-hours")
                .setTargets(List.of(dev.handoff.avro.SeverityTarget.newBuilder(defaults.getTargets().get(1))
                        .setHandoff(dev.handoff.avro.SlaSpan.newBuilder().setAmount(3).setUnit(dev.handoff.avro.SpanUnit.HOURS)
                                .setClock(dev.handoff.avro.SpanClock.CALENDAR).build()).build()))
                .build());
        pipe(Topics.TEAMS, "payments", Team.newBuilder(Fixtures.team("payments", "u-lead", List.of("u-esc"))).setSlaPolicyId("all-hours").build());
        Instant later = T0.plus(java.time.Duration.ofHours(1));
        FindingReported after = Fixtures.finding(IMAGE, "CVE-2022-22965", SeverityBand.HIGH, later);
        capture(after);

        FindingState s = current(after.getFindingId());
        assertEquals("all-hours", s.getSlaPolicyId(), "the team's policy as it is now, not as it was at the first finding");
        assertEquals(later.plus(java.time.Duration.ofHours(3)), s.getHandoffDeadline());
    }

    @Test
    void aManualSeverityRaiseSurvivesALaterDuplicateCapture() {
        registerPaymentsTeam(true);
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.LOW, T0);
        capture(f);
        command(LifecycleCommand.newBuilder(Fixtures.command(f.getFindingId(), CommandKind.CHANGE_SEVERITY, "u-soc", T0.plusSeconds(60)))
                .setDetails(new SeverityChange(SeverityBand.CRITICAL, null)).build());
        Instant criticalDeadline = current(f.getFindingId()).getHandoffDeadline();
        capture(Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.LOW, T0.plusSeconds(600)));

        FindingState s = current(f.getFindingId());
        assertEquals(2, s.getCaptureCount());
        assertEquals(SeverityBand.CRITICAL, s.getBand(), "a rescan does not undo a person's severity decision");
        assertEquals(criticalDeadline, s.getHandoffDeadline());
    }

    @Test
    void severityRaisedAfterRoutingTagsMismatchAndRecomputesTheDeadline() {
        registerPaymentsTeam(true);
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.LOW, T0);
        capture(f);
        Instant lowDeadline = current(f.getFindingId()).getHandoffDeadline();
        LifecycleCommand raise = LifecycleCommand.newBuilder(Fixtures.command(f.getFindingId(), CommandKind.CHANGE_SEVERITY, "u-soc", T0.plusSeconds(60)))
                .setDetails(new SeverityChange(SeverityBand.CRITICAL, null)).build();
        command(raise);

        FindingState s = current(f.getFindingId());
        assertEquals(SeverityBand.CRITICAL, s.getBand());
        assertTrue(s.getFailureModes().contains(FailureMode.SEVERITY_MISMATCH));
        assertTrue(s.getHandoffDeadline().isBefore(lowDeadline), "critical deadline " + s.getHandoffDeadline() + " vs low " + lowDeadline);
    }

    @Test
    void aKevEntryArrivingAfterRoutingRaisesTheBandAndRecomputesTheDeadline() {
        registerPaymentsTeam(true);
        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.MEDIUM, T0);
        capture(f);
        FindingState before = current(f.getFindingId());
        assertEquals(SeverityBand.MEDIUM, before.getBand());
        assertFalse(before.getKev());

        pipe(Topics.KEV, "CVE-2021-44228", dev.handoff.avro.KevEntry.newBuilder()
                .setEventId("kev-1").setEventTime(T0.plusSeconds(3600)).setRecordedTime(T0.plusSeconds(3600)).setSource("kev-sync")
                .setCveId("CVE-2021-44228").setDateAdded(java.time.LocalDate.of(2021, 12, 10)).build());

        FindingState after = current(f.getFindingId());
        assertTrue(after.getKev());
        assertEquals(SeverityBand.HIGH, after.getBand());
        assertTrue(after.getBandReasons().contains("kev"), after.getBandReasons().toString());
        assertTrue(after.getFailureModes().contains(FailureMode.SEVERITY_MISMATCH));
        assertTrue(after.getHandoffDeadline().isBefore(before.getHandoffDeadline()));
        assertEquals(T0, after.getCapturedAt());
    }

    @Test
    void badInputGoesToTheDeadLetterTopicAndProcessingContinues() {
        registerPaymentsTeam(true);
        command(Fixtures.command("f1-00000000000000000000000000000000", CommandKind.ACKNOWLEDGE, "u-ana", T0));
        DeadLetter unknown = deadletter.readValue();
        assertEquals(DeadLetterKind.UNKNOWN_FINDING, unknown.getErrorKind());
        assertTrue(unknown.getReason().contains("unknown finding"), unknown.getReason());

        FindingReported f = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, T0);
        capture(f);
        command(Fixtures.command(f.getFindingId(), CommandKind.VERIFY, "u-ana", T0.plusSeconds(60)));
        DeadLetter invalid = deadletter.readValue();
        assertEquals(DeadLetterKind.INVALID_TRANSITION, invalid.getErrorKind());
        assertTrue(invalid.getReason().contains("VERIFY is not allowed"), invalid.getReason());

        driver.createInputTopic(topics.name(Topics.FINDINGS_REPORTED), new StringSerializer(), new ByteArraySerializer())
                .pipeInput("k", "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8));
        DeadLetter garbage = deadletter.readValue();
        assertEquals(DeadLetterKind.DESERIALIZATION, garbage.getErrorKind());
        assertEquals("{\"not\":\"avro\"}", StandardCharsets.UTF_8.decode(garbage.getOriginalValue()).toString());

        command(Fixtures.command(f.getFindingId(), CommandKind.ACKNOWLEDGE, "u-ana", T0.plusSeconds(120)));
        assertEquals(FindingStatus.ACKNOWLEDGED, current(f.getFindingId()).getStatus(), "processing went on");
        assertTrue(deadletter.isEmpty());
    }

    /**
     * Every record the app writes is dated with the event time that caused it, and Kafka refuses dates before 1970
     * and more than an hour ahead of the broker's clock: such an event used to stop the stream thread on every retry.
     */
    @Test
    void eventsDatedWhereKafkaCannotDateTheirOutputsAreDeadLetteredAndChangeNothing() {
        registerPaymentsTeam(true);
        FindingReported future = Fixtures.finding(IMAGE, "CVE-2021-44228", SeverityBand.HIGH, Instant.parse("9999-12-31T00:00:00Z"));
        capture(future);
        DeadLetter dl = deadletter.readValue();
        assertEquals(DeadLetterKind.VALIDATION, dl.getErrorKind());
        assertTrue(dl.getReason().contains("event_time 9999-12-31T00:00:00Z is after its record's timestamp"), dl.getReason());
        assertNull(current(future.getFindingId()), "nothing of it was stored");
        assertTrue(state.isEmpty());

        FindingReported f = Fixtures.finding(IMAGE, "CVE-2022-22965", SeverityBand.HIGH, T0);
        capture(f);
        command(Fixtures.command(f.getFindingId(), CommandKind.ACKNOWLEDGE, "u-ana", Instant.ofEpochMilli(-86_400_000L)));
        DeadLetter early = deadletter.readValue();
        assertTrue(early.getReason().contains("before 1970"), early.getReason());
        assertEquals(FindingStatus.OPEN, current(f.getFindingId()).getStatus());
        assertTrue(deadletter.isEmpty());
    }

    /** A reference record keyed by another id than its own would be stored under one and indexed under the other. */
    @Test
    void aReferenceRecordKeyedByAnotherIdIsDeadLetteredFromItsOwnTopicAndNotApplied() {
        pipe(Topics.ASSETS, "api-old", Fixtures.asset("api", IMAGE, "u-ana", "payments"));
        DeadLetter dl = deadletter.readValue();
        assertEquals(DeadLetterKind.VALIDATION, dl.getErrorKind());
        assertEquals(topics.name(Topics.ASSETS), dl.getOriginalTopic(), "dead-lettered at the fan-out, before it is copied to every partition");
        assertTrue(dl.getReason().contains("record key 'api-old' differs from asset_id 'api'"), dl.getReason());
        KeyValueStore<String, Asset> assets = driver.getKeyValueStore(StoreNames.ASSETS);
        assertNull(assets.get("api-old"));
        assertNull(assets.get("api"));
    }

    // ------------------------------------------------------------------ helpers

    private void registerPaymentsTeam(boolean ownerActive) {
        pipe(Topics.OWNERS, "u-ana", Fixtures.person("u-ana", ownerActive, "payments"));
        pipe(Topics.OWNERS, "u-lead", Fixtures.person("u-lead", true, "payments"));
        pipe(Topics.OWNERS, "u-esc", Fixtures.person("u-esc", true, "payments"));
        pipe(Topics.OWNERS, "u-bo", Fixtures.person("u-bo", true, "payments"));
        pipe(Topics.TEAMS, "payments", Fixtures.team("payments", "u-lead", List.of("u-esc")));
        pipe(Topics.ASSETS, "api", Fixtures.asset("api", IMAGE, "u-ana", "payments"));
    }

    private <V extends SpecificRecord> void pipe(TopicDef<V> topic, String key, V value) {
        driver.createInputTopic(topics.name(topic), new StringSerializer(), topics.valueSerde(topic).serializer())
                .pipeInput(key, value);
    }

    private void capture(FindingReported f) {
        pipe(Topics.FINDINGS_REPORTED, f.getFindingId(), f);
    }

    private void command(LifecycleCommand c) {
        pipe(Topics.FINDINGS_COMMANDS, c.getFindingId(), c);
    }

    private void receipt(OwnerNotification n, String owner, Instant at) {
        pipe(Topics.NOTIFICATIONS_RECEIPTS, n.getFindingId(), NotificationDispatched.newBuilder()
                .setEventId("rcpt-" + owner + at).setEventTime(at).setRecordedTime(at).setSource("sla-alerter")
                .setFindingId(n.getFindingId()).setNotificationId(n.getNotificationId()).setKind(DispatchKind.OWNER_NOTIFICATION)
                .setOwnerId(owner).setChannel(ChannelType.SLACK).setTarget("slack:dm").setIdempotencyKey(n.getNotificationId())
                .build());
    }

    private FindingState current(String findingId) {
        KeyValueStore<String, FindingState> store = driver.getKeyValueStore(StoreNames.FINDING_STATE);
        return store.get(findingId);
    }

    private KeyValueStore<String, Long> unroutedStore() {
        return driver.getKeyValueStore(StoreNames.UNROUTED_QUEUE);
    }

    private List<ActivityKind> activityKinds() {
        return activity.readValuesToList().stream().map(FindingActivity::getKind)
                .filter(k -> k != ActivityKind.DEADLINES_SET).toList();
    }

    private <V extends SpecificRecord> TestOutputTopic<String, V> output(TopicDef<V> topic) {
        return driver.createOutputTopic(topics.name(topic), new org.apache.kafka.common.serialization.StringDeserializer(),
                topics.valueSerde(topic).deserializer());
    }

}

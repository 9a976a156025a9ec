package dev.handoff.launcher.audit;

import dev.handoff.avro.ActivityKind;
import dev.handoff.avro.FindingActivity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Instant;
import java.util.Map;

import static dev.handoff.launcher.audit.ComplianceControls.Evidence.FLAW_REMEDIATION;
import static dev.handoff.launcher.audit.ComplianceControls.Evidence.IDENTIFICATION;
import static dev.handoff.launcher.audit.ComplianceControls.Evidence.NONE;
import static dev.handoff.launcher.audit.ComplianceControls.Evidence.TIMELY_HANDLING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class ComplianceControlsTest {

    static FindingActivity entry(ActivityKind kind, Map<String, String> attributes) {
        return FindingActivity.newBuilder().setEventId("e").setEventTime(Instant.EPOCH).setRecordedTime(Instant.EPOCH)
                .setSource("handoff-streams").setFindingId("f1-x").setKind(kind).setAttributes(Map.copyOf(attributes)).build();
    }

    @Test
    void captureAndEnrichmentEvidenceIdentificationUnderRa5() {
        for (ActivityKind k : new ActivityKind[] {ActivityKind.CAPTURED, ActivityKind.DUPLICATE_CAPTURE, ActivityKind.REOPENED,
                ActivityKind.ENRICHED, ActivityKind.ENRICHMENT_COMPLETED, ActivityKind.SEVERITY_CHANGED}) {
            assertEquals(IDENTIFICATION, ComplianceControls.of(entry(k, Map.of())), k.name());
        }
        assertEquals("NIST SP 800-53 RA-5", IDENTIFICATION.citations());
    }

    @Test
    void routingNotificationAndAcknowledgementEvidenceTimelyHandlingUnderCc71AndA88() {
        for (ActivityKind k : new ActivityKind[] {ActivityKind.ROUTED, ActivityKind.UNROUTED, ActivityKind.REROUTED, ActivityKind.REASSIGNED,
                ActivityKind.NOTIFIED, ActivityKind.ACKNOWLEDGED, ActivityKind.ACK_INFERRED, ActivityKind.DEADLINES_SET,
                ActivityKind.FAILURE_MODE_TAGGED}) {
            assertEquals(TIMELY_HANDLING, ComplianceControls.of(entry(k, Map.of())), k.name());
        }
        assertEquals("SOC 2 CC7.1; ISO/IEC 27001:2022 A.8.8", TIMELY_HANDLING.citations());
    }

    @Test
    void triageFixAndVerificationEvidenceFlawRemediationUnderSi2AndPci633() {
        for (ActivityKind k : new ActivityKind[] {ActivityKind.TRIAGED, ActivityKind.WORK_STARTED, ActivityKind.RESOLVED,
                ActivityKind.VERIFIED, ActivityKind.RISK_ACCEPTED, ActivityKind.MARKED_FALSE_POSITIVE}) {
            assertEquals(FLAW_REMEDIATION, ComplianceControls.of(entry(k, Map.of())), k.name());
        }
        assertEquals("NIST SP 800-53 SI-2; PCI DSS v4.0 6.3.3", FLAW_REMEDIATION.citations());
    }

    @Test
    void anSlaAlertEvidencesTheSegmentOfItsSla() {
        assertEquals(TIMELY_HANDLING, ComplianceControls.of(entry(ActivityKind.SLA_BREACHED, Map.of("sla", "HANDOFF"))));
        assertEquals(TIMELY_HANDLING, ComplianceControls.of(entry(ActivityKind.SLA_WARNING, Map.of("sla", "NO_ACK"))));
        assertEquals(FLAW_REMEDIATION, ComplianceControls.of(entry(ActivityKind.SLA_BREACHED, Map.of("sla", "REMEDIATION"))));
    }

    @Test
    void aCommentEvidencesNoControlOnItsOwn() {
        assertEquals(NONE, ComplianceControls.of(entry(ActivityKind.COMMENTED, Map.of())));
        assertEquals("", NONE.citations());
    }

    @ParameterizedTest
    @EnumSource(value = ActivityKind.class, names = "COMMENTED", mode = EnumSource.Mode.EXCLUDE)
    void everyOtherKindEvidencesAtLeastOneControl(ActivityKind kind) {
        assertNotEquals(NONE, ComplianceControls.of(entry(kind, Map.of())));
    }
}

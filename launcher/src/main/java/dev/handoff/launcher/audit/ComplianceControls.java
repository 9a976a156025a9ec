package dev.handoff.launcher.audit;

import dev.handoff.avro.FindingActivity;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Which compliance controls an activity log entry is evidence for. The citations are those the domain article
 * names for the handoff discipline (shared/domain, "How frameworks read the handoff discipline"): finding and
 * ranking a vulnerability evidences identification, routing it to a named owner who acknowledges it evidences
 * timely handling, and triage to verified closure evidences flaw remediation.
 */
public final class ComplianceControls {

    /** One control of one framework. */
    public enum Control {
        NIST_RA_5("NIST SP 800-53 RA-5", "Vulnerability Monitoring and Scanning"),
        SOC2_CC7_1("SOC 2 CC7.1", "System Operations: detection and monitoring of vulnerabilities"),
        ISO_27001_A_8_8("ISO/IEC 27001:2022 A.8.8", "Management of technical vulnerabilities"),
        NIST_SI_2("NIST SP 800-53 SI-2", "Flaw Remediation"),
        PCI_DSS_6_3_3("PCI DSS v4.0 6.3.3", "Known vulnerabilities addressed within a defined timeframe");

        private final String citation;
        private final String title;

        Control(String citation, String title) {
            this.citation = citation;
            this.title = title;
        }

        /** The short citation, e.g. {@code SOC 2 CC7.1}. */
        public String citation() {
            return citation;
        }

        public String title() {
            return title;
        }
    }

    /** What part of vulnerability handling an entry evidences, and the controls that read it. */
    public enum Evidence {
        IDENTIFICATION("identification", List.of(Control.NIST_RA_5)),
        TIMELY_HANDLING("timely handling", List.of(Control.SOC2_CC7_1, Control.ISO_27001_A_8_8)),
        FLAW_REMEDIATION("flaw remediation", List.of(Control.NIST_SI_2, Control.PCI_DSS_6_3_3)),
        /** Comments: context for a reader, evidence of no control on their own. */
        NONE("", List.of());

        private final String label;
        private final List<Control> controls;

        Evidence(String label, List<Control> controls) {
            this.label = label;
            this.controls = controls;
        }

        public String label() {
            return label;
        }

        public List<Control> controls() {
            return controls;
        }

        /** The citations joined with "; ", e.g. {@code SOC 2 CC7.1; ISO/IEC 27001:2022 A.8.8}. */
        public String citations() {
            return controls.stream().map(Control::citation).collect(Collectors.joining("; "));
        }
    }

    private ComplianceControls() {
    }

    /** The evidence an entry gives: by its kind; SLA alerts by the SLA they are about. */
    public static Evidence of(FindingActivity a) {
        return switch (a.getKind()) {
            case CAPTURED, DUPLICATE_CAPTURE, REOPENED, ENRICHED, ENRICHMENT_COMPLETED, SEVERITY_CHANGED -> Evidence.IDENTIFICATION;
            case ROUTED, UNROUTED, REROUTED, REASSIGNED, NOTIFIED, ACKNOWLEDGED, ACK_INFERRED, DEADLINES_SET, FAILURE_MODE_TAGGED ->
                    Evidence.TIMELY_HANDLING;
            case TRIAGED, WORK_STARTED, RESOLVED, VERIFIED, RISK_ACCEPTED, MARKED_FALSE_POSITIVE -> Evidence.FLAW_REMEDIATION;
            case SLA_WARNING, SLA_BREACHED -> "REMEDIATION".equals(a.getAttributes().get("sla"))
                    ? Evidence.FLAW_REMEDIATION : Evidence.TIMELY_HANDLING;
            case COMMENTED -> Evidence.NONE;
        };
    }
}
